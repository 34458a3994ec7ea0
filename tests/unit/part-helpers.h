/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Helpers for the partition/ integration tests (images and loop devices): sparse images,
 * shell referees (sfdisk --json, blkid -p, debugfs, e2fsck) and a checksum of a sparse file
 * that reads only its data (a 200 GiB image is mostly holes).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "partition/partition.h"
#include "tests/unit/test.h"

#define M (UINT64_C(1) << 20)
#define G (UINT64_C(1) << 30)

/* sfdisk --json on stdin -> "LABEL N" */
#define TH_SFDISK_SUMMARY                                                                          \
	"python3 -c 'import json,sys; t=json.load(sys.stdin)[\"partitiontable\"]; "                \
	"print(t[\"label\"], len(t.get(\"partitions\", [])))'"
/* sfdisk --json on stdin -> "NO:START:SIZE:NAME ..." (sectors) */
#define TH_SFDISK_PARTS                                                                            \
	"python3 -c 'import json,sys,re; t=json.load(sys.stdin)[\"partitiontable\"]; "             \
	"print(\" \".join(\"%%s:%%d:%%d:%%s\" %% (re.search(r\"(\\d+)$\", p[\"node\"]).group(1), " \
	"p[\"start\"], p[\"size\"], p.get(\"name\", \"\")) for p in t[\"partitions\"]))'"
/* sfdisk --json on stdin -> name of partition N */
#define TH_SFDISK_PART(n)                                                                          \
	"python3 -c 'import json,sys,re; t=json.load(sys.stdin)[\"partitiontable\"]; "             \
	"print([p.get(\"name\", \"\") for p in t[\"partitions\"] "                                 \
	"if re.search(r\"(\\d+)$\", p[\"node\"]).group(1) == \"" #n "\"][0])'"

static char th__dir[64];

static inline void th__rmdir(void)
{
	(void) rmdir(th__dir); /* only if the tests removed their files: keep evidence */
}

static inline const char *th_dir(void)
{
	if (!th__dir[0]) {
		snprintf(th__dir, sizeof(th__dir), "/tmp/prov-part.XXXXXX");
		if (!mkdtemp(th__dir))
			abort();
		atexit(th__rmdir);
	}
	return th__dir;
}

/* A new sparse image of size bytes in the test's directory; the caller frees the path. */
static inline char *th_image(const char *name, uint64_t size)
{
	char *p = NULL;
	int fd;

	if (asprintf(&p, "%s/%s", th_dir(), name) < 0)
		abort();
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t) size) < 0)
		abort();
	close(fd);
	return p;
}

static inline void th_unlink(const char *path)
{
	(void) unlink(path);
}

/* Run a shell command line; its stdout without the trailing newline (caller frees). */
static inline _printf_(1, 2) char *th_sh(const char *fmt, ...)
{
	struct strbuf cmd = STRBUF_INIT, out = STRBUF_INIT;
	char buf[4096];
	va_list ap;
	size_t n;
	FILE *f;
	char *s;

	va_start(ap, fmt);
	strbuf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	f = popen(strbuf_str(&cmd), "r");
	if (!f)
		abort();
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&out, buf, n);
	pclose(f);
	strbuf_release(&cmd);
	s = strbuf_detach(&out);
	while (*s && s[strlen(s) - 1] == '\n')
		s[strlen(s) - 1] = 0;
	return s;
}

