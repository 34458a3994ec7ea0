/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Small helpers with no domain knowledge: string vectors, number/size/address parsing,
 * atomic file writes and the "did you mean" distance.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"

/* NULL-terminated string vectors. strv_free() accepts NULL and returns NULL. */
char **strv_free(char **v);
size_t strv_length(char *const *v);
int strv_push(char ***v, const char *s); /* copies s */
int strv_push_take(char ***v, char *s);	 /* takes s */
bool strv_contains(char *const *v, const char *s);
char **strv_copy(char *const *v);
static inline void strv_freep(char ***v)
{
	strv_free(*v);
}

/*
 * Parse a size with an optional binary suffix: "20G", "512M", "2GiB", "1048576" (bytes).
 * Suffixes K, M, G, T (powers of 1024), with optional "iB" or "B".
 * Returns: 0 on success, -EINVAL on syntax error, -ERANGE on overflow.
 */
int parse_size(const char *s, uint64_t *ret);

/* Format a size as the shortest exact "20G"/"512M"/"123K"/"100" string. Returns buf. */
char *format_size(uint64_t bytes, char *buf, size_t len);

/*
 * Parse a duration into seconds: "300" or "300s", "5m", "1h", "2d", or a sum "1h30m".
 * Returns: 0 on success, -EINVAL on syntax error, -ERANGE on overflow.
 */
int parse_duration(const char *s, uint64_t *ret_sec);
/* Format seconds in the largest exact unit: "1h", "5m", "90s". Returns buf. */
char *format_duration(uint64_t sec, char *buf, size_t len);

/* Decimal unsigned, whole string, no sign. Returns: 0, -EINVAL, -ERANGE. */
int parse_u64(const char *s, uint64_t *ret);

/* Dotted-quad IPv4 into host byte order. Returns: 0 on success, -EINVAL. */
int parse_ipv4(const char *s, uint32_t *ret);
/* "a.b.c.d/len" into host-order network address and prefix length. */
int parse_ipv4_cidr(const char *s, uint32_t *ret_addr, unsigned *ret_prefix);
char *format_ipv4(uint32_t addr, char buf[static 16]);

/* "00:16:3e:05:30:71" (case-insensitive). Returns: 0 on success, -EINVAL. */
int parse_mac(const char *s, uint8_t ret[6]);
/* Leading part of a MAC, 1..6 bytes ("00:16:3e"). Returns: number of bytes, or -EINVAL. */
int parse_mac_prefix(const char *s, uint8_t ret[6]);
char *format_mac(const uint8_t mac[6], char buf[static 18]);

/* Damerau-Levenshtein (optimal string alignment) distance, for "did you mean". */
unsigned str_distance(const char *a, const char *b);
/*
 * The candidate closest to s if it is close enough to be a plausible typo, else NULL.
 * candidates is NULL-terminated.
 */
const char *str_closest(const char *s, const char *const *candidates);

/*
 * RFC 1123 host name label: 1..63 of [a-z0-9-], not starting or ending with '-'.
 * Upper case is refused: guest names become file names and GPT names, one spelling only.
 */
bool hostname_label_valid(const char *s);

/*
 * The length of the valid UTF-8 sequence at s (at most n bytes: 1 to 4), or 0 when s does
 * not start one (a stray continuation byte, an overlong form, a surrogate, beyond U+10FFFF,
 * cut short). s[0] must not be ASCII.
 */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/*
 * Whether two stat results are the same device: block devices by device number (st_rdev),
 * regular files by inode (st_dev + st_ino); anything else never is.
 */
struct stat;
bool stat_same_device(const struct stat *a, const struct stat *b);

/* Write all of data to fd, retrying short writes and EINTR. Returns: 0 or -errno. */
int write_all(int fd, const void *data, size_t len);

/*
 * Write data to path atomically: a temporary file in the same directory, fsync, rename,
 * fsync of the directory. With overwrite false an existing path is -EEXIST and nothing is
 * written. mode is the new file's permission bits.
 * Returns: 0 on success, < 0 (-errno) on error; on error path is untouched.
 */
int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
		      bool overwrite);
/* The temporary file of write_file_atomic(path): path + this, the X's made by mkostemp(). */
#define WRITE_ATOMIC_TMP ".tmp.XXXXXX"

/*
 * What write_file_atomic(path, ...) leaves behind when it is killed between creating its
 * temporary file and renaming it: the regular files in path's directory named exactly
 * path's name + ".tmp." + six of mkostemp's characters [A-Za-z0-9]; nothing else (not a
 * symlink, not a longer or shorter name). Their paths in *ret (NULL-terminated, caller frees
 * with strv_free()). A missing directory has none.
 * Returns: how many (>= 0), or -errno.
 */
int write_file_atomic_leftovers(const char *path, char ***ret);

/*
 * Remove name (relative to dirfd, or AT_FDCWD) and, if it is a directory, everything in it,
 * never following a symlink: a symlink is removed, not what it points to. Absent: 0.
 * Returns: 0 or -errno (what could be removed is removed).
 */
int rm_rf_at(int dirfd, const char *name);

/*
 * Create the directories leading to path (not path itself), like `mkdir -p "$(dirname path)"`.
 * Returns: 0 or -errno.
 */
int mkdir_parents(const char *path, unsigned mode);

/*
 * Take an exclusive flock(2) on the file path (made, with its directories, when missing),
 * waiting for it when wait, else -EWOULDBLOCK with nothing in d. Closing the fd releases it.
 * Returns: the fd (>= 0), or < 0 with the reason in d.
 */
struct diag;
int lock_file(const char *path, bool wait, struct diag *d);

/* CLOCK_MONOTONIC in microseconds: for timeouts and elapsed times. */
int64_t mono_usec(void);
/* CLOCK_REALTIME in microseconds: wall time, for what is recorded (events, last seen). */
int64_t realtime_usec(void);

/* Read a whole file into a NUL-terminated buffer. Returns: 0 or -errno. */
int read_file(const char *path, char **ret, size_t *ret_len);
