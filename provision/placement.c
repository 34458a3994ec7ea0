/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The planners of evacuate and rebalance (placement.h): pure functions over copies of the
 * Dom0s' free memory. Tests: tests/unit/test-provision-placement.c (tables).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "common/strbuf.h"
#include "placement.h"

void prov_place_plan_release(struct prov_place_plan *p)
{
	for (size_t i = 0; i < p->n_stuck; i++)
		free(p->stuck[i].reason);
	free(p->moves);
	free(p->stuck);
	*p = (struct prov_place_plan){0};
}

static int plan_move(struct prov_place_plan *p, const struct prov_place_guest *g, const char *to)
{
	struct prov_place_move *n = realloc(p->moves, (p->n_moves + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	p->moves = n;
	n[p->n_moves++] = (struct prov_place_move){g->name, g->host, to, g->mem_mib};
	return 0;
}

static int plan_stuck(struct prov_place_plan *p, const char *guest, char *reason)
{
	struct prov_place_stuck *n;

	if (!reason)
		return -ENOMEM;
	n = realloc(p->stuck, (p->n_stuck + 1) * sizeof(*n));
	if (!n) {
		free(reason);
		return -ENOMEM;
	}
	p->stuck = n;
	n[p->n_stuck++] = (struct prov_place_stuck){guest, reason};
	return 0;
}

static const struct prov_place_refusal *refused(const struct prov_place_refusal *v, size_t n,
						const char *guest, const char *host)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i].guest, guest) && streq(v[i].host, host))
			return &v[i];
	return NULL;
}

/* Largest first, then by name. */
static int by_memory(const void *a, const void *b)
{
	const struct prov_place_guest *x = *(const struct prov_place_guest *const *) a;
	const struct prov_place_guest *y = *(const struct prov_place_guest *const *) b;

	if (x->mem_mib != y->mem_mib)
		return x->mem_mib > y->mem_mib ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Why no Dom0 takes g: the refusals of the Dom0s that had room, else the lack of room. */
static char *stuck_reason(const struct prov_place_host *hosts, const uint64_t *free_mib, size_t n,
			  const struct prov_place_guest *g, const char *from,
			  const struct prov_place_refusal *refusals, size_t n_refusals)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < n; i++) {
		const struct prov_place_refusal *x;

		if (streq(hosts[i].name, from) || free_mib[i] < g->mem_mib)
			continue;
		x = refused(refusals, n_refusals, g->name, hosts[i].name);
		if (x)
			strbuf_addf(&sb, "%s'%s': %s", sb.len ? "; " : "", x->host, x->reason);
	}
	if (!sb.len)
		strbuf_addf(&sb, "no other Dom0 has %llu MiB free",
			    (unsigned long long) g->mem_mib);
	return strbuf_detach(&sb);
}

int prov_place_evacuate(const struct prov_place_host *hosts, size_t n_hosts,
			const struct prov_place_guest *guests, size_t n_guests, const char *from,
			const struct prov_place_refusal *refusals, size_t n_refusals,
			struct prov_place_plan *ret)
{
	_cleanup_(freep) const struct prov_place_guest **order =
		calloc(n_guests + 1, sizeof(void *));
	_cleanup_(freep) uint64_t *free_mib = calloc(n_hosts + 1, sizeof(uint64_t));
	struct prov_place_plan p = {0};
	size_t n = 0;
	int r = 0;

	if (!order || !free_mib)
		return -ENOMEM;
	for (size_t i = 0; i < n_hosts; i++)
		free_mib[i] = hosts[i].free_mib;
	for (size_t i = 0; i < n_guests; i++)
		if (guests[i].host && streq(guests[i].host, from))
			order[n++] = &guests[i];
	qsort(order, n, sizeof(*order), by_memory);