/* printf into a static buffer (for expected messages). */
static inline _printf_(1, 2) const char *th_fmt(const char *fmt, ...)
{
	static char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

/*
 * FNV-1a over (offset, bytes) of every 4 KiB block that is not all zeros, reading only the
 * data extents (SEEK_DATA/SEEK_HOLE). Zero blocks count as holes: reading an unwritten
 * extent can turn it into "data" for SEEK_DATA without changing a byte.
 */
static inline uint64_t th_sparse_sum(const char *path)
{
	static const char zero[4096];
	static char buf[1 << 20];
	uint64_t h = 1469598103934665603ULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t data = 0, hole;

	if (fd < 0)
		abort();
	while ((data = lseek(fd, data, SEEK_DATA)) >= 0) {
		hole = lseek(fd, data, SEEK_HOLE);
		for (off_t at = data; at < hole;) {
			size_t want = (size_t) (hole - at) < sizeof(buf) ? (size_t) (hole - at)
									 : sizeof(buf);
			ssize_t n = pread(fd, buf, want, at);

			if (n <= 0)
				abort();
			for (ssize_t b = 0; b < n; b += 4096) {
				size_t len = (size_t) (n - b) < 4096 ? (size_t) (n - b) : 4096;

				if (memcmp(buf + b, zero, len) == 0)
					continue;
				h = (h ^ (uint64_t) (at + b)) * 1099511628211ULL;
				for (size_t i = 0; i < len; i++)
					h = (h ^ (uint8_t) buf[b + i]) * 1099511628211ULL;
			}
			at += n;
		}
		data = hole;
	}
	close(fd);
	return h;
}

/* GPT label and the given layout on lun, through the module, checked on the way. */
static inline void th_init_carve(const struct part_guard *g, const char *lun, const uint64_t *sizes,
				 size_t n)
{
	struct diag d = DIAG_INIT;
	struct part_lun l;
	struct part_plan p;

	ASSERT_OK(part_lun_read(g, lun, &l, &d));
	ASSERT_EQ(l.label, PART_LABEL_NONE);
	ASSERT_NULL(l.signature);
	ASSERT_OK(part_init_plan(&l, &p, &d));
	part_lun_release(&l);
	ASSERT_OK(part_plan_apply(g, &p, NULL, &d));
	part_plan_release(&p);
	if (n) {
		ASSERT_OK(part_lun_read(g, lun, &l, &d));
		ASSERT_EQ(l.label, PART_LABEL_GPT);
		ASSERT_OK(part_carve_plan(&l, sizes, n, &p, &d));
		part_lun_release(&l);
		ASSERT_OK(part_plan_apply(g, &p, NULL, &d));
		part_plan_release(&p);
	}
	diag_release(&d);
}

/*
 * sfdisk sees res's partition at its start and size with name and PARTUUID; blkid finds
 * ext4 labelled fs_label in it (on the node for block devices, else at the offset).
 */
static inline void th_check_referee(const char *lun, const struct part_result *res,
				    const char *name, const char *fs_label)
{
	char *s, want[256];

	s = th_sh(
		"sfdisk --json %s | python3 -c 'import json,sys,re; "
		"t=json.load(sys.stdin)[\"partitiontable\"]; "
		"print([\"%%d:%%d:%%s:%%s\" %% (p[\"start\"], p[\"size\"], p.get(\"name\"), p[\"uuid\"].lower()) "
		"for p in t[\"partitions\"] if re.search(r\"(\\d+)$\", p[\"node\"]).group(1) == \"%u\"][0])'",
		lun, res->partno);
	snprintf(want, sizeof(want), "%llu:%llu:%s:%s", (unsigned long long) (res->start / 512),
		 (unsigned long long) (res->size / 512), name, res->uuid);
	for (char *c = want; *c; c++)
		*c = (char) (*c >= 'A' && *c <= 'F' ? *c - 'A' + 'a' : *c);
	ASSERT_STREQ(s, want);
	free(s);
	if (res->node)
		s = th_sh("blkid -p -o export -s TYPE -s LABEL %s | grep -v ^DEVNAME=", res->node);
	else
		s = th_sh(
			"blkid -p -o export -s TYPE -s LABEL --offset %llu --size %llu %s | grep -v ^DEVNAME=",
			(unsigned long long) res->start, (unsigned long long) res->size, lun);
	snprintf(want, sizeof(want), "LABEL=%s\nTYPE=ext4", fs_label);
	ASSERT_STREQ(s, want);
	free(s);
}

/*
 * /swapfile in the ext4 at dev (a node, or "IMAGE?offset=N" for libext2fs's unix_io):
 * debugfs shows mode 0600, the size, extents that cover every block from 0 with no hole and
 * none uninitialized; e2fsck -fn is clean; blkid says the file (its first MiB: blkid wants more
 * than the header page) is swap.
 */
static inline void th_check_swapfile(const char *dev, uint64_t size, const char *label)
{
	char *s, want[256];

	s = th_sh(
		"debugfs -R 'stat /swapfile' '%s' 2>/dev/null | python3 -c '"
		"import sys,re; t=sys.stdin.read(); "
		"mode=re.search(r\"Mode: +(\\d+)\", t).group(1); "
		"size=re.search(r\"Size: +(\\d+)\", t).group(1); "
		"ext=t.split(\"EXTENTS:\")[1]; "
		"runs=re.findall(r\"\\((\\d+)(?:-(\\d+))?\\)(\\[u\\])?:(\\d+)(?:-(\\d+))?\", ext); "
		"nxt=0; holes=0; uninit=0; phys=0; last=None\n"
		"for a,b,u,c,e in runs:\n"
		" a=int(a); b=int(b or a); c=int(c); e=int(e or c)\n"
		" holes+= a!=nxt; uninit+= bool(u); phys+= last is None or c!=last+1; nxt=b+1; last=e\n"
		"print(mode, size, nxt, \"holes=%%d uninit=%%d\" %% (holes, uninit))'",
		dev);
	snprintf(want, sizeof(want), "0600 %llu %llu holes=0 uninit=0", (unsigned long long) size,
		 (unsigned long long) (size / 4096));
	ASSERT_STREQ(s, want);
	free(s);
	s = th_sh("e2fsck -fn '%s' >/dev/null 2>&1; echo $?", dev);
	ASSERT_STREQ(s, "0");
	free(s);
	s = th_sh("f=$(mktemp); debugfs -R 'cat /swapfile' '%s' 2>/dev/null | head -c 1048576 >$f; "
		  "blkid -p -o export -s TYPE -s LABEL $f | grep -v ^DEVNAME=; rm -f $f",
		  dev);
	snprintf(want, sizeof(want), "LABEL=%s\nTYPE=swap", label);
	ASSERT_STREQ(s, want);
	free(s);
}
