/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network module against the real kernel (suite 'root'): each test runs in a fresh
 * network namespace (and a mount namespace with its own /sys, as `ip netns exec` does) with
 * a veth pair as the trunk. What our code did is read back with iproute2 (`ip -d -j link`)
 * and sysfs, not only through our own snapshot. Exit 77 when not root or when namespaces
 * cannot be made.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "network/network.h"
#include "tests/unit/test.h"

#define TRUNK "vtrunk"

static void fresh_netns(void)
{
	if (geteuid() != 0)
		SKIP("not root");
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0)
		SKIP("cannot unshare the network namespace: %s", strerror(errno));
	/* a private /sys that shows this namespace's links */
	ASSERT_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ? -errno : 0);
	ASSERT_OK(umount2("/sys", MNT_DETACH) < 0 ? -errno : 0);
	ASSERT_OK(mount("sysfs", "/sys", "sysfs", 0, NULL) < 0 ? -errno : 0);
	ASSERT_EQ(system("ip link add " TRUNK " type veth peer name vpeer"), 0);
}

/* Run a shell command; its stdout without the final newline (caller frees), or NULL when
 * it fails. */
static char *sh(const char *fmt, ...) _printf_(1, 2);
static char *sh(const char *fmt, ...)
{
	struct strbuf cmd = STRBUF_INIT, out = STRBUF_INIT;
	char buf[4096];
	va_list ap;
	size_t n;
	FILE *f;

	va_start(ap, fmt);
	strbuf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	f = popen(strbuf_str(&cmd), "r");
	strbuf_release(&cmd);
	if (!f)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&out, buf, n);
	if (pclose(f) != 0) {
		strbuf_release(&out);
		return NULL;
	}
	if (out.len && out.buf[out.len - 1] == '\n')
		out.buf[--out.len] = '\0';
	return strbuf_detach(&out);
}

/* One value of `ip -d -j link show dev LINK`, as Python sees the JSON object l. */
static char *ip_field(const char *link, const char *expr)
{
	return sh("ip -d -j link show dev %s | python3 -c 'import json, sys; "
		  "l = json.load(sys.stdin)[0]; print(%s)'",
		  link, expr);
}

#define ASSERT_IP(link, expr, want)                                                                \
	do {                                                                                       \
		_cleanup_(freep) char *_v = ip_field(link, expr);                                  \
		ASSERT_STREQ(_v, want);                                                            \
	} while (0)

#define ASSERT_SH(want, ...)                                                                       \
	do {                                                                                       \
		_cleanup_(freep) char *_v = sh(__VA_ARGS__);                                       \
		ASSERT_STREQ(_v, want);                                                            \
	} while (0)

static bool link_exists(const char *name)
{
	_cleanup_(freep) char *v = sh("ip link show dev %s 2>/dev/null", name);

	return v != NULL;
}

/* The whole state as iproute2 prints it, to show that nothing changed. */
static char *all_links(void)
{
	return sh("ip -d -j link show");
}

static char *plan_text(const struct net_plan *p)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < p->n_actions; i++)
		strbuf_addf(&sb, "%s %s\n", net_action_type_to_string(p->actions[i].type),
			    p->actions[i].link);
	return strbuf_detach(&sb);
}

static const struct net_want native10 = {
	.trunk = TRUNK, .vlan = 10, .bridge = "br10", .native = true};

/* ensure, then check that it did what the plan says and print nothing unexpected */
static char *ensure(const struct net_want *w, int want_r, struct diag *d)
{
	struct net_plan p = {0};
	char *text;

	ASSERT_EQ(net_ensure(w, 1, false, d, &p), want_r);
	text = plan_text(&p);
	net_plan_release(&p);
	return text;
}

static void assert_bridge_ok(const char *br, const char *port)
{
	_cleanup_(freep) char *master = NULL;

	ASSERT_IP(br, "l[\"linkinfo\"][\"info_kind\"]", "bridge");
	ASSERT_IP(br, "l[\"linkinfo\"][\"info_data\"][\"forward_delay\"]", "0");
	ASSERT_IP(br, "l[\"linkinfo\"][\"info_data\"][\"stp_state\"]", "0");
	ASSERT_IP(br, "\"UP\" in l[\"flags\"]", "True");
	ASSERT_IP(port, "l.get(\"master\")", br);
	ASSERT_IP(port, "\"UP\" in l[\"flags\"]", "True");
	ASSERT_SH("0", "cat /sys/class/net/%s/bridge/forward_delay", br);
	ASSERT_SH("0", "cat /sys/class/net/%s/bridge/stp_state", br);
	master = sh("basename $(readlink /sys/class/net/%s/master)", port);
	ASSERT_STREQ(master, br);
}

