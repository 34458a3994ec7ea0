/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

void closep(int *fd)
{
	if (*fd >= 0)
		(void) close(*fd);
}

void fclosep(FILE **f)
{
	if (*f)
		(void) fclose(*f);
}

char **strv_free(char **v)
{
	if (!v)
		return NULL;
	for (char **i = v; *i; i++)
		free(*i);
	free(v);
	return NULL;
}

size_t strv_length(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

int strv_push_take(char ***v, char *s)
{
	size_t n = strv_length(*v);
	char **nv;

	if (!s)
		return -ENOMEM;
	nv = realloc(*v, (n + 2) * sizeof(char *));
	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	nv[n] = s;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

int strv_push(char ***v, const char *s)
{
	return strv_push_take(v, strdup(s));
}

bool strv_contains(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (streq(*v, s))
			return true;
	return false;
}

char **strv_copy(char *const *v)
{
	_cleanup_(strv_freep) char **n = calloc(1, sizeof(char *));

	if (!n)
		return NULL;
	for (; v && *v; v++)
		if (strv_push(&n, *v) < 0)
			return NULL;
	return TAKE_PTR(n);
}

int parse_u64(const char *s, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char) *s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int parse_size(const char *s, uint64_t *ret)
{
	static const char units[] = "KMGTPE";
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!s || !isdigit((unsigned char) *s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end) {
		const char *u = strchr(units, toupper((unsigned char) *end));

		if (!u)
			return -EINVAL;
		shift = 10 * (unsigned) (u - units + 1);
		end++;
		if (streq(end, "iB") || streq(end, "B"))
			end = "";
		if (*end)
			return -EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*ret = (uint64_t) v << shift;
	return 0;
}

int parse_duration(const char *s, uint64_t *ret_sec)
{
	uint64_t total = 0;

	if (!s || !*s)
		return -EINVAL;
	if (strspn(s, "0123456789") == strlen(s))
		return parse_u64(s, ret_sec);
	while (*s) {
		unsigned long long v;
		uint64_t mult;
		char *end;

		if (!isdigit((unsigned char) *s))
			return -EINVAL;
		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno == ERANGE)
			return -ERANGE;
		switch (*end) {
		case 's':
			mult = 1;
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		case 'd':
			mult = 86400;
			break;
		default:
			return -EINVAL;
		}
		if (v > (UINT64_MAX - total) / mult)
			return -ERANGE;
		total += v * mult;
		s = end + 1;
	}
	*ret_sec = total;
	return 0;
}

char *format_duration(uint64_t sec, char *buf, size_t len)
{
	if (sec && sec % 86400 == 0)
		snprintf(buf, len, "%llud", (unsigned long long) (sec / 86400));
	else if (sec && sec % 3600 == 0)
		snprintf(buf, len, "%lluh", (unsigned long long) (sec / 3600));
	else if (sec && sec % 60 == 0)
		snprintf(buf, len, "%llum", (unsigned long long) (sec / 60));
	else
		snprintf(buf, len, "%llus", (unsigned long long) sec);
	return buf;
}

char *format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int i = -1;

	while (bytes && bytes % 1024 == 0 && i < 5) {
		bytes /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%llu", (unsigned long long) bytes);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long) bytes, units[i]);
	return buf;
}

int parse_ipv4(const char *s, uint32_t *ret)
{
	uint32_t a = 0;

	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;

		while (isdigit((unsigned char) *s)) {
			if (digits && v == 0)
				return -EINVAL; /* no leading zeros: "010" is octal to inet_aton */
			v = v * 10 + (unsigned) (*s++ - '0');
			if (++digits > 3 || v > 255)
				return -EINVAL;
		}
		if (!digits)
			return -EINVAL;
		a = (a << 8) | v;
		if (i < 3 && *s++ != '.')
			return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	*ret = a;
	return 0;
}

int parse_ipv4_cidr(const char *s, uint32_t *ret_addr, unsigned *ret_prefix)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	uint64_t len;
	uint32_t a;
	size_t n;

	if (!slash)
		return -EINVAL;
	n = (size_t) (slash - s);
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (parse_ipv4(buf, &a) < 0 || parse_u64(slash + 1, &len) < 0 || len > 32)
		return -EINVAL;
	*ret_addr = a;
	*ret_prefix = (unsigned) len;
	return 0;
}

char *format_ipv4(uint32_t a, char buf[static 16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
	return buf;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char) tolower((unsigned char) c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int parse_mac_prefix(const char *s, uint8_t ret[6])
{
	uint8_t m[6];
	int n = 0;

	for (;;) {
		int hi, lo;

		if (n == 6)
			return -EINVAL;
		hi = hexval(s[0]);
		lo = hi < 0 ? -1 : hexval(s[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		m[n++] = (uint8_t) (hi << 4 | lo);
		s += 2;
		if (!*s)
			break;
		if (*s++ != ':')
			return -EINVAL;
	}
	memcpy(ret, m, (size_t) n);
	return n;
}

int parse_mac(const char *s, uint8_t ret[6])
{
	uint8_t m[6];

	if (parse_mac_prefix(s, m) != 6)
		return -EINVAL;
	memcpy(ret, m, 6);
	return 0;
}

char *format_mac(const uint8_t m[6], char buf[static 18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

unsigned str_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	_cleanup_(freep) unsigned *d = NULL;

	if (la > 64 || lb > 64)
		return UINT_MAX / 2;
	d = calloc((la + 1) * (lb + 1), sizeof(unsigned));
	if (!d)
		return UINT_MAX / 2;
#define D(i, j) d[(i) * (lb + 1) + (j)]
	for (size_t i = 0; i <= la; i++)
		D(i, 0) = (unsigned) i;
	for (size_t j = 0; j <= lb; j++)
		D(0, j) = (unsigned) j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned v = D(i - 1, j) + 1;

			if (D(i, j - 1) + 1 < v)
				v = D(i, j - 1) + 1;
			if (D(i - 1, j - 1) + cost < v)
				v = D(i - 1, j - 1) + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    D(i - 2, j - 2) + 1 < v)
				v = D(i - 2, j - 2) + 1;
			D(i, j) = v;
		}
	return D(la, lb);
#undef D
}

const char *str_closest(const char *s, const char *const *candidates)
{
	const char *best = NULL;
	unsigned best_d = UINT_MAX;
	size_t len = strlen(s);

	for (; candidates && *candidates; candidates++) {
		unsigned d = str_distance(s, *candidates);

		if (d < best_d) {
			best_d = d;
			best = *candidates;
		}
	}
	/* one edit for short words, up to a third of the word for longer ones */
	if (best && best_d <= (len <= 4 ? 1 : (unsigned) (len + 2) / 3))
		return best;
	return NULL;
}

bool hostname_label_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || isdigit((unsigned char) s[i]) || s[i] == '-'))
			return false;
	return true;
}

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	unsigned cp = s[0] & (0x3f >> (len - 1));

	if (s[0] < 0xc2 || s[0] > 0xf4 || n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

bool stat_same_device(const struct stat *a, const struct stat *b)
{
	if (S_ISBLK(a->st_mode) && S_ISBLK(b->st_mode))
		return a->st_rdev == b->st_rdev;
	if (S_ISREG(a->st_mode) && S_ISREG(b->st_mode))
		return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
	return false;
}

static int fsync_dir_of(const char *path)
{
	_cleanup_(freep) char *dir = strdup(path);
	_cleanup_(closep) int fd = -1;
	char *slash;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	else
		strcpy(dir, ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t k = write(fd, p, len);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		len -= (size_t) k;
	}
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode, bool overwrite)
{
	_cleanup_(freep) char *tmp = NULL;
	_cleanup_(closep) int fd = -1;
	int r;

	if (asprintf(&tmp, "%s" WRITE_ATOMIC_TMP, path) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		goto fail_errno;
	r = write_all(fd, data, len);
	if (r < 0) {
		(void) unlink(tmp);
		return r;
	}
	if (fsync(fd) < 0)
		goto fail_errno;
	if (overwrite) {
		if (rename(tmp, path) < 0)
			goto fail_errno;
	} else {
		/* link() fails with EEXIST instead of replacing: no race with another writer */
		if (link(tmp, path) < 0)
			goto fail_errno;
		(void) unlink(tmp);
	}
	return fsync_dir_of(path);

fail_errno:
	r = -errno;
	(void) unlink(tmp);
	return r;
}

int rm_rf_at(int dirfd, const char *name)
{
	DIR *dir;
	struct dirent *de;
	int fd, r = 0;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	/* O_NOFOLLOW: a symlink swapped in since unlinkat() is not entered */
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		r = -errno;
		(void) close(fd);
		return r;
	}
	while ((de = readdir(dir))) {
		int k;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		k = rm_rf_at(fd, de->d_name);
		if (k < 0 && r == 0)
			r = k;
	}
	closedir(dir);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && r == 0)
		r = -errno;
	return r;
}

int mkdir_parents(const char *path, unsigned mode)
{
	_cleanup_(freep) char *d = strdup(path);

	if (!d)
		return -ENOMEM;
	for (char *s = d + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			if (mkdir(d, mode) < 0 && errno != EEXIST)
				return -errno;
			*s = '/';
		}
	return 0;
}

int read_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	_cleanup_(freep) char *buf = NULL;
	size_t n = 0, alloc = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t k;

		if (alloc - n < 4096) {
			char *nb = realloc(buf, alloc ? alloc * 2 : 8192);

			if (!nb)
				return -ENOMEM;
			buf = nb;
			alloc = alloc ? alloc * 2 : 8192;
		}
		k = fread(buf + n, 1, alloc - n - 1, f);
		n += k;
		if (k == 0) {
			if (ferror(f))
				return -EIO;
			break;
		}
	}
	buf[n] = 0;
	if (ret_len)
		*ret_len = n;
	*ret = TAKE_PTR(buf);
	return 0;
}

static int64_t clock_usec(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t mono_usec(void)
{
	return clock_usec(CLOCK_MONOTONIC);
}

int64_t realtime_usec(void)
{
	return clock_usec(CLOCK_REALTIME);
}
