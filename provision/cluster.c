/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Several Dom0s, one site: this Dom0's name, the site's inventory, the Dom0s it records and
 * where a new guest goes, and provision run on another Dom0 (cluster.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/macro.h"
#include "common/run.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "inventory/inventory.h"
#include "network/network.h"
#include "templates/templates.h"
#include "cluster.h"

#define MIB (UINT64_C(1) << 20)

const char *prov_host_self(void)
{
	static char name[sizeof(((struct utsname *) 0)->nodename)];
	const char *e = getenv("PROVISION_HOST");
	struct utsname u;

	if (e && *e)
		return e;
	if (!*name) {
		if (uname(&u) < 0)
			return "localhost";
		snprintf(name, sizeof(name), "%s", u.nodename);
	}
	return name;
}

int prov_guest_lock(struct inv *inv, const char *name, bool wait, struct diag *d,
		    struct inv_lock **ret)
{
	char key[80];

	snprintf(key, sizeof(key), "guest-%s", name); /* a name is at most 63 characters */
	return (wait ? inv_lock_take : inv_lock_try)(inv, key, d, ret);
}

int prov_inv_open(struct prov_ctx *ctx, enum inv_open_mode mode, struct inv **ret)
{
	return inv_open_at(ctx->site->inventory, ctx->site->state_dir, mode, &ctx->diag, ret);
}

/* The site's VLAN bridges that exist in this Dom0's network, space-separated. */
static int bridges_here(const struct site *s, struct diag *d, char **ret)
{
	_cleanup_(strbuf_release) struct strbuf b = STRBUF_INIT;
	struct net_snapshot snap = {0};
	int r;

	r = net_snapshot_read(d, &snap);
	if (r < 0)
		return r;
	for (size_t i = 0; i < s->n_vlans; i++)
		if (net_snapshot_find(&snap, s->vlans[i].bridge))
			strbuf_addf(&b, "%s%s", b.len ? " " : "", s->vlans[i].bridge);
	net_snapshot_release(&snap);
	*ret = strbuf_detach(&b);
	return *ret ? 0 : -ENOMEM;
}

int prov_host_register(struct inv *inv, const struct site *s, const struct hv_ops *hv, void *h,
		       struct diag *d)
{
	_cleanup_(freep) char *bridges = NULL;
	struct hv_host_info info = {0};
	struct hv_open_opts o = {0};
	struct inv_host host;
	size_t mark = d->n;
	int r;

	r = bridges_here(s, d, &bridges);
	if (r < 0)
		return r;
	/* a Dom0 without Xen (a test, a Dom0 booted without it) is recorded without its Xen */
	if (!hv)
		r = -ENODEV;
	else if (h)
		r = hv->host_info ? hv->host_info(h, &info, d) : -EOPNOTSUPP;
	else
		r = hv_host_info(hv, &o, &info, d);
	if (r == -ENODEV || r == -EOPNOTSUPP)
		diag_truncate(d, mark);
	else if (r < 0)
		return r;
	host = (struct inv_host){
		.name = (char *) prov_host_self(),
		.xen_version = *info.version ? info.version : NULL,
		.mem_total = info.mem_total_mib * MIB,
		.mem_free = info.mem_free_mib * MIB,
		.bridges = bridges,
		.seen_usec = realtime_usec(),
	};
	return inv_host_put(inv, &host, d);
}

void prov_host_note(struct inv *inv, const struct site *s, const struct hv_ops *hv, void *h,
		    struct diag *d)
{
	size_t mark = diag_mark(d);

	if (prov_host_register(inv, s, hv, h, d) < 0) {
		diag_demote(d, mark);
		diag_add(d, DIAG_WARNING, NULL,
			 "cannot record Dom0 '%s' in the inventory, ignoring", prov_host_self());
	}
}

static bool has_word(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = list ? strstr(list, w) : NULL; p; p = strstr(p + 1, w))
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/* Live guests placed on host. */
static size_t guests_on(const struct inv_guest *g, size_t n, const char *host)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += g[i].host && streq(g[i].host, host);
	return k;
}

/*
 * Whether a is a better place than b for a guest on bridge (NULL: no b yet): more free
 * memory, then fewer guests (a batch spreads over Dom0s whose memory is not known), then
 * the VLAN's bridge there already, then this Dom0, then by name.
 */
static bool better(const struct inv_host *a, const struct inv_host *b, const char *bridge,
		   const struct inv_guest *g, size_t n)
{
	size_t ga, gb;
	bool ab, bb;

	if (!b)
		return true;
	if (a->mem_free != b->mem_free)
		return a->mem_free > b->mem_free;
	ga = guests_on(g, n, a->name);
	gb = guests_on(g, n, b->name);
	if (ga != gb)
		return ga < gb;
	ab = has_word(a->bridges, bridge);
	bb = has_word(b->bridges, bridge);
	if (ab != bb)
		return ab;
	if (streq(a->name, prov_host_self()) != streq(b->name, prov_host_self()))
		return streq(a->name, prov_host_self());
	return strcmp(a->name, b->name) < 0;
}

