// SPDX-License-Identifier: MIT
// hv_ports.h: the two I/O ports a guest reaches the hypervisor through (hypercall transport, doorbell).
#ifndef HV_PORTS_H
#define HV_PORTS_H

#define HC_PORT       0x5c   /* hypercall transport: in $HC_PORT, %eax */
#define HC_DOORBELL   0x5d   /* event_send fast path: out %eax (port), $HC_DOORBELL */
#endif
