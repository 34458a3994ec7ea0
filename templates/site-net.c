/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * site.yaml's network: section: the trunk and the VLANs, each VLAN's bridge, subnet, gateway,
 * range and nameservers, and the checks between VLANs (no two hand out one address or share
 * a link name). Part of the site loader (site.c); doc/site.yaml.md documents the keys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "common/util.h"
#include "templates-internal.h"
#include "templates.h"

static const char *const network_keys[] = {"trunk", "vlans", NULL};
static const char *const vlan_keys[] = {
	"bridge", "native", "subnet", "gateway", "range", "nameservers", NULL,
};

static int ipv4_item(const struct vctx *c, const char *s, char **ret)
{
	uint32_t a;

	if (tmpl__parse_ipv4(c, s, &a) < 0)
		return -EINVAL;
	return tmpl__parse_str(c, s, ret);
}

static bool in_subnet(uint32_t a, uint32_t net, unsigned prefix)
{
	uint32_t mask = prefix ? ~UINT32_C(0) << (32 - prefix) : 0;

	return (a & mask) == net;
}

static int parse_range(const struct vctx *c, const char *s, uint32_t *first, uint32_t *last)
{
	char buf[40];
	const char *dash = strchr(s, '-');
	size_t n = dash ? (size_t) (dash - s) : 0;

	if (!dash || n >= sizeof(buf))
		return tmpl__err(
			c, "invalid range '%s' (use FIRST-LAST, e.g. 10.0.0.60-10.0.0.120)", s);
	memcpy(buf, s, n);
	buf[n] = 0;
	if (parse_ipv4(buf, first) < 0 || parse_ipv4(dash + 1, last) < 0)
		return tmpl__err(
			c, "invalid range '%s' (use FIRST-LAST, e.g. 10.0.0.60-10.0.0.120)", s);
	if (*last < *first)
		return tmpl__err(c, "'%s' goes backwards", s);
	return 0;
}

/* subnet, gateway and range of one VLAN, and how they fit together. */
static void load_vlan_ip(struct diag *d, const struct ynode *m, const char *sec,
			 const struct src_loc *at, const char *file, struct site_vlan *v)
{
	char net[16], bcast[16];
	struct tmpl__fld f, g, r;
	uint32_t mask;
	bool ok = true;

	if (!tmpl__ynode_pair(m, "subnet") && !tmpl__ynode_pair(m, "gateway") &&
	    !tmpl__ynode_pair(m, "range"))
		return;
	tmpl__require(d, m, sec, at, file, "subnet");
	tmpl__require(d, m, sec, at, file, "gateway");
	tmpl__require(d, m, sec, at, file, "range");
	if (tmpl__fld_get(&f, d, m, sec, "subnet", false))
		v->subnet_loc = (struct src_loc){v->loc.file, f.n->loc.line, f.n->loc.col};
	if (!tmpl__fld_get(&f, d, m, sec, "subnet", true)) {
		ok = false;
	} else if (parse_ipv4_cidr(f.s, &v->subnet, &v->prefix) < 0) {
		tmpl__err(&f.c, "invalid subnet '%s' (use e.g. 10.0.0.0/24)", f.s);
		ok = false;
	} else if (v->prefix < 8 || v->prefix > 30) {
		tmpl__err(&f.c, "subnet '%s' must have a prefix length of 8..30", f.s);
		ok = false;
	} else if (!in_subnet(v->subnet, v->subnet, v->prefix)) {
		mask = ~UINT32_C(0) << (32 - v->prefix);
		tmpl__err(&f.c, "subnet '%s' has host bits set (did you mean %s/%u?)", f.s,
			  format_ipv4(v->subnet & mask, net), v->prefix);
		ok = false;
	}
	if (!tmpl__fld_get(&g, d, m, sec, "gateway", true) ||
	    tmpl__parse_ipv4(&g.c, g.s, &v->gateway) < 0)
		ok = false;
	if (!tmpl__fld_get(&r, d, m, sec, "range", true) ||
	    parse_range(&r.c, r.s, &v->range_first, &v->range_last) < 0)
		ok = false;
	if (!ok)
		return;
	format_ipv4(v->subnet, net);
	mask = ~UINT32_C(0) << (32 - v->prefix);
	format_ipv4(v->subnet | ~mask, bcast);
	if (!in_subnet(v->gateway, v->subnet, v->prefix)) {
		tmpl__err(&g.c, "%s is outside the subnet %s/%u", g.s, net, v->prefix);
		ok = false;
	} else if (v->gateway == v->subnet || v->gateway == (v->subnet | ~mask)) {
		tmpl__err(&g.c, "%s is the network or broadcast address of %s/%u", g.s, net,
			  v->prefix);
		ok = false;
	}
	if (!in_subnet(v->range_first, v->subnet, v->prefix) ||
	    !in_subnet(v->range_last, v->subnet, v->prefix)) {
		tmpl__err(&r.c, "%s is outside the subnet %s/%u", r.s, net, v->prefix);
		ok = false;
	} else if (v->range_first == v->subnet || v->range_last == (v->subnet | ~mask)) {
		tmpl__err(&r.c, "%s includes the network or broadcast address %s", r.s,
			  v->range_first == v->subnet ? net : bcast);
		ok = false;
	} else if (v->gateway >= v->range_first && v->gateway <= v->range_last) {
		tmpl__err(&r.c, "%s includes the gateway %s", r.s, g.s);
		ok = false;
	}
	v->has_subnet = ok;
}

