/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Golden images on a loop device (root; suite 'root', skipped otherwise): a guest's ext4 made
 * by part_format() and filled with a known tree (debugfs, nothing mounted) is captured into a
 * smaller image partition and cloned into two larger partitions with different
 * personalisations; then checked apart from provision (e2fsck, debugfs, blkid, dumpe2fs,
 * ssh-keygen). The refusals leave the bytes they would have written as they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "partition/partition.h"
#include "tests/unit/part-helpers.h"
#include "tests/unit/test.h"

/* The LUN's layout: partition N is named names[N - 1] and sizes[N - 1] bytes. */
static const char *const names[] = {"guest:gold", "image:lab",	"guest:lab1", "guest:lab2",
				    "guest:tiny", "guest:junk", "image:big"};
static const uint64_t sizes[] = {4 * G, 1 * G, 6 * G, 6 * G, 64 * M, 64 * M, 5 * G};
enum { GOLD, IMAGE, LAB1, LAB2, TINY, JUNK, BIG, N_PARTS };

static struct {
	bool ready;
	char *loopdev, *image, *tree, *tmp;
	char *uuid[N_PARTS]; /* PARTUUIDs */
	char *node[N_PARTS]; /* /dev/loopNpM */
	uint64_t start[N_PARTS];
	struct part_image_info info;
} s;

static void diag_dump(struct diag *d)
{
	diag_print(d, stderr, "test");
	diag_clear(d);
}

#define OK(e, d)                                                                                   \
	do {                                                                                       \
		long long _r = (long long) (e);                                                    \
		if (_r < 0) {                                                                      \
			diag_dump(d);                                                              \
			TEST__FAIL("%s failed: %lld (%s)", #e, _r, strerror((int) -_r));           \
		}                                                                                  \
	} while (0)

/* th_sparse_sum() of the bytes [start, start + size) of path (its data extents only). */
static uint64_t range_sum(const char *path, uint64_t start, uint64_t size)
{
	static char buf[1 << 20];
	uint64_t h = 1469598103934665603ULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t data = (off_t) start, hole, end = (off_t) (start + size);

	if (fd < 0)
		abort();
	while (data < end && (data = lseek(fd, data, SEEK_DATA)) >= 0 && data < end) {
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole > end)
			hole = end;
		for (off_t at = data; at < hole;) {
			size_t want = (size_t) (hole - at) < sizeof(buf) ? (size_t) (hole - at)
									 : sizeof(buf);
			ssize_t n = pread(fd, buf, want, at);

			if (n <= 0)
				abort();
			/* zero blocks count as holes, as in th_sparse_sum() */
			for (ssize_t b = 0; b < n; b += 4096) {
				static const char zero[4096];
				size_t l = (size_t) (n - b) < 4096 ? (size_t) (n - b) : 4096;

				if (memcmp(buf + b, zero, l) == 0)
					continue;
				h = (h ^ (uint64_t) (at + b)) * 1099511628211ULL;
				for (size_t i = 0; i + 8 <= l; i += 8) {
					uint64_t v;

					memcpy(&v, buf + b + i, 8);
					h = (h ^ v) * 1099511628211ULL;
				}
			}
			at += n;
		}
		data = hole;
	}
	close(fd);
	return h;
}

static uint64_t part_sum(int i)
{
	free(th_sh("sync"));
	return range_sum(s.image, s.start[i], sizes[i]);
}

/* A known tree on the host: what a guest's install leaves that clones must change or keep. */
static void tree_make(void)
{
	char *out;

	ASSERT_TRUE(asprintf(&s.tree, "%s/tree", th_dir()) > 0);
	out = th_sh(
		"set -e; t=%s; mkdir -p $t/etc/ssh $t/etc/network $t/var/lib/dbus $t/usr/share/data/sub; "
		"echo gold > $t/etc/hostname; printf '127.0.0.1\\tlocalhost\\n127.0.1.1\\tgold\\n' > $t/etc/hosts; "
		"printf '# <file system> <mount point> <type> <options> <dump> <pass>\\n"
		"/dev/xvda1 / ext4 defaults,errors=remount-ro 0 1\\n/swapfile none swap sw 0 0\\n"
		"tmpfs /tmp tmpfs defaults 0 0\\n' > $t/etc/fstab; "
		"printf 'auto lo\\niface lo inet loopback\\n' > $t/etc/network/interfaces; "
		"echo 0123456789abcdef0123456789abcdef > $t/etc/machine-id; "
		"cp $t/etc/machine-id $t/var/lib/dbus/machine-id; "
		"ssh-keygen -q -t ed25519 -N '' -C gold -f $t/etc/ssh/ssh_host_ed25519_key; "
		"echo 'PermitRootLogin no' > $t/etc/ssh/sshd_config; "
		"for i in $(seq 1 40); do head -c $((i * 13001)) /dev/urandom > $t/usr/share/data/f$i; done; "
		"head -c 8000000 /dev/urandom > $t/usr/share/data/sub/big; "
		"ln -s f1 $t/usr/share/data/link; echo ok",
		s.tree);
	ASSERT_STREQ(out, "ok");
	free(out);
}

