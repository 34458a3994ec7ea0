/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One harness per parser (tests/fuzz/fuzz-<target>.c defines fuzz_one()), driven by libFuzzer
 * (libfuzzer.c, `meson setup -Dfuzz=true` with clang: tests/fuzz/run) or by the replayer
 * (replay.c: the regression inputs and the seed corpus in every `meson test`). A harness
 * parses its input with the project's own entry point, checks what it can about the result,
 * frees everything and returns 0. A broken property is fuzz_fail(): a message and abort(),
 * which both drivers report as a crash.
 */

#include <stddef.h>
#include <stdint.h>

/* The harness of this executable. */
int fuzz_one(const uint8_t *data, size_t size);

/* Report a broken property and abort. */
_Noreturn void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail("%s:%d: check failed: %s", __FILE__, __LINE__, #cond);           \
	} while (0)

struct diag;
/*
 * Print d to /dev/null, so that every message is formatted as the CLI would; to stderr with
 * FUZZ_VERBOSE set (to see what an input does: FUZZ_VERBOSE=1 fuzz-replay-TARGET FILE).
 */
void fuzz_diag_print(const struct diag *d);

/* data as a NUL-terminated string (a NUL inside ends it early, as a C reader would see it). */
char *fuzz_strndup(const uint8_t *data, size_t size);

/*
 * A scratch directory of this process, made on first use and removed at exit; the harnesses
 * that read files (templates with extends:) write their inputs there.
 */
const char *fuzz_tmpdir(void);
/* Write data to dir/name (created or truncated). */
void fuzz_write(const char *dir, const char *name, const void *data, size_t size);
/* Remove dir/name if it is there. */
void fuzz_unlink(const char *dir, const char *name);
