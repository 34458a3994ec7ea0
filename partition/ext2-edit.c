/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libext2fs edge for editing files of an unmounted ext4 by path: what personalises a
 * clone (hostname, network, fstab, keys) without mounting the guest's filesystem on the Dom0.
 * Paths are looked up from the filesystem's root; a symlink is never followed out of it (a
 * WRITE replaces a symlink by a file, a REMOVE removes the symlink).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <et/com_err.h>
#include <ext2fs/ext2fs.h>

#include "common/macro.h"
#include "common/util.h"
#include "partition/partition-internal.h"

static void ext2fs_freep(ext2_filsys *fs)
{
	if (*fs)
		ext2fs_free(*fs);
}

static int ext2_err(errcode_t e)
{
	return e > 0 && e < 256 ? -(int) e : -EIO;
}

static int fail(struct diag *d, errcode_t e, const char *what, const char *path,
		const struct part__region *rg)
{
	diag_error(d, NULL, "cannot %s '%s' in the ext4 in '%s' at offset %llu: %s", what, path,
		   rg->path, (unsigned long long) rg->offset, error_message(e));
	return ext2_err(e);
}

static int open_fs(const struct part__region *rg, int flags, ext2_filsys *ret, struct diag *d)
{
	char opts[64];
	errcode_t e;

	snprintf(opts, sizeof(opts), "offset=%llu", (unsigned long long) rg->offset);
	initialize_ext2_error_table();
	e = ext2fs_open2(rg->path, opts, flags | EXT2_FLAG_64BITS, 0, 0, unix_io_manager, ret);
	if (!e && (flags & EXT2_FLAG_RW))
		e = ext2fs_read_bitmaps(*ret);
	return e ? fail(d, e, "open", "/", rg) : 0;
}

void part__edits_release(struct part__edits *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].path);
		free(e->v[i].data);
	}
	free(e->v);
	*e = (struct part__edits){0};
}

int part__edits_add(struct part__edits *e, enum part__edit_kind kind, const char *path,
		    const char *data, size_t len, unsigned mode)
{
	struct part__edit *v = reallocarray(e->v, e->n + 1, sizeof(*v));
	struct part__edit x = {.kind = kind, .len = len, .mode = mode};

	if (!v)
		return -ENOMEM;
	e->v = v;
	x.path = strdup(path);
	x.data = malloc(len + 1);
	if (!x.path || !x.data) {
		free(x.path);
		free(x.data);
		return -ENOMEM;
	}
	if (len)
		memcpy(x.data, data, len);
	x.data[len] = 0;
	e->v[e->n++] = x;
	return 0;
}

/* The directory of path (made when mkdirs), and its last component in *ret_base. */
static errcode_t parent_dir(ext2_filsys fs, char *path, bool mkdirs, ext2_ino_t *ret,
			    const char **ret_base)
{
	ext2_ino_t dir = EXT2_ROOT_INO, ino;
	char *p = path, *slash;
	errcode_t e;

	while (*p == '/')
		p++;
	while ((slash = strchr(p, '/'))) {
		*slash = 0;
		e = ext2fs_lookup(fs, dir, p, (int) strlen(p), NULL, &ino);
		if (e == EXT2_ET_FILE_NOT_FOUND && mkdirs) {
			e = ext2fs_mkdir(fs, dir, 0, p);
			if (e == EXT2_ET_DIR_NO_SPACE) {
				e = ext2fs_expand_dir(fs, dir);
				if (!e)
					e = ext2fs_mkdir(fs, dir, 0, p);
			}
			if (!e)
				e = ext2fs_lookup(fs, dir, p, (int) strlen(p), NULL, &ino);
		}
		*slash = '/';
		if (e)
			return e;
		if (ext2fs_check_directory(fs, ino))
			return EXT2_ET_NO_DIRECTORY;
		dir = ino;
		p = slash + 1;
		while (*p == '/')
			p++;
	}
	*ret = dir;
	*ret_base = p;
	return *p ? 0 : EXT2_ET_FILE_NOT_FOUND;
}