/* debugfs -w: the tree into the ext4 on node, by mkdir/write/symlink (nothing mounted). */
static void tree_write(const char *node)
{
	char *out = th_sh(
		"cd %s && { find . -mindepth 1 -type d | sed 's|^\\.|mkdir |'; "
		"find . -type f | sed 's|^\\./\\(.*\\)|write \\1 /\\1|'; "
		"find . -type l | while read l; do echo \"symlink ${l#.} $(readlink $l)\"; done; } "
		"> ../debugfs.cmd && debugfs -w -f ../debugfs.cmd %s >/dev/null 2>&1 && echo ok",
		s.tree, node);

	ASSERT_STREQ(out, "ok");
	free(out);
}

static void setup(void)
{
	struct diag d = DIAG_INIT;
	char *layout = NULL, *out;
	size_t len = 0;
	FILE *f;

	if (s.ready)
		return;
	if (geteuid() != 0)
		SKIP("not root");
	s.image = th_image("clone.img", 24 * G);
	f = open_memstream(&layout, &len);
	fprintf(f, "label: gpt\n");
	for (int i = 0; i < N_PARTS; i++)
		fprintf(f, "size=%llu, name=\"%s\"\n", (unsigned long long) (sizes[i] / 512),
			names[i]);
	fclose(f);
	out = th_sh("printf '%s' | sfdisk -q %s >/dev/null 2>&1; echo $?", layout, s.image);
	ASSERT_STREQ(out, "0");
	free(out);
	free(layout);
	s.loopdev = th_sh("losetup -f --show %s", s.image);
	if (strncmp(s.loopdev, "/dev/loop", 9) != 0)
		SKIP("no loop device: %s", s.loopdev);
	free(th_sh("partx -d %s 2>/dev/null", s.loopdev));
	char *luns[] = {s.loopdev, NULL};
	struct part_guard g = {.luns = luns};
	struct part_lun l;

	OK(part_lun_read(&g, s.loopdev, &l, &d), &d);
	ASSERT_EQ(l.n_parts, N_PARTS);
	for (int i = 0; i < N_PARTS; i++) {
		struct part_result res = {0};

		s.uuid[i] = strdup(l.parts[i].uuid);
		s.start[i] = l.parts[i].start;
		OK(part_locate(&g, s.loopdev, s.uuid[i], &res, &d), &d); /* BLKPG: the node */
		s.node[i] = strdup(res.node);
		part_result_release(&res);
	}
	part_lun_release(&l);
	OK(part_format(&g, s.loopdev, s.uuid[GOLD], "gold", NULL, 256 * M, NULL, NULL, &d), &d);
	tree_make();
	tree_write(s.node[GOLD]);
	ASSERT_TRUE(asprintf(&s.tmp, "%s/stage", th_dir()) > 0);
	ASSERT_OK(mkdir(s.tmp, 0700));
	diag_release(&d);
	s.ready = true;
}

/* dumpe2fs's block count and free blocks of the ext4 on node. */
static void fs_counts(const char *node, uint64_t *blocks, uint64_t *free_blocks)
{
	char *out = th_sh("dumpe2fs -h %s 2>/dev/null | awk -F: '/^Block count/ { b = $2 } "
			  "/^Free blocks/ { f = $2 } END { print b + 0, f + 0 }'",
			  node);
	unsigned long long b = 0, fr = 0;

	ASSERT_EQ(sscanf(out, "%llu %llu", &b, &fr), 2);
	free(out);
	*blocks = b;
	*free_blocks = fr;
}

