// SPDX-License-Identifier: MIT
// net_peer: net.sh's far end of the wire: one lamina-netswitch port that echoes the test guest's frames, generates frames it asks for, and logs every frame it sees.
//
// usage: net_peer SOCKET MAC LOG
//
// Connects to lamina-netswitch's SOCK_SEQPACKET socket as one port with
// MAC, says hello ("lamina-netswitch 1 mac=MAC vlan=0"), then reads
// frames (each datagram: a 12-byte struct lamina_netif_hdr, then the
// Ethernet frame). For each it appends one line to LOG:
//
//   frame len=N src=MAC dst=MAC test=0|1 op=O case=C seq=S pat=ok|bad@I|-
//
// and, for a test frame (net_guest/frame.h) addressed to MAC: NF_OP_ECHO
// goes back byte for byte with the two MACs swapped; NF_OP_GEN gets a
// fresh NF_OP_GENNED frame of the length asked for (longer than
// NF_PLAIN_MAX: as a GSO super-frame, its header saying TCPv4 with
// gso_size NF_GSO_SIZE: only a front with offload gets it); NF_OP_POISON gets
// nothing (net.sh fails the case that sent it: it must never get here).
// Frames are otherwise sent with an all-zero header. A datagram shorter than a
// header and an Ethernet header (the switch's own hello, if it sends one)
// is logged as "other". Runs until killed or the switch hangs up.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "net_guest/frame.h"

#define HDR 12u /* struct lamina_netif_hdr */

static uint8_t mac[6];
static FILE *lg;

static int parse_mac(const char *s, uint8_t m[6])
{
	unsigned v[6];
	char end;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &end) != 6)
		return 0;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return 0;
		m[i] = (uint8_t)v[i];
	}
	return 1;
}

static const char *mac_str(const uint8_t *m)
{
	static char b[2][18];
	static int k;

	k ^= 1;
	snprintf(b[k], sizeof(b[k]), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return b[k];
}

static void send_frame(int fd, uint8_t *dgram, size_t len)
{
	memset(dgram, 0, HDR);
	if (send(fd, dgram, len, 0) != (ssize_t)len)
		fprintf(lg, "send of %zu bytes failed: %s\n", len, strerror(errno));
}

// out[0..len) (zeroed header, frame) again with a GSO header: gso_type
// TCPV4, gso_size NF_GSO_SIZE, hdr_len 54 (lamina-netback passes it to
// a front with offload as it is, and drops it for one without).
static void send_gso(int fd, uint8_t *dgram, size_t len)
{
	uint8_t *h = dgram;

	memset(h, 0, HDR);
	h[1] = 1;                                  /* gso_type TCPV4 */
	h[2] = 54;                                 /* hdr_len (little-endian u16) */
	h[4] = NF_GSO_SIZE & 0xff, h[5] = NF_GSO_SIZE >> 8;
	if (send(fd, dgram, len, 0) != (ssize_t)len)
		fprintf(lg, "send of %zu bytes failed: %s\n", len, strerror(errno));
}

int main(int argc, char **argv)
{
	static uint8_t in[70000], out[70000];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char hello[128];
	int fd;

	if (argc != 4 || !parse_mac(argv[2], mac) || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: net_peer SOCKET MAC LOG\n");
		return 2;
	}
	if (!(lg = fopen(argv[3], "a"))) {
		perror(argv[3]);
		return 1;
	}
	setvbuf(lg, NULL, _IOLBF, 0);
	strcpy(sa.sun_path, argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(lg, "cannot connect to %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	int n = snprintf(hello, sizeof(hello), "lamina-netswitch 1 mac=%s vlan=0", mac_str(mac));
	if (send(fd, hello, (size_t)n, 0) != n) {
		fprintf(lg, "cannot send the hello: %s\n", strerror(errno));
		return 1;
	}
	fprintf(lg, "connected to %s as %s\n", argv[1], mac_str(mac));
	for (;;) {
		ssize_t r = recv(fd, in, sizeof(in), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(lg, "the switch hung up (%s)\n", r < 0 ? strerror(errno) : "end of file");
			return 0;
		}
		if ((size_t)r < HDR + 14) {
			fprintf(lg, "other len=%zd\n", r);
			continue;
		}
		uint8_t *f = in + HDR;
		uint32_t len = (uint32_t)r - HDR;
		int test = nf_is_test(f, len), mine = !memcmp(f, mac, 6);
		uint32_t bad = test ? nf_pat_bad(f, len) : 0;
		char pat[32];

		if (!test)
			snprintf(pat, sizeof(pat), "-");
		else if (bad == len)
			snprintf(pat, sizeof(pat), "ok");
		else
			snprintf(pat, sizeof(pat), "bad@%u", bad);
		fprintf(lg, "frame len=%u src=%s dst=%s test=%d op=%u case=%u seq=%u pat=%s hdr=%02x%02x\n", len,
			mac_str(f + 6), mac_str(f), test, test ? f[18] : 0, test ? f[19] : 0,
			test ? nf_get16(f + 20) : 0, pat, in[0], in[1]);
		if (!test || !mine)
			continue;
		if (f[18] == NF_OP_ECHO) {
			memcpy(out, in, (size_t)r);
			memcpy(out + HDR, f + 6, 6);
			memcpy(out + HDR + 6, f, 6);
			send_frame(fd, out, (size_t)r);
		} else if (f[18] == NF_OP_GEN) {
			uint32_t want = nf_get16(f + 22);
			if (want < NF_HDR_END || want > sizeof(out) - HDR) {
				fprintf(lg, "a request for %u bytes: ignored\n", want);
				continue;
			}
			nf_build(out + HDR, want, f + 6, mac, NF_OP_GENNED, f[19], nf_get16(f + 20), want,
				 nf_get32(f + 24));
			if (want > NF_PLAIN_MAX) // a TCPv4 super-frame (for a front with offload)
				send_gso(fd, out, HDR + want);
			else
				send_frame(fd, out, HDR + want);
		}
	}
}
