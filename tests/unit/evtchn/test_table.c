// SPDX-License-Identifier: MIT
// test_table.c: unit tests of the pure port table (evtchn.c): limits, allocation, binding, linking, closing, locking.
#include <lamina/errno.h>
#include "fake.h"
#include "tests.h"

#define UNB LAMINA_EVTCHNSTAT_UNBOUND
#define IDM LAMINA_EVTCHNSTAT_INTERDOMAIN

static struct evtchn_table *tab(uint16_t id, uint32_t n, uint32_t vcpus)
{
	struct evtchn_table *t = evtchn_table_new(id, n, vcpus, NULL);

	ck_assert_ptr_nonnull(t);
	return t;
}

START_TEST(limits)
{
	struct evtchn_table *d = tab(1, 0, 1), *big = tab(2, 100000, 1), *one = tab(3, 1, 1);

	ck_assert_uint_eq(d->limit, LAMINA_EVTCHN_DEFAULT_LIMIT + 1);   /* ports 1..1023 */
	ck_assert_uint_eq(big->limit, LAMINA_EVTCHN_PORTS_MAX);         /* ports 1..4095 */
	ck_assert_uint_eq(one->limit, 2);
	ck_assert_ptr_null(evtchn_table_new(4, 1, 0, NULL));           /* no vCPUs */
	evtchn_table_free(d);
	evtchn_table_free(big);
	evtchn_table_free(one);
}
END_TEST

START_TEST(alloc_to_enospc_and_reuse)
{
	struct evtchn_table *t = tab(1, 3, 1);

	for (int p = 1; p <= 3; p++)
		ck_assert_int_eq(evtchn_alloc_unbound(t, 2), p);
	ck_assert_int_eq(evtchn_alloc_unbound(t, 2), -LAMINA_ENOSPC);
	ck_assert_int_eq(evtchn_bind_ipi(t, 0), -LAMINA_ENOSPC);
	ck_assert_int_eq(evtchn_bind_virq(t, LAMINA_VIRQ_TIMER, 0), -LAMINA_ENOSPC);
	ck_assert_int_eq(evtchn_close(t, 2), 0);
	ck_assert_int_eq(evtchn_bind_ipi(t, 0), 2);   /* lowest free */
	evtchn_table_free(t);
}
END_TEST

START_TEST(default_limit_is_1023_ports)
{
	struct evtchn_table *t = tab(1, 0, 1);

	for (int p = 1; p <= 1023; p++)
		ck_assert_int_eq(evtchn_alloc_unbound(t, 0), p);
	ck_assert_int_eq(evtchn_alloc_unbound(t, 0), -LAMINA_ENOSPC);
	evtchn_table_free(t);
}
END_TEST

START_TEST(get_and_state)
{
	struct evtchn_table *t = tab(1, 4, 1);

	ck_assert_ptr_null(evtchn_get(t, 0));
	ck_assert_ptr_null(evtchn_get(t, 1));
	ck_assert_ptr_null(evtchn_get(t, 5));
	ck_assert_ptr_null(evtchn_get(t, 0xffffffffu));
	ck_assert_uint_eq(evtchn_state(t, 99), LAMINA_EVTCHNSTAT_CLOSED);
	ck_assert_int_eq(evtchn_alloc_unbound(t, 7), 1);
	ck_assert_ptr_nonnull(evtchn_get(t, 1));
	ck_assert_uint_eq(evtchn_state(t, 1), UNB);
	ck_assert_uint_eq(t->port[1].rdom, 7);
	evtchn_table_free(t);
}
END_TEST

