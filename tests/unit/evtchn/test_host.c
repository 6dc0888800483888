// SPDX-License-Identifier: MIT
// test_host.c: domain 0 ends (evt_host_*), the doorbell ioeventfd fast path and its slow path, teardown, and a concurrency smoke test.
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <lamina/errno.h>
#include "fake.h"
#include "tests.h"

static struct hv *hv;
static struct domain *A, *B;   /* guests 1 and 2 */
static struct lamina_evtchn_status st;

static void setup(void)
{
	fake_reset();
	hv = fake_hv();
	A = fake_dom(hv, 1, 2, 16);
	B = fake_dom(hv, 2, 1, 16);
}

static void teardown(void)
{
	if (A)
		fake_dom_free(A);
	if (B)
		fake_dom_free(B);
	fake_hv_free(hv);
}

/* The eventfd's counter, consumed; 0 if it was not signalled. */
static uint64_t efd_take(int efd)
{
	uint64_t n = 0;

	if (read(efd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static bool fd_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

START_TEST(alloc_pair)
{
	uint32_t gp = 0;
	int efd = -1;

	ck_assert_int_eq(evt_host_alloc(A, &gp, &efd), 0);
	ck_assert_uint_eq(gp, 1);
	ck_assert(fd_open(efd));
	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, gp, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_INTERDOMAIN);
	ck_assert_uint_eq(st.u.interdomain.dom, 0);
	ck_assert_uint_gt(st.u.interdomain.port, 0);
	ck_assert(masked(A, gp) && !pending(A, gp));
	ck_assert_uint_eq(efd_take(efd), 0);
	int i = fake_ioev_find(A->vmfd, gp);
	ck_assert_int_ge(i, 0);
	ck_assert_int_eq(fake.ioev[i].efd, efd);
	evt_host_close(hv, efd);
	ck_assert(!fd_open(efd));
	ck_assert_int_eq(fake.nr_ioev, 0);
}
END_TEST

START_TEST(guest_send_signals_host)
{
	uint32_t gp;
	int efd;

	ck_assert_int_eq(evt_host_alloc(A, &gp, &efd), 0);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, gp), 0);       /* EVTCHNOP_SEND */
	ck_assert_uint_eq(efd_take(efd), 1);
	ck_assert_int_eq(doorbell(&A->vcpu[1], gp), 0);           /* doorbell exit */
	ck_assert_int_eq(doorbell(&A->vcpu[0], gp), 0);
	ck_assert_uint_eq(efd_take(efd), 2);
	uint64_t a[5] = { gp, 0, 0, 0, 0 };
	ck_assert_int_eq(hc_event_send(&A->vcpu[0], a), 0);
	ck_assert_uint_eq(efd_take(efd), 1);
	evt_host_close(hv, efd);
}
END_TEST

START_TEST(host_notify)
{
	uint32_t gp;
	int efd;

	ck_assert_int_eq(evt_host_alloc(A, &gp, &efd), 0);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_UNMASK, gp), 0);
	evt_host_notify(A, gp);
	ck_assert(pending(A, gp));
	ck_assert_int_eq(fake.upcalls[1][0], 1);
	evt_host_notify(A, 9);                       /* not open: nothing */
	int64_t ipi = bind_ipi(A, 0);
	evt_host_notify(A, (uint32_t)ipi);            /* not linked to the host */
	ck_assert(!pending(A, (uint32_t)ipi));
	ck_assert_int_eq(fake.upcalls[1][0], 1);
	evt_host_close(hv, efd);
	evt_host_notify(A, gp);                      /* unbound now: nothing */
	ck_assert_int_eq(fake.upcalls[1][0], 1);
}
END_TEST

