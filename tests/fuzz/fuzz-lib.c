/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the harnesses (fuzz.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/util.h"
#include "fuzz.h"

static char *tmpdir;

_Noreturn void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fuzz: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

void fuzz_diag_print(const struct diag *d)
{
	static FILE *null;

	if (!null)
		null = getenv("FUZZ_VERBOSE") ? stderr : fopen("/dev/null", "we");
	if (!null)
		fuzz_fail("cannot open /dev/null: %m");
	diag_print(d, null, "provision");
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		fuzz_fail("out of memory");
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

static void tmpdir_remove(void)
{
	if (tmpdir)
		(void) rm_rf_at(AT_FDCWD, tmpdir);
	free(tmpdir);
	tmpdir = NULL;
}

const char *fuzz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir)
		return tmpdir;
	if (asprintf(&tmpdir, "%s/provision-fuzz.XXXXXX", base && *base ? base : "/tmp") < 0 ||
	    !mkdtemp(tmpdir))
		fuzz_fail("cannot make a scratch directory: %m");
	atexit(tmpdir_remove);
	return tmpdir;
}

void fuzz_write(const char *dir, const char *name, const void *data, size_t size)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, data, size) < 0)
		fuzz_fail("cannot write '%s': %m", path);
	close(fd);
}

void fuzz_unlink(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (unlink(path) < 0 && errno != ENOENT)
		fuzz_fail("cannot remove '%s': %m", path);
}