START_TEST(virq_rules)
{
	struct evtchn_table *g = tab(1, 16, 2), *h = tab(0, 16, 1);

	ck_assert_int_eq(evtchn_bind_virq(g, LAMINA_NR_VIRQS, 0), -LAMINA_EINVAL);
	ck_assert_int_eq(evtchn_bind_virq(g, 5, 0), -LAMINA_EINVAL);          /* unassigned */
	ck_assert_int_eq(evtchn_bind_virq(g, LAMINA_VIRQ_CONSOLE, 0), -LAMINA_EINVAL);
	ck_assert_int_eq(evtchn_bind_virq(g, LAMINA_VIRQ_DOM_EXC, 0), -LAMINA_EINVAL);
	ck_assert_int_eq(evtchn_bind_virq(h, LAMINA_VIRQ_CONSOLE, 1), -LAMINA_EINVAL);
	ck_assert_int_eq(evtchn_bind_virq(g, LAMINA_VIRQ_TIMER, 2), -LAMINA_ENOENT);
	ck_assert_int_eq(evtchn_bind_virq(g, LAMINA_VIRQ_TIMER, 0), 1);
	ck_assert_int_eq(evtchn_bind_virq(g, LAMINA_VIRQ_TIMER, 1), 2);       /* per vCPU */
	ck_assert_int_eq(evtchn_bind_virq(g, LAMINA_VIRQ_TIMER, 1), -LAMINA_EEXIST);
	ck_assert_int_eq(evtchn_bind_virq(h, LAMINA_VIRQ_CONSOLE, 0), 1);
	ck_assert_int_eq(evtchn_bind_virq(h, LAMINA_VIRQ_CONSOLE, 0), -LAMINA_EEXIST);
	ck_assert_uint_eq(evtchn_virq_port(g, 1, LAMINA_VIRQ_TIMER), 2);
	ck_assert_uint_eq(evtchn_virq_port(g, 1, LAMINA_VIRQ_DEBUG), 0);
	ck_assert_uint_eq(evtchn_virq_port(h, 5, LAMINA_VIRQ_CONSOLE), 1);    /* global */
	ck_assert_uint_eq(evtchn_virq_port(g, 0, 99), 0);
	ck_assert_int_eq(evtchn_close(g, 2), 0);                             /* unbinds */
	ck_assert_uint_eq(evtchn_virq_port(g, 1, LAMINA_VIRQ_TIMER), 0);
	ck_assert_int_eq(evtchn_bind_virq(g, LAMINA_VIRQ_TIMER, 1), 2);
	evtchn_table_free(g);
	evtchn_table_free(h);
}
END_TEST

START_TEST(bind_vcpu_rules)
{
	struct evtchn_table *g = tab(1, 16, 2), *h = tab(0, 16, 1);
	int ipi = evtchn_bind_ipi(g, 1), virq = evtchn_bind_virq(g, LAMINA_VIRQ_DEBUG, 0);
	int unb = evtchn_alloc_unbound(g, 0);

	ck_assert_uint_eq(evtchn_vcpu(g, (uint32_t)ipi), 1);
	ck_assert_int_eq(evtchn_bind_vcpu(g, 9, 0), -LAMINA_EBADF);
	ck_assert_int_eq(evtchn_bind_vcpu(g, 0, 0), -LAMINA_EBADF);
	ck_assert_int_eq(evtchn_bind_vcpu(g, (uint32_t)unb, 2), -LAMINA_ENOENT);
	ck_assert_int_eq(evtchn_bind_vcpu(g, (uint32_t)ipi, 0), -LAMINA_EINVAL);
	ck_assert_int_eq(evtchn_bind_vcpu(g, (uint32_t)virq, 1), -LAMINA_EINVAL);
	ck_assert_int_eq(evtchn_bind_vcpu(g, (uint32_t)unb, 1), 0);
	ck_assert_uint_eq(evtchn_vcpu(g, (uint32_t)unb), 1);
	/* A global VIRQ may move (in a one-vCPU table only to vCPU 0). */
	int con = evtchn_bind_virq(h, LAMINA_VIRQ_CONSOLE, 0);
	ck_assert_int_eq(evtchn_bind_vcpu(h, (uint32_t)con, 0), 0);
	ck_assert_int_eq(evtchn_bind_vcpu(h, (uint32_t)con, 1), -LAMINA_ENOENT);
	evtchn_table_free(g);
	evtchn_table_free(h);
}
END_TEST

START_TEST(link_and_close_unbinds_peer)
{
	struct evtchn_table *a = tab(1, 8, 1), *b = tab(2, 8, 1);
	int rp = evtchn_alloc_unbound(b, 1);

	ck_assert_int_eq(evtchn_bind_interdomain(a, b, 5), -LAMINA_EINVAL);     /* closed */
	ck_assert_int_eq(evtchn_bind_interdomain(a, b, 0), -LAMINA_EINVAL);
	ck_assert_int_eq(evtchn_bind_interdomain(a, b, 100), -LAMINA_EINVAL);
	ck_assert_int_eq(evtchn_bind_interdomain(b, b, (uint32_t)rp), -LAMINA_EINVAL); /* for 1 */
	int lp = evtchn_bind_interdomain(a, b, (uint32_t)rp);
	ck_assert_int_eq(lp, 1);
	ck_assert_int_eq(evtchn_bind_interdomain(a, b, (uint32_t)rp), -LAMINA_EINVAL); /* bound */
	ck_assert_uint_eq(evtchn_state(a, 1), IDM);
	ck_assert_uint_eq(evtchn_state(b, (uint32_t)rp), IDM);
	ck_assert_ptr_eq(a->port[1].rtab, b);
	ck_assert_uint_eq(a->port[1].rport, (uint32_t)rp);
	ck_assert_uint_eq(b->port[rp].rdom, 1);
	ck_assert_int_eq(evtchn_close(a, 1), 0);
	ck_assert_uint_eq(evtchn_state(b, (uint32_t)rp), UNB);
	ck_assert_uint_eq(b->port[rp].rdom, 1);              /* allocated for the closer */
	ck_assert_ptr_null(b->port[rp].rtab);
	ck_assert_int_eq(evtchn_close(a, 1), -LAMINA_EBADF);
	ck_assert_int_eq(evtchn_bind_interdomain(a, b, (uint32_t)rp), 1);    /* reconnects */
	evtchn_table_free(a);
	evtchn_table_free(b);
}
END_TEST

