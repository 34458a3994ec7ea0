/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The preconditions of a migration (migrate-run.h), each a line with what was found: those the
 * source can tell from the inventory, the guest's spec and its own Xen, and those only the
 * target can tell (`provision migrate-receive NAME --check` there prints them as
 * "check NAME ok|fail|busy FOUND" lines, which the source reads back as its own).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "inventory/inventory.h"
#include "network/network.h"
#include "partition/partition.h"
#include "templates/templates.h"
#include "cluster.h"
#include "guestcfg.h"
#include "migrate-run.h"
#include "net-site.h"
#include "pipeline.h"
#include "render.h"

#define MIB (UINT64_C(1) << 20)

static const char *const result_names[_CHECK_MAX] = {
	[CHECK_OK] = "ok",
	[CHECK_FAIL] = "fail",
	[CHECK_BAD_INPUT] = "bad-input",
	[CHECK_BUSY] = "busy",
};

DEFINE_STRING_TABLE(prov_check_result, enum prov_check_result, result_names)

void prov_checks_add(struct prov_checks *c, const char *name, enum prov_check_result res,
		     const char *fmt, ...)
{
	struct prov_check *n = realloc(c->v, (c->n + 1) * sizeof(*n));
	va_list ap;
	char *found = NULL;
	int k;

	if (!n)
		return;
	c->v = n;
	va_start(ap, fmt);
	k = vasprintf(&found, fmt, ap);
	va_end(ap);
	n[c->n] = (struct prov_check){strdup(name), res, k < 0 ? NULL : found};
	if (n[c->n].name && n[c->n].found)
		c->n++;
	else {
		free(n[c->n].name);
		free(n[c->n].found);
	}
}

void prov_checks_release(struct prov_checks *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].found);
	}
	free(c->v);
	*c = (struct prov_checks){0};
}

int prov_checks_status(const struct prov_checks *c)
{
	bool usage = false, busy = false, fail = false;

	for (size_t i = 0; i < c->n; i++) {
		usage |= c->v[i].result == CHECK_BAD_INPUT;
		busy |= c->v[i].result == CHECK_BUSY;
		fail |= c->v[i].result == CHECK_FAIL;
	}
	return usage ? EXIT_USAGE : busy ? EXIT_CONFLICT : fail ? EXIT_FAIL : EXIT_OK;
}

const struct prov_check *prov_checks_first_failed(const struct prov_checks *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].result != CHECK_OK)
			return &c->v[i];
	return NULL;
}

void prov_checks_print(const struct prov_checks *c, FILE *f)
{
	for (size_t i = 0; i < c->n; i++)
		fprintf(f, "%-5s %-10s %s\n", c->v[i].result == CHECK_OK ? "ok" : "FAIL",
			c->v[i].name, c->v[i].found);
}

void prov_checks_json(const struct prov_checks *c, struct json *j)
{
	json_key(j, "checks");
	json_arr_begin(j);
	for (size_t i = 0; i < c->n; i++) {
		json_obj_begin(j);
		json_key_str(j, "check", c->v[i].name);
		json_key_bool(j, "ok", c->v[i].result == CHECK_OK);
		json_key_str(j, "result", prov_check_result_to_string(c->v[i].result));
		json_key_str(j, "found", c->v[i].found);
		json_obj_end(j);
	}
	json_arr_end(j);
}

int prov_checks_parse_line(struct prov_checks *c, const char *line)
{
	char name[64], res[16];
	int off = 0;

	/* "check NAME RESULT FOUND..." */
	if (sscanf(line, "check %63s %15s %n", name, res, &off) != 2 || off == 0)
		return -EINVAL;
	if (prov_check_result_from_string(res) < 0)
		return -EINVAL;
	prov_checks_add(c, name, prov_check_result_from_string(res), "%s", line + off);
	return 0;
}