/* Drop one link of ino (named base in dir); free it with its last link. */
static errcode_t unlink_ino(ext2_filsys fs, ext2_ino_t dir, const char *base, ext2_ino_t ino)
{
	struct ext2_inode inode;
	errcode_t e;

	e = ext2fs_read_inode(fs, ino, &inode);
	if (!e)
		e = ext2fs_unlink(fs, dir, base, ino, 0);
	if (e || --inode.i_links_count > 0)
		return e ? e : ext2fs_write_inode(fs, ino, &inode);
	/* a fast symlink keeps its target in i_block: not blocks to free */
	if (ext2fs_inode_has_valid_blocks2(fs, &inode))
		e = ext2fs_punch(fs, ino, &inode, NULL, 0, ~0ULL);
	inode.i_dtime = (uint32_t) time(NULL);
	if (!e)
		e = ext2fs_write_inode(fs, ino, &inode);
	if (!e)
		ext2fs_inode_alloc_stats2(fs, ino, -1, 0);
	return e;
}

static errcode_t new_file(ext2_filsys fs, ext2_ino_t dir, const char *base, unsigned mode,
			  ext2_ino_t *ret)
{
	struct ext2_inode inode = {0};
	ext2_ino_t ino;
	errcode_t e;

	e = ext2fs_new_inode(fs, dir, LINUX_S_IFREG | (mode & 07777), NULL, &ino);
	if (e)
		return e;
	inode.i_mode = (uint16_t) (LINUX_S_IFREG | (mode & 07777));
	inode.i_links_count = 1;
	inode.i_atime = inode.i_ctime = inode.i_mtime = (uint32_t) time(NULL);
	if (ext2fs_has_feature_extents(fs->super))
		inode.i_flags |= EXT4_EXTENTS_FL;
	e = ext2fs_write_new_inode(fs, ino, &inode);
	if (!e)
		ext2fs_inode_alloc_stats2(fs, ino, +1, 0);
	if (!e)
		e = ext2fs_link(fs, dir, base, ino, EXT2_FT_REG_FILE);
	if (e == EXT2_ET_DIR_NO_SPACE) {
		e = ext2fs_expand_dir(fs, dir);
		if (!e)
			e = ext2fs_link(fs, dir, base, ino, EXT2_FT_REG_FILE);
	}
	if (!e)
		*ret = ino;
	return e;
}

static errcode_t write_data(ext2_filsys fs, ext2_ino_t ino, const char *data, size_t len)
{
	struct ext2_inode inode;
	unsigned int done = 0;
	ext2_file_t f;
	errcode_t e, e2;

	e = ext2fs_read_inode(fs, ino, &inode);
	if (!e && ext2fs_inode_has_valid_blocks2(fs, &inode))
		e = ext2fs_punch(fs, ino, &inode, NULL, 0, ~0ULL);
	if (!e) {
		inode.i_mtime = inode.i_ctime = (uint32_t) time(NULL);
		e = ext2fs_inode_size_set(fs, &inode, 0);
	}
	if (!e)
		e = ext2fs_write_inode(fs, ino, &inode);
	if (e)
		return e;
	e = ext2fs_file_open(fs, ino, EXT2_FILE_WRITE, &f);
	if (e)
		return e;
	if (len)
		e = ext2fs_file_write(f, data, (unsigned) len, &done);
	if (!e && done != len)
		e = EXT2_ET_SHORT_WRITE;
	if (!e)
		e = ext2fs_file_set_size2(f, len);
	e2 = ext2fs_file_close(f);
	return e ? e : e2;
}

static int edit_write(ext2_filsys fs, const struct part__edit *x, const struct part__region *rg,
		      struct diag *d)
{
	_cleanup_(freep) char *path = strdup(x->path);
	struct ext2_inode inode;
	const char *base;
	ext2_ino_t dir, ino;
	errcode_t e;

