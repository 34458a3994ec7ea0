/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The replayer of a harness (fuzz.h), for `meson test`: fuzz-replay-TARGET DIR|FILE... runs
 * every file (in name order, dot files left out) through fuzz_one(). A crash or a broken
 * property aborts; under ASan a leak fails the run at exit. A directory that does not exist
 * is skipped (tests/fuzz/regress/TARGET/ exists once a bug was found), but at least one input
 * must be replayed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/macro.h"
#include "common/util.h"
#include "fuzz.h"

static unsigned replay_file(const char *path)
{
	_cleanup_(freep) char *text = NULL;
	size_t len;
	int r;

	r = read_file(path, &text, &len);
	if (r < 0) {
		fprintf(stderr, "fuzz-replay: cannot read '%s': %s\n", path, strerror(-r));
		exit(1);
	}
	(void) fuzz_one((const uint8_t *) text, len);
	return 1;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_dot(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

static unsigned replay_dir(const char *dir)
{
	struct dirent **v;
	unsigned n = 0;
	int k = scandir(dir, &v, not_dot, name_cmp);

	if (k < 0) {
		fprintf(stderr, "fuzz-replay: cannot read '%s': %m\n", dir);
		exit(1);
	}
	for (int i = 0; i < k; i++) {
		_cleanup_(freep) char *path = NULL;
		struct stat st;

		if (asprintf(&path, "%s/%s", dir, v[i]->d_name) < 0)
			exit(1);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			n += replay_file(path);
		free(v[i]);
	}
	free(v);
	return n;
}

int main(int argc, char **argv)
{
	unsigned total = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		unsigned n;

		if (stat(argv[i], &st) < 0 && errno == ENOENT) {
			printf("%s: none\n", argv[i]);
			continue;
		}
		n = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]);
		printf("%s: %u inputs replayed\n", argv[i], n);
		total += n;
	}
	if (total == 0) {
		fprintf(stderr, "fuzz-replay: no input replayed\n");
		return 1;
	}
	return 0;
}