START_TEST(guest_close_and_reconnect)
{
	uint32_t gp;
	int efd;

	ck_assert_int_eq(evt_host_alloc(A, &gp, &efd), 0);
	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, gp, &st), 0);
	uint32_t hp = st.u.interdomain.port;
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_CLOSE, gp), 0);
	ck_assert_int_eq(fake.nr_ioev, 0);                   /* fast path gone */
	ck_assert(fd_open(efd));                             /* host port still open */
	evt_host_notify(A, gp);
	ck_assert_int_eq(fake.upcalls[1][0], 0);
	ck_assert_int_eq(bind_ipi(A, 0), gp);                /* number reused: no doorbell */
	ck_assert_int_eq(fake_ioev_find(A->vmfd, gp), -1);
	int64_t np = bind_interdomain(A, 0, hp);             /* reconnect to the host port */
	ck_assert_int_gt(np, 0);
	ck_assert_uint_eq(efd_take(efd), 1);                 /* made pending once */
	ck_assert_int_ge(fake_ioev_find(A->vmfd, (uint32_t)np), 0);
	ck_assert_int_eq(bind_interdomain(B, 0, hp), -LAMINA_EINVAL);   /* not for B */
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, (uint32_t)np), 0);
	ck_assert_uint_eq(efd_take(efd), 1);
	evt_host_close(hv, efd);
	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, (uint32_t)np, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_UNBOUND);
	ck_assert_uint_eq(st.u.unbound.dom, 0);
	ck_assert_int_eq(fake.nr_ioev, 0);
}
END_TEST

START_TEST(host_bind_to_guest_port)
{
	int64_t gp = alloc_unbound(A, LAMINA_DOMID_SELF, 0);
	int64_t other = alloc_unbound(A, LAMINA_DOMID_SELF, 2);
	int efd = -1;

	ck_assert_int_eq(evt_host_bind(A, (uint32_t)other, &efd), -LAMINA_EINVAL);
	ck_assert_int_eq(evt_host_bind(A, 9, &efd), -LAMINA_EINVAL);
	ck_assert_int_eq(evt_host_bind(A, 0, &efd), -LAMINA_EINVAL);
	ck_assert_int_eq(efd, -1);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_UNMASK, (uint32_t)gp), 0);
	ck_assert_int_eq(evt_host_bind(A, (uint32_t)gp, &efd), 0);
	ck_assert(pending(A, (uint32_t)gp));                 /* made pending once */
	ck_assert_int_eq(fake.upcalls[1][0], 1);
	ck_assert_int_ge(fake_ioev_find(A->vmfd, (uint32_t)gp), 0);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, (uint32_t)gp), 0);
	ck_assert_uint_eq(efd_take(efd), 1);
	ck_assert_int_eq(evt_host_bind(A, (uint32_t)gp, &efd), -LAMINA_EINVAL);  /* bound */
	evt_host_close(hv, efd);
	evt_host_close(hv, efd);                             /* a second close: nothing */
}
END_TEST

START_TEST(ioeventfd_failure_keeps_slow_path)
{
	uint32_t gp;
	int efd;

	fake.ioev_fail = true;
	ck_assert_int_eq(evt_host_alloc(A, &gp, &efd), 0);
	ck_assert_int_eq(fake.nr_ioev, 0);
	ck_assert_int_eq(doorbell(&A->vcpu[0], gp), 0);
	ck_assert_uint_eq(efd_take(efd), 1);
	evt_host_close(hv, efd);     /* no deregistration attempted: nothing to fail */
	ck_assert(!fd_open(efd));
}
END_TEST

START_TEST(host_alloc_enospc)
{
	uint32_t gp;
	int efd;

	for (int i = 0; i < 16; i++)
		ck_assert_int_gt(bind_ipi(B, 0), 0);
	ck_assert_int_eq(evt_host_alloc(B, &gp, &efd), -LAMINA_ENOSPC);
	ck_assert_int_eq(port_op(B, LAMINA_EVTCHNOP_CLOSE, 16), 0);
	ck_assert_int_eq(evt_host_alloc(B, &gp, &efd), 0);   /* the host port was not leaked */
	ck_assert_uint_eq(gp, 16);
	ck_assert_int_eq(status_of(B, LAMINA_DOMID_SELF, gp, &st), 0);
	ck_assert_uint_eq(st.u.interdomain.port, 1);
	evt_host_close(hv, efd);
}
END_TEST

