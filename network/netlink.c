/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The only file that sees libnl: read the links of the current network namespace and carry
 * out a plan. libnl's codes (-NLE_*) are not errnos: they are turned into -errno here and
 * never leave this file; its text (nl_geterror) goes into every message.
 *
 * libnl 3.7 has no setter for a bridge's forward delay or STP state, and we want to see the
 * 802.1q protocol in the VLAN request, so those RTM_NEWLINK requests are built here with
 * nlmsg/nla; the rest uses libnl-route (bridge creation, enslaving, flags, deletion).
 */
#include <errno.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/socket.h>

#include "common/diag.h"
#include "common/macro.h"
#include "network/network-internal.h"
#include "network/network.h"

static void nl_socket_freep(struct nl_sock **sk)
{
	if (*sk)
		nl_socket_free(*sk);
}

static void nlmsg_freep(struct nl_msg **m)
{
	if (*m)
		nlmsg_free(*m);
}

static void rtnl_link_putp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}

/* libnl's -NLE_* to -errno; the text for the user comes from nl_geterror(). */
static int nlerr_to_errno(int nlerr)
{
	static const int map[][2] = {
		{NLE_NOMEM, ENOMEM},
		{NLE_PERM, EPERM},
		{NLE_EXIST, EEXIST},
		{NLE_INVAL, EINVAL},
		{NLE_RANGE, ERANGE},
		{NLE_BUSY, EBUSY},
		{NLE_OPNOTSUPP, EOPNOTSUPP},
		{NLE_NODEV, ENODEV},
		{NLE_AGAIN, EAGAIN},
		{NLE_OBJ_NOTFOUND, ENOENT},
		{NLE_NOACCESS, EACCES},
		{NLE_MSGSIZE, EMSGSIZE},
		{NLE_AF_NOSUPPORT, EAFNOSUPPORT},
		{NLE_BAD_SOCK, EBADF},
		{NLE_NOADDR, EADDRNOTAVAIL},
	};

	if (nlerr < 0)
		nlerr = -nlerr;
	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (map[i][0] == nlerr)
			return -map[i][1];
	return -EIO;
}

static int socket_open(struct diag *d, struct nl_sock **ret)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = nl_socket_alloc();
	int nlerr;

	if (!sk)
		return -ENOMEM;
	nlerr = nl_connect(sk, NETLINK_ROUTE);
	if (nlerr < 0) {
		diag_error(d, NULL, "cannot open a netlink socket: %s", nl_geterror(nlerr));
		return nlerr_to_errno(nlerr);
	}
	*ret = TAKE_PTR(sk);
	return 0;
}

/* ---- reading ---- */

struct dump {
	struct net_snapshot snap;
	int r;
};

static void copy_str(char *dst, size_t size, const struct nlattr *a)
{
	int len = nla_len(a);

	snprintf(dst, size, "%.*s", len > 0 ? (int) strnlen(nla_data(a), (size_t) len) : 0,
		 (const char *) nla_data(a));
}

static int parse_info(struct net_link *l, struct nlattr *linkinfo)
{
	static struct nla_policy info_policy[IFLA_INFO_MAX + 1] = {
		[IFLA_INFO_KIND] = {.type = NLA_STRING},
		[IFLA_INFO_DATA] = {.type = NLA_NESTED},
	};
	static struct nla_policy vlan_policy[IFLA_VLAN_MAX + 1] = {
		[IFLA_VLAN_ID] = {.type = NLA_U16},
	};
	static struct nla_policy br_policy[IFLA_BR_MAX + 1] = {
		[IFLA_BR_FORWARD_DELAY] = {.type = NLA_U32},
		[IFLA_BR_STP_STATE] = {.type = NLA_U32},
	};
	struct nlattr *info[IFLA_INFO_MAX + 1];
	int nlerr;

	nlerr = nla_parse_nested(info, IFLA_INFO_MAX, linkinfo, info_policy);
	if (nlerr < 0)
		return nlerr;
	if (info[IFLA_INFO_KIND])
		copy_str(l->kind, sizeof(l->kind), info[IFLA_INFO_KIND]);
	if (!info[IFLA_INFO_DATA])
		return 0;
	if (streq(l->kind, "vlan")) {
		struct nlattr *v[IFLA_VLAN_MAX + 1];

		nlerr = nla_parse_nested(v, IFLA_VLAN_MAX, info[IFLA_INFO_DATA], vlan_policy);
		if (nlerr < 0)
			return nlerr;
		if (v[IFLA_VLAN_ID])
			l->vlan_id = nla_get_u16(v[IFLA_VLAN_ID]);
	} else if (streq(l->kind, "bridge")) {
		struct nlattr *b[IFLA_BR_MAX + 1];

		nlerr = nla_parse_nested(b, IFLA_BR_MAX, info[IFLA_INFO_DATA], br_policy);
		if (nlerr < 0)
			return nlerr;
		if (b[IFLA_BR_FORWARD_DELAY])
			l->forward_delay = nla_get_u32(b[IFLA_BR_FORWARD_DELAY]);
		if (b[IFLA_BR_STP_STATE])
			l->stp = nla_get_u32(b[IFLA_BR_STP_STATE]) != 0;
	}
	return 0;
}

