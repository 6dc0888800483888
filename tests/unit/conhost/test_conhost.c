// SPDX-License-Identifier: MIT
// test_conhost.c: Check unit tests of the console back-end's supervisor with the real lamina-console: output, input, kicks, kill -9 and restart, last output at destruction.
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>
#include <lamina/io/console.h>
#include <lamina/shared_info.h>
#include "conhost_int.h"
#include "console.h"
#include "doubles.h"
#include "hv_dev.h"

#ifndef SUITE_NAME
#define SUITE_NAME "conhost"
#endif
#define OB LAMINA_CONSOLE_OUT_BYTES

static struct domain *d;
static struct lamina_console_ring *ring;
static int out[2];                     /* console_fd: [0] the test reads */
static char seen[1 << 16];
static size_t seen_len;

static void setup(void)
{
	d = calloc(1, sizeof(*d));
	ck_assert_ptr_nonnull(d);
	d->id = 4;
	d->log_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	d->shinfo = calloc(1, 4096);
	ring = d->console_page = hv_page_alloc_fd("ring", &d->console_page_fd);
	ck_assert_ptr_nonnull(ring);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(fcntl(out[0], F_SETFL, O_NONBLOCK), 0);
	struct hv_dom_params p = { .console_fd = out[1] };
	ck_assert_int_eq(console_init(d, &p), 0);
	seen_len = 0;
	__atomic_store_n(&dbl_notified, 0, __ATOMIC_SEQ_CST);
	char err[128];
	ck_assert_int_eq(hv_dev_init_all(d, err, sizeof(err)), 0);
	ck_assert_uint_eq(((struct lamina_shared_info *)d->shinfo)->console_port, 5);
}

static void teardown(void)
{
	hv_dev_free_all(d);
	hv_dev_free_all(d);   /* twice: nothing */
	console_free(d);
	close(out[0]);
	close(out[1]);
	munmap(ring, 4096);
	close(d->console_page_fd);
	free(d->shinfo);
	free(d);
}

/* The guest: n output bytes published, then its event. */
static void gwrite(const char *s, bool event)
{
	uint32_t prod = __atomic_load_n(&ring->out_prod, __ATOMIC_ACQUIRE);

	for (size_t i = 0; s[i]; i++)
		ring->out[(prod + i) % OB] = (uint8_t)s[i];
	__atomic_store_n(&ring->out_prod, prod + (uint32_t)strlen(s), __ATOMIC_RELEASE);
	uint64_t one = 1;
	if (event)
		ck_assert_int_eq(write(dbl_efd, &one, 8), 8);
}

/* Wait up to 5 s for what on console_fd. */
static bool wait_out(const char *what)
{
	for (int i = 0; i < 500; i++) {
		ssize_t n = read(out[0], seen + seen_len, sizeof(seen) - 1 - seen_len);
		if (n > 0)
			seen_len += (size_t)n;
		seen[seen_len] = 0;
		if (strstr(seen, what))
			return true;
		usleep(10000);
	}
	return false;
}

static pid_t bk_pid(void) { return __atomic_load_n(&d->con->host->pid, __ATOMIC_SEQ_CST); }

static bool wait_for(bool (*cond)(void))
{
	for (int i = 0; i < 500 && !cond(); i++)
		usleep(10000);
	return cond();
}

static bool running(void) { return bk_pid() > 0; }
static bool drained(void) { return __atomic_load_n(&ring->out_cons, __ATOMIC_SEQ_CST) == ring->out_prod; }
static bool notified(void) { return __atomic_load_n(&dbl_notified, __ATOMIC_SEQ_CST) > 0; }
static bool input_in(void) { return __atomic_load_n(&ring->in_prod, __ATOMIC_SEQ_CST) == 2; }
static pid_t old_pid;
static bool replaced(void) { return running() && bk_pid() != old_pid; }

static void map_ring(void)
{
	pthread_mutex_lock(&d->lock);
	d->pm[3] = (struct physmap_ent){ .used = true, .gfn = 0xf0002, .host = ring };
	pthread_mutex_unlock(&d->lock);
}

START_TEST(output_reaches_the_console)
{
	ck_assert(wait_for(running));
	gwrite("hello from the ring\n", true);
	ck_assert(wait_out("hello from the ring\n"));
	ck_assert(wait_for(drained));
	ck_assert(!notified());                         /* the ring was never full */
}
END_TEST

START_TEST(a_full_ring_emptied_kicks_the_guest)
{
	static char big[OB + 1];

	memset(big, 'f', OB);
	gwrite(big, true);
	ck_assert(wait_for(drained));
	ck_assert(wait_for(notified));
}
END_TEST

/* Input waits in the queue until the guest has mapped its ring. */
START_TEST(input_once_the_ring_is_mapped)
{
	ck_assert(wait_for(running));
	ck_assert_int_eq(hv_console_input(d, "ab", 2), 2);
	usleep(200000);
	ck_assert_uint_eq(__atomic_load_n(&ring->in_prod, __ATOMIC_SEQ_CST), 0);
	map_ring();
	gwrite("", true);                               /* the guest's next event */
	ck_assert(wait_for(input_in));
	ck_assert_int_eq(memcmp(ring->in, "ab", 2), 0);
	ck_assert_uint_eq(console_input_len(d), 0);
	ck_assert(wait_for(notified));
}
END_TEST

