/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision template show NAME: every value after extends: is applied. Text is a template
 * itself (YAML), each value followed by the file and line it came from; --json has numbers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "templates/templates.h"
#include "cmds.h"
#include "prov.h"

static void json_strv(struct json *j, const char *key, char *const *v)
{
	json_key(j, key);
	json_arr_begin(j);
	for (; v && *v; v++)
		json_str(j, *v);
	json_arr_end(j);
}

static void print_json(struct json *j, const struct tmpl_guest *t)
{
	json_key_str(j, "name", t->name);
	json_key_str(j, "path", t->path);
	json_strv(j, "files", t->files);
	json_key_str(j, "description", t->description);
	json_key_str(j, "type", tmpl_guest_type_to_string(t->type));
	json_key_uint(j, "memory_bytes", t->memory_mib << 20);
	json_key_uint(j, "maxmem_bytes", (t->maxmem_mib ? t->maxmem_mib : t->memory_mib) << 20);
	json_key_uint(j, "vcpus", t->vcpus);
	json_key_str(j, "cpus", t->cpus);
	json_key_uint(j, "disk_bytes", t->disk_size);
	json_key_uint(j, "swap_bytes", t->swap_size);
	json_key(j, "vlan");
	if (t->vlan)
		json_uint(j, t->vlan);
	else
		json_null(j);
	json_key_str(j, "kernel", t->kernel);
	json_key_str(j, "root", t->root);
	json_key_str(j, "extra", t->extra);
	json_key(j, "install");
	json_obj_begin(j);
	json_key_str(j, "extra", t->install_extra);
	json_strv(j, "classes", t->fai_classes);
	json_key(j, "timeout_s");
	if (t->install_timeout_s)
		json_uint(j, t->install_timeout_s);
	else
		json_null(j);
	json_obj_end(j);
	json_key(j, "boot");
	json_obj_begin(j);
	json_key(j, "timeout_s");
	if (t->boot_timeout_s)
		json_uint(j, t->boot_timeout_s);
	else
		json_null(j);
	json_obj_end(j);
	json_key(j, "hvm");
	if (t->type == TMPL_GUEST_HVM) {
		json_obj_begin(j);
		json_key_str(j, "firmware", t->hvm.firmware);
		json_key_str(j, "nic_model", t->hvm.nic_model);
		json_key_str(j, "cdrom", t->hvm.cdrom);
		json_key_str(j, "boot", t->hvm.boot);
		json_key_bool(j, "vnc", t->hvm.vnc);
		json_obj_end(j);
	} else {
		json_null(j);
	}
}

static int cmd_template_show(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = NULL;
	int r;

	r = tmpl_guest_load(ctx->site, argv[1], &ctx->diag, &t);
	if (r < 0) /* an unknown, missing or invalid template is bad input */
		return r == -EINVAL || r == -ENOENT ? EXIT_USAGE : EXIT_FAIL;
	if (prov_json(ctx)) {
		print_json(prov_json(ctx), t);
	} else {
		_cleanup_(freep) char *text = NULL;

		if (tmpl_guest_to_yaml(t, true, &text) < 0)
			return EXIT_FAIL;
		fputs(text, stdout);
	}
	return EXIT_OK;
}

const struct cmd prov_cmd_template_show = {
	.name = "template show",
	.fn = cmd_template_show,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE,
	.args = "NAME",
	.help = "show a template's values after extends:, and where each came from",
	.options = NULL,
};