	if (!path)
		return -ENOMEM;
	e = parent_dir(fs, path, true, &dir, &base);
	if (!e)
		e = ext2fs_lookup(fs, dir, base, (int) strlen(base), NULL, &ino);
	if (!e)
		e = ext2fs_read_inode(fs, ino, &inode);
	if (!e && LINUX_S_ISDIR(inode.i_mode)) {
		diag_error(d, NULL, "'%s' in the ext4 in '%s' is a directory", x->path, rg->path);
		return -EISDIR;
	}
	if (!e && !LINUX_S_ISREG(inode.i_mode)) {
		e = unlink_ino(fs, dir, base, ino);
		if (!e)
			e = EXT2_ET_FILE_NOT_FOUND;
	}
	if (e == EXT2_ET_FILE_NOT_FOUND)
		e = new_file(fs, dir, base, x->mode, &ino);
	if (!e)
		e = write_data(fs, ino, x->data, x->len);
	return e ? fail(d, e, "write", x->path, rg) : 0;
}

static int edit_remove(ext2_filsys fs, const char *p, const struct part__region *rg, struct diag *d)
{
	_cleanup_(freep) char *path = strdup(p);
	struct ext2_inode inode;
	const char *base;
	ext2_ino_t dir, ino;
	errcode_t e;

	if (!path)
		return -ENOMEM;
	e = parent_dir(fs, path, false, &dir, &base);
	if (!e)
		e = ext2fs_lookup(fs, dir, base, (int) strlen(base), NULL, &ino);
	if (e == EXT2_ET_FILE_NOT_FOUND || e == EXT2_ET_NO_DIRECTORY)
		return 0;
	if (!e)
		e = ext2fs_read_inode(fs, ino, &inode);
	if (!e && !LINUX_S_ISREG(inode.i_mode))
		return 0; /* a symlink (machine-id to /etc's) or a directory: left alone */
	if (!e)
		e = unlink_ino(fs, dir, base, ino);
	return e ? fail(d, e, "remove", p, rg) : 0;
}

struct names {
	const char *prefix;
	char **v;
	size_t n;
	int r;
};

static int name_collect(_unused_ ext2_ino_t dir, _unused_ int entry, struct ext2_dir_entry *de,
			_unused_ int offset, _unused_ int blocksize, _unused_ char *buf, void *data)
{
	struct names *l = data;
	size_t len = (size_t) ext2fs_dirent_name_len(de), plen = strlen(l->prefix);
	char **v;

	if (!de->inode || len < plen || memcmp(de->name, l->prefix, plen) != 0 ||
	    memchr(de->name, 0, len) || memchr(de->name, '/', len))
		return 0;
	v = reallocarray(l->v, l->n + 2, sizeof(*v));
	if (!v) {
		l->r = -ENOMEM;
		return DIRENT_ABORT;
	}
	l->v = v;
	v[l->n] = strndup(de->name, len);
	if (!v[l->n]) {
		l->r = -ENOMEM;
		return DIRENT_ABORT;
	}
	v[++l->n] = NULL;
	return 0;
}

static int list_names(ext2_filsys fs, const char *dir, const char *prefix, char ***ret,
		      const struct part__region *rg, struct diag *d)
{
	struct names l = {.prefix = prefix};
	ext2_ino_t ino;
	errcode_t e;

	e = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, dir, &ino);
	if (!e && ext2fs_check_directory(fs, ino))
		e = EXT2_ET_FILE_NOT_FOUND;
	if (!e)
		e = ext2fs_dir_iterate2(fs, ino, 0, NULL, name_collect, &l);
	if (l.r < 0 || (e && e != EXT2_ET_FILE_NOT_FOUND)) {
		strv_free(l.v);
		return l.r < 0 ? l.r : fail(d, e, "read directory", dir, rg);
	}
	if (!l.v && !(l.v = calloc(1, sizeof(char *))))
		return -ENOMEM;
	*ret = l.v;
	return (int) l.n;
}

