// SPDX-License-Identifier: MIT
// echo_backend: the test back-end process of the "echo" device, on libbackend; its modes probe what it must not reach and misbehave on purpose.
//
// usage: echo_backend ID MODE [DEVID], for device echo/DEVID (0) of domain ID; MODE one of
//   serve      handshake, then answer echo requests until the front-end closes or we are detached
//   probe      serve, after checking that nothing beyond the granted pages can be mapped
//   hostile    send bad requests (each must get its specific error), then stop answering
//   forbidden  TEST ONLY: serve one round, then make a system call the sandbox
//              forbids (open), which must kill this process with SIGSYS
//              (tests/e2e/sandbox.sh). Chosen here, on the command line of a
//              test program; nothing a guest sends can reach it.
// Prints "echo_backend: ..." lines; exits 0 when every check held.
#include "backend_echo.h"
#include "libbackend.h"
#include <lamina/io/bus.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
#define BUDGET 64 // requests answered per doorbell before looking at the socket again

static struct lbk b;
static int fails;
static struct echo_front bf; // the back-to-front ring: we ask
static unsigned answered; // correct answers to our requests
static unsigned echoed; // front-end requests answered
static bool forbidden; // mode "forbidden" (test only)

static void check(int ok, const char *what)
{
	printf("echo_backend: %s: %s\n", ok ? "ok" : "FAIL", what);
	fflush(stdout);
	fails += !ok;
}

static void die(const char *what, int rc)
{
	printf("echo_backend: FAIL: %s: %s (%s)\n", what, strerror(-rc), b.err);
	exit(1);
}

static unsigned long fe_uint(const char *key)
{
	unsigned long v;
	int rc = lbk_read_uint(&b, lbk_fe(&b, key), &v);

	if (rc)
		die(key, rc);
	return v;
}

// Wait until the front-end's state is want (or above, if at_least).
static unsigned long wait_fe(unsigned long want, bool at_least)
{
	char path[256];
	unsigned long s = 0;

	for (int i = 0; i < 600; i++) {
		if (lbk_read_uint(&b, lbk_fe(&b, "state"), &s) == 0 && (s == want || (at_least && s > want)))
			return s;
		if (lbk_wait(&b, 1000, path, sizeof(path)) == -ECANCELED)
			die("asked to detach while waiting", -ECANCELED);
	}
	die("the front-end never got there", -ETIMEDOUT);
	return 0;
}

static void *map(const uint32_t *refs, unsigned n, int *fdp)
{
	uint32_t handle;
	int fd, rc = lbk_map(&b, refs, n, &handle, &fd);
	void *p;

	if (rc)
		die("map", rc);
	p = mmap(NULL, n * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap of the udmabuf", -errno);
	if (fdp)
		*fdp = fd;
	else
		close(fd);
	return p;
}

// What a back-end must not reach: pages not granted to it, more than it got.
static void probe(int data_fd, const uint32_t *data)
{
	uint32_t other = (uint32_t)fe_uint("other-ref"), ro = (uint32_t)fe_uint("ro-ref"), h;
	uint32_t far = 1u << 30, mixed[2] = { data[0] + 100, other };
	int fd;

	check(lbk_map(&b, &other, 1, &h, &fd) == -EACCES, "a page granted to another domain: EACCES");
	check(lbk_map(&b, &ro, 1, &h, &fd) == -EROFS, "a read-only grant: EROFS (udmabufs are writable)");
	check(lbk_map(&b, &far, 1, &h, &fd) == -EINVAL, "a ref beyond the table: EINVAL");
	check(lbk_map(&b, data, 1, &h, &fd) == -EEXIST, "a page mapped twice: EEXIST");
	check(lbk_map(&b, mixed, 2, &h, &fd) == -EACCES, "a list with one ungranted ref: EACCES, nothing mapped");
	check(lseek(data_fd, 0, SEEK_END) == ECHO_PAGES * PG, "the udmabuf is exactly the granted pages");
	check(mmap(NULL, (ECHO_PAGES + 1) * PG, PROT_READ, MAP_SHARED, data_fd, 0) == MAP_FAILED,
	      "mmap past the udmabuf's end fails");
	check(mmap(NULL, PG, PROT_READ, MAP_SHARED, data_fd, ECHO_PAGES * PG) == MAP_FAILED,
	      "mmap at an offset past the granted pages fails");
}

// The sandbox the serving loop will run in: a child that loads it and
// opens a file dies by SIGSYS (the child shares our connection and leaves it alone).
static void probe_sandbox(void)
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		if (lbk_sandbox(&b, NULL, 0))
			_exit(3);
		open("/dev/udmabuf", O_RDWR);
		_exit(4);
	}
	check(pid > 0 && waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	      "in the sandbox, opening a file kills the process with SIGSYS");
}

