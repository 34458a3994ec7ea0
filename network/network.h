/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The VLAN bridges guests are put on: brN enslaving the 802.1q link TRUNK.N (or the trunk
 * itself for a native, untagged VLAN), forward delay 0, STP off, everything up.
 *
 * Plan, then apply: net_snapshot_read() reads the links (netlink.c, the only file that sees
 * libnl), net_plan_make() compares them with what is wanted and lists the actions or the
 * conflicts (plan.c, pure), net_plan_apply() carries out a plan. net_ensure() does all three
 * for the pipeline's "network" stage and `provision net ensure`.
 *
 * Rules: links are never removed (except one this very run created, when a later step fails),
 * a port enslaved to another master is never moved, and no bridge other than the wanted
 * one is touched. STP: turned off on bridges we create; an existing bridge with STP on is a
 * conflict and left alone (with STP on the kernel refuses a forward delay under 2 s, and
 * someone turned it on deliberately). There is no IP address on the bridge: the site has no
 * key for one yet.
 *
 * The module does not read site.yaml: callers fill struct net_want from the site.
 */

#include <stdbool.h>
#include <stddef.h>

#include "common/diag.h"

#define NET_NAME_MAX 16 /* IFNAMSIZ: 15 characters and the NUL */

/* What one VLAN needs. Strings are borrowed. */
struct net_want {
	const char *trunk;  /* "eth0" */
	unsigned vlan;	    /* 1..4094 */
	const char *bridge; /* "br53" */
	bool native;	    /* untagged: the bridge enslaves the trunk itself */
};

/* One link as the kernel reports it. */
struct net_link {
	char name[NET_NAME_MAX];
	int ifindex;
	char kind[NET_NAME_MAX]; /* "bridge", "vlan", "veth", ...; "" for a plain NIC */
	unsigned vlan_id;	 /* kind "vlan": its 802.1q id */
	int parent;		 /* kind "vlan": ifindex of the link it sits on (IFLA_LINK) */
	int master;		 /* ifindex of the bridge it is enslaved to; 0: none */
	bool up;		 /* administratively up (IFF_UP) */
	bool stp;		 /* kind "bridge": STP on */
	unsigned forward_delay;	 /* kind "bridge": centiseconds */
};

struct net_snapshot {
	struct net_link *links;
	size_t n_links;
};

/* In the order they are carried out: VLAN links are created before any bridge. */
enum net_action_type {
	NET_ACTION_CREATE_VLAN,	  /* link: TRUNK.N, peer: trunk, vlan: N */
	NET_ACTION_CREATE_BRIDGE, /* link: the bridge */
	NET_ACTION_STP_OFF,	  /* link: a bridge this plan creates */
	NET_ACTION_FORWARD_DELAY, /* link: the bridge; set to 0 (was: old value) */
	NET_ACTION_ENSLAVE,	  /* link: the port, peer: the bridge */
	NET_ACTION_UP,		  /* link: trunk, port or bridge */
	_NET_ACTION_TYPE_MAX,
	_NET_ACTION_TYPE_INVALID = -22,
};

struct net_action {
	enum net_action_type type;
	char link[NET_NAME_MAX];
	char peer[NET_NAME_MAX];
	unsigned vlan;
	unsigned was; /* NET_ACTION_FORWARD_DELAY: the current value, centiseconds */
	bool is_new;  /* link is created by this plan */
};

enum net_conflict_type {
	NET_CONFLICT_NO_TRUNK,	   /* the trunk does not exist */
	NET_CONFLICT_NAME,	   /* TRUNK.N is longer than 15 characters */
	NET_CONFLICT_NOT_VLAN,	   /* TRUNK.N exists but is not a VLAN link */
	NET_CONFLICT_WRONG_VLAN,   /* TRUNK.N is a VLAN link with another id or parent */
	NET_CONFLICT_VLAN_TAKEN,   /* VLAN N on the trunk exists under another name */
	NET_CONFLICT_NOT_BRIDGE,   /* the bridge name is used by a link of another kind */
	NET_CONFLICT_WRONG_MASTER, /* the port is enslaved to another master */
	NET_CONFLICT_STP_ON,	   /* the bridge exists with STP on */
	_NET_CONFLICT_TYPE_MAX,
	_NET_CONFLICT_TYPE_INVALID = -22,
};

struct net_conflict {
	enum net_conflict_type type;
	char link[NET_NAME_MAX]; /* the link that differs */
	char *message;		 /* "'eth0.53' is enslaved to 'br99', not 'br53': ..." */
};

struct net_plan {
	struct net_action *actions;
	size_t n_actions;
	struct net_conflict *conflicts;
	size_t n_conflicts;
};

/*
 * Compare what is wanted with a snapshot. No I/O. The plan lists every action needed, in
 * the order to carry them out, each once even when several wants need it (a shared trunk);
 * when anything conflicts, the conflicts say exactly what differs and the plan must not be
 * applied. A plan with neither actions nor conflicts means everything is as wanted.
 * Returns: 0 and a new plan in *ret (release with net_plan_release()), -EINVAL for an
 * invalid want (VLAN id out of 1..4094, empty name), -ENOMEM.
 */
int net_plan_make(const struct net_want *want, size_t n_want, const struct net_snapshot *snap,
		  struct net_plan *ret);
void net_plan_release(struct net_plan *p);

enum net_tense {
	NET_PROBLEM, /* "bridge 'br53' is missing" (NULL when the line adds nothing) */
	NET_WOULD,   /* "would create bridge 'br53'" */
	NET_DONE,    /* "created bridge 'br53'" */
};

/* One line about an action, or NULL (NET_PROBLEM only). Returns a new string, or NULL. */
char *net_action_describe(const struct net_action *a, enum net_tense tense);

const char *net_action_type_to_string(enum net_action_type t);	   /* "create-vlan" */
const char *net_conflict_type_to_string(enum net_conflict_type t); /* "wrong-master" */

/* The link called name in snap, or NULL. */
const struct net_link *net_snapshot_find(const struct net_snapshot *snap, const char *name);

/*
 * Read every link of the current network namespace through netlink.
 * Returns: 0 and the links in *ret (release with net_snapshot_release()), or < 0 with the
 * reason (libnl's text) in d.
 */
int net_snapshot_read(struct diag *d, struct net_snapshot *ret);
void net_snapshot_release(struct net_snapshot *s);

/*
 * Carry out a plan without conflicts, in order, stopping at the first failure. Links this
 * call created are then deleted again (newest first), so a failed run leaves nothing new
 * behind; what was changed on existing links stays (and `net check` shows it).
 * Returns: 0, or < 0 (-errno) with "cannot ...: <libnl's text>" in d; -EINVAL for a plan
 * with conflicts.
 */
int net_plan_apply(const struct net_plan *p, struct diag *d);

/*
 * Read, plan and (unless dry_run) apply: make sure every want holds.
 * Returns: 0 and the plan (what was done, or would be) in *ret; -EBUSY when something
 * conflicts (each conflict is an error in d, nothing is changed); other < 0 on failure.
 */
int net_ensure(const struct net_want *want, size_t n_want, bool dry_run, struct diag *d,
	       struct net_plan *ret);