START_TEST(teardown_leaves_host_port_unbound)
{
	uint32_t gp;
	int efd;

	ck_assert_int_eq(evt_host_alloc(A, &gp, &efd), 0);
	fake_dom_free(A);
	A = NULL;
	ck_assert_int_eq(fake.nr_ioev, 0);
	ck_assert(fd_open(efd));
	evt_host_close(hv, efd);                  /* frees the last state: ASan checks leaks */
	ck_assert(!fd_open(efd));
}
END_TEST

START_TEST(teardown_unbinds_guest_peer)
{
	int64_t rp = alloc_unbound(B, LAMINA_DOMID_SELF, 1);
	int64_t lp = bind_interdomain(A, 2, (uint32_t)rp);

	ck_assert_int_gt(lp, 0);
	fake_dom_free(A);
	A = NULL;
	ck_assert_int_eq(status_of(B, LAMINA_DOMID_SELF, (uint32_t)rp, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_UNBOUND);
	ck_assert_uint_eq(st.u.unbound.dom, 1);
	ck_assert_int_eq(port_op(B, LAMINA_EVTCHNOP_SEND, (uint32_t)rp), 0);
	ck_assert_int_eq(bind_interdomain(B, 1, 1), -LAMINA_ESRCH);
}
END_TEST

START_TEST(hv_close_frees_leftover_host_ports)
{
	uint32_t gp1, gp2;
	int e1, e2;

	ck_assert_int_eq(evt_host_alloc(A, &gp1, &e1), 0);
	ck_assert_int_eq(evt_host_alloc(B, &gp2, &e2), 0);
	fake_dom_free(B);
	B = NULL;
	evt_hv_close(hv);                          /* A is still there: it is unlinked */
	ck_assert(!fd_open(e1) && !fd_open(e2));
	ck_assert_int_eq(fake.nr_ioev, 0);
	ck_assert_uint_eq(evtchn_state(A->evt, gp1), LAMINA_EVTCHNSTAT_UNBOUND);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, gp1), 0);
	evt_hv_close(hv);                          /* twice: nothing */
}
END_TEST

/* Sends in both directions race with closes and reconnects. */
static bool stop;   /* (atomic) */
static uint32_t a_port, b_port;

static void *sender(void *arg)
{
	struct domain *d = arg;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED))
		doorbell(&d->vcpu[0], d == A ? a_port : b_port);
	return NULL;
}

START_TEST(concurrent_send_close_rebind)
{
	pthread_t t[2];

	fake.threads = true;
	a_port = (uint32_t)alloc_unbound(A, LAMINA_DOMID_SELF, 2);
	b_port = (uint32_t)bind_interdomain(B, 1, a_port);
	pthread_create(&t[0], NULL, sender, A);
	pthread_create(&t[1], NULL, sender, B);
	for (int i = 0; i < 2000; i++) {
		ck_assert_int_eq(port_op(B, LAMINA_EVTCHNOP_CLOSE, b_port), 0);
		ck_assert_int_eq(bind_interdomain(B, 1, a_port), b_port);
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
}
END_TEST

TCase *tc_host(void)
{
	TCase *tc = tcase_create("host" NAME_SUFFIX);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, alloc_pair);
	tcase_add_test(tc, guest_send_signals_host);
	tcase_add_test(tc, host_notify);
	tcase_add_test(tc, guest_close_and_reconnect);
	tcase_add_test(tc, host_bind_to_guest_port);
	tcase_add_test(tc, ioeventfd_failure_keeps_slow_path);
	tcase_add_test(tc, host_alloc_enospc);
	tcase_add_test(tc, teardown_leaves_host_port_unbound);
	tcase_add_test(tc, teardown_unbinds_guest_peer);
	tcase_add_test(tc, hv_close_frees_leftover_host_ports);
	tcase_add_test(tc, concurrent_send_close_rebind);
	return tc;
}
