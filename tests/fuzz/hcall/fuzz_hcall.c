// SPDX-License-Identifier: MIT
// fuzz_hcall.c: libFuzzer harness for the hypercall dispatcher (hcall.c, hc_*.c) over fake domains with real memory, event and grant tables.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/errno.h>
#include <lamina/shared_info.h>
#include "console.h"
#include "event.h"
#include "fake.h"
#include "grant.h"
#include "hcall.h"
#include "mem.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/*
 * Two domains (1 with two vCPUs, 2 with one), each with 2 MiB of real
 * memfd RAM, shared_info, event channel, grant and console state, made by
 * the real init functions. Input: records. A record whose first byte has
 * bit 7 set writes memory a guest can write: [0x80 | where << 5 | hi][lo]
 * [len] then len bytes at offset hi << 8 | lo of: where 0, 1: SCRATCH in
 * domain 1's, 2's RAM; 2, 3: grant frame 0 of domain 1, 2 (its grant
 * entries; offset mod 4096). Any other first byte is a hypercall:
 * [nr | vcpu << 4 | 0x40 to call as domain 2][5 arguments], each argument
 * a tag byte and its bytes: tag % 4 = 0: one byte; 1: a pointer
 * SCRATCH + u16 % 8192; 2: eight raw bytes; 3: a small negative number (one
 * byte, sign-extended).
 * Checked besides ASan/UBSan (leaks included, at teardown): each result
 * fits the 32 bits the guest sees (seen by the domain's trace hook) and
 * is 0 or more or a documented -LAMINA_E* number, and the RAM size and
 * populated-page count stay within the reservation. Calls go in through
 * hcall_on_exit as a vCPU's port I/O exit does.
 */
#define RAM (2u << 20)
#define SCRATCH 0x10000u
#define MAX_CALLS 64

static const unsigned char *in;
static size_t left;

static bool documented(int64_t e);

static uint64_t take(size_t n)
{
	uint64_t v = 0;

	if (n > left)
		n = left;
	memcpy(&v, in, n);
	in += n;
	left -= n;
	return v;
}

static void must(int ok, const char *fmt, long long a, long long b)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz/hcall: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	abort();
}

/* The domain's trace hook sees each call's full 64-bit result. */
static void trace(struct domain *d, int vcpu, const uint64_t t[6], int64_t r)
{
	must(r >= INT32_MIN && r <= INT32_MAX, "hypercall %lld returned %lld: not 32 bits",
	     (long long)t[0], r);
	must(r >= 0 || documented(r), "hypercall %lld returned %lld: not a documented error",
	     (long long)t[0], r);
}

static struct domain *dom_new(struct hv *hv, uint16_t id, int vcpus)
{
	static const struct hv_dom_params p = { .console_fd = -1 };
	struct domain *d = calloc(1, sizeof(*d));
	char err[128];

	must(d != NULL, "out of memory", 0, 0);
	d->hv = hv;
	d->id = id;
	d->nr_vcpus = vcpus;
	d->vmfd = d->memfd = d->log_fd = d->timer_efd = -1;
	d->shinfo_gfn = ~0ull;
	d->state = HV_DOM_RUNNING;
	d->lim.evtchns = 64;
	d->lim.grant_frames = 4;
	d->trace = trace;
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->wc_lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	for (int i = 0; i < vcpus; i++) {
		struct vcpu *v = &d->vcpu[i];
		v->d = d;
		v->id = i;
		v->fd = v->irq_efd = -1;
		v->up = i == 0;
		v->vcpu_info_gpa = ~0ull;
		v->run = calloc(1, sizeof(*v->run));
		must(v->run != NULL, "out of memory", 0, 0);
		pthread_mutex_init(&v->info_lock, NULL);
		pthread_mutex_init(&v->rs_lock, NULL);
	}
	must(mem_init(d, RAM, err, sizeof(err)) == 0, "mem_init failed", 0, 0);
	d->max_pages = RAM / HV_PAGE;
	d->shinfo = hv_page_alloc();
	must(d->shinfo != NULL, "out of memory", 0, 0);
	struct lamina_shared_info *s = (void *)d->shinfo;
	memset(s->evtchn_mask, 0xff, sizeof(s->evtchn_mask));
	s->domid = id;
	s->nr_vcpus = (uint32_t)vcpus;
	must(evt_domain_init(d) == 0 && grant_domain_init(d) == 0 && console_init(d, &p) == 0,
	     "domain init failed", 0, 0);
	hv->doms[id] = d;
	return d;
}

