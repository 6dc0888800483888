// SPDX-License-Identifier: MIT
// mapbench: what handing a granted page to a back-end costs, per mapping style: an in-process mmap of the guest memfd vs a udmabuf a back-end process mmaps.
//
// usage: mapbench ROUNDS OUT.json
// A sealed 64 MiB memfd stands in for a guest's RAM (as libhv makes it).
// Per style, interleaved round by round, medians over ROUNDS rounds:
//   *_map_unmap_1p    set up and tear down one page's mapping (memfd: mmap +
//                     munmap; udmabuf: UDMABUF_CREATE_LIST + mmap + munmap + close)
//   *_map_unmap_16p   the same for 16 scattered pages at once
//   *_touch_4k        write then read 4 KiB through an existing mapping
// Ratios are to the memfd style's number of the same name.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PG 4096
#define RAM (64u << 20)
#define OPS 64 // operations per timed batch
#define N16 16

static int memfd, udev;
static volatile uint64_t sink;

static int64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static uint64_t gfn_of(unsigned i) { return (i * 977u) % (RAM / PG); } // scattered pages

static void memfd_map(unsigned n, unsigned k)
{
	void *p[N16];

	for (unsigned i = 0; i < n; i++)
		if ((p[i] = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, memfd,
				 (off_t)(gfn_of(k + i) * PG))) == MAP_FAILED)
			exit(1);
	for (unsigned i = 0; i < n; i++)
		munmap(p[i], PG);
}

static void udmabuf_map(unsigned n, unsigned k)
{
	struct { struct udmabuf_create_list l; struct udmabuf_create_item it[N16]; } c = { 0 };
	int fd;
	void *p;

	c.l.flags = UDMABUF_FLAGS_CLOEXEC;
	c.l.count = n;
	for (unsigned i = 0; i < n; i++)
		c.it[i] = (struct udmabuf_create_item){ .memfd = (uint32_t)memfd,
							.offset = gfn_of(k + i) * PG, .size = PG };
	if ((fd = ioctl(udev, UDMABUF_CREATE_LIST, &c)) < 0 ||
	    (p = mmap(NULL, n * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		perror("mapbench: udmabuf");
		exit(1);
	}
	munmap(p, n * PG);
	close(fd);
}

static void touch(uint8_t *p)
{
	uint64_t s = 0;

	memset(p, (int)sink, PG);
	for (unsigned j = 0; j < PG; j += 8)
		s += *(uint64_t *)(p + j);
	sink += s;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define NB 6
static const char *names[NB] = { "memfd_map_unmap_1p", "udmabuf_map_unmap_1p",
				 "memfd_map_unmap_16p", "udmabuf_map_unmap_16p",
				 "memfd_touch_4k", "udmabuf_touch_4k" };

// One round: every benchmark once, OPS operations each; ns per op into r.
static void round_once(double *r, uint8_t *mp, uint8_t *up, unsigned k)
{
	for (int b = 0; b < NB; b++) {
		int64_t t = now();
		for (unsigned i = 0; i < OPS; i++)
			switch (b) {
			case 0: memfd_map(1, k + i); break;
			case 1: udmabuf_map(1, k + i); break;
			case 2: memfd_map(N16, k + i); break;
			case 3: udmabuf_map(N16, k + i); break;
			case 4: touch(mp); break;
			default: touch(up); break;
			}
		r[b] = (double)(now() - t) / OPS;
	}
}

int main(int argc, char **argv)
{
	int rounds = argc == 3 ? atoi(argv[1]) : 0, ufd;
	struct udmabuf_create one = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = PG };
	FILE *json = argc == 3 ? fopen(argv[2], "w") : NULL;
	double *r, med[NB];
	uint8_t *mp, *up;

	if (rounds < 1 || !json) {
		fprintf(stderr, "usage: mapbench ROUNDS OUT.json\n");
		return 2;
	}
	memfd = memfd_create("mapbench", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	udev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, RAM) || fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) || udev < 0) {
		perror("mapbench: memfd or /dev/udmabuf");
		return 1;
	}
	one.memfd = (uint32_t)memfd;
	mp = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ufd = ioctl(udev, UDMABUF_CREATE, &one);
	up = ufd < 0 ? MAP_FAILED : mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ufd, 0);
	r = calloc((size_t)rounds * NB, sizeof(*r));
	if (mp == MAP_FAILED || up == MAP_FAILED || !r) {
		perror("mapbench: setup");
		return 1;
	}
	for (int i = 0; i < rounds; i++)
		round_once(r + i * NB, mp, up, (unsigned)i * OPS);
	for (int b = 0; b < NB; b++) {
		double v[rounds];
		for (int i = 0; i < rounds; i++)
			v[i] = r[i * NB + b];
		qsort(v, (size_t)rounds, sizeof(v[0]), cmp);
		med[b] = v[rounds / 2];
	}
	fprintf(json, "{\n  \"baseline\": \"memfd (in-process mmap of the guest memfd)\",\n  \"results\": {");
	for (int b = 0; b < NB; b++) {
		fprintf(json, "%s\n    \"%s\": { \"ns_per_op\": %.1f, \"ratio_to_memfd\": %.3f }",
			b ? "," : "", names[b], med[b], med[b] / med[b & ~1]);
		printf("mapbench: %-24s %10.1f ns  %6.2fx memfd\n", names[b], med[b], med[b] / med[b & ~1]);
	}
	fprintf(json, "\n  }\n}\n");
	fclose(json);
	return 0;
}
