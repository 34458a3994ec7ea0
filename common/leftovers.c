/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a killed write_file_atomic() leaves: found by the exact name it gives its temporary. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"

static void closedirp(DIR **d)
{
	if (*d)
		(void) closedir(*d);
}

/* name is base + ".tmp." + the X's of WRITE_ATOMIC_TMP, each one of mkostemp's characters */
static bool is_tmp_of(const char *name, const char *base)
{
	const char *pat = WRITE_ATOMIC_TMP;
	size_t l = strlen(base);

	if (strncmp(name, base, l) != 0)
		return false;
	for (name += l; *pat; name++, pat++) {
		if (*pat != 'X'
			    ? *name != *pat
			    : !((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') ||
				(*name >= '0' && *name <= '9')))
			return false;
	}
	return *name == 0;
}

int write_file_atomic_leftovers(const char *path, char ***ret)
{
	_cleanup_(closedirp) DIR *dir = NULL;
	_cleanup_(strv_freep) char **v = NULL;
	_cleanup_(freep) char *d = strdup(path);
	const char *base, *dname;
	struct dirent *de;
	char *slash;
	int n = 0;

	if (!d)
		return -ENOMEM;
	slash = strrchr(d, '/');
	if (slash) {
		*slash = 0;
		dname = slash == d ? "/" : d;
		base = slash + 1;
	} else {
		dname = ".";
		base = d;
	}
	dir = opendir(dname);
	if (!dir && errno != ENOENT)
		return -errno;
	while (dir && (errno = 0, de = readdir(dir))) {
		struct stat st;
		char *p;

		if (!is_tmp_of(de->d_name, base))
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue; /* gone meanwhile */
			return -errno;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (asprintf(&p, "%s/%s", dname, de->d_name) < 0)
			return -ENOMEM;
		if (strv_push_take(&v, p) < 0)
			return -ENOMEM;
		n++;
	}
	if (dir && errno)
		return -errno;
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(v);
	return n;
}