static int dump_link(struct nl_msg *msg, void *arg)
{
	static struct nla_policy policy[IFLA_MAX + 1] = {
		[IFLA_IFNAME] = {.type = NLA_STRING},
		[IFLA_MASTER] = {.type = NLA_U32},
		[IFLA_LINK] = {.type = NLA_U32},
		[IFLA_LINKINFO] = {.type = NLA_NESTED},
	};
	struct dump *dp = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1];
	struct ifinfomsg *ifi;
	struct net_link l = {0}, *nv;
	int nlerr;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return NL_SKIP;
	nlerr = nlmsg_parse(nlh, sizeof(*ifi), tb, IFLA_MAX, policy);
	if (nlerr < 0)
		goto fail;
	ifi = nlmsg_data(nlh);
	l.ifindex = ifi->ifi_index;
	l.up = ifi->ifi_flags & IFF_UP;
	if (tb[IFLA_IFNAME])
		copy_str(l.name, sizeof(l.name), tb[IFLA_IFNAME]);
	if (tb[IFLA_MASTER])
		l.master = (int) nla_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_LINK])
		l.parent = (int) nla_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_LINKINFO]) {
		nlerr = parse_info(&l, tb[IFLA_LINKINFO]);
		if (nlerr < 0)
			goto fail;
	}
	nv = realloc(dp->snap.links, (dp->snap.n_links + 1) * sizeof(*nv));
	if (!nv) {
		dp->r = -NLE_NOMEM;
		return NL_STOP;
	}
	dp->snap.links = nv;
	nv[dp->snap.n_links++] = l;
	return NL_OK;
fail:
	dp->r = nlerr;
	return NL_STOP;
}

void net_snapshot_release(struct net_snapshot *s)
{
	if (!s)
		return;
	free(s->links);
	*s = (struct net_snapshot){0};
}

int net_snapshot_read(struct diag *d, struct net_snapshot *ret)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct dump dp = {.r = 0};
	int r, nlerr;

	r = socket_open(d, &sk);
	if (r < 0)
		return r;
	nlerr = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, dump_link, &dp);
	if (nlerr >= 0)
		nlerr = nl_send_simple(sk, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof(ifi));
	if (nlerr >= 0)
		nlerr = nl_recvmsgs_default(sk);
	if (nlerr >= 0 && dp.r < 0)
		nlerr = dp.r;
	if (nlerr < 0) {
		net_snapshot_release(&dp.snap);
		diag_error(d, NULL, "cannot read the network links: %s", nl_geterror(nlerr));
		return nlerr_to_errno(nlerr);
	}
	*ret = dp.snap;
	return 0;
}

/* ---- requests built by hand ---- */

/* RTM_NEWLINK for ifindex (0: a new link), with the ifinfomsg header. */
static int link_msg_new(int ifindex, int flags, struct nl_msg **ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = nlmsg_alloc_simple(RTM_NEWLINK, flags);
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	int nlerr;

	if (!m)
		return -NLE_NOMEM;
	nlerr = nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
	if (nlerr < 0)
		return nlerr;
	*ret = TAKE_PTR(m);
	return 0;
}

