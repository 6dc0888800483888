// SPDX-License-Identifier: MIT
// net_conn: lamina-netback's side of the store handshake: publish the interface's facts, map the front's rings and buffer pools, bind its ports, undo it all.
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int nb_publish(struct nb_dev *d)
{
	char mac[18];
	int rc;

	nb_format_mac(d->cfg.mac, mac);
	if ((rc = lbk_write(&d->b, lbk_be(&d->b, LAMINA_NETIF_KEY_MAC), mac)) ||
	    (rc = lbk_write_uint(&d->b, LAMINA_NETIF_KEY_MTU, d->cfg.mtu)) ||
	    (rc = lbk_write_uint(&d->b, LAMINA_NETIF_KEY_OFFLOAD, 1)) ||
	    (rc = lbk_write_uint(&d->b, LAMINA_NETIF_KEY_SPLIT, 1)))
		return rc;
	return lbk_write_uint(&d->b, LAMINA_BUS_KEY_STATE, LAMINA_BUS_INITWAIT); // last: the facts are there
}

// A front key as a number in [min, max]; an absent key is dflt if dflt >= 0.
static int fe_uint(struct nb_dev *d, const char *key, long dflt, unsigned long min, unsigned long max,
		   unsigned long *v)
{
	int rc = lbk_read_uint(&d->b, lbk_fe(&d->b, key), v);

	if (rc == -ENOENT && dflt >= 0) {
		*v = (unsigned long)dflt;
		return 0;
	}
	if (rc) {
		nb_fail(d, "front-end key %s: %s", key, rc == -ENOENT ? "missing" : d->b.err);
		return rc;
	}
	if (*v < min || *v > max) {
		nb_fail(d, "front-end key %s is %lu, not in %lu..%lu", key, *v, min, max);
		return -ERANGE;
	}
	return 0;
}

static bool fe_has(struct nb_dev *d, const char *key)
{
	char v[32];

	return lbk_read(&d->b, lbk_fe(&d->b, key), v, sizeof(v)) >= 0;
}