static int load_vlan(struct diag *d, const struct ypair *p, const char *file, struct site *s)
{
	struct vctx kc = {d, "network.vlans", &p->loc};
	struct site_vlan *v = &s->vlans[s->n_vlans];
	char sec[64];
	struct tmpl__fld f;
	unsigned id;
	int r;

	if (tmpl__parse_vlan(&kc, p->key, &id) < 0)
		return 0;
	for (size_t i = 0; i < s->n_vlans; i++)
		if (s->vlans[i].id == id) {
			tmpl__err(&kc, "VLAN %u is given twice (first at line %u)", id,
				  s->vlans[i].loc.line);
			return 0;
		}
	snprintf(sec, sizeof(sec), "network.vlans.%s", p->key);
	kc.key = sec;
	if (tmpl__expect(&kc, p->value, YNODE_MAP) < 0)
		return 0;
	*v = (struct site_vlan){.id = id, .loc = p->loc};
	v->loc.file = s->path;
	v->nameservers = calloc(1, sizeof(char *));
	if (!v->nameservers)
		return -ENOMEM;
	s->n_vlans++;
	tmpl__check_keys(d, p->value, sec, vlan_keys);
	tmpl__require(d, p->value, sec, &p->loc, file, "bridge");
	if (tmpl__fld_get(&f, d, p->value, sec, "bridge", true) &&
	    tmpl__parse_word(&f.c, f.s, "bridge name", &v->bridge) == 0) {
		v->bridge_loc = (struct src_loc){s->path, f.n->loc.line, f.n->loc.col};
		if (strlen(v->bridge) > 15)
			tmpl__err(&f.c, "bridge name '%s' is longer than 15 characters", f.s);
	}
	if (tmpl__fld_get(&f, d, p->value, sec, "native", true) &&
	    tmpl__parse_bool(&f.c, f.s, &v->native) == 0 && v->native)
		for (size_t i = 0; i + 1 < s->n_vlans; i++)
			if (s->vlans[i].native) {
				tmpl__err(&f.c, "VLAN %u is already the native VLAN",
					  s->vlans[i].id);
				break;
			}
	load_vlan_ip(d, p->value, sec, &p->loc, file, v);
	r = 0;
	if (tmpl__fld_get(&f, d, p->value, sec, "nameservers", false))
		r = tmpl__parse_list(&f.c, f.n, NULL, ipv4_item, &v->nameservers);
	return r == -ENOMEM ? r : 0;
}

static bool subnets_overlap(const struct site_vlan *a, const struct site_vlan *b)
{
	unsigned p = a->prefix < b->prefix ? a->prefix : b->prefix;
	uint32_t mask = p ? ~UINT32_C(0) << (32 - p) : 0;

	return (a->subnet & mask) == (b->subnet & mask);
}

