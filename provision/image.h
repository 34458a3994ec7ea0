/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Golden images for the commands (provision/image.c, doc/images.md): capture a stopped guest
 * into a partition image:NAME, verify an image against its checksum, delete an image no live
 * guest was cloned from. The image commands (cmd-image.c) and batch's `install: once`.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "partition/partition.h"
#include "cmds.h"

struct hv_ops;
struct inv;
struct inv_image;
struct inv_lock;

struct prov_image {
	struct prov_ctx *ctx;
	const char *name;
	const char *who; /* actor for the events */
	struct inv *inv;
	struct inv_lock *lock, *guest_lock;
	struct inv_image *image; /* the image's row, when there is one */
	uint64_t size;		 /* capture: the partition carved */
	struct part_image_info info;
};

/*
 * Open the site's inventory (for writing, with the image's lock "image-NAME": one capture or
 * delete of it at a time on every Dom0) for image name. Returns: 0, -EDOM (not an image name),
 * < 0 with ctx->diag. Release with prov_image_release() in any case.
 */
int prov_image_open(struct prov_ctx *ctx, const char *name, bool write, struct prov_image *ret);
void prov_image_release(struct prov_image *im);

struct prov_capture {
	const char *guest;
	const char *lun;     /* NULL: any of the site's LUNs */
	bool force;	     /* capture a guest whose install stage is not recorded */
	const char *tmp_dir; /* NULL: $TMPDIR, else /var/tmp */
	const struct hv_ops *hv;
	int verbose;
	FILE *out; /* progress */
};

/*
 * Capture guest c->guest as image im->name: the guest must have a filesystem, its install
 * done (or c->force), and no domain of its name on this host (a host that is not a Xen dom0
 * runs none). The image partition of part_image_size() is reserved in the inventory, carved
 * as image:NAME under the LUN's lock, filled by part_image_capture() and recorded with its
 * checksum; on a failure after the reservation both are undone. im->image gets the row.
 * Returns: 0; -EEXIST (the name is taken), -ENOENT (no such guest), -EINVAL (not installed),
 * -EBUSY (it runs), -ENOSPC (no room), the capture's errors; with ctx->diag.
 */
int prov_image_capture(struct prov_image *im, const struct prov_capture *c);

/* part_image_verify() of im->image. Returns: 0, -EBADMSG (changed), < 0 with ctx->diag. */
int prov_image_verify(struct prov_image *im, uint64_t *ret_fs_bytes);

/*
 * Delete im->image: refused (-EBUSY, the clones named) while a live guest is a clone of it;
 * its partition is wiped and removed, then its row marked deleted.
 */
int prov_image_delete(struct prov_image *im);
