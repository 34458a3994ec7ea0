/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pure half of the network module: what is wanted + a snapshot of the links -> the
 * actions to take, or the conflicts that forbid taking any. No I/O here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "common/strbuf.h"
#include "network/network.h"

static const char *const action_names[_NET_ACTION_TYPE_MAX] = {
	[NET_ACTION_CREATE_VLAN] = "create-vlan", [NET_ACTION_CREATE_BRIDGE] = "create-bridge",
	[NET_ACTION_STP_OFF] = "stp-off",	  [NET_ACTION_FORWARD_DELAY] = "forward-delay",
	[NET_ACTION_ENSLAVE] = "enslave",	  [NET_ACTION_UP] = "up",
};

static const char *const conflict_names[_NET_CONFLICT_TYPE_MAX] = {
	[NET_CONFLICT_NO_TRUNK] = "no-trunk",	      [NET_CONFLICT_NAME] = "name-too-long",
	[NET_CONFLICT_NOT_VLAN] = "not-a-vlan",	      [NET_CONFLICT_WRONG_VLAN] = "wrong-vlan",
	[NET_CONFLICT_VLAN_TAKEN] = "vlan-taken",     [NET_CONFLICT_NOT_BRIDGE] = "not-a-bridge",
	[NET_CONFLICT_WRONG_MASTER] = "wrong-master", [NET_CONFLICT_STP_ON] = "stp-on",
};

DEFINE_STRING_TABLE_TO(net_action_type, enum net_action_type, action_names)

DEFINE_STRING_TABLE_TO(net_conflict_type, enum net_conflict_type, conflict_names)

const struct net_link *net_snapshot_find(const struct net_snapshot *snap, const char *name)
{
	for (size_t i = 0; i < snap->n_links; i++)
		if (streq(snap->links[i].name, name))
			return &snap->links[i];
	return NULL;
}

static const struct net_link *find_index(const struct net_snapshot *snap, int ifindex)
{
	for (size_t i = 0; i < snap->n_links; i++)
		if (snap->links[i].ifindex == ifindex)
			return &snap->links[i];
	return NULL;
}

void net_plan_release(struct net_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_conflicts; i++)
		free(p->conflicts[i].message);
	free(p->conflicts);
	free(p->actions);
	*p = (struct net_plan){0};
}

/* A link kind for messages: "a veth link", "a NIC". */
static const char *kind_text(const struct net_link *l, char buf[static 48])
{
	if (!l->kind[0])
		return "a plain network interface";
	snprintf(buf, 48, "a %s link", l->kind);
	return buf;
}

static char *master_name(const struct net_snapshot *snap, int ifindex, char buf[static 32])
{
	const struct net_link *m = find_index(snap, ifindex);

	if (m)
		snprintf(buf, 32, "'%s'", m->name);
	else
		snprintf(buf, 32, "ifindex %d", ifindex);
	return buf;
}

static int add_conflict(struct net_plan *p, enum net_conflict_type type, const char *link,
			const char *fmt, ...) _printf_(4, 5);
static int add_conflict(struct net_plan *p, enum net_conflict_type type, const char *link,
			const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	struct net_conflict *nv;
	va_list ap;
	char *msg;

	/* the same link may be reported by two wants (two VLANs on a missing trunk) */
	for (size_t i = 0; i < p->n_conflicts; i++)
		if (p->conflicts[i].type == type && streq(p->conflicts[i].link, link))
			return 0;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	msg = strbuf_detach(&sb);
	if (!msg)
		return -ENOMEM;
	nv = realloc(p->conflicts, (p->n_conflicts + 1) * sizeof(*nv));
	if (!nv) {
		free(msg);
		return -ENOMEM;
	}
	p->conflicts = nv;
	nv[p->n_conflicts] = (struct net_conflict){.type = type, .message = msg};
	snprintf(nv[p->n_conflicts].link, NET_NAME_MAX, "%s", link);
	p->n_conflicts++;
	return 0;
}

