/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * What happens to a domain after it shut down: the on_poweroff/on_reboot/on_crash policy that
 * xl applies itself (libxl leaves it to its caller), as a pure table plus the steps that carry
 * it out through a struct hv_ops. No libxl here.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/macro.h"
#include "hypervisor/hypervisor-internal.h"
#include "hypervisor/hypervisor.h"

static const char *const shutdown_names[_HV_SHUTDOWN_MAX] = {
	[HV_SHUTDOWN_POWEROFF] = "poweroff", [HV_SHUTDOWN_REBOOT] = "reboot",
	[HV_SHUTDOWN_SUSPEND] = "suspend",   [HV_SHUTDOWN_CRASH] = "crash",
	[HV_SHUTDOWN_WATCHDOG] = "watchdog", [HV_SHUTDOWN_SOFT_RESET] = "soft_reset",
	[HV_SHUTDOWN_UNKNOWN] = "unknown",
};

static const char *const event_names[_HV_EVENT_MAX] = {
	[HV_EVENT_SHUTDOWN] = "shutdown",
	[HV_EVENT_DEATH] = "death",
	[HV_EVENT_TIMEOUT] = "timeout",
	[HV_EVENT_WATCH] = "watch",
};

static const char *const next_names[_HV_NEXT_MAX] = {
	[HV_NEXT_LEAVE] = "leave",
	[HV_NEXT_DESTROY] = "destroy",
	[HV_NEXT_RESTART] = "restart",
	[HV_NEXT_PRESERVE] = "preserve",
	[HV_NEXT_RENAME_RESTART] = "rename-restart",
	[HV_NEXT_SOFT_RESET] = "soft-reset",
};

DEFINE_STRING_TABLE_TO(hv_shutdown, enum hv_shutdown, shutdown_names)

DEFINE_STRING_TABLE_TO(hv_event_type, enum hv_event_type, event_names)

DEFINE_STRING_TABLE_TO(hv_next_step, enum hv_next_step, next_names)

static struct hv_next next_for_action(enum hv_action a)
{
	switch (a) {
	case HV_ACTION_RESTART:
		return (struct hv_next){HV_NEXT_RESTART, false};
	case HV_ACTION_PRESERVE:
		return (struct hv_next){HV_NEXT_PRESERVE, false};
	case HV_ACTION_RENAME_RESTART:
		return (struct hv_next){HV_NEXT_RENAME_RESTART, false};
	case HV_ACTION_COREDUMP_DESTROY:
		return (struct hv_next){HV_NEXT_DESTROY, true};
	case HV_ACTION_COREDUMP_RESTART:
		return (struct hv_next){HV_NEXT_RESTART, true};
	case HV_ACTION_SOFT_RESET:
		return (struct hv_next){HV_NEXT_SOFT_RESET, false};
	case HV_ACTION_DESTROY:
	default:
		return (struct hv_next){HV_NEXT_DESTROY, false};
	}
}

struct hv_next hv_shutdown_next(enum hv_shutdown reason, const struct hv_domcfg *c)
{
	switch (reason) {
	case HV_SHUTDOWN_POWEROFF:
		return next_for_action(c->on_poweroff);
	case HV_SHUTDOWN_REBOOT:
		return next_for_action(c->on_reboot);
	case HV_SHUTDOWN_CRASH:
		return next_for_action(c->on_crash);
	case HV_SHUTDOWN_SUSPEND:
		return (struct hv_next){HV_NEXT_LEAVE, false};
	case HV_SHUTDOWN_SOFT_RESET:
		return next_for_action(HV_ACTION_SOFT_RESET);
	case HV_SHUTDOWN_WATCHDOG:
	case HV_SHUTDOWN_UNKNOWN:
	default:
		return next_for_action(HV_ACTION_DESTROY);
	}
}

int hv__preserve_suffix(time_t t, char buf[static HV__SUFFIX_MAX])
{
	struct tm tm;

	/* xl's suffix for rename-restart: UTC, to the minute. */
	if (!gmtime_r(&t, &tm) || strftime(buf, HV__SUFFIX_MAX, "-%Y%m%dT%H%MZ", &tm) == 0)
		return -EINVAL;
	return 0;
}

