/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A tiny test harness: TEST(name) { ... } registers a test; ASSERT_*() report file:line and
 * fail the current test. Each tests/unit/test-<module>-<topic>.c is one executable:
 *
 *	#include "tests/unit/test.h"
 *	TEST(size_parse) { uint64_t v; ASSERT_OK(parse_size("20G", &v)); ASSERT_EQ(v, 20ULL << 30);
 *} TEST_MAIN()
 *
 * Exit status 0 when all pass, 1 when any fails, 77 (meson: skipped) when a test calls
 * SKIP() and none failed.
 */

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

extern struct test_case test__cases[256];
extern unsigned test__n;
extern jmp_buf test__jmp;
extern int test__skipped;

#define TEST(n)                                                                                    \
	static void test_##n(void);                                                                \
	__attribute__((constructor)) static void test__register_##n(void)                          \
	{                                                                                          \
		test__cases[test__n++] = (struct test_case){#n, test_##n};                         \
	}                                                                                          \
	static void test_##n(void)

#define TEST__FAIL(...)                                                                            \
	do {                                                                                       \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                    \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		longjmp(test__jmp, 1);                                                             \
	} while (0)

#define ASSERT_TRUE(e)                                                                             \
	do {                                                                                       \
		if (!(e))                                                                          \
			TEST__FAIL("assertion failed: %s", #e);                                    \
	} while (0)
#define ASSERT_FALSE(e) ASSERT_TRUE(!(e))

#define ASSERT_EQ(a, b)                                                                            \
	do {                                                                                       \
		long long _a = (long long) (a), _b = (long long) (b);                              \
		if (_a != _b)                                                                      \
			TEST__FAIL("%s == %s: %lld != %lld", #a, #b, _a, _b);                      \
	} while (0)

#define ASSERT_OK(e)                                                                               \
	do {                                                                                       \
		long long _r = (long long) (e);                                                    \
		if (_r < 0)                                                                        \
			TEST__FAIL("%s failed: %lld (%s)", #e, _r, strerror((int) -_r));           \
	} while (0)

#define ASSERT_ERR(e, err)                                                                         \
	do {                                                                                       \
		long long _r = (long long) (e);                                                    \
		if (_r != -(err))                                                                  \
			TEST__FAIL("%s: want -%s, got %lld", #e, #err, _r);                        \
	} while (0)

#define ASSERT_STREQ(a, b)                                                                         \
	do {                                                                                       \
		const char *_a = (a), *_b = (b);                                                   \
		if (!_a || !_b || strcmp(_a, _b) != 0)                                             \
			TEST__FAIL("%s == %s:\n  got:  \"%s\"\n  want: \"%s\"", #a, #b,            \
				   _a ? _a : "(null)", _b ? _b : "(null)");                        \
	} while (0)

#define ASSERT_NULL(p)	   ASSERT_TRUE((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT_TRUE((p) != NULL)

#define SKIP(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "skip: " __VA_ARGS__);                                             \
		fputc('\n', stderr);                                                               \
		test__skipped = 1;                                                                 \
		longjmp(test__jmp, 2);                                                             \
	} while (0)

/* Runs one test; returns 0 passed, 1 failed, 2 skipped. A function of its own so that no
 * local of the loop lives across setjmp(). */
#define TEST_MAIN()                                                                                \
	struct test_case test__cases[256];                                                         \
	unsigned test__n;                                                                          \
	jmp_buf test__jmp;                                                                         \
	int test__skipped;                                                                         \
	static int test__run_one(const struct test_case *t)                                        \
	{                                                                                          \
		int j = setjmp(test__jmp);                                                         \
		if (j == 0) {                                                                      \
			t->fn();                                                                   \
			printf("ok %s\n", t->name);                                                \
			return 0;                                                                  \
		}                                                                                  \
		printf("%s %s\n", j == 2 ? "skip" : "FAIL", t->name);                              \
		return j == 2 ? 2 : 1;                                                             \
	}                                                                                          \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		unsigned failed = 0, ran = 0, skipped = 0;                                         \
		for (unsigned i = 0; i < test__n; i++) {                                           \
			int r;                                                                     \
			if (argc > 1 && strcmp(argv[1], test__cases[i].name) != 0)                 \
				continue;                                                          \
			ran++;                                                                     \
			r = test__run_one(&test__cases[i]);                                        \
			failed += r == 1;                                                          \
			skipped += r == 2;                                                         \
		}                                                                                  \
		printf("%u passed, %u failed, %u skipped\n", ran - failed - skipped, failed,       \
		       skipped);                                                                   \
		if (failed)                                                                        \
			return 1;                                                                  \
		return skipped && skipped == ran ? 77 : 0;                                         \
	}