/* The bridge of v against the trunk and the VLAN links made on it ("eth0.53"). */
static void check_bridge_links(const struct site *s, const struct site_vlan *v, struct diag *d)
{
	char key[64], link[32];
	struct vctx c = {d, key, &v->bridge_loc};

	snprintf(key, sizeof(key), "network.vlans.%u.bridge", v->id);
	if (streq(v->bridge, s->trunk)) {
		tmpl__err(&c, "bridge '%s' is the name of the trunk interface", v->bridge);
		return;
	}
	for (size_t i = 0; i < s->n_vlans; i++) {
		const struct site_vlan *w = &s->vlans[i];

		if (w->native)
			continue; /* the native VLAN's bridge enslaves the trunk itself */
		snprintf(link, sizeof(link), "%s.%u", s->trunk, w->id);
		if (streq(v->bridge, link)) {
			tmpl__err(&c, "bridge '%s' is the name of VLAN %u's link on the trunk",
				  v->bridge, w->id);
			return;
		}
	}
}

static void check_vlans(const struct site *s, struct diag *d)
{
	for (size_t i = 0; i < s->n_vlans; i++) {
		const struct site_vlan *v = &s->vlans[i];
		char key[64], a[16], b[16];

		if (v->bridge && s->trunk)
			check_bridge_links(s, v, d);
		for (size_t j = 0; v->bridge && j < i; j++)
			if (s->vlans[j].bridge && streq(s->vlans[j].bridge, v->bridge)) {
				snprintf(key, sizeof(key), "network.vlans.%u.bridge", v->id);
				tmpl__err(&(struct vctx){d, key, &v->bridge_loc},
					  "bridge '%s' is already used by VLAN %u", v->bridge,
					  s->vlans[j].id);
				break;
			}
		for (size_t j = 0; v->has_subnet && j < i; j++) {
			const struct site_vlan *w = &s->vlans[j];

			if (!w->has_subnet || !subnets_overlap(v, w))
				continue;
			snprintf(key, sizeof(key), "network.vlans.%u.subnet", v->id);
			tmpl__err(
				&(struct vctx){d, key, &v->subnet_loc},
				"%s/%u overlaps the subnet %s/%u of VLAN %u (line %u): two guests could get one address",
				format_ipv4(v->subnet, a), v->prefix, format_ipv4(w->subnet, b),
				w->prefix, w->id, w->subnet_loc.line);
			break;
		}
	}
}

int tmpl__site_load_network(struct diag *d, const struct ynode *root, const char *file,
			    struct site *s)
{
	const struct ypair *np = tmpl__ynode_pair(root, "network");
	struct tmpl__fld f;
	int r;

	tmpl__require(d, root, "", NULL, file, "network");
	if (!tmpl__fld_get(&f, d, root, "", "network", false) ||
	    tmpl__expect(&f.c, f.n, YNODE_MAP) < 0)
		return 0;
	tmpl__check_keys(d, f.n, "network", network_keys);
	tmpl__require(d, f.n, "network", &np->loc, file, "trunk");
	tmpl__require(d, f.n, "network", &np->loc, file, "vlans");
	if (tmpl__fld_get(&f, d, np->value, "network", "trunk", true) &&
	    tmpl__parse_word(&f.c, f.s, "interface name", &s->trunk) == 0 && strlen(f.s) > 15)
		tmpl__err(&f.c, "interface name '%s' is longer than 15 characters", f.s);
	if (!tmpl__fld_get(&f, d, np->value, "network", "vlans", false) ||
	    tmpl__expect(&f.c, f.n, YNODE_MAP) < 0)
		return 0;
	s->vlans = calloc(f.n->n_pairs + 1, sizeof(*s->vlans));
	if (!s->vlans)
		return -ENOMEM;
	for (size_t i = 0; i < f.n->n_pairs; i++) {
		r = load_vlan(d, &f.n->pairs[i], file, s);
		if (r < 0)
			return r;
	}
	check_vlans(s, d);
	return 0;
}