/* Returns: 0 or -NLE_*. */
static int vlan_msg(const char *name, unsigned vlan, int parent, struct nl_msg **ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
	struct nlattr *info, *data;
	int nlerr;

	nlerr = link_msg_new(0, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, &m);
	if (nlerr < 0)
		return nlerr;
	if (nla_put_string(m, IFLA_IFNAME, name) < 0 ||
	    nla_put_u32(m, IFLA_LINK, (uint32_t) parent) < 0)
		return -NLE_NOMEM;
	info = nla_nest_start(m, IFLA_LINKINFO);
	if (!info || nla_put_string(m, IFLA_INFO_KIND, "vlan") < 0)
		return -NLE_NOMEM;
	data = nla_nest_start(m, IFLA_INFO_DATA);
	/* the kernel wants the protocol in network byte order */
	if (!data || nla_put_u16(m, IFLA_VLAN_ID, (uint16_t) vlan) < 0 ||
	    nla_put_u16(m, IFLA_VLAN_PROTOCOL, htons(ETH_P_8021Q)) < 0)
		return -NLE_NOMEM;
	nla_nest_end(m, data);
	nla_nest_end(m, info);
	*ret = TAKE_PTR(m);
	return 0;
}

/* One IFLA_BR_* u32 of an existing bridge. Returns: 0 or -NLE_*. */
static int bridge_msg(int ifindex, int attr, uint32_t value, struct nl_msg **ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
	struct nlattr *info, *data;
	int nlerr;

	nlerr = link_msg_new(ifindex, NLM_F_REQUEST | NLM_F_ACK, &m);
	if (nlerr < 0)
		return nlerr;
	info = nla_nest_start(m, IFLA_LINKINFO);
	if (!info || nla_put_string(m, IFLA_INFO_KIND, "bridge") < 0)
		return -NLE_NOMEM;
	data = nla_nest_start(m, IFLA_INFO_DATA);
	if (!data || nla_put_u32(m, attr, value) < 0)
		return -NLE_NOMEM;
	nla_nest_end(m, data);
	nla_nest_end(m, info);
	*ret = TAKE_PTR(m);
	return 0;
}

static int msg_bytes(struct nl_msg *m, void **ret, size_t *ret_len)
{
	struct nlmsghdr *h = nlmsg_hdr(m);
	void *copy = malloc(h->nlmsg_len);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, h, h->nlmsg_len);
	*ret = copy;
	*ret_len = h->nlmsg_len;
	return 0;
}

int net__vlan_request(const char *name, unsigned vlan, int parent, void **ret, size_t *ret_len)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
	int nlerr = vlan_msg(name, vlan, parent, &m);

	if (nlerr < 0)
		return nlerr_to_errno(nlerr);
	return msg_bytes(m, ret, ret_len);
}

int net__bridge_request(int ifindex, int attr, unsigned value, void **ret, size_t *ret_len)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
	int nlerr = bridge_msg(ifindex, attr, value, &m);

	if (nlerr < 0)
		return nlerr_to_errno(nlerr);
	return msg_bytes(m, ret, ret_len);
}

/* nl_send_sync() frees the message whatever happens. Returns: 0 or -NLE_*. */
static int send_msg(struct nl_sock *sk, struct nl_msg **m)
{
	return nl_send_sync(sk, TAKE_PTR(*m));
}

/* ---- applying ---- */

/* Returns: the ifindex (> 0) or -NLE_*. */
static int link_index(struct nl_sock *sk, const char *name)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
	int nlerr = rtnl_link_get_kernel(sk, 0, name, &l);

	return nlerr < 0 ? nlerr : rtnl_link_get_ifindex(l);
}

static int link_up(struct nl_sock *sk, const char *name)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *orig = NULL;
	_cleanup_(rtnl_link_putp) struct rtnl_link *change = rtnl_link_alloc();
	int nlerr;

	if (!change)
		return -NLE_NOMEM;
	nlerr = rtnl_link_get_kernel(sk, 0, name, &orig);
	if (nlerr < 0)
		return nlerr;
	rtnl_link_set_flags(change, IFF_UP);
	return rtnl_link_change(sk, orig, change, 0);
}