static int need_op(const void *op, const char *what, const struct hv_domcfg *c, struct diag *d)
{
	if (op)
		return 0;
	diag_add(d, DIAG_ERROR, NULL, "cannot %s domain '%s': not supported by this hypervisor",
		 what, c->name);
	return -EOPNOTSUPP;
}

static void core_dump(const struct hv_ops *ops, void *h, const struct hv_domcfg *c, uint32_t domid,
		      struct diag *d)
{
	_cleanup_(freep) char *path = NULL;
	struct diag sub = DIAG_INIT;

	if (!ops->core_dump || asprintf(&path, "%s/%s", HV_DUMP_DIR, c->name) < 0) {
		diag_add(d, DIAG_WARNING, NULL, "cannot dump the core of domain '%s', ignoring",
			 c->name);
		return;
	}
	if (ops->core_dump(h, domid, path, &sub) < 0) {
		/* xl goes on too: the dump is a bonus, the destroy or restart is the policy */
		for (size_t i = 0; i < sub.n; i++)
			diag_add(d, DIAG_WARNING, NULL, "%s, ignoring", sub.v[i].msg);
	}
	diag_release(&sub);
}

int hv_shutdown_apply(const struct hv_ops *ops, void *h, const struct hv_domcfg *c,
		      const char *console_log, enum hv_shutdown reason, uint32_t *domid_io,
		      struct hv_next *ret_next, struct diag *d)
{
	struct hv_next next = hv_shutdown_next(reason, c);
	uint32_t domid = *domid_io, new_domid;
	char suffix[HV__SUFFIX_MAX];
	int r;

	if (ret_next)
		*ret_next = next;
	if (next.coredump)
		core_dump(ops, h, c, domid, d);

	switch (next.step) {
	case HV_NEXT_LEAVE:
	case HV_NEXT_PRESERVE:
		return 0;
	case HV_NEXT_SOFT_RESET:
		r = need_op(ops->soft_reset, "soft-reset", c, d);
		if (r < 0)
			return r;
		return ops->soft_reset(h, c, domid, d);
	case HV_NEXT_RENAME_RESTART:
		r = need_op(ops->preserve, "preserve", c, d);
		if (r < 0)
			return r;
		r = hv__preserve_suffix(time(NULL), suffix);
		if (r < 0)
			return diag_error_errno(d, NULL, r, "cannot name the preserved domain '%s'",
						c->name);
		/* if this fails the old domain stays where it is and nothing is restarted (xl) */
		r = ops->preserve(h, c, domid, suffix, d);
		if (r < 0)
			return r;
		*domid_io = HV_DOMID_NONE;
		break;
	case HV_NEXT_DESTROY:
	case HV_NEXT_RESTART:
	default:
		r = ops->destroy(h, domid, d);
		if (r < 0 && r != -ENOENT)
			return r;
		*domid_io = HV_DOMID_NONE;
		if (next.step != HV_NEXT_RESTART)
			return 0;
		break;
	}

	r = ops->create(h, c, console_log, &new_domid, d);
	if (r < 0)
		return r;
	*domid_io = new_domid;
	return 0;
}

int hv_free_memory(const struct hv_ops *ops, const struct hv_open_opts *o, uint64_t *ret_mib,
		   struct diag *d)
{
	void *h = NULL;
	int r;

	r = ops->open(o, &h, d);
	if (r < 0)
		return r;
	r = ops->free_memory ? ops->free_memory(h, ret_mib, d) : -EOPNOTSUPP;
	ops->close(h);
	return r;
}

int hv_host_info(const struct hv_ops *ops, const struct hv_open_opts *o, struct hv_host_info *ret,
		 struct diag *d)
{
	void *h = NULL;
	int r;

	r = ops->open(o, &h, d);
	if (r < 0)
		return r;
	r = ops->host_info ? ops->host_info(h, ret, d) : -EOPNOTSUPP;
	ops->close(h);
	return r;
}

int hv_domain_destroy_by_name(const struct hv_ops *ops, void *h, const char *name, struct diag *d)
{
	uint32_t domid;
	int r;

	r = ops->domid(h, name, &domid, d);
	if (r < 0)
		return r;
	return ops->destroy(h, domid, d);
}
