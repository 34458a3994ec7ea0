/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * The shutdown policy (xl's on_poweroff/on_reboot/on_crash handling, which libxl leaves to
 * provision) as a table over every reason and action, and hv_shutdown_apply() carrying it out
 * through a test double of struct hv_ops that records each call and can fail any of them.
 */

#include <stdio.h>
#include <time.h>

#include "common/diag.h"
#include "common/strbuf.h"
#include "hypervisor/hypervisor-internal.h"
#include "hypervisor/hypervisor.h"
#include "tests/unit/test.h"

/* ---- the double --------------------------------------------------------------------------- */

struct fake {
	struct strbuf calls; /* "destroy 5; create web1 console=x -> 6; " */
	uint32_t next_domid;
	const char *fail; /* name of the op that fails, or NULL */
	int fail_r;
	const char *running; /* name of the one domain that exists, with id running_id */
	uint32_t running_id;
};

static int fake_failing(struct fake *f, const char *op, struct diag *d)
{
	if (!f->fail || !streq(f->fail, op))
		return 0;
	if (f->fail_r != -ENOENT)
		diag_add(d, DIAG_ERROR, NULL, "fake %s failed", op);
	return f->fail_r;
}

static int fake_create(void *h, const struct hv_domcfg *cfg, const char *console_log,
		       uint32_t *ret_domid, struct diag *d)
{
	struct fake *f = h;
	int r = fake_failing(f, "create", d);

	strbuf_addf(&f->calls, "create %s console=%s", cfg->name, console_log ? console_log : "-");
	if (r < 0) {
		strbuf_puts(&f->calls, " failed; ");
		return r;
	}
	*ret_domid = f->next_domid++;
	strbuf_addf(&f->calls, " -> %u; ", *ret_domid);
	return 0;
}

static int fake_destroy(void *h, uint32_t domid, struct diag *d)
{
	struct fake *f = h;

	strbuf_addf(&f->calls, "destroy %u; ", domid);
	return fake_failing(f, "destroy", d);
}

static int fake_domid(void *h, const char *name, uint32_t *ret_domid, struct diag *d)
{
	struct fake *f = h;
	int r = fake_failing(f, "domid", d);

	strbuf_addf(&f->calls, "domid %s; ", name);
	if (r < 0)
		return r;
	if (!f->running || !streq(f->running, name))
		return -ENOENT;
	*ret_domid = f->running_id;
	return 0;
}

static int fake_preserve(void *h, const struct hv_domcfg *cfg, uint32_t domid, const char *suffix,
			 struct diag *d)
{
	struct fake *f = h;

	/* the suffix has the time in it: record its shape */
	strbuf_addf(&f->calls, "preserve %u as %s-YYYYmmddTHHMMZ(%zu); ", domid, cfg->name,
		    strlen(suffix));
	return fake_failing(f, "preserve", d);
}

static int fake_core_dump(void *h, uint32_t domid, const char *path, struct diag *d)
{
	struct fake *f = h;

	strbuf_addf(&f->calls, "core_dump %u %s; ", domid, path);
	return fake_failing(f, "core_dump", d);
}

static int fake_soft_reset(void *h, const struct hv_domcfg *cfg, uint32_t domid, struct diag *d)
{
	struct fake *f = h;

	strbuf_addf(&f->calls, "soft_reset %u; ", domid);
	return fake_failing(f, "soft_reset", d);
}

static const struct hv_ops fake_ops = {
	.name = "fake",
	.create = fake_create,
	.destroy = fake_destroy,
	.domid = fake_domid,
	.preserve = fake_preserve,
	.core_dump = fake_core_dump,
	.soft_reset = fake_soft_reset,
};

static const struct hv_ops minimal_ops = {
	.name = "minimal",
	.create = fake_create,
	.destroy = fake_destroy,
	.domid = fake_domid,
};

static struct hv_domcfg cfg_with(enum hv_action poweroff, enum hv_action reboot,
				 enum hv_action crash)
{
	return (struct hv_domcfg){.name = (char *) "web1",
				  .on_poweroff = poweroff,
				  .on_reboot = reboot,
				  .on_crash = crash};
}

/* ---- the policy --------------------------------------------------------------------------- */