// TEST ONLY (mode "forbidden"): once a round is served and our own
// requests answered, a call the sandbox forbids. We must not come back.
static void forbidden_call(void)
{
	int fd;

	printf("echo_backend: test only: calling open(\"/etc/passwd\") inside the sandbox\n");
	fd = open("/etc/passwd", O_RDONLY);
	check(0, fd < 0 ? "the forbidden open failed instead of killing us"
			: "the forbidden open succeeded inside the sandbox");
	exit(1);
}

// Answer what is pending (a budget per call); kick the guest if it asked.
static int drain(struct echo_back *bk, uint8_t *data, int kick)
{
	struct echo_req rq;
	int n = 0, rc;
	uint64_t one = 1;

	while (n < BUDGET && (rc = echo_take_request(bk, &rq)) == 1) {
		struct echo_rsp *rsp = echo_next_response(bk);
		uint32_t sum = 0;
		if (rq.page >= ECHO_PAGES || rq.len > PG) {
			*rsp = (struct echo_rsp){ .id = rq.id, .status = -LAMINA_EINVAL };
		} else {
			for (uint32_t j = 0; j < rq.len; j++) {
				uint8_t *p = &data[rq.page * PG + j];
				sum += *p;
				*p = (uint8_t)~*p;
			}
			*rsp = (struct echo_rsp){ .id = rq.id, .sum = sum };
		}
		n++;
		echoed++;
	}
	if (n && echo_push_responses(bk) && write(kick, &one, sizeof(one)) != sizeof(one))
		return -EIO;
	if (rc < 0)
		return rc; // a corrupt ring: stop using it
	return n == BUDGET ? 1 : echo_final_check_requests(bk) > 0;
}

// Our requests to the front-end: ECHO_BACK_REQUESTS of them, once.
static int ask(int kick)
{
	uint64_t one = 1;

	for (unsigned i = 0; i < ECHO_BACK_REQUESTS; i++)
		*echo_next_request(&bf) = (struct echo_req){ .id = 5000 + i, .len = 50 + 100 * i,
							     .seed = 3 * i + 1 };
	if (echo_push_requests(&bf) && write(kick, &one, sizeof(one)) != sizeof(one))
		return -EIO;
	return 0;
}

// Take the front-end's answers (a budget per call), checking each.
static int take_answers(void)
{
	struct echo_rsp rsp;
	int n = 0, rc;

	while (n++ < BUDGET && (rc = echo_take_response(&bf, &rsp)) == 1) {
		uint32_t i = rsp.id - 5000;
		answered += i < ECHO_BACK_REQUESTS && rsp.status == 0 &&
			    rsp.sum == echo_seed_sum(3 * i + 1, 50 + 100 * i);
	}
	return rc < 0 ? rc : 0;
}

// Serve until the front-end closes (0), we are told to detach, or hvd goes.
static int serve(struct echo_back *bk, uint8_t *data, int bell, int kick)
{
	struct pollfd p[2] = { { .fd = bell, .events = POLLIN }, { .fd = b.fd, .events = POLLIN } };
	unsigned long st;
	uint64_t v;
	char path[256];

	for (;;) {
		int more = drain(bk, data, kick);
		if (more < 0 || (more = take_answers()) < 0)
			return more;
		if (forbidden && echoed >= ECHO_REQUESTS && answered == ECHO_BACK_REQUESTS)
			forbidden_call();
		if (more)
			continue;
		if (poll(p, 2, 1000) < 0)
			return -errno;
		if (p[0].revents & POLLIN && read(bell, &v, sizeof(v)) < 0)
			return -errno;
		int w = lbk_wait(&b, 0, path, sizeof(path));
		if (w < 0)
			return w;
		if (lbk_read_uint(&b, lbk_fe(&b, "state"), &st) == 0 && st >= LAMINA_BUS_CLOSING)
			return take_answers();
	}
}