TEST(native_creates_then_noop)
{
	_cleanup_(diag_release) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *first = NULL, *second = NULL, *idx1 = NULL, *idx2 = NULL;

	fresh_netns();
	ASSERT_FALSE(link_exists("br10"));
	first = ensure(&native10, 0, &d);
	ASSERT_STREQ(first, "create-bridge br10\nstp-off br10\nforward-delay br10\n"
			    "enslave vtrunk\nup vtrunk\nup br10\n");
	ASSERT_EQ(d.n, 0);
	assert_bridge_ok("br10", TRUNK);
	idx1 = ip_field("br10", "l[\"ifindex\"]");

	/* the second run has nothing to do and changes nothing */
	second = ensure(&native10, 0, &d);
	ASSERT_STREQ(second, "");
	idx2 = ip_field("br10", "l[\"ifindex\"]");
	ASSERT_STREQ(idx1, idx2);
	assert_bridge_ok("br10", TRUNK);
}

TEST(snapshot_matches_iproute2)
{
	_cleanup_(diag_release) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *idx = NULL;
	struct net_snapshot snap = {0};
	const struct net_link *br, *t;

	fresh_netns();
	ASSERT_EQ(system("ip link add br7 type bridge forward_delay 1234 stp_state 1 && "
			 "ip link set " TRUNK " master br7 up"),
		  0);
	ASSERT_OK(net_snapshot_read(&d, &snap));
	br = net_snapshot_find(&snap, "br7");
	t = net_snapshot_find(&snap, TRUNK);
	ASSERT_NOT_NULL(br);
	ASSERT_NOT_NULL(t);
	ASSERT_STREQ(br->kind, "bridge");
	ASSERT_EQ(br->forward_delay, 1234);
	ASSERT_TRUE(br->stp);
	ASSERT_FALSE(br->up);
	ASSERT_STREQ(t->kind, "veth");
	ASSERT_EQ(t->master, br->ifindex);
	ASSERT_TRUE(t->up);
	idx = ip_field("br7", "l[\"ifindex\"]");
	ASSERT_NOT_NULL(idx);
	ASSERT_EQ(atoi(idx), br->ifindex);
	ASSERT_NOT_NULL(net_snapshot_find(&snap, "lo"));
	net_snapshot_release(&snap);
	net_snapshot_release(&snap);
}

TEST(drift_detected_and_repaired)
{
	_cleanup_(diag_release) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *first = NULL, *repair = NULL, *after = NULL, *text = NULL;
	struct net_snapshot snap = {0};
	struct net_plan p = {0};

	fresh_netns();
	first = ensure(&native10, 0, &d);
	ASSERT_EQ(system("ip link set br10 type bridge forward_delay 1500 && "
			 "ip link set dev " TRUNK " nomaster && ip link set br10 down"),
		  0);
	ASSERT_IP("br10", "l[\"linkinfo\"][\"info_data\"][\"forward_delay\"]", "1500");

	/* check: the plan names each drift */
	ASSERT_OK(net_snapshot_read(&d, &snap));
	ASSERT_OK(net_plan_make(&native10, 1, &snap, &p));
	net_snapshot_release(&snap);
	text = plan_text(&p);
	ASSERT_STREQ(text, "forward-delay br10\nenslave vtrunk\nup br10\n");
	ASSERT_EQ(p.actions[0].was, 1500);
	net_plan_release(&p);

	repair = ensure(&native10, 0, &d);
	ASSERT_STREQ(repair, text);
	assert_bridge_ok("br10", TRUNK);
	after = ensure(&native10, 0, &d);
	ASSERT_STREQ(after, "");
}

TEST(trunk_down_is_brought_up)
{
	_cleanup_(diag_release) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *first = NULL, *repair = NULL;

	fresh_netns();
	first = ensure(&native10, 0, &d);
	ASSERT_EQ(system("ip link set " TRUNK " down"), 0);
	ASSERT_IP(TRUNK, "\"UP\" in l[\"flags\"]", "False");
	repair = ensure(&native10, 0, &d);
	ASSERT_STREQ(repair, "up vtrunk\n");
	assert_bridge_ok("br10", TRUNK);
}