static char *fs_cat(const char *node, const char *path)
{
	return th_sh("debugfs -R 'cat %s' %s 2>/dev/null", path, node);
}

TEST(capture_reads_used_blocks_only)
{
	struct diag d = DIAG_INIT;
	uint64_t before, blocks, free_blocks, used, need = 0;
	char *luns[] = {NULL, NULL};
	struct part_guard g = {.luns = luns};
	char *out;

	setup();
	luns[0] = s.loopdev;
	before = part_sum(GOLD);
	fs_counts(s.node[GOLD], &blocks, &free_blocks);
	used = (blocks - free_blocks) * 4096;
	OK(part_image_size(&g, s.loopdev, s.uuid[GOLD], "gold", &need, &d), &d);
	ASSERT_TRUE(need <= sizes[IMAGE]);
	OK(part_image_capture(&g, s.loopdev, s.uuid[GOLD], "gold", s.loopdev, s.uuid[IMAGE], "lab",
			      s.tmp, &s.info, &d),
	   &d);
	fprintf(stderr,
		"capture: source fs %llu MiB, used %llu MiB (dumpe2fs, with the 256 MiB /swapfile), "
		"read %llu MiB in %llu reads, image ext4 %llu MiB (%llu MiB used), size estimate %llu MiB, staged %d\n",
		(unsigned long long) (s.info.copy.fs_bytes >> 20),
		(unsigned long long) (used >> 20),
		(unsigned long long) (s.info.copy.bytes_read >> 20),
		(unsigned long long) s.info.copy.reads,
		(unsigned long long) (s.info.fs_bytes >> 20),
		(unsigned long long) (s.info.used_bytes >> 20), (unsigned long long) (need >> 20),
		s.info.staged);
	/* the 4G source is more than the 1G image partition: shrunk beside it */
	ASSERT_TRUE(s.info.staged);
	ASSERT_EQ(s.info.copy.fs_bytes, sizes[GOLD]);
	/* read: exactly the used blocks less the swap file's data, a few % of the partition */
	ASSERT_EQ(s.info.copy.bytes_read, used - 256 * M);
	ASSERT_TRUE(s.info.copy.bytes_read * 10 < sizes[GOLD]);
	ASSERT_TRUE(s.info.fs_bytes <= sizes[IMAGE]);
	ASSERT_EQ(strlen(s.info.checksum), 64);
	/* the source was only read; the staging file is gone */
	ASSERT_EQ(part_sum(GOLD), before);
	ASSERT_STREQ(out = th_sh("ls -A %s", s.tmp), "");
	free(out);
	/* the image, apart from provision: clean, labelled, no swap file, the tree */
	ASSERT_STREQ(out = th_sh("e2fsck -fn %s >/dev/null 2>&1; echo $?", s.node[IMAGE]), "0");
	free(out);
	ASSERT_STREQ(out = th_sh("blkid -p -s LABEL -o value %s", s.node[IMAGE]), "lab");
	free(out);
	ASSERT_STREQ(out = th_sh("debugfs -R 'stat /swapfile' %s 2>&1 | grep -c 'File not found'",
				 s.node[IMAGE]),
		     "1");
	free(out);
	ASSERT_STREQ(out = fs_cat(s.node[IMAGE], "/etc/hostname"), "gold");
	free(out);
	OK(part_image_verify(&g, s.loopdev, s.uuid[IMAGE], "lab", s.info.checksum, NULL, &d), &d);
	diag_release(&d);
}

/* An image partition as large as the source: the copy is shrunk in place, nothing staged. */
TEST(capture_in_place)
{
	struct diag d = DIAG_INIT;
	struct part_image_info info = {0};
	char *luns[] = {NULL, NULL};
	struct part_guard g = {.luns = luns};
	uint64_t before, fs_bytes = 0;
	char *out;

	setup();
	luns[0] = s.loopdev;
	before = part_sum(GOLD);
	OK(part_image_capture(&g, s.loopdev, s.uuid[GOLD], "gold", s.loopdev, s.uuid[BIG], "big",
			      "/nonexistent", &info, &d),
	   &d);
	ASSERT_FALSE(info.staged);
	ASSERT_EQ(info.copy.bytes_read, s.info.copy.bytes_read);
	ASSERT_EQ(part_sum(GOLD), before);
	ASSERT_STREQ(out = th_sh("e2fsck -fn %s >/dev/null 2>&1; echo $?", s.node[BIG]), "0");
	free(out);
	OK(part_image_verify(&g, s.loopdev, s.uuid[BIG], "big", info.checksum, &fs_bytes, &d), &d);
	ASSERT_EQ(fs_bytes, info.fs_bytes);
	ASSERT_TRUE(fs_bytes < sizes[IMAGE]);
	/* captured again over itself: its own ext4 may be replaced, a foreign one may not */
	OK(part_image_capture(&g, s.loopdev, s.uuid[GOLD], "gold", s.loopdev, s.uuid[BIG], "big",
			      NULL, &info, &d),
	   &d);
	free(th_sh("mkswap -q %s", s.node[BIG]));
	before = part_sum(BIG);
	ASSERT_ERR(part_image_capture(&g, s.loopdev, s.uuid[GOLD], "gold", s.loopdev, s.uuid[BIG],
				      "big", NULL, &info, &d),
		   EBUSY);
	ASSERT_EQ(part_sum(BIG), before);
	diag_release(&d);
}