/* Append unless the same action on the same link is already planned. */
static int add_action(struct net_plan *p, const struct net_action *a)
{
	struct net_action *nv;

	for (size_t i = 0; i < p->n_actions; i++)
		if (p->actions[i].type == a->type && streq(p->actions[i].link, a->link))
			return 0;
	nv = realloc(p->actions, (p->n_actions + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	p->actions = nv;
	nv[p->n_actions++] = *a;
	return 0;
}

static struct net_action action(enum net_action_type type, const char *link, const char *peer,
				bool is_new)
{
	struct net_action a = {.type = type, .is_new = is_new};

	snprintf(a.link, sizeof(a.link), "%s", link);
	snprintf(a.peer, sizeof(a.peer), "%s", peer ? peer : "");
	return a;
}

/* One want resolved against the snapshot: which links exist, which we create. */
struct resolved {
	const struct net_want *want;
	char port_name[NET_NAME_MAX];
	const struct net_link *trunk, *port, *bridge; /* NULL: missing */
	bool create_port, create_bridge;
};

static int resolve_port(struct resolved *w, const struct net_snapshot *snap, struct net_plan *p)
{
	const struct net_want *want = w->want;
	char kb[48], mb[32];
	const struct net_link *t = w->trunk;
	int n;

	if (want->native) {
		snprintf(w->port_name, sizeof(w->port_name), "%s", want->trunk);
		w->port = t;
		return 0;
	}
	n = snprintf(w->port_name, sizeof(w->port_name), "%s.%u", want->trunk, want->vlan);
	if (n < 0 || (size_t) n >= sizeof(w->port_name)) {
		return add_conflict(p, NET_CONFLICT_NAME, want->trunk,
				    "VLAN link name '%s.%u' is longer than %d characters",
				    want->trunk, want->vlan, NET_NAME_MAX - 1);
	}
	w->port = net_snapshot_find(snap, w->port_name);
	if (w->port) {
		const struct net_link *parent = find_index(snap, w->port->parent);

		if (!streq(w->port->kind, "vlan")) {
			return add_conflict(p, NET_CONFLICT_NOT_VLAN, w->port_name,
					    "'%s' exists but is %s, not a VLAN link", w->port_name,
					    kind_text(w->port, kb));
		}
		if (w->port->vlan_id != want->vlan || !t || w->port->parent != t->ifindex) {
			return add_conflict(p, NET_CONFLICT_WRONG_VLAN, w->port_name,
					    "'%s' is VLAN %u on %s, want VLAN %u on '%s'",
					    w->port_name, w->port->vlan_id,
					    parent ? master_name(snap, parent->ifindex, mb)
						   : "an unknown link",
					    want->vlan, want->trunk);
		}
		return 0;
	}
	if (!t)
		return 0; /* reported as a missing trunk */
	/* the kernel allows one link per VLAN id and parent */
	for (size_t i = 0; i < snap->n_links; i++) {
		const struct net_link *l = &snap->links[i];

		if (streq(l->kind, "vlan") && l->parent == t->ifindex && l->vlan_id == want->vlan) {
			return add_conflict(p, NET_CONFLICT_VLAN_TAKEN, w->port_name,
					    "VLAN %u on '%s' already exists as '%s', not '%s'",
					    want->vlan, want->trunk, l->name, w->port_name);
		}
	}
	w->create_port = true;
	return 0;
}

static int resolve(struct resolved *w, const struct net_snapshot *snap, struct net_plan *p)
{
	const struct net_want *want = w->want;
	char kb[48], mb[32];
	int r;

	w->trunk = net_snapshot_find(snap, want->trunk);
	if (!w->trunk) {
		r = add_conflict(p, NET_CONFLICT_NO_TRUNK, want->trunk, "trunk '%s' does not exist",
				 want->trunk);
		if (r < 0)
			return r;
	}
	r = resolve_port(w, snap, p);
	if (r < 0)
		return r;

	w->bridge = net_snapshot_find(snap, want->bridge);
	if (!w->bridge) {
		w->create_bridge = true;
	} else if (!streq(w->bridge->kind, "bridge")) {
		r = add_conflict(p, NET_CONFLICT_NOT_BRIDGE, want->bridge,
				 "'%s' exists but is %s, not a bridge", want->bridge,
				 kind_text(w->bridge, kb));
		if (r < 0)
			return r;
	} else if (w->bridge->stp) {
		r = add_conflict(
			p, NET_CONFLICT_STP_ON, want->bridge,
			"bridge '%s' has STP on: forward delay 0 needs STP off, and STP is left as the admin set it",
			want->bridge);
		if (r < 0)
			return r;
	}

	if (w->port && w->port->master && (!w->bridge || w->port->master != w->bridge->ifindex)) {
		r = add_conflict(p, NET_CONFLICT_WRONG_MASTER, w->port_name,
				 "'%s' is enslaved to %s, not '%s': refusing to move it",
				 w->port_name, master_name(snap, w->port->master, mb),
				 want->bridge);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The actions of phase type for one want. */
static int plan_phase(const struct resolved *w, enum net_action_type type, unsigned up_step,
		      struct net_plan *p)
{
	const struct net_want *want = w->want;
	struct net_action a;

	switch (type) {
	case NET_ACTION_CREATE_VLAN:
		if (!w->create_port)
			return 0;
		a = action(type, w->port_name, want->trunk, true);
		a.vlan = want->vlan;
		return add_action(p, &a);
	case NET_ACTION_CREATE_BRIDGE:
	case NET_ACTION_STP_OFF:
		if (!w->create_bridge)
			return 0;
		a = action(type, want->bridge, NULL, true);
		return add_action(p, &a);
	case NET_ACTION_FORWARD_DELAY:
		if (!w->create_bridge && w->bridge->forward_delay == 0)
			return 0;
		a = action(type, want->bridge, NULL, w->create_bridge);
		a.was = w->create_bridge ? 0 : w->bridge->forward_delay;
		return add_action(p, &a);
	case NET_ACTION_ENSLAVE:
		if (w->port && w->bridge && w->port->master == w->bridge->ifindex)
			return 0;
		a = action(type, w->port_name, want->bridge, w->create_port || w->create_bridge);
		return add_action(p, &a);
	case NET_ACTION_UP:
		/* trunk first (a VLAN link cannot come up on a down trunk), then port, bridge */
		if (up_step == 0 && !w->trunk->up)
			a = action(type, want->trunk, NULL, false);
		else if (up_step == 1 && !want->native && (w->create_port || !w->port->up))
			a = action(type, w->port_name, NULL, w->create_port);
		else if (up_step == 2 && (w->create_bridge || !w->bridge->up))
			a = action(type, want->bridge, NULL, w->create_bridge);
		else
			return 0;
		return add_action(p, &a);
	default:
		return -EINVAL;
	}
}

/* Two wants must not enslave one port to two bridges (two native VLANs on one trunk). */
static int check_ports(const struct resolved *w, size_t n, struct net_plan *p)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++) {
			if (!streq(w[i].port_name, w[j].port_name) ||
			    streq(w[i].want->bridge, w[j].want->bridge))
				continue;
			return add_conflict(p, NET_CONFLICT_WRONG_MASTER, w[i].port_name,
					    "'%s' cannot be enslaved to both '%s' and '%s'",
					    w[i].port_name, w[j].want->bridge, w[i].want->bridge);
		}
	return 0;
}

int net_plan_make(const struct net_want *want, size_t n_want, const struct net_snapshot *snap,
		  struct net_plan *ret)
{
	_cleanup_(freep) struct resolved *w = NULL;
	struct net_plan p = {0};
	int r = 0;

	for (size_t i = 0; i < n_want; i++)
		if (!want[i].trunk || !want[i].trunk[0] || !want[i].bridge || !want[i].bridge[0] ||
		    want[i].vlan < 1 || want[i].vlan > 4094)
			return -EINVAL;
	w = calloc(n_want ? n_want : 1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < n_want && r >= 0; i++) {
		w[i].want = &want[i];
		r = resolve(&w[i], snap, &p);
	}
	if (r >= 0)
		r = check_ports(w, n_want, &p);
	if (r >= 0 && p.n_conflicts == 0)
		for (int t = 0; t < _NET_ACTION_TYPE_MAX && r >= 0; t++)
			for (unsigned step = 0; step < (t == NET_ACTION_UP ? 3 : 1); step++)
				for (size_t i = 0; i < n_want && r >= 0; i++)
					r = plan_phase(&w[i], t, step, &p);
	if (r < 0) {
		net_plan_release(&p);
		return r;
	}
	*ret = p;
	return 0;
}

char *net_action_describe(const struct net_action *a, enum net_tense tense)
{
	static const char *const verbs[_NET_ACTION_TYPE_MAX][2] = {
		[NET_ACTION_CREATE_VLAN] = {"create", "created"},
		[NET_ACTION_CREATE_BRIDGE] = {"create", "created"},
		[NET_ACTION_STP_OFF] = {"turn", "turned"},
		[NET_ACTION_FORWARD_DELAY] = {"set", "set"},
		[NET_ACTION_ENSLAVE] = {"enslave", "enslaved"},
		[NET_ACTION_UP] = {"bring", "brought"},
	};
	struct strbuf sb = STRBUF_INIT;

	if (a->type < 0 || a->type >= _NET_ACTION_TYPE_MAX)
		return NULL;
	if (tense == NET_PROBLEM) {
		switch (a->type) {
		case NET_ACTION_CREATE_VLAN:
			strbuf_addf(&sb, "VLAN link '%s' (VLAN %u on '%s') is missing", a->link,
				    a->vlan, a->peer);
			break;
		case NET_ACTION_CREATE_BRIDGE:
			strbuf_addf(&sb, "bridge '%s' is missing", a->link);
			break;
		case NET_ACTION_FORWARD_DELAY:
			if (a->is_new)
				return NULL;
			strbuf_addf(&sb, "forward delay of '%s' is %u.%02u s, want 0", a->link,
				    a->was / 100, a->was % 100);
			break;
		case NET_ACTION_ENSLAVE:
			strbuf_addf(&sb, "'%s' is not enslaved to '%s'", a->link, a->peer);
			break;
		case NET_ACTION_UP:
			if (a->is_new)
				return NULL;
			strbuf_addf(&sb, "'%s' is down", a->link);
			break;
		default: /* STP_OFF: only for a bridge that is missing anyway */
			return NULL;
		}
		return strbuf_detach(&sb);
	}

	strbuf_addf(&sb, "%s%s ", tense == NET_WOULD ? "would " : "",
		    verbs[a->type][tense == NET_DONE]);
	switch (a->type) {
	case NET_ACTION_CREATE_VLAN:
		strbuf_addf(&sb, "VLAN link '%s' (VLAN %u on '%s')", a->link, a->vlan, a->peer);
		break;
	case NET_ACTION_CREATE_BRIDGE:
		strbuf_addf(&sb, "bridge '%s'", a->link);
		break;
	case NET_ACTION_STP_OFF:
		strbuf_addf(&sb, "STP off on '%s'", a->link);
		break;
	case NET_ACTION_FORWARD_DELAY:
		strbuf_addf(&sb, "forward delay of '%s' to 0", a->link);
		if (!a->is_new)
			strbuf_addf(&sb, " (was %u.%02u s)", a->was / 100, a->was % 100);
		break;
	case NET_ACTION_ENSLAVE:
		strbuf_addf(&sb, "'%s' to '%s'", a->link, a->peer);
		break;
	case NET_ACTION_UP:
		strbuf_addf(&sb, "'%s' up", a->link);
		break;
	default:
		break;
	}
	return strbuf_detach(&sb);
}
