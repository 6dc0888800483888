// SPDX-License-Identifier: MIT
// net_stream: the Linux guests' TCP stream check: one side sends a seeded pseudo-random stream, the other verifies every byte.
//
//   net_stream recv PORT BYTES SEED        accept one connection, compare each byte with
//                                          the stream, answer the 64-bit hash of what came
//                                          (inverted if anything differed)
//   net_stream send ADDR PORT BYTES SEED   connect (retrying for 120 s), send, half-close,
//                                          read the receiver's hash
// A connection that moves nothing for STALL_S seconds ends the run ("stalled"
// in the line), and recv waits at most ACCEPT_S for the sender.
// Each prints one line: "stream recv|send BYTES bytes hash H ..." and exits 0
// only if the receiver got exactly BYTES bytes equal to the stream (and, for
// send, the receiver's hash equals the sender's). Static, for the guest's
// initramfs (no resolver: ADDR is dotted IPv4).
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536
#define STALL_S 60
#define ACCEPT_S 600

static int stalled; // a read or write gave up after STALL_S seconds of nothing

// Reads and writes on fd (accept, for a listening socket) give up after secs of nothing.
static void give_up_after(int fd, int secs)
{
	struct timeval tv = { .tv_sec = secs };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static const char *stall_text(void)
{
	return stalled ? " (stalled: nothing moved for 60 s)" : "";
}

// The stream: xorshift64* words, little-endian; byte i depends only on SEED and i.
struct gen {
	uint64_t s;
};

static void gen_fill(struct gen *g, unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		g->s ^= g->s >> 12;
		g->s ^= g->s << 25;
		g->s ^= g->s >> 27;
		uint64_t w = g->s * 0x2545F4914F6CDD1DULL;
		memcpy(buf + i, &w, 8);
	}
}

// FNV-1a over 64-bit words, so it keeps up with the wire.
static uint64_t hash_words(uint64_t h, const unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t w;
		memcpy(&w, buf + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	return h;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int full_write(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			stalled |= w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

// Read exactly n bytes unless the peer ends first; how many came.
static size_t full_read(int fd, unsigned char *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			stalled |= r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
			break;
		}
		got += (size_t)r;
	}
	return got;
}

static int do_recv(int port, uint64_t bytes, uint64_t seed)
{
	static unsigned char got[CHUNK], want[CHUNK];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct gen g = { seed | 1 };
	uint64_t total = 0, bad = 0, first_bad = 0, h = 0xcbf29ce484222325ULL;
	int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0), fd;
	double t0;

	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	give_up_after(ls, ACCEPT_S);
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1) || (fd = accept(ls, NULL, NULL)) < 0) {
		printf("stream recv FAIL: listen on %d: %s\n", port,
		       errno == EAGAIN ? "no connection in 600 s" : strerror(errno));
		return 1;
	}
	give_up_after(fd, STALL_S);
	t0 = now();
	for (;;) {
		size_t n = full_read(fd, got, CHUNK);
		if (n == 0)
			break;
		gen_fill(&g, want, CHUNK);
		size_t cmp = n;
		if (total + n > bytes)
			cmp = total < bytes ? (size_t)(bytes - total) : 0;
		for (size_t i = 0; i < cmp; i++)
			if (got[i] != want[i] && bad++ == 0)
				first_bad = total + i;
		memset(got + n, 0, CHUNK - n);
		h = hash_words(h, got, (n + 7) & ~(size_t)7);
		total += n;
		if (n < CHUNK)
			break;
	}
	double secs = now() - t0;
	int ok = total == bytes && !bad;
	uint64_t reply = ok ? h : ~h; // the sender sees a failed check as a hash mismatch
	full_write(fd, &reply, sizeof(reply));
	close(fd);
	printf("stream recv %s %" PRIu64 " bytes hash %016" PRIx64 " in %.1f s (%.1f MB/s), %" PRIu64
	       " bytes differ%s%" PRIu64 "%s\n", ok ? "PASS" : "FAIL", total, h, secs,
	       secs > 0 ? total / secs / 1e6 : 0.0, bad, bad ? " from byte " : ", first at ", first_bad,
	       stall_text());
	return !ok;
}

static int connect_retry(const char *addr, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	double t0 = now();

	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return -1;
	while (now() - t0 < 120) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		close(fd);
		usleep(250000);
	}
	return -1;
}

static int do_send(const char *addr, int port, uint64_t bytes, uint64_t seed)
{
	static unsigned char buf[CHUNK];
	struct gen g = { seed | 1 };
	uint64_t sent = 0, h = 0xcbf29ce484222325ULL, rh = 0;
	int fd = connect_retry(addr, port);
	double t0 = now();

	if (fd < 0) {
		printf("stream send FAIL: cannot connect to %s:%d for 120 s\n", addr, port);
		return 1;
	}
	give_up_after(fd, STALL_S);
	while (sent < bytes) {
		gen_fill(&g, buf, CHUNK);
		size_t n = bytes - sent < CHUNK ? (size_t)(bytes - sent) : CHUNK;
		memset(buf + n, 0, CHUNK - n);
		h = hash_words(h, buf, (n + 7) & ~(size_t)7);
		if (full_write(fd, buf, n))
			break;
		sent += n;
	}
	double secs = now() - t0;
	shutdown(fd, SHUT_WR);
	size_t got = full_read(fd, (unsigned char *)&rh, sizeof(rh));
	close(fd);
	int ok = sent == bytes && got == sizeof(rh) && rh == h;
	printf("stream send %s %" PRIu64 " bytes hash %016" PRIx64 " receiver %016" PRIx64
	       " in %.1f s (%.1f MB/s)%s\n", ok ? "PASS" : "FAIL", sent, h, rh, secs,
	       secs > 0 ? sent / secs / 1e6 : 0.0, stall_text());
	return !ok;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "recv"))
		return do_recv(atoi(argv[2]), strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0));
	if (argc == 6 && !strcmp(argv[1], "send"))
		return do_send(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0),
			       strtoull(argv[5], NULL, 0));
	fprintf(stderr, "usage: net_stream recv PORT BYTES SEED | send ADDR PORT BYTES SEED\n");
	return 2;
}
