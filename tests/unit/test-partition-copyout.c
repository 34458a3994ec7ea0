/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * part_fs_copy_out() on sparse image files (no root): ext4s made by mke2fs -d from trees
 * prepared here (FAI's log layout with its `last` symlink, nested directories, a name with
 * spaces, hostile symlinks), copied out and compared with the original by diff -r
 * --no-dereference (symlinks compared as symlinks); the refusals, the limits, names made
 * unsafe by patching the image, and a destination that holds hostile symlinks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/util.h"
#include "partition/partition.h"
#include "tests/unit/part-helpers.h"
#include "tests/unit/test.h"

#define RUN    "install-20261127_084005"
#define LOGDIR "/var/log/fai/web1"
#define LONG100                                                                                    \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* Like the inventory: who owns which partition, by number. */
static int owner_table(_unused_ void *data, _unused_ const char *lun, const struct part_entry *p,
		       char **ret_guest)
{
	static const char *const owners[] = {NULL, "web1", "web2", "web1", "web1"};

	if (p->partno >= ELEMENTSOF(owners) || !owners[p->partno])
		return 0;
	*ret_guest = strdup(owners[p->partno]);
	return *ret_guest ? 1 : -ENOMEM;
}

static const char *last(const struct diag *d)
{
	return d->n ? d->v[d->n - 1].msg : "";
}

static void sh_ok(const char *what, char *out)
{
	if (!streq(out, "ok"))
		fprintf(stderr, "%s: %s\n", what, out);
	ASSERT_STREQ(out, "ok");
	free(out);
}

/* ext4 with the contents of tree on partition e of lun (mke2fs -d), extra: mke2fs options */
static void mkfs_tree(const char *lun, const struct part_entry *e, const char *tree,
		      const char *extra)
{
	sh_ok("mke2fs",
	      th_sh("mke2fs -q -F -t ext4 -b 4096 %s -d '%s' -E offset=%llu,nodiscard '%s' %lluk "
		    "2>&1 && echo ok",
		    extra, tree, (unsigned long long) e->start, lun,
		    (unsigned long long) (e->size / 1024)));
}

struct fixture {
	char *lun, *tree, *out;
	char *uuid[5];
	struct part_lun l;
};

static void fixture_init(struct fixture *f)
{
	static const uint64_t sizes[] = {128 * M, 64 * M, 256 * M, 64 * M};
	char *luns[2];
	struct part_guard g;
	struct diag d = DIAG_INIT;

	f->lun = th_image("lun.img", 1 * G);
	luns[0] = f->lun;
	luns[1] = NULL;
	g = (struct part_guard){.luns = luns};
	th_init_carve(&g, f->lun, sizes, 4);
	ASSERT_OK(part_lun_read(&g, f->lun, &f->l, &d));
	ASSERT_EQ(f->l.n_parts, 4);
	for (size_t i = 0; i < 4; i++)
		f->uuid[i + 1] = f->l.parts[i].uuid;
	ASSERT_TRUE(asprintf(&f->tree, "%s/tree", th_dir()) > 0);
	ASSERT_TRUE(asprintf(&f->out, "%s/out", th_dir()) > 0);
	diag_release(&d);
}

static void fixture_release(struct fixture *f)
{
	(void) rm_rf_at(AT_FDCWD, f->tree);
	(void) rm_rf_at(AT_FDCWD, f->out);
	th_unlink(f->lun);
	part_lun_release(&f->l);
	free(f->lun);
	free(f->tree);
	free(f->out);
}