/* kill -9: a new back-end starts, goes on where the ring is, and nothing
 * the guest wrote meanwhile is lost. */
START_TEST(a_killed_back_end_is_restarted)
{
	ck_assert(wait_for(running));
	gwrite("before\n", true);
	ck_assert(wait_out("before\n"));
	old_pid = bk_pid();
	ck_assert_int_eq(kill(old_pid, SIGKILL), 0);
	gwrite("meanwhile\n", true);
	ck_assert(wait_for(replaced));
	ck_assert(wait_out("before\nmeanwhile\n"));
	ck_assert(dbl_logged("killed by signal 9"));
	map_ring();
	ck_assert_int_eq(hv_console_input(d, "xy", 2), 2);
	ck_assert(wait_for(input_in));
	gwrite("after\n", true);
	ck_assert(wait_out("before\nmeanwhile\nafter\n"));
	ck_assert_int_eq(d->con->host->restarts, 1);
}
END_TEST

/* Destruction takes what the guest wrote last, and reaps the process. */
START_TEST(last_output_is_taken_at_destruction)
{
	ck_assert(wait_for(running));
	pid_t pid = bk_pid();
	gwrite("last words\n", false);
	hv_dev_free_all(d);
	ck_assert(wait_out("last words\n"));
	ck_assert_int_eq(kill(pid, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert(dbl_logged("bytes of output through lamina-console"));
}
END_TEST

/* A corrupt index: logged; the process and the domain go on. */
START_TEST(a_corrupt_ring_is_dropped_and_logged)
{
	ck_assert(wait_for(running));
	pid_t pid = bk_pid();
	ring->out_prod = ring->out_cons + OB + 1;
	gwrite("", true);
	for (int i = 0; i < 500 && !dbl_logged("corrupted its console ring (out_prod)"); i++)
		usleep(10000);
	ck_assert(dbl_logged("corrupted its console ring (out_prod)"));
	ck_assert_int_eq(bk_pid(), pid);
}
END_TEST

/* ---- hostile back-ends (scripts in place of lamina-console) ---- */

static char script[64];

/* A back-end that runs body (sh) with the link on descriptor 3. */
static void hostile(const char *body)
{
	snprintf(script, sizeof(script), "/tmp/conhost-test.XXXXXX");
	int fd = mkstemp(script);
	ck_assert_int_ge(fd, 0);
	dprintf(fd, "#!/bin/sh\n%s\n", body);
	fchmod(fd, 0700);
	close(fd);
	setenv("LAMINA_CONSOLE", script, 1);   /* read once per process: each test forks */
	setup();
}

static void hostile_teardown(void)
{
	teardown();
	unlink(script);
}

static int64_t ms_now(void) { return hv_now_ns() / 1000000; }

/* Garbage on the link: stopped, logged, started again; the domain's
 * console and the supervisor go on. */
START_TEST(garbage_on_the_link_stops_that_back_end)
{
	hostile("printf garbage >&3; exec sleep 5");
	for (int i = 0; i < 500 && !dbl_logged("broke the link's rules"); i++)
		usleep(10000);
	ck_assert(dbl_logged("broke the link's rules"));
	for (int i = 0; i < 500 && d->con->host->restarts < 1; i++)
		usleep(10000);
	ck_assert_uint_ge(__atomic_load_n(&d->con->host->restarts, __ATOMIC_SEQ_CST), 1);
	ck_assert_int_eq(hv_console_input(d, "still here", 10), 10);
}
END_TEST

/* A back-end that never answers CL_STOP is killed after CONLINK_STOP_MS. */
START_TEST(a_back_end_that_ignores_stop_is_killed)
{
	hostile("exec sleep 100");
	ck_assert(wait_for(running));
	usleep(200000);
	pid_t pid = bk_pid();
	int64_t t0 = ms_now();
	hv_dev_free_all(d);
	int64_t took = ms_now() - t0;
	ck_assert_int_ge(took, CONLINK_STOP_MS - 50);
	ck_assert_int_lt(took, CONLINK_STOP_MS + 2000);
	ck_assert_int_eq(kill(pid, 0), -1);
	ck_assert(dbl_logged("0 restarts"));
}
END_TEST

static void no_setup(void) {}

int main(void)
{
	setenv("LAMINA_CONSOLE", LAMINA_CONSOLE_BIN, 1);
	signal(SIGPIPE, SIG_IGN);
	Suite *s = suite_create(SUITE_NAME);
	TCase *tc = tcase_create("conhost");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, output_reaches_the_console);
	tcase_add_test(tc, a_full_ring_emptied_kicks_the_guest);
	tcase_add_test(tc, input_once_the_ring_is_mapped);
	tcase_add_test(tc, a_killed_back_end_is_restarted);
	tcase_add_test(tc, last_output_is_taken_at_destruction);
	tcase_add_test(tc, a_corrupt_ring_is_dropped_and_logged);
	suite_add_tcase(s, tc);
	TCase *th = tcase_create("hostile");
	tcase_set_timeout(th, 30);
	tcase_add_checked_fixture(th, no_setup, hostile_teardown);
	tcase_add_test(th, garbage_on_the_link_stops_that_back_end);
	tcase_add_test(th, a_back_end_that_ignores_stop_is_killed);
	suite_add_tcase(s, th);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