	for (size_t k = 0; r >= 0 && k < n; k++) {
		const struct prov_place_guest *g = order[k];
		ssize_t best = -1;

		for (size_t i = 0; i < n_hosts; i++) {
			if (streq(hosts[i].name, from) || free_mib[i] < g->mem_mib ||
			    refused(refusals, n_refusals, g->name, hosts[i].name))
				continue;
			if (best < 0 || free_mib[i] > free_mib[best] ||
			    (free_mib[i] == free_mib[best] &&
			     strcmp(hosts[i].name, hosts[best].name) < 0))
				best = (ssize_t) i;
		}
		if (best < 0) {
			r = plan_stuck(&p, g->name,
				       stuck_reason(hosts, free_mib, n_hosts, g, from, refusals,
						    n_refusals));
			continue;
		}
		free_mib[best] -= g->mem_mib;
		r = plan_move(&p, g, hosts[best].name);
	}
	if (r < 0) {
		prov_place_plan_release(&p);
		return r;
	}
	*ret = p;
	return 0;
}

static ssize_t host_index(const struct prov_place_host *hosts, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (streq(hosts[i].name, name))
			return (ssize_t) i;
	return -1;
}

struct candidate {
	size_t guest, to;
	int64_t gain; /* how much the sum of squares of free memory shrinks */
};

/* Whether a is a better move than b (b->gain 0: none yet): more gain, then by names. */
static bool better(const struct candidate *a, const struct candidate *b,
		   const struct prov_place_guest *g, const struct prov_place_host *h)
{
	int c;

	if (b->gain <= 0 || a->gain != b->gain)
		return a->gain > b->gain;
	c = strcmp(g[a->guest].name, g[b->guest].name);
	return c < 0 || (c == 0 && strcmp(h[a->to].name, h[b->to].name) < 0);
}

/* The best single move now, or gain 0. */
static struct candidate best_move(const struct prov_place_host *hosts, const int64_t *free_mib,
				  size_t n_hosts, const struct prov_place_guest *guests,
				  const bool *moved, size_t n_guests, uint64_t min_gain_mib)
{
	struct candidate best = {0};

	for (size_t gi = 0; gi < n_guests; gi++) {
		ssize_t a = host_index(hosts, n_hosts, guests[gi].host);
		int64_t m = (int64_t) guests[gi].mem_mib;

		if (a < 0 || moved[gi] || m <= 0)
			continue;
		for (size_t b = 0; b < n_hosts; b++) {
			int64_t gap = free_mib[b] - free_mib[a], after = gap - 2 * m;
			struct candidate c = {gi, b, 0};

			if ((ssize_t) b == a || free_mib[b] < m || gap <= 0)
				continue;
			if (after < 0)
				after = -after;
			/* the pair's gap must narrow by min_gain at least */
			if (gap - after < (int64_t) (min_gain_mib ? min_gain_mib : 1))
				continue;
			/* (fa+m)^2 + (fb-m)^2 - fa^2 - fb^2 = -2m(fb - fa - m) */
			c.gain = 2 * m * (gap - m);
			if (c.gain > 0 && better(&c, &best, guests, hosts))
				best = c;
		}
	}
	return best;
}

int prov_place_rebalance(const struct prov_place_host *hosts, size_t n_hosts,
			 const struct prov_place_guest *guests, size_t n_guests,
			 uint64_t min_gain_mib, struct prov_place_plan *ret)
{
	_cleanup_(freep) int64_t *free_mib = calloc(n_hosts + 1, sizeof(int64_t));
	_cleanup_(freep) bool *moved = calloc(n_guests + 1, sizeof(bool));
	struct prov_place_plan p = {0};
	int r;

	if (!free_mib || !moved)
		return -ENOMEM;
	for (size_t i = 0; i < n_hosts; i++)
		free_mib[i] = (int64_t) hosts[i].free_mib;
	/* each step shrinks the sum of squares and moves a guest for good: it ends */
	for (;;) {
		struct candidate c =
			best_move(hosts, free_mib, n_hosts, guests, moved, n_guests, min_gain_mib);
		ssize_t a;

		if (c.gain <= 0)
			break;
		a = host_index(hosts, n_hosts, guests[c.guest].host);
		r = plan_move(&p, &guests[c.guest], hosts[c.to].name);
		if (r < 0) {
			prov_place_plan_release(&p);
			return r;
		}
		moved[c.guest] = true;
		free_mib[a] += (int64_t) guests[c.guest].mem_mib;
		free_mib[c.to] -= (int64_t) guests[c.guest].mem_mib;
	}
	*ret = p;
	return 0;
}