/* A clone on node, apart from provision. */
static void check_clone(int i, const char *host, const char *fs_uuid, uint64_t swap,
			const char *interfaces, const char *fstab)
{
	const char *node = s.node[i];
	char *out, want[512];
	uint64_t blocks, free_blocks;

	ASSERT_STREQ(out = th_sh("e2fsck -fn %s >/dev/null 2>&1; echo $?", node), "0");
	free(out);
	snprintf(want, sizeof(want), "LABEL=%s\nTYPE=ext4\nUUID=%s", host, fs_uuid);
	ASSERT_STREQ(
		out = th_sh(
			"blkid -p -o export -s LABEL -s TYPE -s UUID %s | grep -v ^DEVNAME= | sort",
			node),
		want);
	free(out);
	/* grown to the whole partition */
	fs_counts(node, &blocks, &free_blocks);
	ASSERT_EQ(blocks * 4096, sizes[i]);
	ASSERT_STREQ(out = fs_cat(node, "/etc/hostname"), host);
	free(out);
	snprintf(want, sizeof(want), "127.0.0.1\tlocalhost\n127.0.1.1\t%s", host);
	ASSERT_STREQ(out = fs_cat(node, "/etc/hosts"), want);
	free(out);
	ASSERT_STREQ(out = fs_cat(node, "/etc/network/interfaces"), interfaces);
	free(out);
	ASSERT_STREQ(out = fs_cat(node, "/etc/fstab"), fstab);
	free(out);
	/* an empty machine-id; dbus's copy gone; the other files of /etc/ssh kept */
	ASSERT_STREQ(out = th_sh("f=$(mktemp -u); debugfs -R \"dump -p /etc/machine-id $f\" %s "
				 ">/dev/null 2>&1; stat -c %%s:%%a $f; rm -f $f",
				 node),
		     "0:644"); /* the image's mode kept */
	free(out);
	ASSERT_STREQ(out = th_sh("debugfs -R 'stat /var/lib/dbus/machine-id' %s 2>&1 | "
				 "grep -c 'File not found'",
				 node),
		     "1");
	free(out);
	ASSERT_STREQ(out = fs_cat(node, "/etc/ssh/sshd_config"), "PermitRootLogin no");
	free(out);
	/* the tree as it was written into the source */
	snprintf(want, sizeof(want), "%s/dump-%d", th_dir(), i);
	ASSERT_STREQ(out = th_sh("rm -rf %s; mkdir %s && debugfs -R 'rdump /usr/share/data %s' %s "
				 ">/dev/null 2>&1; diff -r %s/usr/share/data %s/data && echo same; "
				 "rm -rf %s",
				 want, want, want, node, s.tree, want, want),
		     "same");
	free(out);
	if (swap)
		th_check_swapfile(node, swap, host);
	else {
		ASSERT_STREQ(
			out = th_sh(
				"debugfs -R 'stat /swapfile' %s 2>&1 | grep -c 'File not found'",
				node),
			"1");
		free(out);
	}
}

/* The public key of the clone on node's host key of type t, and that ssh-keygen reads it. */
static char *host_key(int i, const char *t)
{
	char *out = th_sh(
		"f=$(mktemp); debugfs -R 'cat /etc/ssh/ssh_host_%s_key.pub' %s "
		"2>/dev/null >$f; ssh-keygen -l -f $f >/dev/null && cut -d' ' -f2 $f; rm -f $f",
		t, s.node[i]);

	ASSERT_TRUE(strlen(out) > 40);
	return out;
}