static int edit_remove_prefix(ext2_filsys fs, const struct part__edit *x,
			      const struct part__region *rg, struct diag *d)
{
	_cleanup_(strv_freep) char **names = NULL;
	int r = list_names(fs, x->path, x->data, &names, rg, d);

	for (size_t i = 0; r >= 0 && names[i]; i++) {
		_cleanup_(freep) char *p = NULL;

		if (asprintf(&p, "%s/%s", x->path, names[i]) < 0)
			return -ENOMEM;
		r = edit_remove(fs, p, rg, d);
	}
	return r < 0 ? r : 0;
}

int part__fs_edit(const struct part__region *rg, const struct part__edits *ed, struct diag *d)
{
	_cleanup_(ext2fs_freep) ext2_filsys fs = NULL;
	errcode_t e;
	int r;

	r = open_fs(rg, EXT2_FLAG_RW, &fs, d);
	for (size_t i = 0; r >= 0 && i < ed->n; i++) {
		const struct part__edit *x = &ed->v[i];

		if (x->path[0] != '/')
			return diag_error(d, NULL, "not an absolute path: '%s'", x->path);
		if (x->kind == PART__EDIT_WRITE)
			r = edit_write(fs, x, rg, d);
		else if (x->kind == PART__EDIT_REMOVE)
			r = edit_remove(fs, x->path, rg, d);
		else
			r = edit_remove_prefix(fs, x, rg, d);
	}
	if (r < 0)
		return r;
	e = ext2fs_close_free(&fs);
	return e ? fail(d, e, "write", "/", rg) : 0;
}

int part__fs_read_file(const struct part__region *rg, const char *path, size_t max, char **ret,
		       struct diag *d)
{
	_cleanup_(ext2fs_freep) ext2_filsys fs = NULL;
	_cleanup_(freep) char *buf = NULL;
	struct ext2_inode inode;
	unsigned int got = 0;
	ext2_file_t f;
	ext2_ino_t ino;
	uint64_t size;
	errcode_t e;
	int r;

	r = open_fs(rg, 0, &fs, d);
	if (r < 0)
		return r;
	e = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, path, &ino);
	if (!e)
		e = ext2fs_read_inode(fs, ino, &inode);
	if (e == EXT2_ET_FILE_NOT_FOUND || e == EXT2_ET_NO_DIRECTORY ||
	    (!e && !LINUX_S_ISREG(inode.i_mode)))
		return -ENOENT;
	if (e)
		return fail(d, e, "look up", path, rg);
	size = EXT2_I_SIZE(&inode);
	if (size > max) {
		diag_error(d, NULL, "'%s' in the ext4 in '%s' is larger than %zu bytes", path,
			   rg->path, max);
		return -EFBIG;
	}
	buf = malloc(size + 1);
	if (!buf)
		return -ENOMEM;
	e = ext2fs_file_open(fs, ino, 0, &f);
	if (!e) {
		e = size ? ext2fs_file_read(f, buf, (unsigned) size, &got) : 0;
		errcode_t e2 = ext2fs_file_close(f);

		e = e ? e : e2;
	}
	if (!e && got != size)
		e = EXT2_ET_SHORT_READ;
	if (e)
		return fail(d, e, "read", path, rg);
	buf[size] = 0;
	*ret = TAKE_PTR(buf);
	return (int) size;
}

int part__fs_list(const struct part__region *rg, const char *dir, const char *prefix, char ***ret,
		  struct diag *d)
{
	_cleanup_(ext2fs_freep) ext2_filsys fs = NULL;
	int r;

	r = open_fs(rg, 0, &fs, d);
	return r < 0 ? r : list_names(fs, dir, prefix, ret, rg, d);
}