TEST(policy_every_reason_and_action)
{
	static const struct {
		enum hv_action a;
		enum hv_next_step step;
		bool coredump;
	} act[] = {
		{HV_ACTION_DESTROY, HV_NEXT_DESTROY, false},
		{HV_ACTION_RESTART, HV_NEXT_RESTART, false},
		{HV_ACTION_PRESERVE, HV_NEXT_PRESERVE, false},
		{HV_ACTION_RENAME_RESTART, HV_NEXT_RENAME_RESTART, false},
		{HV_ACTION_COREDUMP_DESTROY, HV_NEXT_DESTROY, true},
		{HV_ACTION_COREDUMP_RESTART, HV_NEXT_RESTART, true},
		{HV_ACTION_SOFT_RESET, HV_NEXT_SOFT_RESET, false},
	};

	ASSERT_EQ(ELEMENTSOF(act), _HV_ACTION_MAX);
	for (size_t i = 0; i < ELEMENTSOF(act); i++) {
		/* the reason picks its own field and no other */
		struct hv_domcfg p = cfg_with(act[i].a, HV_ACTION_PRESERVE, HV_ACTION_PRESERVE);
		struct hv_domcfg r = cfg_with(HV_ACTION_PRESERVE, act[i].a, HV_ACTION_PRESERVE);
		struct hv_domcfg c = cfg_with(HV_ACTION_PRESERVE, HV_ACTION_PRESERVE, act[i].a);
		struct hv_next n;

		n = hv_shutdown_next(HV_SHUTDOWN_POWEROFF, &p);
		ASSERT_EQ(n.step, act[i].step);
		ASSERT_EQ(n.coredump, act[i].coredump);
		n = hv_shutdown_next(HV_SHUTDOWN_REBOOT, &r);
		ASSERT_EQ(n.step, act[i].step);
		ASSERT_EQ(n.coredump, act[i].coredump);
		n = hv_shutdown_next(HV_SHUTDOWN_CRASH, &c);
		ASSERT_EQ(n.step, act[i].step);
		ASSERT_EQ(n.coredump, act[i].coredump);
	}
}

TEST(policy_reasons_without_a_field)
{
	/* whatever the on_* fields say: xl's on_watchdog/on_soft_reset defaults, suspend left */
	struct hv_domcfg c = cfg_with(HV_ACTION_RESTART, HV_ACTION_RESTART, HV_ACTION_RESTART);
	struct hv_next n;

	n = hv_shutdown_next(HV_SHUTDOWN_SUSPEND, &c);
	ASSERT_EQ(n.step, HV_NEXT_LEAVE);
	n = hv_shutdown_next(HV_SHUTDOWN_WATCHDOG, &c);
	ASSERT_EQ(n.step, HV_NEXT_DESTROY);
	n = hv_shutdown_next(HV_SHUTDOWN_SOFT_RESET, &c);
	ASSERT_EQ(n.step, HV_NEXT_SOFT_RESET);
	n = hv_shutdown_next(HV_SHUTDOWN_UNKNOWN, &c);
	ASSERT_EQ(n.step, HV_NEXT_DESTROY);
	n = hv_shutdown_next((enum hv_shutdown) 42, &c);
	ASSERT_EQ(n.step, HV_NEXT_DESTROY);
	c.on_crash = (enum hv_action) 99; /* out of range: the safe default */
	n = hv_shutdown_next(HV_SHUTDOWN_CRASH, &c);
	ASSERT_EQ(n.step, HV_NEXT_DESTROY);
	ASSERT_FALSE(n.coredump);
}

TEST(names)
{
	ASSERT_STREQ(hv_shutdown_to_string(HV_SHUTDOWN_SOFT_RESET), "soft_reset");
	ASSERT_STREQ(hv_shutdown_to_string(HV_SHUTDOWN_WATCHDOG), "watchdog");
	ASSERT_NULL(hv_shutdown_to_string(_HV_SHUTDOWN_MAX));
	ASSERT_STREQ(hv_next_step_to_string(HV_NEXT_RENAME_RESTART), "rename-restart");
	ASSERT_NULL(hv_next_step_to_string(_HV_NEXT_INVALID));
	ASSERT_STREQ(hv_event_type_to_string(HV_EVENT_DEATH), "death");
	for (int i = 0; i < _HV_SHUTDOWN_MAX; i++)
		ASSERT_NOT_NULL(hv_shutdown_to_string(i));
	for (int i = 0; i < _HV_NEXT_MAX; i++)
		ASSERT_NOT_NULL(hv_next_step_to_string(i));
	for (int i = 0; i < _HV_EVENT_MAX; i++)
		ASSERT_NOT_NULL(hv_event_type_to_string(i));
}