static void hostile(unsigned id)
{
	struct lbk raw;
	static char big[70000];
	char rep[1024];
	ssize_t n;
	uint32_t other = (uint32_t)fe_uint("other-ref"), d0 = (uint32_t)fe_uint("data-ref-0"), h;
	int fd;

	if (lbk_connect(&raw, NULL))
		die("second connection", -errno);
	check(lbk_raw(&raw, "{\"op\": ", rep, sizeof(rep), NULL, NULL) == 0 && strstr(rep, "EINVAL"),
	      "garbage JSON: EINVAL");
	check(lbk_raw(&raw, "{\"op\":\"frobnicate\"}", rep, sizeof(rep), NULL, NULL) == 0 &&
	      strstr(rep, "ENOTSUP"), "an unknown op: ENOTSUP");
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	// libbackend refuses to send it, so past it: straight onto the socket.
	n = send(raw.fd, big, sizeof(big) - 1, 0) == sizeof(big) - 1 ? recv(raw.fd, rep, sizeof(rep) - 1, 0) : -1;
	rep[n > 0 ? n : 0] = 0;
	check(n > 0 && strstr(rep, "EMSGSIZE"), "a message over 64 KiB: EMSGSIZE");
	check(lbk_raw(&raw, "{\"op\":\"map\",\"refs\":[2]}", rep, sizeof(rep), NULL, NULL) == 0 &&
	      strstr(rep, "EPERM"), "map before attaching: EPERM");
	snprintf(rep, sizeof(rep), "{\"op\":\"backend-attach\",\"id\":%u,\"type\":\"echo\",\"devid\":0}", id);
	check(lbk_raw(&raw, rep, rep, sizeof(rep), NULL, NULL) == 0 && strstr(rep, "EBUSY"),
	      "a second back-end for the same device: EBUSY");
	lbk_close(&raw);
	check(lbk_map(&b, &other, 1, &h, &fd) == -EACCES, "a ref not granted to us: EACCES");
	check(lbk_map(&b, &d0, 1, &h, &fd) == 0, "a granted ref maps");
	check(lbk_map(&b, &d0, 1, &h, &fd) == -EEXIST, "the same ref again: EEXIST");
	check(lbk_read(&b, "/local/domain/0/name", rep, sizeof(rep)) == -EACCES,
	      "a store path outside the device: EACCES");
	check(lbk_raw(&b, "{\"op\":\"list\"}", rep, sizeof(rep), NULL, NULL) == 0 && strstr(rep, "EPERM"),
	      "a control op on a back-end connection: EPERM");
	check(lbk_raw(&b, "[1,2", rep, sizeof(rep), NULL, NULL) == 0 && strstr(rep, "EINVAL"),
	      "garbage on the attached connection: EINVAL");
	printf("echo_backend: hostile: now never answering\n");
	fflush(stdout);
	for (;;)
		pause(); // lamina-hvd must cut us off when we ignore "detach"
}

int main(int argc, char **argv)
{
	uint32_t ring_ref, ring2_ref, data[ECHO_PAGES], port;
	struct echo_back bk;
	int rc, bell, kick, data_fd;
	unsigned id, devid = argc == 4 ? (unsigned)atoi(argv[3]) : 0;

	if (argc < 3 || argc > 4 || !(id = (unsigned)atoi(argv[1]))) {
		fprintf(stderr, "usage: echo_backend ID serve|probe|hostile|forbidden [DEVID]\n");
		return 2;
	}
	// A buffer of our own: glibc would allocate one at the first printf
	// and fstat stdout for its size, a call the sandbox forbids.
	static char outbuf[4096];
	setvbuf(stdout, outbuf, _IOLBF, sizeof(outbuf));
	forbidden = !strcmp(argv[2], "forbidden");
	if ((rc = lbk_connect(&b, NULL)) || (rc = lbk_attach(&b, id, "echo", devid)))
		die("attach", rc);
	if (!strcmp(argv[2], "hostile"))
		wait_fe(LAMINA_BUS_INITIALISING, true); // the front's keys exist once it runs
	if ((rc = lbk_watch(&b, lbk_fe(&b, "state"))))
		die("watch", rc);
	if ((rc = lbk_write(&b, lbk_be(&b, "state"), "2")))
		die("state InitWait", rc);
	wait_fe(LAMINA_BUS_INITIALISED, false);
	if (!strcmp(argv[2], "hostile"))
		hostile(id);
	ring_ref = (uint32_t)fe_uint("ring-ref");
	for (unsigned i = 0; i < ECHO_PAGES; i++)
		data[i] = (uint32_t)fe_uint(i == 0 ? "data-ref-0" : i == 1 ? "data-ref-1"
					    : i == 2 ? "data-ref-2" : "data-ref-3");
	port = (uint32_t)fe_uint("event-channel");
	echo_back_init(&bk, map(&ring_ref, 1, NULL), PG);
	ring2_ref = (uint32_t)fe_uint("back-ring-ref");
	echo_front_init(&bf, map(&ring2_ref, 1, NULL), PG);
	uint8_t *pages = map(data, ECHO_PAGES, &data_fd);
	if (!strcmp(argv[2], "probe"))
		probe(data_fd, data);
	if ((rc = lbk_bind(&b, port, &bell, &kick)))
		die("bind", rc);
	if (!strcmp(argv[2], "probe"))
		probe_sandbox();
	if ((rc = lbk_sandbox(&b, NULL, 0))) // the common list is all the echo loop needs
		die("sandbox", rc);
	if ((rc = lbk_write(&b, lbk_be(&b, "state"), "4")))
		die("state Connected", rc);
	printf("echo_backend: connected to domain %u\n", b.domid);
	rc = ask(kick);
	if (!rc)
		rc = serve(&bk, pages, bell, kick);
	check(answered == ECHO_BACK_REQUESTS, "the front-end answered our own requests");
	printf("echo_backend: done (%s), %d failed checks\n", rc ? strerror(-rc) : "front-end closed", fails);
	lbk_write(&b, lbk_be(&b, "state"), "6");
	lbk_close(&b);
	return fails || (rc && rc != -ECANCELED) ? 1 : 0;
}
