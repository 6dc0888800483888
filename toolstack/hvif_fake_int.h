// SPDX-License-Identifier: MIT
// Fake back-end internals: the simulated domain shared by its two files.
#ifndef LAMINA_HVIF_FAKE_INT_H
#define LAMINA_HVIF_FAKE_INT_H

#include "hvif.h"

#include <hv.h> // enum hv_exit_kind and its names: the same as the kvm back-end's

#define FAKE_TICK_NS 50000000ull // 50 ms
#define FAKE_CON_MAX 65536
#define FAKE_TRACE_MAX 256
#define FAKE_NHC 11 // hypercalls 0..10 of abi/lamina/hypercall.h

struct hv_backend {
	int tfd;
	uint64_t now_ns;
	struct hv_dom *doms;
};

struct hv_dom {
	struct hv_backend *hv;
	struct hv_dom *next;
	char name[DOM_NAME_MAX];
	unsigned id;
	enum hv_state state;
	enum hv_reason reason, pending;
	int shutdown_ticks, crash_ticks; // <0: nothing pending
	unsigned vcpus, max_vcpus;
	uint64_t mem_kib, maxmem_kib, cpu_ns;
	uint64_t exits[HV_EXIT_KINDS], hcalls[FAKE_NHC];
	char targets[DOM_MAX_DISKS * 2][DOM_TARGET_MAX];
	uint8_t macs[DOM_MAX_NICS * 2][6];
	size_t ntargets, nmacs;
	char con[FAKE_CON_MAX];
	size_t con_len;
	bool tracing;
	struct hv_trace_event trace[FAKE_TRACE_MAX];
	unsigned trace_head, trace_len;
};

void fake_tick(struct hv_dom *d);
void fake_con_put(struct hv_dom *d, const char *s, size_t len);
int fake_stats(struct hv_dom *d, struct hv_stats *st);

#endif