int prov_host_pick(struct inv *inv, const struct site *s, const char *want, unsigned vlan,
		   uint64_t mem_mib, struct diag *d, char **ret)
{
	const struct site_vlan *v = tmpl_site_vlan(s, vlan);
	const struct inv_host *best = NULL;
	struct inv_host *hosts = NULL;
	struct inv_guest *guests = NULL;
	size_t n = 0, n_guests = 0;
	int r;

	if (!want || streq(want, prov_host_self())) {
		*ret = strdup(prov_host_self());
		return *ret ? 0 : -ENOMEM;
	}
	r = inv_host_list(inv, d, &hosts, &n);
	if (r >= 0)
		r = inv_guest_list(inv, 0, d, &guests, &n_guests);
	if (r < 0) {
		inv_host_array_free(hosts, n);
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		const struct inv_host *h = &hosts[i];

		if (!streq(want, "auto")) {
			if (streq(h->name, want))
				best = h;
			continue;
		}
		/* a Dom0 whose Xen said how much it has must have room; others may */
		if (h->xen_version && h->mem_free < mem_mib * MIB)
			continue;
		if (better(h, best, v ? v->bridge : "", guests, n_guests))
			best = h;
	}
	if (!best && !streq(want, "auto")) {
		/* bad input: exit status 2 */
		diag_error(
			d, NULL,
			"--host: no Dom0 '%s' in the inventory ('provision hosts' lists them; a Dom0 is recorded by its first run)",
			want);
		r = -EDOM;
	} else if (!best) {
		diag_error(d, NULL, "--host auto: no Dom0 has %" PRIu64 " MiB free for the guest",
			   mem_mib);
		r = -ENOSPC;
	} else if (!(*ret = strdup(best->name))) {
		r = -ENOMEM;
	}
	inv_host_array_free(hosts, n);
	inv_guest_array_free(guests, n_guests);
	return r;
}

int prov_host_reserve(struct inv *inv, const char *host, uint64_t mem_mib, struct diag *d)
{
	struct inv_host *hosts = NULL;
	size_t n = 0;
	int r;

	r = inv_host_list(inv, d, &hosts, &n);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		if (!streq(hosts[i].name, host) || !hosts[i].xen_version)
			continue;
		hosts[i].mem_free -=
			hosts[i].mem_free < mem_mib * MIB ? hosts[i].mem_free : mem_mib * MIB;
		r = inv_host_put(inv, &hosts[i], d);
	}
	inv_host_array_free(hosts, n);
	return r;
}

int prov_remote_argv(const struct site *s, const char *host, char *const *args, char ***ret)
{
	_cleanup_(strv_freep) char **argv = NULL;

	for (char *const *a = s->ssh; *a; a++)
		if (strv_push(&argv, *a) < 0)
			return -ENOMEM;
	if (strv_push(&argv, host) < 0 || strv_push(&argv, "provision") < 0 ||
	    strv_push(&argv, "--site") < 0 || strv_push(&argv, s->path) < 0)
		return -ENOMEM;
	for (char *const *a = args; a && *a; a++)
		if (strv_push(&argv, *a) < 0)
			return -ENOMEM;
	*ret = TAKE_PTR(argv);
	return 0;
}

/* provision ARGS on host with its stdout as out says; how it ended, as prov_remote_run() says. */
static int remote(const struct site *s, const char *host, char *const *args, struct run_stream out,
		  void *userdata, struct diag *d)
{
	_cleanup_(strv_freep) char **argv = NULL;
	struct run_child c;
	int r;

	r = prov_remote_argv(s, host, args, &argv);
	if (r < 0)
		return r;
	c = (struct run_child){
		.argv = argv,
		.in = {.io = RUN_NULL},
		.out = out,
		.err = {.io = RUN_INHERIT},
		.die_with_parent = true,
		.userdata = userdata,
	};
	r = run_command(&c);
	if (r == -ENOENT)
		r = diag_error(d, NULL, "cannot run '%s' to reach Dom0 '%s': no such program",
			       s->ssh[0], host);
	else if (r < 0)
		r = diag_error_errno(d, NULL, r, "cannot run '%s' to reach Dom0 '%s'", s->ssh[0],
				     host);
	else if (r > 128 && c.signal)
		r = diag_error(d, NULL, "'%s %s provision ...' died of signal %d", s->ssh[0], host,
			       c.signal);
	run_child_release(&c);
	return r;
}

int prov_remote_run(const struct site *s, const char *host, char *const *args, bool out_to_err,
		    struct diag *d)
{
	struct run_stream out = {.io = out_to_err ? RUN_FD : RUN_INHERIT, .fd = 2};

	return remote(s, host, args, out, NULL, d);
}

int prov_remote_lines(const struct site *s, const char *host, char *const *args,
		      void (*on_line)(struct run_child *c, const char *line), void *userdata,
		      struct diag *d)
{
	return remote(s, host, args, (struct run_stream){.io = RUN_PIPE, .on_line = on_line},
		      userdata, d);
}