TEST(clone_two_personalised)
{
	static const char *const ns[] = {"10.1.2.53", "10.1.2.54", NULL};
	char *luns[] = {NULL, NULL};
	struct part_guard g = {.luns = luns};
	struct diag d = DIAG_INIT;
	struct part_copy_stats st = {0};
	char u1[37], u2[37], fstab[512];
	char *k0, *k1, *k2, *out;

	setup();
	luns[0] = s.loopdev;
	if (!s.info.checksum[0])
		SKIP("no capture");
	ASSERT_OK(part_uuid_new(u1));
	ASSERT_OK(part_uuid_new(u2));
	struct part_personal p1 = {.hostname = "lab1",
				   .address = "10.1.2.11",
				   .prefix = 24,
				   .gateway = "10.1.2.1",
				   .nameservers = ns,
				   .fs_uuid = u1,
				   .swap_size = 512 * M};
	struct part_personal p2 = {.address = "10.1.2.12", .prefix = 26, .fs_uuid = u2};

	OK(part_image_clone(&g, s.loopdev, s.uuid[IMAGE], "lab", s.info.checksum, s.loopdev,
			    s.uuid[LAB1], "lab1", &p1, &st, &d),
	   &d);
	fprintf(stderr,
		"clone lab1: image ext4 %llu MiB, read %llu MiB, written %llu MiB, %llu writes\n",
		(unsigned long long) (st.fs_bytes >> 20),
		(unsigned long long) (st.bytes_read >> 20),
		(unsigned long long) (st.bytes_written >> 20), (unsigned long long) st.writes);
	ASSERT_EQ(st.bytes_read, s.info.used_bytes);
	ASSERT_EQ(st.bytes_written, s.info.used_bytes);
	OK(part_image_clone(&g, s.loopdev, s.uuid[IMAGE], "lab", s.info.checksum, s.loopdev,
			    s.uuid[LAB2], "lab2", &p2, NULL, &d),
	   &d);

	snprintf(fstab, sizeof(fstab),
		 "# <file system> <mount point> <type> <options> <dump> <pass>\n"
		 "UUID=%s / ext4 defaults,errors=remount-ro 0 1\n/swapfile none swap sw 0 0\n"
		 "tmpfs /tmp tmpfs defaults 0 0",
		 u1);
	check_clone(LAB1, "lab1", u1, 512 * M,
		    "auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n"
		    "\taddress 10.1.2.11\n\tnetmask 255.255.255.0\n\tgateway 10.1.2.1",
		    fstab);
	ASSERT_STREQ(out = fs_cat(s.node[LAB1], "/etc/resolv.conf"),
		     "nameserver 10.1.2.53\nnameserver 10.1.2.54");
	free(out);
	snprintf(fstab, sizeof(fstab),
		 "# <file system> <mount point> <type> <options> <dump> <pass>\n"
		 "UUID=%s / ext4 defaults,errors=remount-ro 0 1\ntmpfs /tmp tmpfs defaults 0 0",
		 u2);
	check_clone(LAB2, "lab2", u2, 0,
		    "auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n"
		    "\taddress 10.1.2.12\n\tnetmask 255.255.255.192",
		    fstab);
	/* the format stage would find its work done */
	ASSERT_EQ(part_format_check(&g, s.loopdev, s.uuid[LAB1], "lab1", 512 * M, &d), 1);
	ASSERT_EQ(part_format_check(&g, s.loopdev, s.uuid[LAB2], "lab2", 0, &d), 1);
	/* new SSH host keys, each clone its own */
	k0 = th_sh("cut -d' ' -f2 %s/etc/ssh/ssh_host_ed25519_key.pub", s.tree);
	k1 = host_key(LAB1, "ed25519");
	k2 = host_key(LAB2, "ed25519");
	ASSERT_TRUE(strcmp(k0, k1) != 0 && strcmp(k0, k2) != 0 && strcmp(k1, k2) != 0);
	free(k0);
	free(k1);
	free(k2);
	ASSERT_STREQ(out = th_sh("debugfs -R 'stat /etc/ssh/ssh_host_ed25519_key' %s 2>/dev/null | "
				 "grep -o 'Mode: *[0-7]*'",
				 s.node[LAB1]),
		     "Mode:  0600");
	free(out);
	diag_release(&d);
}