TEST(fai_logs_copied_as_they_are)
{
	struct fixture f = {0};
	char *luns[2], *s, *dest = NULL, *victim = NULL;
	struct part_guard g;
	struct diag d = DIAG_INIT;

	fixture_init(&f);
	luns[0] = f.lun;
	luns[1] = NULL;
	g = (struct part_guard){.luns = luns, .owner = owner_table};
	/* FAI's layout (save_log_local): a directory per run, `last` -> it, relative */
	sh_ok("tree",
	      th_sh("set -e; T='%s'; R=$T" LOGDIR "/" RUN "; mkdir -p $R/sub/nested $T/etc; "
		    "printf 'fai log\\n' >$R/fai.log; seq 1 60000 >$R/format.log; "
		    "printf 'spaces' >\"$R/file with spaces.txt\"; printf 'deep\\n' "
		    ">$R/sub/nested/deep.txt; : >$R/empty; chmod 4755 $R/empty; "
		    "ln -s " RUN " $T" LOGDIR "/last; ln -s /etc $T" LOGDIR "/abs; "
		    "ln -s /etc/passwd $R/passwd-link; ln -s ../../../../../../etc/shadow "
		    "$R/dotdot-link; ln -s " LONG100 "/x $R/long-link; ln -s . $R/self; "
		    "mkfifo $R/fifo; echo 'guest passwd' >$T/etc/passwd; echo ok",
		    f.tree));
	mkfs_tree(f.lun, &f.l.parts[0], f.tree, "");

	/* the trailing slash is the pipeline's spelling: the copy is fai, not fai/.new-* */
	ASSERT_TRUE(asprintf(&dest, "%s/", f.out) > 0);
	ASSERT_EQ(part_fs_copy_out(&g, f.lun, f.uuid[1], "web1", LOGDIR "/last", dest, &d), 5);
	ASSERT_EQ(d.n_errors, 0);
	ASSERT_STREQ(last(&d), "left out 1 entries under '" LOGDIR
			       "/last' of guest 'web1' (devices, FIFOs, sockets or unsafe names)");
	diag_clear(&d);
	/* the referee: GNU diff, symlinks compared as symlinks (target text), the FIFO left out */
	s = th_sh("diff -r --no-dereference -x fifo '%s" LOGDIR "/" RUN "' '%s' 2>&1; echo rc=$?",
		  f.tree, f.out);
	ASSERT_STREQ(s, "rc=0");
	free(s);
	s = th_sh("cd '%s' && stat -c '%%n %%F %%a' passwd-link dotdot-link self empty sub fifo "
		  "2>&1 | sed 's/^stat: //'; readlink passwd-link dotdot-link long-link",
		  f.out);
	ASSERT_STREQ(s, "passwd-link symbolic link 777\n"
			"dotdot-link symbolic link 777\n"
			"self symbolic link 777\n"
			"empty regular empty file 755\n" /* no set-uid bit */
			"sub directory 755\n"
			"cannot statx 'fifo': No such file or directory\n"
			"/etc/passwd\n"
			"../../../../../../etc/shadow\n" LONG100 "/x");
	free(s);
	s = th_sh("ls -a '%s' | grep -c new-", th_dir());
	ASSERT_STREQ(s, "0");
	free(s);

	/* an absolute symlink as src is the guest's /etc, never the host's */
	ASSERT_EQ(part_fs_copy_out(&g, f.lun, f.uuid[1], "web1", LOGDIR "/abs", f.out, &d), 1);
	s = th_sh("diff -r --no-dereference '%s/etc' '%s' 2>&1; echo rc=$?", f.tree, f.out);
	ASSERT_STREQ(s, "rc=0");
	free(s);
	/* and a ".." symlink as src stays inside: the guest has no /etc/shadow */
	ASSERT_ERR(part_fs_copy_out(&g, f.lun, f.uuid[1], "web1", LOGDIR "/last/dotdot-link", f.out,
				    &d),
		   ENOENT);
	ASSERT_ERR(part_fs_copy_out(&g, f.lun, f.uuid[1], "web1", LOGDIR "/last/passwd-link", f.out,
				    &d),
		   ENOTDIR);
	ASSERT_STREQ(last(&d), th_fmt("'" LOGDIR "/last/passwd-link' in the ext4 in '%s' at offset "
				      "%llu is not a directory",
				      f.lun, (unsigned long long) f.l.parts[0].start));

	/* a destination planted with symlinks to the host is replaced, never written through */
	ASSERT_TRUE(asprintf(&victim, "%s/victim", th_dir()) > 0);
	sh_ok("plant", th_sh("set -e; rm -rf '%s'; mkdir '%s'; echo precious >'%s'; "
			     "ln -s '%s' '%s/fai.log'; ln -s '%s' '%s/sub'; echo ok",
			     f.out, f.out, victim, victim, f.out, th_dir(), f.out));
	ASSERT_EQ(part_fs_copy_out(&g, f.lun, f.uuid[1], "web1", LOGDIR "/last", f.out, &d), 5);
	s = th_sh("cat '%s'; diff -r --no-dereference -x fifo '%s" LOGDIR "/" RUN
		  "' '%s' 2>&1; echo rc=$?",
		  victim, f.tree, f.out);
	ASSERT_STREQ(s, "precious\nrc=0");
	free(s);
	/* dest itself a symlink to a directory: replaced by the copy, the directory untouched */
	sh_ok("plant dir", th_sh("set -e; rm -rf '%s'; mkdir '%s.d'; ln -s '%s.d' '%s'; echo ok",
				 f.out, f.out, f.out, f.out));
	ASSERT_EQ(part_fs_copy_out(&g, f.lun, f.uuid[1], "web1", LOGDIR "/last", f.out, &d), 5);
	s = th_sh("stat -c %%F '%s'; ls -A '%s.d' | wc -l; rmdir '%s.d'", f.out, f.out, f.out);
	ASSERT_STREQ(s, "directory\n0");
	free(s);

	/* refusals leave the last copy as it was */
	s = th_sh("cd '%s' && find . | sort | md5sum", f.out);
	ASSERT_ERR(part_fs_copy_out(&g, f.lun, f.uuid[1], "web1", LOGDIR "/none", f.out, &d),
		   ENOENT);
	ASSERT_STREQ(last(&d), th_fmt("'" LOGDIR "/none' does not exist in the ext4 in '%s' at "
				      "offset %llu",
				      f.lun, (unsigned long long) f.l.parts[0].start));
	/* partition 2 is web2's */
	ASSERT_ERR(part_fs_copy_out(&g, f.lun, f.uuid[2], "web1", LOGDIR "/last", f.out, &d),
		   EPERM);
	ASSERT_STREQ(last(&d), th_fmt("partition 2 on '%s' (PARTUUID %s, 'free') does not belong "
				      "to guest 'web1', refusing to read it",
				      f.lun, f.uuid[2]));
	ASSERT_ERR(part_fs_copy_out(&g, f.lun, "00000000-0000-4000-8000-000000000000", "web1",
				    LOGDIR "/last", f.out, &d),
		   ENOENT);
	{
		char *none[] = {NULL};
		struct part_guard g0 = {.luns = none, .owner = owner_table};

		ASSERT_ERR(
			part_fs_copy_out(&g0, f.lun, f.uuid[1], "web1", LOGDIR "/last", f.out, &d),
			EPERM);
		ASSERT_STREQ(last(&d), th_fmt("'%s' is not one of the site's LUNs", f.lun));
	}
	/* partition 4 has no filesystem yet */
	ASSERT_ERR(part_fs_copy_out(&g, f.lun, f.uuid[4], "web1", "/", f.out, &d), EIO);
	{
		char *now = th_sh("cd '%s' && find . | sort | md5sum", f.out);

		ASSERT_STREQ(now, s);
		free(now);
	}
	free(s);
	s = th_sh("ls -a '%s' | grep -c new-", th_dir());
	ASSERT_STREQ(s, "0");
	free(s);

	(void) unlink(victim);
	free(victim);
	free(dest);
	diag_release(&d);
	fixture_release(&f);
}

