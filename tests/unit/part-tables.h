/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Snapshots for the pure planner tests: a GPT LUN built from a table of partitions, the way
 * libfdisk would report it. Partition N gets PARTUUID 00000000-0000-4000-8000-00000000000N.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partition/partition-internal.h"
#include "partition/partition.h"
#include "tests/unit/test.h"

#define M (UINT64_C(1) << 20)
#define G (UINT64_C(1) << 30)

/* A partition of a table: number, start and size in MiB, GPT name. */
struct tp {
	unsigned no;
	uint64_t start_m, size_m;
	const char *name;
};

static int cmp_start(const void *a, const void *b)
{
	const struct part_entry *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * A GPT LUN of size bytes as libfdisk would report it: usable from LBA 34 to the last 34
 * sectors, free space = the gaps between the partitions.
 */
static void lun_make(struct part_lun *l, const char *path, uint64_t size, const struct tp *t,
		     size_t n)
{
	struct part_guard g = {0};
	struct part_entry *sorted;
	uint64_t at;

	*l = (struct part_lun){.path = strdup(path),
			       .size = size,
			       .sector_size = 512,
			       .label = PART_LABEL_GPT,
			       .first_usable = 34 * 512,
			       .end_usable = size - 33 * 512,
			       .max_parts = 128};
	l->parts = calloc(n + 1, sizeof(*l->parts));
	l->free = calloc(n + 2, sizeof(*l->free));
	for (size_t i = 0; i < n; i++) {
		l->parts[i] = (struct part_entry){
			.partno = t[i].no, .start = t[i].start_m * M, .size = t[i].size_m * M};
		l->parts[i].name = strdup(t[i].name);
		if (asprintf(&l->parts[i].uuid, "00000000-0000-4000-8000-%012u", t[i].no) < 0)
			abort();
	}
	l->n_parts = n;
	ASSERT_OK(part__owners_fill(&g, l, NULL));
	sorted = calloc(n + 1, sizeof(*sorted));
	memcpy(sorted, l->parts, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_start);
	at = l->first_usable;
	for (size_t i = 0; i <= n; i++) {
		uint64_t next = i < n ? sorted[i].start : l->end_usable;

		if (next > at)
			l->free[l->n_free++] = (struct part_segment){at, next - at};
		if (i < n && sorted[i].start + sorted[i].size > at)
			at = sorted[i].start + sorted[i].size;
	}
	free(sorted);
}