TEST(preserve_suffix_like_xl)
{
	char buf[HV__SUFFIX_MAX];

	ASSERT_OK(hv__preserve_suffix((time_t) 1700000000, buf)); /* 2023-11-14 22:13:20 UTC */
	ASSERT_STREQ(buf, "-20231114T2213Z");
}

/* ---- applying it -------------------------------------------------------------------------- */

/* Apply for reason on domain 5 with cfg c; returns hv_shutdown_apply's result. */
static int apply(const struct hv_ops *ops, struct fake *f, struct hv_domcfg *c,
		 enum hv_shutdown reason, uint32_t *domid, struct hv_next *next, struct diag *d)
{
	*domid = 5;
	f->next_domid = 6;
	return hv_shutdown_apply(ops, f, c, "/s/guests/web1/console-boot.log", reason, domid, next,
				 d);
}

TEST(apply_steps)
{
	static const struct {
		enum hv_action on_reboot;
		const char *calls;
		uint32_t domid_after;
	} t[] = {
		{HV_ACTION_DESTROY, "destroy 5; ", HV_DOMID_NONE},
		{HV_ACTION_RESTART,
		 "destroy 5; create web1 console=/s/guests/web1/console-boot.log -> 6; ", 6},
		{HV_ACTION_PRESERVE, "", 5},
		{HV_ACTION_RENAME_RESTART,
		 "preserve 5 as web1-YYYYmmddTHHMMZ(15); create web1 "
		 "console=/s/guests/web1/console-boot.log -> 6; ",
		 6},
		{HV_ACTION_COREDUMP_DESTROY, "core_dump 5 /var/lib/xen/dump/web1; destroy 5; ",
		 HV_DOMID_NONE},
		{HV_ACTION_COREDUMP_RESTART,
		 "core_dump 5 /var/lib/xen/dump/web1; destroy 5; create web1 "
		 "console=/s/guests/web1/console-boot.log -> 6; ",
		 6},
		{HV_ACTION_SOFT_RESET, "soft_reset 5; ", 5},
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		struct hv_domcfg c = cfg_with(HV_ACTION_DESTROY, t[i].on_reboot, HV_ACTION_DESTROY);
		struct fake f = {0};
		struct diag d = DIAG_INIT;
		struct hv_next next;
		uint32_t domid;

		ASSERT_OK(apply(&fake_ops, &f, &c, HV_SHUTDOWN_REBOOT, &domid, &next, &d));
		if (!streq(strbuf_str(&f.calls), t[i].calls))
			fprintf(stderr, "%s: got '%s'\n", hv_action_to_string(t[i].on_reboot),
				strbuf_str(&f.calls));
		ASSERT_STREQ(strbuf_str(&f.calls), t[i].calls);
		ASSERT_EQ(domid, t[i].domid_after);
		ASSERT_EQ(d.n, 0);
		strbuf_release(&f.calls);
	}
}

TEST(apply_suspend_leaves_the_domain)
{
	struct hv_domcfg c = cfg_with(HV_ACTION_DESTROY, HV_ACTION_DESTROY, HV_ACTION_DESTROY);
	struct fake f = {0};
	struct diag d = DIAG_INIT;
	struct hv_next next;
	uint32_t domid;

	ASSERT_OK(apply(&fake_ops, &f, &c, HV_SHUTDOWN_SUSPEND, &domid, &next, &d));
	ASSERT_EQ(next.step, HV_NEXT_LEAVE);
	ASSERT_STREQ(strbuf_str(&f.calls), "");
	ASSERT_EQ(domid, 5);
	strbuf_release(&f.calls);
}

