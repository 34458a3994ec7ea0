/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_       __attribute__((unused))
#define _noreturn_     __attribute__((noreturn))
#define _warn_unused_  __attribute__((warn_unused_result))

/* Hand ownership of a _cleanup_ variable to someone else. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p_ = (p);                                                           \
		(p) = NULL;                                                                        \
		_p_;                                                                               \
	})

#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _fd_ = (fd);                                                                   \
		(fd) = -1;                                                                         \
		_fd_;                                                                              \
	})

static inline void freep(void *p)
{
	free(*(void **) p);
}

/*
 * -errno after a call that failed, never 0. "return -errno" may return 0 as far as the
 * compiler knows, and then a caller's ret_* would be read unset; this cannot [sd
 * errno-util.h negative_errno()].
 */
static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

void closep(int *fd);
void fclosep(FILE **f);

#define streq(a, b) (strcmp((a), (b)) == 0)

/*
 * An enum's names, both ways (systemd's DEFINE_STRING_TABLE_LOOKUP): table[i] names value i
 * (NULL: none). NAME_to_string() gives NULL out of range; NAME_from_string() gives -EINVAL
 * (the enums' _X_INVALID) for a name not in the table.
 */
static inline const char *string_table_to(const char *const *t, size_t n, int i)
{
	return i >= 0 && (size_t) i < n ? t[i] : NULL;
}
static inline int string_table_from(const char *const *t, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (t[i] && streq(t[i], s))
			return (int) i;
	return -EINVAL;
}
#define DEFINE_STRING_TABLE_TO(name, type, table)                                                  \
	const char *name##_to_string(type i)                                                       \
	{                                                                                          \
		return string_table_to(table, ELEMENTSOF(table), (int) i);                         \
	}
#define DEFINE_STRING_TABLE_FROM(name, type, table)                                                \
	type name##_from_string(const char *s)                                                     \
	{                                                                                          \
		return (type) string_table_from(table, ELEMENTSOF(table), s);                      \
	}
#define DEFINE_STRING_TABLE(name, type, table)                                                     \
	DEFINE_STRING_TABLE_TO(name, type, table)                                                  \
	DEFINE_STRING_TABLE_FROM(name, type, table)
