/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The used blocks of an ext4 from one place to another at the same offsets, in large
 * sequential I/O: each run of allocated blocks from the bitmap (part__fs_map_read) is read in
 * pieces of at most 4 MiB, in the order of the disk, and written where it was. The blocks in
 * between are neither read nor written.
 *
 * The image checksum is SHA-256 over what is copied, in this order (doc/images.md):
 *   "provision-image-v1\n", block size (u32 LE), filesystem blocks (u64 LE),
 *   then for each run: first block (u64 LE), block count (u64 LE), the run's bytes.
 * So it covers the data, where it lies, and which blocks the image claims: a flipped bit in a
 * bitmap changes the runs, and so the sum.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/sha256.h"
#include "partition/partition-internal.h"

#define COPY_CHUNK (UINT64_C(4) << 20)
#define SUM_MAGIC  "provision-image-v1\n"

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	for (size_t done = 0; done < len;) {
		ssize_t k = pread(fd, (char *) buf + done, len - done, (off_t) (off + done));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		done += (size_t) k;
	}
	return 0;
}

static int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	for (size_t done = 0; done < len;) {
		ssize_t k = pwrite(fd, (const char *) buf + done, len - done, (off_t) (off + done));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		done += (size_t) k;
	}
	return 0;
}

static void sum_header(struct sha256 *sum, const struct part__fs_map *map)
{
	uint8_t h[12];

	sha256_update(sum, SUM_MAGIC, strlen(SUM_MAGIC));
	put_le(h, map->block_size, 4);
	put_le(h + 4, map->blocks, 8);
	sha256_update(sum, h, sizeof(h));
}

static void sum_run(struct sha256 *sum, const struct part__run *run)
{
	uint8_t h[16];

	put_le(h, run->start, 8);
	put_le(h + 8, run->count, 8);
	sha256_update(sum, h, sizeof(h));
}

/* One run, in pieces; the counters as it goes. */
static int copy_run(int in, int out, const struct part__region *src, const struct part__region *dst,
		    uint64_t off, uint64_t len, void *buf, struct sha256 *sum,
		    struct part_copy_stats *st, struct diag *d)
{
	while (len) {
		size_t n = (size_t) (len < COPY_CHUNK ? len : COPY_CHUNK);
		int r = pread_full(in, buf, n, src->offset + off);

		if (r < 0)
			return diag_error_errno(d, NULL, r, "cannot read '%s' at offset %llu",
						src->path,
						(unsigned long long) (src->offset + off));
		st->bytes_read += n;
		st->reads++;
		if (sum)
			sha256_update(sum, buf, n);
		if (out >= 0) {
			r = pwrite_full(out, buf, n, dst->offset + off);
			if (r < 0)
				return diag_error_errno(
					d, NULL, r, "cannot write '%s' at offset %llu", dst->path,
					(unsigned long long) (dst->offset + off));
			st->bytes_written += n;
			st->writes++;
		}
		off += n;
		len -= n;
	}
	return 0;
}

int part__fs_copy(const struct part__region *src, const struct part__region *dst,
		  const struct part__fs_map *map, struct sha256 *sum, struct part_copy_stats *st,
		  struct diag *d)
{
	_cleanup_(closep) int in = -1, out = -1;
	_cleanup_(freep) void *buf = NULL;
	uint64_t bs = map->block_size;
	int r = 0;

	in = open(src->path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return diag_error_errno(d, NULL, -errno, "cannot open '%s'", src->path);
	/* read once, in order (part__region_drop_cache() dropped what was cached) */
	(void) posix_fadvise(in, (off_t) src->offset, (off_t) (map->blocks * bs),
			     POSIX_FADV_SEQUENTIAL);
	if (dst) {
		out = open(dst->path, O_WRONLY | O_CLOEXEC);
		if (out < 0)
			return diag_error_errno(d, NULL, -errno, "cannot open '%s' for writing",
						dst->path);
	}
	if (posix_memalign(&buf, 4096, COPY_CHUNK))
		return -ENOMEM;
	if (sum)
		sum_header(sum, map);
	for (size_t i = 0; r >= 0 && i < map->n_runs; i++) {
		if (sum)
			sum_run(sum, &map->runs[i]);
		r = copy_run(in, out, src, dst, map->runs[i].start * bs, map->runs[i].count * bs,
			     buf, sum, st, d);
	}
	if (r < 0)
		return r;
	st->fs_bytes = map->blocks * bs;
	st->used_bytes = map->used * bs;
	if (out >= 0 && fdatasync(out) < 0)
		return diag_error_errno(d, NULL, -errno, "cannot write '%s'", dst->path);
	return 0;
}

void part__region_drop_cache(const struct part__region *rg)
{
	int fd = open(rg->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return; /* the next open says why */
	(void) posix_fadvise(fd, (off_t) rg->offset, (off_t) rg->size, POSIX_FADV_DONTNEED);
	(void) close(fd);
}

int part__fs_sum(const struct part__region *rg, const struct part__fs_map *map,
		 char ret[PART_IMAGE_SUM_HEX + 1], struct part_copy_stats *st, struct diag *d)
{
	struct part_copy_stats mine = {0};
	uint8_t dg[SHA256_BYTES];
	struct sha256 sum;
	int r;

	sha256_init(&sum);
	r = part__fs_copy(rg, NULL, map, &sum, st ? st : &mine, d);
	if (r < 0)
		return r;
	sha256_final(&sum, dg);
	sha256_hex(dg, ret);
	return 0;
}