static void dom_free(struct domain *d)
{
	evt_domain_free(d);
	grant_domain_free(d);
	console_free(d);
	mem_free(d);
	hv_page_free(d->shinfo);
	for (int i = 0; i < d->nr_vcpus; i++)
		free(d->vcpu[i].run);
	d->hv->doms[d->id] = NULL;
	free(d);
}

static uint64_t arg(void)
{
	uint8_t tag = (uint8_t)take(1);

	switch (tag % 4) {
	case 0: return take(1);
	case 1: return SCRATCH + take(2) % 0x2000;
	case 2: return take(8);
	default: return (uint64_t)(int64_t)(int8_t)take(1);
	}
}

static bool documented(int64_t e)
{
	static const int known[] = {
		LAMINA_EPERM, LAMINA_ENOENT, LAMINA_ESRCH, LAMINA_EINTR, LAMINA_EIO, LAMINA_ENXIO,
		LAMINA_E2BIG, LAMINA_EBADF, LAMINA_EAGAIN, LAMINA_ENOMEM, LAMINA_EACCES,
		LAMINA_EFAULT, LAMINA_EBUSY, LAMINA_EEXIST, LAMINA_EXDEV, LAMINA_ENODEV,
		LAMINA_EISDIR, LAMINA_EINVAL, LAMINA_ENOSPC, LAMINA_EROFS, LAMINA_ERANGE,
		LAMINA_ENAMETOOLONG, LAMINA_ENOSYS, LAMINA_ENOTEMPTY, LAMINA_ENODATA, LAMINA_ETIME,
		LAMINA_EOVERFLOW, LAMINA_EOPNOTSUPP, LAMINA_EISCONN, LAMINA_ENOTCONN,
		LAMINA_ETIMEDOUT, LAMINA_EALREADY, LAMINA_EDQUOT,
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (e == -known[i])
			return true;
	return false;
}

/* A memory-write record (see the top). */
static void guest_write(uint8_t op, struct domain *d1, struct domain *d2)
{
	struct domain *d = op & 0x20 ? d2 : d1;
	uint32_t off = (uint32_t)(op & 0x1f) << 8 | (uint32_t)take(1);
	uint32_t n = (uint32_t)take(1);
	uint8_t *to = d->ram + SCRATCH;

	n = n < left ? n : (uint32_t)left;
	if (op & 0x40) {
		to = grant_frame(d, 0);
		off %= HV_PAGE;
		n = n < HV_PAGE - off ? n : (uint32_t)(HV_PAGE - off);
	}
	if (to)
		memcpy(to + off, in, n);
	in += n;
	left -= n;
}

/* One record: a memory write or a hypercall. */
static void record(struct domain *d1, struct domain *d2)
{
	uint8_t op = (uint8_t)take(1);

	if (op & 0x80) {
		guest_write(op, d1, d2);
		return;
	}
	struct domain *d = op & 0x40 ? d2 : d1;
	struct vcpu *v = &d->vcpu[((op >> 4) & 3) % d->nr_vcpus];
	struct kvm_regs *regs = &v->run->s.regs.regs;
	uint8_t out[4];
	/* As the vCPU thread does on `in $HC_PORT`: rax = nr, arguments in registers. */
	regs->rax = op & 15;
	regs->rdi = arg();
	regs->rsi = arg();
	regs->rdx = arg();
	regs->r10 = arg();
	regs->r8 = arg();
	hcall_on_exit(v, out);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct hv *hv = calloc(1, sizeof(*hv));

	must(hv != NULL, "out of memory", 0, 0);
	fake_reset();
	pthread_mutex_init(&hv->lock, NULL);
	struct domain *d1 = dom_new(hv, 1, 2), *d2 = dom_new(hv, 2, 1);
	must(hcall_page_install(d1, HV_PAGE) == 0 && hcall_page_install(d1, HV_PAGE + 8) < 0 &&
	     hcall_page_install(d1, RAM) < 0, "hypercall page install", 0, 0);
	in = data;
	left = size;
	for (unsigned n = 0; n < MAX_CALLS && left; n++)
		record(d1, d2);
	must(d1->ram_bytes == RAM && d2->ram_bytes == RAM, "RAM size changed", 0, 0);
	must(atomic_load(&d1->cur_pages) <= d1->max_pages && atomic_load(&d2->cur_pages) <= d2->max_pages,
	     "more pages populated than the reservation: %lld", (long long)atomic_load(&d1->cur_pages), 0);
	dom_free(d2);
	dom_free(d1);
	free(hv);
	return 0;
}
