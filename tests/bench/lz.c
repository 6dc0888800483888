// SPDX-License-Identifier: MIT
// lz.c: the suite's CPU-bound job: a small greedy LZ77 coder run over 1 MiB of fixed generated text.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lat.h"

#define IN_SIZE (1 << 20)
#define HASH_BITS 14
#define MIN_MATCH 4
#define MAX_MATCH 255
#define WINDOW 65535

/* Text-like input from a fixed xorshift sequence: words from a small
 * vocabulary, so matches are frequent, as in real text. */
static void gen_input(uint8_t *in)
{
	static const char *words[] = { "the ", "guest ", "hypercall ", "page ", "event ",
				       "channel ", "grant ", "ring ", "of ", "and ", "vCPU ",
				       "timer ", "exit ", "domain ", "store ", "back-end\n" };
	uint32_t x = 2463534242u;
	size_t i = 0;

	while (i < IN_SIZE) {
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		const char *w = words[x % 16];
		for (size_t j = 0; w[j] && i < IN_SIZE; j++)
			in[i++] = (uint8_t)w[j];
	}
}

static uint32_t hash4(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* Greedy parse: a literal costs 1 byte plus a flag bit, a match 3 bytes
 * plus a flag bit. Returns the coded size in bytes. */
static long lz_size(const uint8_t *in, int32_t *head)
{
	long out = 0, flags = 0;
	size_t i = 0;

	for (size_t k = 0; k < (1u << HASH_BITS); k++)
		head[k] = -1;
	while (i + MIN_MATCH <= IN_SIZE) {
		uint32_t h = hash4(in + i);
		int32_t c = head[h];
		size_t len = 0;
		head[h] = (int32_t)i;
		if (c >= 0 && i - (size_t)c <= WINDOW)
			while (len < MAX_MATCH && i + len < IN_SIZE && in[c + len] == in[i + len])
				len++;
		flags++;
		if (len >= MIN_MATCH) { out += 3; i += len; } else { out += 1; i++; }
	}
	out += (long)(IN_SIZE - i);
	return out + (flags + 7) / 8;
}

long lz_compress_fixed(void)
{
	static uint8_t *in;
	static int32_t *head;

	if (!in) {
		in = malloc(IN_SIZE);
		head = malloc(sizeof(*head) << HASH_BITS);
		if (!in || !head)
			return -1;
		gen_input(in);
	}
	return lz_size(in, head);
}