TEST(limits)
{
	struct fixture f = {0};
	char *luns[2], *s;
	struct part_guard g;
	struct diag d = DIAG_INIT;

	fixture_init(&f);
	luns[0] = f.lun;
	luns[1] = NULL;
	g = (struct part_guard){.luns = luns, .owner = owner_table};
	/* a sparse file 1 byte over the limit, 10001 entries, 17 directory levels */
	sh_ok("tree", th_sh("set -e; T='%s'; mkdir -p $T/big $T/many/d $T/deep $T/fits; "
			    "truncate -s $((64 * 1024 * 1024 + 1)) $T/big/core; "
			    "truncate -s $((32 * 1024 * 1024)) $T/fits/a $T/fits/b; "
			    "cd $T/many/d && seq 1 10000 | xargs touch; cd $T/deep; "
			    "mkdir -p 1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17; echo ok",
			    f.tree));
	mkfs_tree(f.lun, &f.l.parts[2], f.tree, "-N 20000");

	ASSERT_ERR(part_fs_copy_out(&g, f.lun, f.uuid[3], "web1", "/big", f.out, &d), EFBIG);
	ASSERT_STREQ(last(&d), th_fmt("'/big' in the ext4 in '%s' at offset %llu has more than "
				      "67108864 bytes in its files",
				      f.lun, (unsigned long long) f.l.parts[2].start));
	ASSERT_ERR(part_fs_copy_out(&g, f.lun, f.uuid[3], "web1", "/many", f.out, &d), EFBIG);
	ASSERT_STREQ(last(&d), th_fmt("'/many' in the ext4 in '%s' at offset %llu has more than "
				      "10000 entries",
				      f.lun, (unsigned long long) f.l.parts[2].start));
	ASSERT_ERR(part_fs_copy_out(&g, f.lun, f.uuid[3], "web1", "/deep", f.out, &d), EFBIG);
	ASSERT_STREQ(last(&d), th_fmt("'/deep' in the ext4 in '%s' at offset %llu has more than "
				      "16 directory levels",
				      f.lun, (unsigned long long) f.l.parts[2].start));
	/* nothing of them on the host */
	ASSERT_TRUE(access(f.out, F_OK) < 0 && errno == ENOENT);
	s = th_sh("ls -a '%s' | grep -c new-", th_dir());
	ASSERT_STREQ(s, "0");
	free(s);
	/* exactly at the limit is fine: 10000 entries, 64 MiB (holes read as zeros) */
	ASSERT_EQ(part_fs_copy_out(&g, f.lun, f.uuid[3], "web1", "/many/d", f.out, &d), 10000);
	ASSERT_EQ(part_fs_copy_out(&g, f.lun, f.uuid[3], "web1", "/fits", f.out, &d), 2);
	s = th_sh("cmp '%s/fits/a' '%s/a' && cmp '%s/fits/b' '%s/b' && echo same", f.tree, f.out,
		  f.tree, f.out);
	ASSERT_STREQ(s, "same");
	free(s);
	diag_release(&d);
	fixture_release(&f);
}

