// SPDX-License-Identifier: MIT
// frame.h: the test frames net_guest sends and net_peer answers: layout, operations, case numbers and the byte pattern (shared by both).
//
// A test frame is an Ethernet frame of ethertype NF_ETHERTYPE (IEEE 802
// local experimental) whose payload starts with this header:
//
//   off  size  field
//   14   4     magic "LNET"
//   18   1     op: NF_OP_*
//   19   1     case: NF_CASE_* (which test case sent it)
//   20   2     seq (big-endian): the guest's frame number
//   22   2     len (big-endian): NF_OP_GEN: the length of the frame wanted
//   24   4     seed (big-endian): of the pattern
//   28   ...   pattern: byte i of the frame (i >= NF_PAT_OFF) is nf_pat(seed, i)
//
// net_peer answers NF_OP_ECHO by sending the frame back byte for byte with
// the two MACs swapped, NF_OP_GEN with a fresh frame (op NF_OP_GENNED) of
// `len` bytes to the sender, and never answers NF_OP_POISON: those are
// the hostile cases' malformed or spoofed frames, which must never leave
// the back-end. It logs every frame it receives (net.sh reads the log).
#ifndef NET_FRAME_H
#define NET_FRAME_H
#include <stdint.h>

#define NF_ETHERTYPE 0x88b5u
#define NF_MAGIC "LNET"
#define NF_HDR_END 28u
#define NF_PAT_OFF NF_HDR_END
#define NF_MIN 60u /* shortest test frame: an Ethernet minimum */
#define NF_PLAIN_MAX 1514u /* net_peer sends longer NF_OP_GEN answers as GSO super-frames */
#define NF_GSO_SIZE 1448u

enum { NF_OP_ECHO = 1, NF_OP_GEN = 2, NF_OP_GENNED = 3, NF_OP_POISON = 4 };

// Case numbers, in frames and in net_peer's log; net.sh names them.
enum {
	NF_CASE_GOOD_TX = 1, NF_CASE_GOOD_RX, NF_CASE_BAD_GREF, NF_CASE_TOO_MANY_SLOTS,
	NF_CASE_OVERSIZE, NF_CASE_TRUNCATED, NF_CASE_GSO, NF_CASE_CSUM, NF_CASE_IDS,
	NF_CASE_INDICES, NF_CASE_SPOOF, NF_CASE_FLOOD, NF_CASE_GOOD_PLAIN, NF_CASE_SANE
};

static inline uint8_t nf_pat(uint32_t seed, uint32_t i)
{
	uint32_t x = seed * 2654435761u + i * 40503u;

	return (uint8_t)(x >> 13 ^ x >> 5 ^ i);
}

static inline void nf_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void nf_put32(uint8_t *p, uint32_t v)
{
	nf_put16(p, v >> 16);
	nf_put16(p + 2, v);
}

static inline uint32_t nf_get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t nf_get32(const uint8_t *p)
{
	return nf_get16(p) << 16 | nf_get16(p + 2);
}

// Build a test frame of len (>= NF_HDR_END) bytes into f.
static inline void nf_build(uint8_t *f, uint32_t len, const uint8_t dst[6], const uint8_t src[6],
			    unsigned op, unsigned cas, unsigned seq, unsigned want, uint32_t seed)
{
	for (unsigned i = 0; i < 6; i++) {
		f[i] = dst[i];
		f[6 + i] = src[i];
	}
	nf_put16(f + 12, NF_ETHERTYPE);
	f[14] = 'L', f[15] = 'N', f[16] = 'E', f[17] = 'T';
	f[18] = (uint8_t)op;
	f[19] = (uint8_t)cas;
	nf_put16(f + 20, seq);
	nf_put16(f + 22, want);
	nf_put32(f + 24, seed);
	for (uint32_t i = NF_PAT_OFF; i < len; i++)
		f[i] = nf_pat(seed, i);
}

// 1 if f[0..len) is a test frame (the header parses).
static inline int nf_is_test(const uint8_t *f, uint32_t len)
{
	return len >= NF_HDR_END && nf_get16(f + 12) == NF_ETHERTYPE && f[14] == 'L' &&
	       f[15] == 'N' && f[16] == 'E' && f[17] == 'T';
}

// The first byte (>= NF_PAT_OFF) that breaks the pattern, or len if none.
static inline uint32_t nf_pat_bad(const uint8_t *f, uint32_t len)
{
	uint32_t seed = nf_get32(f + 24);

	for (uint32_t i = NF_PAT_OFF; i < len; i++)
		if (f[i] != nf_pat(seed, i))
			return i;
	return len;
}
#endif
