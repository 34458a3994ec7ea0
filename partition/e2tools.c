/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * e2fsprogs' own tools for what they do best on an unmounted ext4 (check, resize, a new
 * UUID: tune2fs rewrites the metadata checksums that depend on it), and ssh-keygen, all run
 * from an argv (common/run.h), never a shell. On an image file a region is named
 * "IMAGE?offset=N" (libext2fs's unix_io reads the offset from the name); resize2fs is then
 * always given the size, so it never guesses the region's end from the file's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/run.h"
#include "common/util.h"
#include "partition/partition-internal.h"

static char *region_spec(const struct part__region *rg)
{
	char *s;

	if (!rg->offset)
		return strdup(rg->path);
	if (asprintf(&s, "%s?offset=%llu", rg->path, (unsigned long long) rg->offset) < 0)
		return NULL;
	return s;
}

/* Run argv; an exit status up to ok_max is success. The tool's last words go into d. */
static int run_tool(char **argv, int ok_max, const struct part__region *rg, const char *what,
		    struct diag *d)
{
	struct run_child c = {.argv = argv,
			      .die_with_parent = true,
			      .err = {.io = RUN_PIPE, .cap = 4096, .keep_tail = true},
			      .out = {.io = RUN_PIPE, .cap = 4096, .keep_tail = true}};
	int r = run_command(&c);

	if (r < 0) {
		diag_error_errno(d, NULL, r, "cannot run '%s'", argv[0]);
	} else if (r > ok_max) {
		const char *err = strbuf_str(&c.err.buf);
		int len;

		if (!*err)
			err = strbuf_str(&c.out.buf);
		len = (int) strlen(err);
		while (len > 0 && (err[len - 1] == '\n' || err[len - 1] == ' '))
			len--;
		diag_error(d, NULL,
			   "cannot %s the ext4 in '%s' at offset %llu: %s exited with %d%s%.*s",
			   what, rg->path, (unsigned long long) rg->offset, argv[0], r,
			   len ? ": " : "", len, err);
		r = -EIO;
	} else {
		r = 0;
	}
	run_child_release(&c);
	return r;
}

int part__e2fsck(const struct part__region *rg, const char *opt, struct diag *d)
{
	_cleanup_(freep) char *spec = region_spec(rg);
	char *argv[] = {"e2fsck", "-f", (char *) opt, spec, NULL};

	if (!spec)
		return -ENOMEM;
	/* 1: errors corrected; 2: corrected, reboot (a mounted root: not ours) */
	return run_tool(argv, 1, rg, "check", d);
}

int part__resize2fs(const struct part__region *rg, uint64_t size, struct diag *d)
{
	_cleanup_(freep) char *spec = region_spec(rg);
	char blocks[32];
	char *argv[] = {"resize2fs", size ? spec : "-M", size ? blocks : spec, NULL};

	if (!spec)
		return -ENOMEM;
	snprintf(blocks, sizeof(blocks), "%lluK", (unsigned long long) (size / 1024));
	return run_tool(argv, 0, rg, size ? "grow" : "shrink", d);
}

int part__tune2fs(const struct part__region *rg, const char *uuid, const char *label,
		  struct diag *d)
{
	_cleanup_(freep) char *spec = region_spec(rg);
	char *argv[8];
	size_t n = 0;

	if (!spec)
		return -ENOMEM;
	argv[n++] = "tune2fs";
	if (uuid) {
		argv[n++] = "-U";
		argv[n++] = (char *) uuid;
	}
	if (label) {
		argv[n++] = "-L";
		argv[n++] = (char *) label;
	}
	argv[n++] = spec;
	argv[n] = NULL;
	return run_tool(argv, 0, rg, "relabel", d);
}

/* Each file dir/ssh_host_* as a WRITE edit of /etc/ssh/NAME. */
static int keys_collect(const char *dir, struct part__edits *e, struct diag *d)
{
	_cleanup_(strv_freep) char **names = NULL;
	struct dirent *de;
	DIR *dp = opendir(dir);
	int r = 0;

	if (!dp)
		return diag_error_errno(d, NULL, -errno, "cannot open '%s'", dir);
	while (r >= 0 && (de = readdir(dp)))
		if (strncmp(de->d_name, "ssh_host_", 9) == 0)
			r = strv_push(&names, de->d_name);
	(void) closedir(dp);
	for (size_t i = 0; r >= 0 && names && names[i]; i++) {
		_cleanup_(freep) char *src = NULL, *dst = NULL, *data = NULL;
		size_t len = strlen(names[i]), n = 0;
		bool pub = len > 4 && streq(names[i] + len - 4, ".pub");

		if (asprintf(&src, "%s/%s", dir, names[i]) < 0 ||
		    asprintf(&dst, "/etc/ssh/%s", names[i]) < 0)
			return -ENOMEM;
		r = read_file(src, &data, &n);
		if (r < 0)
			return diag_error_errno(d, NULL, r, "cannot read '%s'", src);
		r = part__edits_add(e, PART__EDIT_WRITE, dst, data, n, pub ? 0644 : 0600);
	}
	return r < 0 ? r : 0;
}

int part__ssh_host_keys(const char *tmp_dir, struct part__edits *e, struct diag *d)
{
	_cleanup_(freep) char *tmp = NULL, *ssh = NULL;
	struct part__region none = {.path = "ssh-keygen", .fd = -1};
	int r;

	if (asprintf(&tmp, "%s/provision-keys.XXXXXX", tmp_dir ? tmp_dir : "/var/tmp") < 0)
		return -ENOMEM;
	if (!mkdtemp(tmp))
		return diag_error_errno(d, NULL, -errno, "cannot create a directory in '%s'",
					tmp_dir ? tmp_dir : "/var/tmp");
	if (asprintf(&ssh, "%s/etc/ssh", tmp) < 0)
		r = -ENOMEM;
	else
		r = mkdir_parents(ssh, 0700) < 0 || mkdir(ssh, 0700) < 0 ? -errno : 0;
	if (r < 0) {
		diag_error_errno(d, NULL, r, "cannot create '%s'", ssh ? ssh : tmp);
	} else {
		/* -A: every key type this OpenSSH makes by default, under the prefix -f */
		char *argv[] = {"ssh-keygen", "-q", "-A", "-f", tmp, NULL};

		r = run_tool(argv, 0, &none, "make SSH host keys for", d);
	}
	if (r >= 0)
		r = keys_collect(ssh, e, d);
	(void) rm_rf_at(AT_FDCWD, tmp);
	return r;
}