/* Returns: 0 or -NLE_*; the ifindex of a link it created in *ret_created (else 0). */
static int apply_one(struct nl_sock *sk, const struct net_action *a, int *ret_created)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
	int nlerr, idx, peer;

	*ret_created = 0;
	switch (a->type) {
	case NET_ACTION_CREATE_VLAN:
		peer = link_index(sk, a->peer);
		if (peer < 0)
			return peer;
		nlerr = vlan_msg(a->link, a->vlan, peer, &m);
		if (nlerr >= 0)
			nlerr = send_msg(sk, &m);
		break;
	case NET_ACTION_CREATE_BRIDGE:
		nlerr = rtnl_link_bridge_add(sk, a->link);
		break;
	case NET_ACTION_STP_OFF:
	case NET_ACTION_FORWARD_DELAY:
		idx = link_index(sk, a->link);
		if (idx < 0)
			return idx;
		nlerr = bridge_msg(idx,
				   a->type == NET_ACTION_STP_OFF ? IFLA_BR_STP_STATE
								 : IFLA_BR_FORWARD_DELAY,
				   0, &m);
		if (nlerr >= 0)
			nlerr = send_msg(sk, &m);
		return nlerr;
	case NET_ACTION_ENSLAVE:
		idx = link_index(sk, a->link);
		peer = link_index(sk, a->peer);
		if (idx < 0 || peer < 0)
			return idx < 0 ? idx : peer;
		return rtnl_link_enslave_ifindex(sk, peer, idx);
	case NET_ACTION_UP:
		return link_up(sk, a->link);
	default:
		return -NLE_INVAL;
	}
	if (nlerr < 0)
		return nlerr;
	/* remember what we created, to delete it if a later step fails */
	idx = link_index(sk, a->link);
	if (idx > 0)
		*ret_created = idx;
	return 0;
}

static void fail_message(struct diag *d, const struct net_action *a, int nlerr)
{
	const char *e = nl_geterror(nlerr);

	switch (a->type) {
	case NET_ACTION_CREATE_VLAN:
		diag_error(d, NULL, "cannot create VLAN link '%s' (VLAN %u on '%s'): %s", a->link,
			   a->vlan, a->peer, e);
		if (nlerr == -NLE_OPNOTSUPP)
			diag_add(d, DIAG_NOTE, NULL,
				 "the kernel has no 802.1q VLAN support (module 8021q)");
		break;
	case NET_ACTION_CREATE_BRIDGE:
		diag_error(d, NULL, "cannot create bridge '%s': %s", a->link, e);
		break;
	case NET_ACTION_STP_OFF:
		diag_error(d, NULL, "cannot turn STP off on '%s': %s", a->link, e);
		break;
	case NET_ACTION_FORWARD_DELAY:
		diag_error(d, NULL, "cannot set forward delay of '%s' to 0: %s", a->link, e);
		break;
	case NET_ACTION_ENSLAVE:
		diag_error(d, NULL, "cannot enslave '%s' to '%s': %s", a->link, a->peer, e);
		break;
	case NET_ACTION_UP:
		diag_error(d, NULL, "cannot bring '%s' up: %s", a->link, e);
		break;
	default:
		diag_error(d, NULL, "invalid network action: %s", e);
		break;
	}
}

static void delete_created(struct nl_sock *sk, const struct net_plan *p, const int *created,
			   size_t n, struct diag *d)
{
	for (size_t i = n; i-- > 0;) {
		_cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
		int nlerr;

		if (created[i] <= 0)
			continue;
		l = rtnl_link_alloc();
		if (!l) {
			diag_add(d, DIAG_WARNING, NULL, "cannot delete '%s': out of memory",
				 p->actions[i].link);
			continue;
		}
		rtnl_link_set_ifindex(l, created[i]);
		nlerr = rtnl_link_delete(sk, l);
		if (nlerr < 0)
			diag_add(d, DIAG_WARNING, NULL,
				 "cannot delete '%s', which this run created: %s",
				 p->actions[i].link, nl_geterror(nlerr));
		else
			diag_add(d, DIAG_NOTE, NULL,
				 "deleted '%s' again, which this run had created",
				 p->actions[i].link);
	}
}

int net_plan_apply(const struct net_plan *p, struct diag *d)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	_cleanup_(freep) int *created = NULL;
	int r;

	if (p->n_conflicts > 0)
		return -EINVAL;
	if (p->n_actions == 0)
		return 0;
	created = calloc(p->n_actions, sizeof(*created));
	if (!created)
		return -ENOMEM;
	r = socket_open(d, &sk);
	if (r < 0)
		return r;
	for (size_t i = 0; i < p->n_actions; i++) {
		int nlerr = apply_one(sk, &p->actions[i], &created[i]);

		if (nlerr < 0) {
			fail_message(d, &p->actions[i], nlerr);
			delete_created(sk, p, created, i, d);
			return nlerr_to_errno(nlerr);
		}
	}
	return 0;
}