TEST(unsafe_names_from_a_patched_image)
{
	struct fixture f = {0};
	char *luns[2], *s;
	struct part_guard g;
	struct diag d = DIAG_INIT;

	fixture_init(&f);
	luns[0] = f.lun;
	luns[1] = NULL;
	g = (struct part_guard){.luns = luns, .owner = owner_table};
	/* names mke2fs cannot make: patched in the directory block (no checksums to redo) */
	sh_ok("tree", th_sh("set -e; T='%s'; mkdir -p $T/evil/zz; echo x >$T/evil/zz/f; "
			    "echo 1 >$T/evil/evilXname; echo 2 >$T/evil/evilYname; "
			    "echo ok >$T/evil/ok; echo ok",
			    f.tree));
	mkfs_tree(f.lun, &f.l.parts[3], f.tree, "-O ^metadata_csum,^dir_index");
	sh_ok("patch",
	      th_sh("python3 -c '\n"
		    "import mmap, sys\n"
		    "f = open(sys.argv[1], \"r+b\"); m = mmap.mmap(f.fileno(), 0)\n"
		    "start, end = int(sys.argv[2]), int(sys.argv[3])\n"
		    "for old, new in ((b\"evilXname\", b\"evil/name\"), (b\"evilYname\", b\"evil\\0name\")):\n"
		    "    i = m.find(old, start, end); assert i > 0 and m.find(old, i + 1, end) < 0\n"
		    "    m[i:i + len(new)] = new\n"
		    "# the directory zz becomes a second \"..\"\n"
		    "i = m.find(b\"\\x02\\x02zz\", start, end); assert i > 0\n"
		    "m[i + 2:i + 4] = b\"..\"\n"
		    "m.flush(); print(\"ok\")' '%s' %llu %llu",
		    f.lun, (unsigned long long) f.l.parts[3].start,
		    (unsigned long long) (f.l.parts[3].start + f.l.parts[3].size)));
	/* debugfs, the referee, sees the patched names */
	s = th_sh("debugfs -R 'ls -l /evil' '%s?offset=%llu' 2>/dev/null | "
		  "awk 'NF { print $NF }' | LC_ALL=C sort | tr '\\n' ' '",
		  f.lun, (unsigned long long) f.l.parts[3].start);
	ASSERT_STREQ(s, ". .. .. evil/name evil\\x00name ok "); /* debugfs escapes the NUL */
	free(s);
	ASSERT_EQ(part_fs_copy_out(&g, f.lun, f.uuid[4], "web1", "/evil", f.out, &d), 1);
	ASSERT_STREQ(last(&d), "left out 2 entries under '/evil' of guest 'web1' (devices, FIFOs, "
			       "sockets or unsafe names)");
	s = th_sh("cd '%s' && find . | sort | tr '\\n' ' '; cat ok; ls '%s'", f.out, th_dir());
	ASSERT_STREQ(s, ". ./ok ok\nlun.img\nout\ntree");
	free(s);
	diag_release(&d);
	fixture_release(&f);
}

TEST_MAIN()
