/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision image capture GUEST IMAGE [--lun LUN] [--force]
 * provision image list
 * provision image show IMAGE [--verify]
 * provision image delete IMAGE
 * Golden images (doc/images.md): the work is in provision/image.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "cluster.h"
#include "image.h"
#include "part-site.h"
#include "pipeline.h"

static const char *image_state(const struct inv_image *im)
{
	return im->deleted_usec ? "deleted" : im->checksum ? "captured" : "pending";
}

static void json_image(struct json *j, const struct inv_image *im)
{
	json_obj_begin(j);
	json_key_str(j, "name", im->name);
	json_key_str(j, "state", image_state(im));
	json_key_str(j, "lun", im->lun);
	json_key_str(j, "partuuid", im->partuuid);
	json_key(j, "partno");
	if (im->partno)
		json_uint(j, im->partno);
	else
		json_null(j);
	json_key_uint(j, "start", im->start);
	json_key_uint(j, "size", im->size);
	json_key_uint(j, "fs_bytes", im->fs_bytes);
	json_key_uint(j, "used_bytes", im->used_bytes);
	json_key_str(j, "checksum", im->checksum);
	json_key_str(j, "source", im->source);
	json_key_str(j, "template", im->template_name);
	json_key_time_usec(j, "created", im->created_usec);
	json_key(j, "deleted");
	if (im->deleted_usec)
		json_time_usec(j, im->deleted_usec);
	else
		json_null(j);
	json_obj_end(j);
}

static const struct cmd_option capture_options[] = {
	{"lun", 0, "LUN", "carve the image partition on this LUN (default: any of the site's)"},
	{"force", 'f', NULL, "capture a guest whose install stage is not recorded"},
	{NULL},
};

static int cmd_image_capture(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(freep) char *who = pipeline_who(NULL);
	struct prov_image im;
	struct prov_capture c = {
		.guest = argv[1],
		.lun = opt_get(ctx, "lun"),
		.force = opt_flag(ctx, "force"),
		.hv = &hv_libxl_ops,
		.verbose = ctx->verbose,
		.out = ctx->json ? stderr : stdout,
	};
	struct json *j = prov_json(ctx);
	char b1[32], b2[32], b3[32];
	int r;

	if (!who)
		return prov_finish(ctx, EXIT_FAIL);
	if (!hostname_label_valid(argv[2]))
		return usage_error(ctx, "'%s' is not an image name (a host name label)", argv[2]);
	r = prov_image_open(ctx, argv[2], true, &im);
	im.who = who;
	if (r >= 0 && c.lun) {
		struct part_guard g;

		prov_part_guard(ctx, &g);
		r = prov_part_lun(ctx, &g, c.lun, &c.lun);
	}
	if (r >= 0) {
		fprintf(c.out, "capturing guest '%s' as image '%s'\n", c.guest, argv[2]);
		fflush(c.out);
		r = prov_image_capture(&im, &c);
	}
	if (r >= 0 && j) {
		json_key(j, "image");
		json_image(j, im.image);
		json_key(j, "copy");
		json_obj_begin(j);
		json_key_uint(j, "bytes_read", im.info.copy.bytes_read);
		json_key_uint(j, "bytes_written", im.info.copy.bytes_written);
		json_key_uint(j, "reads", im.info.copy.reads);
		json_key_bool(j, "staged", im.info.staged);
		json_obj_end(j);
	} else if (r >= 0) {
		printf("ok: image '%s' captured from '%s': partition %u on %s (%s), ext4 %s, %s used, read %s of the guest\n",
		       im.name, c.guest, im.image->partno, im.image->lun,
		       format_size(im.image->size, b1, sizeof(b1)),
		       format_size(im.image->fs_bytes, b2, sizeof(b2)),
		       format_size(im.image->used_bytes, b3, sizeof(b3)),
		       format_size(im.info.copy.bytes_read, b1, sizeof(b1)));
		printf("sha256 %s\n", im.image->checksum);
	}
	prov_image_release(&im);
	return prov_finish(ctx, prov_exit_status(r));
}

static int cmd_image_list(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(inv_closep) struct inv *inv = NULL;
	struct json *j = prov_json(ctx);
	struct inv_image *v = NULL;
	unsigned flags = opt_flag(ctx, "all") ? INV_LIST_DESTROYED : 0;
	char b1[32], b2[32], b3[32];
	size_t n = 0;
	int r;

	r = prov_inv_open(ctx, INV_OPEN_READONLY, &inv);
	if (r >= 0)
		r = inv_image_list(inv, flags, &ctx->diag, &v, &n);
	if (r < 0)
		return prov_finish(ctx, prov_exit_status(r));
	if (j) {
		json_key(j, "images");
		json_arr_begin(j);
		for (size_t i = 0; i < n; i++)
			json_image(j, &v[i]);
		json_arr_end(j);
	} else {
		printf("%-16s %-9s %-8s %-8s %-8s %-16s %s\n", "IMAGE", "STATE", "SIZE", "EXT4",
		       "USED", "SOURCE", "PARTITION");
		for (size_t i = 0; i < n; i++)
			printf("%-16s %-9s %-8s %-8s %-8s %-16s %s %u\n", v[i].name,
			       image_state(&v[i]), format_size(v[i].size, b1, sizeof(b1)),
			       format_size(v[i].fs_bytes, b2, sizeof(b2)),
			       format_size(v[i].used_bytes, b3, sizeof(b3)), v[i].source, v[i].lun,
			       v[i].partno);
	}
	inv_image_array_free(v, n);
	return prov_finish(ctx, EXIT_OK);
}