TEST(apply_failures)
{
	struct hv_domcfg c = cfg_with(HV_ACTION_COREDUMP_RESTART, HV_ACTION_RENAME_RESTART,
				      HV_ACTION_SOFT_RESET);
	struct fake f = {0};
	struct diag d = DIAG_INIT;
	uint32_t domid;

	/* a failed core dump is a warning; the restart still happens (as xl does) */
	f.fail = "core_dump", f.fail_r = -EIO;
	ASSERT_OK(apply(&fake_ops, &f, &c, HV_SHUTDOWN_POWEROFF, &domid, NULL, &d));
	ASSERT_EQ(domid, 6);
	ASSERT_EQ(d.n, 1);
	ASSERT_EQ(d.v[0].level, DIAG_WARNING);
	ASSERT_STREQ(d.v[0].msg, "fake core_dump failed, ignoring");
	diag_clear(&d);
	strbuf_release(&f.calls);

	/* destroying a domain that is already gone is fine; the restart goes on */
	f.fail = "destroy", f.fail_r = -ENOENT;
	ASSERT_OK(apply(&fake_ops, &f, &c, HV_SHUTDOWN_POWEROFF, &domid, NULL, &d));
	ASSERT_EQ(domid, 6);
	strbuf_release(&f.calls);

	/* any other destroy failure stops before creating anything */
	f.fail = "destroy", f.fail_r = -EBUSY;
	ASSERT_ERR(apply(&fake_ops, &f, &c, HV_SHUTDOWN_POWEROFF, &domid, NULL, &d), EBUSY);
	ASSERT_NULL(strstr(strbuf_str(&f.calls), "create"));
	ASSERT_EQ(domid, 5);
	ASSERT_STREQ(d.v[d.n - 1].msg, "fake destroy failed");
	diag_clear(&d);
	strbuf_release(&f.calls);

	/* create failing after the destroy: the old domain is gone, none runs */
	f.fail = "create", f.fail_r = -ENOMEM;
	ASSERT_ERR(apply(&fake_ops, &f, &c, HV_SHUTDOWN_POWEROFF, &domid, NULL, &d), ENOMEM);
	ASSERT_EQ(domid, HV_DOMID_NONE);
	diag_clear(&d);
	strbuf_release(&f.calls);

	/* rename-restart whose preserve fails leaves the old domain and creates nothing */
	f.fail = "preserve", f.fail_r = -EIO;
	ASSERT_ERR(apply(&fake_ops, &f, &c, HV_SHUTDOWN_REBOOT, &domid, NULL, &d), EIO);
	ASSERT_EQ(domid, 5);
	ASSERT_NULL(strstr(strbuf_str(&f.calls), "create"));
	diag_clear(&d);
	strbuf_release(&f.calls);

	/* a hypervisor without the optional operations says so */
	f.fail = NULL;
	ASSERT_ERR(apply(&minimal_ops, &f, &c, HV_SHUTDOWN_REBOOT, &domid, NULL, &d), EOPNOTSUPP);
	ASSERT_STREQ(d.v[0].msg, "cannot preserve domain 'web1': not supported by this hypervisor");
	diag_clear(&d);
	ASSERT_ERR(apply(&minimal_ops, &f, &c, HV_SHUTDOWN_CRASH, &domid, NULL, &d), EOPNOTSUPP);
	ASSERT_STREQ(d.v[0].msg,
		     "cannot soft-reset domain 'web1': not supported by this hypervisor");
	diag_clear(&d);
	/* no core_dump op: a warning, then the restart */
	ASSERT_OK(apply(&minimal_ops, &f, &c, HV_SHUTDOWN_POWEROFF, &domid, NULL, &d));
	ASSERT_EQ(domid, 6);
	ASSERT_EQ(d.v[0].level, DIAG_WARNING);
	ASSERT_STREQ(d.v[0].msg, "cannot dump the core of domain 'web1', ignoring");
	strbuf_release(&f.calls);
	diag_release(&d);
}

TEST(destroy_by_name)
{
	struct fake f = {.running = "web1", .running_id = 7};
	struct diag d = DIAG_INIT;

	ASSERT_OK(hv_domain_destroy_by_name(&fake_ops, &f, "web1", &d));
	ASSERT_STREQ(strbuf_str(&f.calls), "domid web1; destroy 7; ");
	strbuf_release(&f.calls);
	ASSERT_ERR(hv_domain_destroy_by_name(&fake_ops, &f, "web2", &d), ENOENT);
	ASSERT_STREQ(strbuf_str(&f.calls), "domid web2; ");
	ASSERT_EQ(d.n, 0);
	strbuf_release(&f.calls);
	f.fail = "domid", f.fail_r = -EIO;
	ASSERT_ERR(hv_domain_destroy_by_name(&fake_ops, &f, "web1", &d), EIO);
	ASSERT_EQ(d.n, 1);
	strbuf_release(&f.calls);
	diag_release(&d);
}

TEST_MAIN()