TEST(enslaved_elsewhere_is_refused)
{
	_cleanup_(diag_release) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *before = NULL, *after = NULL, *text = NULL;

	fresh_netns();
	ASSERT_EQ(system("ip link add br99 type bridge && ip link set " TRUNK " master br99"), 0);
	before = all_links();
	text = ensure(&native10, -EBUSY, &d);
	ASSERT_STREQ(text, "");
	ASSERT_EQ(d.n, 1);
	ASSERT_EQ(d.n_errors, 1);
	ASSERT_STREQ(d.v[0].msg, "'vtrunk' is enslaved to 'br99', not 'br10': refusing to move it");
	after = all_links();
	ASSERT_STREQ(after, before);
	ASSERT_FALSE(link_exists("br10"));
	ASSERT_IP(TRUNK, "l.get(\"master\")", "br99");
}

TEST(stp_on_is_refused)
{
	_cleanup_(diag_release) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *before = NULL, *after = NULL, *text = NULL;

	fresh_netns();
	ASSERT_EQ(system("ip link add br10 type bridge stp_state 1"), 0);
	before = all_links();
	text = ensure(&native10, -EBUSY, &d);
	ASSERT_EQ(d.n, 1);
	ASSERT_STREQ(d.v[0].msg, "bridge 'br10' has STP on: forward delay 0 needs STP off, and "
				 "STP is left as the admin set it");
	after = all_links();
	ASSERT_STREQ(after, before);
	ASSERT_SH("1", "cat /sys/class/net/br10/bridge/stp_state");
}

/* A failure after the bridge was created deletes it again: lo cannot be enslaved. */
TEST(failure_deletes_what_it_created)
{
	_cleanup_(diag_release) struct diag d = DIAG_INIT;
	const struct net_want lo = {.trunk = "lo", .vlan = 7, .bridge = "br7", .native = true};
	_cleanup_(freep) char *before = NULL, *after = NULL, *text = NULL;

	fresh_netns();
	before = all_links();
	text = ensure(&lo, -EINVAL, &d);
	ASSERT_EQ(d.n_errors, 1);
	ASSERT_STREQ(d.v[0].msg, "cannot enslave 'lo' to 'br7': Invalid input data or parameter");
	ASSERT_STREQ(d.v[1].msg, "deleted 'br7' again, which this run had created");
	ASSERT_FALSE(link_exists("br7"));
	after = all_links();
	ASSERT_STREQ(after, before);
}

/*
 * A tagged VLAN: on a kernel without 802.1q (this machine's) the first step fails with
 * libnl's text and nothing is left behind; on a kernel with it (the lab's dom0) the VLAN
 * link is checked like the bridge.
 */
TEST(tagged_vlan)
{
	_cleanup_(diag_release) struct diag d = DIAG_INIT;
	const struct net_want w = {.trunk = TRUNK, .vlan = 53, .bridge = "br53"};
	_cleanup_(freep) char *before = NULL, *after = NULL, *text = NULL, *probe = NULL;
	_cleanup_(freep) char *parent = NULL;

	fresh_netns();
	probe = sh("ip link add link " TRUNK " name probe.1 type vlan id 1 2>/dev/null && "
		   "ip link del probe.1 && echo yes");
	before = all_links();
	if (!probe) {
		text = ensure(&w, -EOPNOTSUPP, &d);
		ASSERT_EQ(d.n_errors, 1);
		ASSERT_STREQ(d.v[0].msg, "cannot create VLAN link 'vtrunk.53' (VLAN 53 on "
					 "'vtrunk'): Operation not supported");
		ASSERT_EQ(d.v[1].level, DIAG_NOTE);
		ASSERT_FALSE(link_exists("br53"));
		ASSERT_FALSE(link_exists("vtrunk.53"));
		after = all_links();
		ASSERT_STREQ(after, before);
		return;
	}
	text = ensure(&w, 0, &d);
	ASSERT_STREQ(text,
		     "create-vlan vtrunk.53\ncreate-bridge br53\nstp-off br53\n"
		     "forward-delay br53\nenslave vtrunk.53\nup vtrunk\nup vtrunk.53\nup br53\n");
	ASSERT_IP("vtrunk.53", "l[\"linkinfo\"][\"info_kind\"]", "vlan");
	ASSERT_IP("vtrunk.53", "l[\"linkinfo\"][\"info_data\"][\"id\"]", "53");
	ASSERT_IP("vtrunk.53", "l[\"linkinfo\"][\"info_data\"][\"protocol\"]", "802.1Q");
	parent = ip_field("vtrunk.53", "l[\"link\"]");
	ASSERT_STREQ(parent, TRUNK);
	assert_bridge_ok("br53", "vtrunk.53");
}

TEST_MAIN()