/* prov_image_open() and the image called name in im->image, or "no image" in the diag. */
static int image_open_get(struct prov_ctx *ctx, const char *name, bool write, struct prov_image *im)
{
	int r;

	r = prov_image_open(ctx, name, write, im);
	if (r >= 0) {
		r = inv_image_get(im->inv, name, &ctx->diag, &im->image);
		if (r == -ENOENT)
			diag_error(&ctx->diag, NULL, "no image '%s' in the inventory", name);
	}
	return r;
}

static int cmd_image_show(struct prov_ctx *ctx, int argc, char **argv)
{
	struct json *j = prov_json(ctx);
	struct prov_image im;
	struct inv_guest *cl = NULL;
	size_t n = 0;
	uint64_t fs = 0;
	bool verify = opt_flag(ctx, "verify");
	char b1[32], b2[32], b3[32];
	int r, v = 0;

	r = image_open_get(ctx, argv[1], false, &im);
	if (r == -EDOM) {
		prov_image_release(&im);
		return prov_finish(ctx, EXIT_USAGE);
	}
	if (r >= 0)
		r = inv_image_clones(im.inv, im.image->id, &ctx->diag, &cl, &n);
	if (r >= 0 && verify)
		v = prov_image_verify(&im, &fs);
	if (r >= 0 && j) {
		json_key(j, "image");
		json_image(j, im.image);
		json_key(j, "clones");
		json_arr_begin(j);
		for (size_t i = 0; i < n; i++)
			json_str(j, cl[i].name);
		json_arr_end(j);
		json_key(j, "verified");
		if (verify)
			json_bool(j, v >= 0);
		else
			json_null(j);
	} else if (r >= 0) {
		const struct inv_image *i = im.image;

		printf("image:      %s (%s)\n", i->name, image_state(i));
		printf("partition:  %u on %s, PARTUUID %s, %s at %s\n", i->partno, i->lun,
		       i->partuuid ? i->partuuid : "-", format_size(i->size, b1, sizeof(b1)),
		       format_size(i->start, b2, sizeof(b2)));
		printf("ext4:       %s, %s used (what a clone copies)\n",
		       format_size(i->fs_bytes, b1, sizeof(b1)),
		       format_size(i->used_bytes, b3, sizeof(b3)));
		printf("source:     guest '%s', template %s\n", i->source,
		       i->template_name ? i->template_name : "-");
		printf("sha256:     %s\n", i->checksum ? i->checksum : "- (not captured)");
		printf("clones:     %zu live", n);
		for (size_t k = 0; k < n; k++)
			printf("%s%s", k ? ", " : ": ", cl[k].name);
		putchar('\n');
		if (verify)
			printf("verified:   %s\n",
			       v >= 0 ? "ok, the partition matches the checksum" : "FAILED");
	}
	inv_guest_array_free(cl, n);
	prov_image_release(&im);
	if (r >= 0 && v < 0)
		r = v;
	return prov_finish(ctx, prov_exit_status(r));
}

static int cmd_image_delete(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(freep) char *who = pipeline_who(NULL);
	struct json *j = prov_json(ctx);
	struct prov_image im;
	int r;

	if (!who)
		return prov_finish(ctx, EXIT_FAIL);
	r = image_open_get(ctx, argv[1], true, &im);
	im.who = who;
	if (r == -EDOM) {
		prov_image_release(&im);
		return prov_finish(ctx, EXIT_USAGE);
	}
	if (r >= 0)
		r = prov_image_delete(&im);
	if (j) {
		json_key_str(j, "name", argv[1]);
		json_key_bool(j, "deleted", r >= 0);
	} else if (r >= 0) {
		printf("ok: image '%s' deleted, partition %u on %s removed\n", argv[1],
		       im.image->partno, im.image->lun);
	}
	prov_image_release(&im);
	return prov_finish(ctx, prov_exit_status(r));
}

static const struct cmd_option list_options[] = {
	{"all", 'a', NULL, "also deleted images"},
	{NULL},
};

static const struct cmd_option show_options[] = {
	{"verify", 0, NULL, "read the image and check it against its checksum"},
	{NULL},
};

const struct cmd prov_cmd_image_capture = {
	.name = "image capture",
	.fn = cmd_image_capture,
	.min_args = 2,
	.max_args = 2,
	.flags = CMD_SITE | CMD_LUNS,
	.args = "GUEST IMAGE",
	.help = "capture a stopped guest's filesystem as golden image IMAGE",
	.options = capture_options,
};

const struct cmd prov_cmd_image_list = {
	.name = "image list",
	.fn = cmd_image_list,
	.min_args = 0,
	.max_args = 0,
	.flags = CMD_SITE,
	.args = "",
	.help = "list the golden images",
	.options = list_options,
};

const struct cmd prov_cmd_image_show = {
	.name = "image show",
	.fn = cmd_image_show,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_LUNS,
	.args = "IMAGE",
	.help = "show a golden image and its clones (--verify: check its checksum)",
	.options = show_options,
};

const struct cmd prov_cmd_image_delete = {
	.name = "image delete",
	.fn = cmd_image_delete,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_LUNS,
	.args = "IMAGE",
	.help = "delete a golden image no live guest was cloned from",
	.options = NULL,
};
