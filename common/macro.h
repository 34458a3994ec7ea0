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
