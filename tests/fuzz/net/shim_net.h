// SPDX-License-Identifier: MIT
// shim_net.h: force-included into the net harness's compile of lamina-netback's ring code: the shared shim, and both rings' takes through it.
#ifndef FUZZ_SHIM_NET_H
#define FUZZ_SHIM_NET_H
#include "common/shim.h"
#include <lamina/io/netif.h>

FZ_RING_TAKE(lamina_netif_tx, struct lamina_netif_tx_request)
FZ_RING_TAKE(lamina_netif_rx, struct lamina_netif_rx_request)
#define lamina_netif_tx_take_request fz_lamina_netif_tx_take_request
#define lamina_netif_rx_take_request fz_lamina_netif_rx_take_request
#endif