uint64_t prov_migrate_file_sum(const char *path)
{
	_cleanup_(freep) char *text = NULL;
	uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a 64 */
	size_t len = 0;

	if (read_file(path, &text, &len) < 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char) text[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/* ---- the source's -------------------------------------------------------------------------- */

static const char *xen_major(const char *v, char buf[static 16])
{
	snprintf(buf, 16, "%.*s", (int) strcspn(v ? v : "", "."), v ? v : "");
	return buf;
}

/* The target Dom0 and the Xen versions, from the inventory's hosts. */
static void check_hosts(struct prov_migrate_guest *mg, struct prov_checks *c, struct diag *d)
{
	const struct inv_host *self = NULL, *to = NULL;
	char a[16], b[16];

	for (size_t i = 0; i < mg->n_hosts; i++) {
		if (streq(mg->hosts[i].name, prov_host_self()))
			self = &mg->hosts[i];
		if (streq(mg->hosts[i].name, mg->to))
			to = &mg->hosts[i];
	}
	if (streq(mg->to, prov_host_self()))
		prov_checks_add(c, "target", CHECK_BAD_INPUT, "'%s' is this Dom0, where '%s' runs",
				mg->to, mg->name);
	else if (!to)
		prov_checks_add(c, "target", CHECK_BAD_INPUT,
				"no Dom0 '%s' in the inventory ('provision hosts' lists them)",
				mg->to);
	else
		prov_checks_add(c, "target", CHECK_OK, "Dom0 '%s' is registered", mg->to);
	if (!to || !self)
		return;
	if (!to->xen_version || !self->xen_version)
		prov_checks_add(c, "xen", CHECK_FAIL, "Xen version unknown on '%s'",
				to->xen_version ? self->name : to->name);
	else if (!streq(xen_major(to->xen_version, a), xen_major(self->xen_version, b)))
		prov_checks_add(c, "xen", CHECK_FAIL, "Xen %s here, %s on '%s': not the same major",
				self->xen_version, to->xen_version, to->name);
	else
		prov_checks_add(c, "xen", CHECK_OK, "Xen %s here, %s on '%s'", self->xen_version,
				to->xen_version, to->name);
}

/* Every disk of the boot config is the guest's partition on a shared LUN. */
static void check_devices(struct prov_migrate_guest *mg, struct prov_checks *c)
{
	const struct hv_domcfg *b = &mg->render->boot;
	_cleanup_(freep) char *alias = NULL;

	if (mg->g->has_partition && mg->g->part.partno)
		(void) part_alias_path(mg->g->part.lun, mg->g->part.partno, &alias);
	for (size_t i = 0; i < b->n_disks; i++)
		if (!alias || !streq(b->disks[i].target, alias)) {
			prov_checks_add(c, "devices", CHECK_FAIL,
					"disk '%s' (%s) is not the guest's partition on a shared "
					"LUN: local to this Dom0",
					b->disks[i].target, b->disks[i].vdev);
			return;
		}
	prov_checks_add(c, "devices", CHECK_OK,
			"disk '%s' on LUN '%s' (PARTUUID %s), swap a %" PRIu64
			" MiB file inside it",
			alias ? alias : "-", mg->g->part.lun,
			mg->g->part.partuuid ? mg->g->part.partuuid : "-", mg->t->swap_size / MIB);
}

void prov_migrate_check_source(struct prov_migrate_guest *mg, struct prov_checks *c, struct diag *d)
{
	_cleanup_(freep) char *cfg = guest_cfg_path(mg->site->config_dir, mg->name, "boot");

	if (mg->shared)
		prov_checks_add(c, "inventory", CHECK_OK, "%s, shared by the Dom0s", mg->backend);
	else
		prov_checks_add(c, "inventory", CHECK_BAD_INPUT,
				"%s: this Dom0's alone (a shared PostgreSQL inventory is needed)",
				mg->backend);
	check_hosts(mg, c, d);
	if (!mg->g->stage || !streq(mg->g->stage, "boot"))
		prov_checks_add(c, "guest", CHECK_BUSY, "'%s' is at stage %s (%s), not running",
				mg->name, mg->g->stage ? mg->g->stage : "none",
				inv_state_to_string(mg->g->state));
	else if (mg->domid == HV_DOMID_NONE)
		prov_checks_add(c, "guest", CHECK_BUSY, "'%s' does not run on this Dom0%s",
				mg->name, mg->hv_why ? mg->hv_why : "");
	else
		prov_checks_add(c, "guest", CHECK_OK,
				"'%s' runs here as domain %u (%" PRIu64 " MiB)", mg->name,
				mg->domid, mg->render->boot.memory_mib);
	/* found by the lab: libxc's live save fails at once ("Failed to enable logdirty",
	 * EOPNOTSUPP) on a Xen without shadow paging, and libxl calls that a guest that did
	 * not suspend; say so before anything moves */
	if (mg->live && mg->render->boot.type == HV_TYPE_PV && mg->pv_log_dirty == 0)
		prov_checks_add(
			c, "live", CHECK_FAIL,
			"Xen here cannot log a PV guest's dirty pages (built without shadow paging): '%s' cannot move live; --offline suspends it for the copy",
			mg->name);
	else if (mg->live && mg->render->boot.type == HV_TYPE_PV && mg->pv_log_dirty == 1)
		prov_checks_add(c, "live", CHECK_OK, "Xen here logs a PV guest's dirty pages");
	if (mg->busy)
		prov_checks_add(c, "lock", CHECK_BUSY, "another provision run holds guest '%s'",
				mg->name);
	check_devices(mg, c);
	if (cfg && access(cfg, R_OK) == 0)
		prov_checks_add(c, "config", CHECK_OK, "'%s' here", cfg);
	else
		prov_checks_add(c, "config", CHECK_FAIL, "no '%s' here", cfg ? cfg : "boot config");
}

/* ---- the target's -------------------------------------------------------------------------- */

/*
 * The guest's partition as this Dom0's kernel sees it: part_locate() reads the LUN's GPT afresh
 * (another Dom0 carved it) and tells the kernel about a partition it does not know yet (BLKPG),
 * then the stable name the boot config uses is made to point at it, as the disk stage does on
 * the Dom0 that carved it. Found through the GPT and sysfs, not /dev/disk/by-partuuid: a Dom0
 * need not have udev (the lab's dom0s have none, and no such links).
 */
static void check_partition(struct prov_migrate_guest *mg, struct prov_checks *c, struct diag *d)
{
	const struct hv_domcfg *b = &mg->render->boot;
	_cleanup_(part_result_release) struct part_result res = {0};
	struct part_guard g = {.luns = mg->site->luns};
	size_t mark = diag_mark(d);
	struct stat a, n;
	int r;

	if (!mg->g->part.partuuid || !mg->g->part.lun || b->n_disks == 0) {
		prov_checks_add(c, "partition", CHECK_FAIL, "guest '%s' has no carved partition",
				mg->name);
		return;
	}
	r = part_locate(&g, mg->g->part.lun, mg->g->part.partuuid, &res, d);
	if (r >= 0 && res.node)
		r = part_alias_ensure(res.lun, res.partno, res.node, NULL, d);
	if (r < 0) {
		_cleanup_(freep) char *why = diag_cause(d, mark);

		prov_checks_add(c, "partition", CHECK_FAIL, "PARTUUID %s not found here: %s",
				mg->g->part.partuuid, why ? why : "?");
	} else if (stat(b->disks[0].target, &a) < 0 || !S_ISBLK(a.st_mode))
		prov_checks_add(c, "partition", CHECK_FAIL, "no block device '%s' here",
				b->disks[0].target);
	else if (!res.node || stat(res.node, &n) < 0 || n.st_rdev != a.st_rdev)
		prov_checks_add(c, "partition", CHECK_FAIL,
				"'%s' here is not the partition with PARTUUID %s",
				b->disks[0].target, mg->g->part.partuuid);
	else
		prov_checks_add(c, "partition", CHECK_OK, "'%s' is PARTUUID %s here",
				b->disks[0].target, mg->g->part.partuuid);
	diag_truncate(d, mark);
}

static void check_bridge(struct prov_migrate_guest *mg, bool ensure, struct prov_checks *c,
			 struct diag *d)
{
	struct net_snapshot snap = {0};
	struct net_want want;
	struct net_plan plan = {0};
	size_t mark = diag_mark(d);
	bool have;

	if (prov_net_want(mg->site, mg->t->vlan, d, &want) < 0 || net_snapshot_read(d, &snap) < 0) {
		_cleanup_(freep) char *why = diag_cause(d, mark);

		prov_checks_add(c, "bridge", CHECK_FAIL, "cannot tell: %s", why ? why : "?");
		diag_truncate(d, mark);
		return;
	}
	have = net_snapshot_find(&snap, want.bridge) != NULL;
	net_snapshot_release(&snap);
	if (!have && ensure && net_ensure(&want, 1, false, d, &plan) >= 0) {
		prov_checks_add(c, "bridge", CHECK_OK, "'%s' for VLAN %u made here", want.bridge,
				want.vlan);
	} else if (!have) {
		prov_checks_add(c, "bridge", CHECK_FAIL, "no bridge '%s' for VLAN %u here%s",
				want.bridge, want.vlan, ensure ? " (and it cannot be made)" : "");
	} else {
		prov_checks_add(c, "bridge", CHECK_OK, "'%s' for VLAN %u here", want.bridge,
				want.vlan);
	}
	net_plan_release(&plan);
	diag_truncate(d, mark);
}

void prov_migrate_check_target(struct prov_migrate_guest *mg, bool ensure, uint64_t config_sum,
			       struct prov_checks *c, struct diag *d)
{
	_cleanup_(freep) char *cfg = guest_cfg_path(mg->site->config_dir, mg->name, "boot");
	uint64_t mem = mg->render->boot.memory_mib, sum;

	if (mg->hv_why)
		prov_checks_add(c, "xen-here", CHECK_FAIL, "%s", mg->hv_why + 2); /* ", why" */
	else if (mg->domid != HV_DOMID_NONE)
		prov_checks_add(c, "domain", CHECK_BUSY, "a domain '%s' runs here already (%u)",
				mg->name, mg->domid);
	else
		prov_checks_add(c, "domain", CHECK_OK, "no domain '%s' here", mg->name);
	check_partition(mg, c, d);
	check_bridge(mg, ensure, c, d);
	if (mg->hv_why)
		prov_checks_add(c, "memory", CHECK_FAIL, "cannot tell: no Xen here");
	else if (mg->free_mib < mem)
		prov_checks_add(c, "memory", CHECK_FAIL,
				"%" PRIu64 " MiB free here, '%s' needs %" PRIu64, mg->free_mib,
				mg->name, mem);
	else
		prov_checks_add(c, "memory", CHECK_OK,
				"%" PRIu64 " MiB free here, '%s' needs %" PRIu64, mg->free_mib,
				mg->name, mem);
	sum = cfg ? prov_migrate_file_sum(cfg) : 0;
	if (!sum)
		prov_checks_add(c, "shared-config", CHECK_FAIL, "no '%s' here",
				cfg ? cfg : "boot config");
	else if (config_sum && sum != config_sum)
		prov_checks_add(c, "shared-config", CHECK_FAIL,
				"'%s' here differs from the source's: config_dir is not shared",
				cfg);
	else
		prov_checks_add(c, "shared-config", CHECK_OK, "'%s' here is the source's", cfg);
}