// Map refs[0..n) as one udmabuf into m.
static int map_pages(struct nb_dev *d, const uint32_t *refs, unsigned n, struct nb_map *m)
{
	int fd, rc = lbk_map(&d->b, refs, n, &m->handle, &fd);

	if (rc)
		return rc;
	m->mem = mmap(NULL, (size_t)n * NB_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	rc = -errno;
	close(fd);
	if (m->mem == MAP_FAILED) {
		m->mem = NULL;
		lbk_unmap(&d->b, m->handle);
		snprintf(d->b.err, sizeof(d->b.err), "mmap: %s", strerror(-rc));
		return rc;
	}
	m->pages = n;
	return 0;
}

static void unmap_pages(struct nb_dev *d, struct nb_map *m)
{
	if (!m->mem)
		return;
	munmap(m->mem, (size_t)m->pages * NB_PAGE);
	lbk_unmap(&d->b, m->handle);
	m->mem = NULL;
}

// The two buffer lists, copied out of their pages (mapped only meanwhile).
static int read_lists(struct nb_dev *d, uint32_t lref[2], uint32_t *tx, unsigned long ntx, uint32_t *rx,
		      unsigned long nrx)
{
	unsigned n = lref[0] == lref[1] ? 1 : 2;
	struct nb_map m = { 0 };
	int rc = map_pages(d, lref, n, &m);

	if (rc) {
		nb_fail(d, "cannot map the buffer lists: %s", d->b.err);
		return rc;
	}
	memcpy(tx, m.mem, ntx * sizeof(*tx));
	memcpy(rx, (uint8_t *)m.mem + (n - 1) * NB_PAGE, nrx * sizeof(*rx));
	unmap_pages(d, &m);
	return 0;
}

// Map one pool's refs (checked) in chunks, filling its table; a ref the
// other pool has mapped already shares that mapping.
static int map_pool(struct nb_dev *d, const char *which, const uint32_t *refs, unsigned long n, nb_pool t,
		    const nb_pool other)
{
	uint32_t chunk[NB_MAP_CHUNK];
	unsigned k = 0;

	for (unsigned long i = 0; i <= n; i++) {
		if (i < n && other && other[refs[i]]) {
			t[refs[i]] = other[refs[i]];
			continue;
		}
		if (i < n)
			chunk[k++] = refs[i];
		if (k == 0 || (k < NB_MAP_CHUNK && i < n))
			continue;
		struct nb_map *m = &d->pools[d->npools];
		int rc = map_pages(d, chunk, k, m);
		if (rc) {
			nb_fail(d, "cannot map the %s buffers: %s", which, d->b.err);
			return rc;
		}
		d->npools++;
		for (unsigned j = 0; j < k; j++)
			t[chunk[j]] = (uint8_t *)m->mem + (size_t)j * NB_PAGE;
		k = 0;
	}
	return 0;
}

// Both pools: sizes, lists, checks, mappings.
static int connect_pools(struct nb_dev *d)
{
	static uint32_t txl[LAMINA_NETIF_MAX_BUFFERS], rxl[LAMINA_NETIF_MAX_BUFFERS];
	unsigned long ntx, nrx, v;
	uint32_t lref[2];
	const char *why;
	int rc;

	if ((rc = fe_uint(d, LAMINA_NETIF_KEY_TX_BUFFERS, -1, 1, LAMINA_NETIF_MAX_BUFFERS, &ntx)) ||
	    (rc = fe_uint(d, LAMINA_NETIF_KEY_RX_BUFFERS, -1, 1, LAMINA_NETIF_MAX_BUFFERS, &nrx)) ||
	    (rc = fe_uint(d, LAMINA_NETIF_KEY_TX_LIST, -1, 0, UINT32_MAX, &v)))
		return rc;
	lref[0] = (uint32_t)v;
	if ((rc = fe_uint(d, LAMINA_NETIF_KEY_RX_LIST, -1, 0, UINT32_MAX, &v)))
		return rc;
	lref[1] = (uint32_t)v;
	if ((rc = read_lists(d, lref, txl, ntx, rxl, nrx)))
		return rc;
	if (nb_check_list(txl, ntx, &why) || nb_check_list(rxl, nrx, &why)) {
		nb_fail(d, "buffer list: %s", why);
		return -EINVAL;
	}
	if ((rc = map_pool(d, "transmit", txl, ntx, d->txp, NULL)))
		return rc;
	return map_pool(d, "receive", rxl, nrx, d->rxp, d->txp);
}

static int connect_rings(struct nb_dev *d)
{
	unsigned long v;
	uint32_t refs[2];
	int rc;

	if ((rc = fe_uint(d, LAMINA_NETIF_KEY_TX_RING, -1, 0, UINT32_MAX, &v)))
		return rc;
	refs[0] = (uint32_t)v;
	if ((rc = fe_uint(d, LAMINA_NETIF_KEY_RX_RING, -1, 0, UINT32_MAX, &v)))
		return rc;
	refs[1] = (uint32_t)v;
	if (refs[0] == refs[1]) {
		nb_fail(d, "the transmit and receive rings are the same page");
		return -EINVAL;
	}
	if ((rc = map_pages(d, refs, 2, &d->rings))) {
		nb_fail(d, "cannot map the rings: %s", d->b.err);
		return rc;
	}
	lamina_netif_tx_back_init(&d->tx, d->rings.mem, NB_PAGE);
	lamina_netif_rx_back_init(&d->rx, (void *)((uint8_t *)d->rings.mem + NB_PAGE), NB_PAGE);
	return 0;
}

// One port for both rings, or one each (both keys written).
static int connect_ports(struct nb_dev *d)
{
	unsigned long tx, rx;
	int rc;

	d->split = fe_has(d, LAMINA_NETIF_KEY_EVTCHN_TX) && fe_has(d, LAMINA_NETIF_KEY_EVTCHN_RX);
	if (d->split) {
		if ((rc = fe_uint(d, LAMINA_NETIF_KEY_EVTCHN_TX, -1, 1, UINT32_MAX, &tx)) ||
		    (rc = fe_uint(d, LAMINA_NETIF_KEY_EVTCHN_RX, -1, 1, UINT32_MAX, &rx)))
			return rc;
		if (tx == rx) {
			nb_fail(d, "split event channels name the same port %lu", tx);
			return -EINVAL;
		}
	} else if ((rc = fe_uint(d, LAMINA_BUS_KEY_EVENT_CHANNEL, -1, 1, UINT32_MAX, &tx))) {
		return rc;
	}
	d->port_tx = (uint32_t)tx;
	if ((rc = lbk_bind(&d->b, d->port_tx, &d->bell_tx, &d->kick_tx))) {
		nb_fail(d, "cannot bind port %u: %s", d->port_tx, d->b.err);
		return rc;
	}
	d->port_rx = d->split ? (uint32_t)rx : d->port_tx;
	if (d->split && (rc = lbk_bind(&d->b, d->port_rx, &d->bell_rx, &d->kick_rx))) {
		nb_fail(d, "cannot bind port %u: %s", d->port_rx, d->b.err);
		return rc;
	}
	return 0;
}

int nb_connect(struct nb_dev *d)
{
	unsigned long off;
	int rc;

	d->corrupt = d->skipping = false;
	d->nfrag = d->nstash = d->stash_head = 0;
	d->st = (struct nb_stats){ 0 };
	if ((rc = fe_uint(d, LAMINA_NETIF_KEY_REQ_OFFLOAD, 0, 0, 1, &off)))
		return rc;
	d->cfg.offload = off;
	if ((rc = connect_rings(d)) || (rc = connect_pools(d)) || (rc = connect_ports(d)))
		return rc;
	if ((rc = nb_host_offload(d))) {
		nb_fail(d, "cannot set the TAP's offloads: %s", strerror(-rc));
		return rc;
	}
	d->connected = true;
	return 0;
}

static void unbind(struct nb_dev *d, uint32_t port, int *bell, int *kick)
{
	char rq[64], rep[256];

	if (*bell < 0)
		return;
	snprintf(rq, sizeof(rq), "{\"op\":\"unbind\",\"port\":%u}", port);
	lbk_raw(&d->b, rq, rep, sizeof(rep), NULL, NULL);
	close(*bell);
	close(*kick);
	*bell = *kick = -1;
}

void nb_disconnect(struct nb_dev *d)
{
	unbind(d, d->port_tx, &d->bell_tx, &d->kick_tx);
	unbind(d, d->port_rx, &d->bell_rx, &d->kick_rx);
	for (unsigned i = 0; i < d->npools; i++)
		unmap_pages(d, &d->pools[i]);
	d->npools = 0;
	unmap_pages(d, &d->rings);
	memset(d->txp, 0, NB_GREFS * sizeof(*d->txp));
	memset(d->rxp, 0, NB_GREFS * sizeof(*d->rxp));
	nb_rxq_clear(&d->q);
	nb_io_drop_held(d);
	d->nstash = d->nfrag = 0;
	d->connected = false;
}