TEST(refusals_write_nothing)
{
	char *luns[] = {NULL, NULL};
	struct part_guard g = {.luns = luns};
	struct diag d = DIAG_INIT;
	struct part_personal p = {.swap_size = 0};
	char bad[PART_IMAGE_SUM_HEX + 1], *out;
	uint64_t sum, sum2;

	setup();
	luns[0] = s.loopdev;
	if (!s.info.checksum[0])
		SKIP("no capture");
	/* not an ext4: a swap signature */
	free(th_sh("mkswap -q %s", s.node[JUNK]));
	sum = part_sum(IMAGE);
	ASSERT_ERR(part_image_capture(&g, s.loopdev, s.uuid[JUNK], "junk", s.loopdev, s.uuid[IMAGE],
				      "lab", s.tmp, NULL, &d),
		   EMEDIUMTYPE);
	ASSERT_STREQ(
		d.v[d.n - 1].msg,
		th_fmt("partition 6 on '%s' ('guest:junk') holds a filesystem of type swap, not ext4: cannot capture it",
		       s.loopdev));
	/* not the guest's partition; not an image partition */
	ASSERT_ERR(part_image_capture(&g, s.loopdev, s.uuid[LAB1], "gold", s.loopdev, s.uuid[IMAGE],
				      "lab", s.tmp, NULL, &d),
		   EPERM);
	ASSERT_ERR(part_image_capture(&g, s.loopdev, s.uuid[GOLD], "gold", s.loopdev, s.uuid[LAB2],
				      "lab", s.tmp, NULL, &d),
		   EPERM);
	ASSERT_EQ(part_sum(IMAGE), sum);

	/* an image larger than the partition */
	sum = part_sum(TINY);
	ASSERT_ERR(part_image_clone(&g, s.loopdev, s.uuid[IMAGE], "lab", s.info.checksum, s.loopdev,
				    s.uuid[TINY], "tiny", &p, NULL, &d),
		   ENOSPC);
	fprintf(stderr, "refused: %s\n", d.v[d.n - 1].msg);
	ASSERT_EQ(part_sum(TINY), sum);

	/* a checksum that does not match: a wrong one, then a changed image */
	snprintf(bad, sizeof(bad), "%s", s.info.checksum);
	bad[0] = bad[0] == '0' ? '1' : '0';
	sum = part_sum(LAB2);
	ASSERT_ERR(part_image_clone(&g, s.loopdev, s.uuid[IMAGE], "lab", bad, s.loopdev,
				    s.uuid[LAB2], "lab2", &p, NULL, &d),
		   EBADMSG);
	ASSERT_EQ(part_sum(LAB2), sum);
	out = th_sh(
		"b=$(debugfs -R 'bmap /usr/share/data/f7 0' %s 2>/dev/null); "
		"printf X | dd of=%s bs=1 seek=$((b * 4096 + 100)) conv=notrunc status=none; echo $b",
		s.node[IMAGE], s.node[IMAGE]);
	ASSERT_TRUE(atoi(out) > 0);
	free(out);
	ASSERT_ERR(
		part_image_verify(&g, s.loopdev, s.uuid[IMAGE], "lab", s.info.checksum, NULL, &d),
		EBADMSG);
	diag_clear(&d);
	ASSERT_ERR(part_image_clone(&g, s.loopdev, s.uuid[IMAGE], "lab", s.info.checksum, s.loopdev,
				    s.uuid[LAB2], "lab2", &p, NULL, &d),
		   EBADMSG);
	fprintf(stderr, "refused: %s\n", d.v[d.n - 1].msg);
	sum2 = part_sum(LAB2);
	ASSERT_EQ(sum2, sum);
	diag_release(&d);
}

/* Last: the loop device and the image go. */
TEST(teardown)
{
	if (!s.ready)
		SKIP("nothing set up");
	free(th_sh("partx -d %s 2>/dev/null; losetup -d %s; rm -rf %s %s/debugfs.cmd; rmdir %s",
		   s.loopdev, s.loopdev, s.tree, th_dir(), s.tmp));
	th_unlink(s.image);
	for (int i = 0; i < N_PARTS; i++) {
		free(s.uuid[i]);
		free(s.node[i]);
	}
	free(s.loopdev);
	free(s.image);
	free(s.tree);
	free(s.tmp);
}

TEST_MAIN()