START_TEST(loopback)
{
	struct evtchn_table *a = tab(1, 8, 1);
	int rp = evtchn_alloc_unbound(a, 1);
	int lp = evtchn_bind_interdomain(a, a, (uint32_t)rp);

	ck_assert_int_eq(lp, 2);
	ck_assert_uint_eq(a->port[lp].rport, (uint32_t)rp);
	ck_assert_uint_eq(a->port[rp].rport, (uint32_t)lp);
	ck_assert_int_eq(evtchn_close(a, (uint32_t)rp), 0);
	ck_assert_uint_eq(evtchn_state(a, (uint32_t)lp), UNB);
	evtchn_table_free(a);
}
END_TEST

START_TEST(status_fields)
{
	struct evtchn_table *a = tab(1, 8, 2), *b = tab(2, 8, 1);
	struct lamina_evtchn_status st;

	evtchn_alloc_unbound(a, 2);                                   /* 1 */
	evtchn_bind_interdomain(b, a, 1);
	evtchn_bind_virq(a, LAMINA_VIRQ_DEBUG, 1);                    /* 2 */
	evtchn_bind_ipi(a, 1);                                        /* 3 */
	evtchn_alloc_unbound(a, 9);                                   /* 4 */
	evtchn_status(a, 1, &st);
	ck_assert_uint_eq(st.status, IDM);
	ck_assert_uint_eq(st.u.interdomain.dom, 2);
	ck_assert_uint_eq(st.u.interdomain.port, 1);
	evtchn_status(a, 2, &st);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_VIRQ);
	ck_assert_uint_eq(st.u.virq, LAMINA_VIRQ_DEBUG);
	ck_assert_uint_eq(st.vcpu, 1);
	evtchn_status(a, 3, &st);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_IPI);
	ck_assert_uint_eq(st.vcpu, 1);
	evtchn_status(a, 4, &st);
	ck_assert_uint_eq(st.status, UNB);
	ck_assert_uint_eq(st.u.unbound.dom, 9);
	ck_assert_uint_eq(st.u.unbound.pad, 0);
	evtchn_status(a, 5, &st);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_CLOSED);
	evtchn_table_free(a);
	evtchn_table_free(b);
}
END_TEST

START_TEST(lock2_order_and_same_table)
{
	struct evtchn_table *a = tab(1, 2, 1), *b = tab(2, 2, 1);

	evtchn_lock2(b, a);
	ck_assert_int_ne(pthread_mutex_trylock(&a->lock), 0);
	ck_assert_int_ne(pthread_mutex_trylock(&b->lock), 0);
	evtchn_unlock2(b, a);
	evtchn_lock2(a, a);     /* once: a second lock would deadlock */
	ck_assert_int_ne(pthread_mutex_trylock(&a->lock), 0);
	evtchn_unlock2(a, a);
	ck_assert_int_eq(pthread_mutex_trylock(&a->lock), 0);
	ck_assert_int_eq(pthread_mutex_trylock(&b->lock), 0);
	pthread_mutex_unlock(&a->lock);
	pthread_mutex_unlock(&b->lock);
	evtchn_table_free(a);
	evtchn_table_free(b);
}
END_TEST

TCase *tc_table(void)
{
	TCase *tc = tcase_create("table" NAME_SUFFIX);

	tcase_add_test(tc, limits);
	tcase_add_test(tc, alloc_to_enospc_and_reuse);
	tcase_add_test(tc, default_limit_is_1023_ports);
	tcase_add_test(tc, get_and_state);
	tcase_add_test(tc, virq_rules);
	tcase_add_test(tc, bind_vcpu_rules);
	tcase_add_test(tc, link_and_close_unbinds_peer);
	tcase_add_test(tc, loopback);
	tcase_add_test(tc, status_fields);
	tcase_add_test(tc, lock2_order_and_same_table);
	return tc;
}
