/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Benchmark helper (not a test): copy the used blocks of the ext4 in SRC into DST at the same
 * offsets, as a capture or a clone does (partition/image-copy.c), and print what it read,
 * what it wrote and how long it took. bench/clone-host.sh runs it against dd.
 * Usage: bench-fs-copy SRC DST
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/macro.h"
#include "partition/partition-internal.h"
#include "partition/partition.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct diag d = DIAG_INIT;
	struct part__fs_map map = {0};
	struct part_copy_stats st = {0};
	struct part__region src, dst;
	double t;
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: bench-fs-copy SRC DST\n");
		return 2;
	}
	src = (struct part__region){.path = argv[1], .fd = -1};
	dst = (struct part__region){.path = argv[2], .fd = -1};
	t = now();
	r = part__fs_map_read(&src, 0, &map, &d);
	if (r >= 0)
		r = part__fs_copy(&src, &dst, &map, NULL, &st, &d);
	t = now() - t;
	if (r < 0) {
		diag_print(&d, stderr, "bench-fs-copy");
		return 1;
	}
	printf("fs_bytes=%llu used_bytes=%llu bytes_read=%llu bytes_written=%llu reads=%llu runs=%zu seconds=%.3f\n",
	       (unsigned long long) st.fs_bytes, (unsigned long long) st.used_bytes,
	       (unsigned long long) st.bytes_read, (unsigned long long) st.bytes_written,
	       (unsigned long long) st.reads, map.n_runs, t);
	part__fs_map_release(&map);
	diag_release(&d);
	return 0;
}
