/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Run a program from an argv (never through a shell) and wait for it.
 */

/*
 * Run argv[0] (searched in PATH) with argv, stdin from /dev/null, stdout discarded; it is
 * killed (SIGKILL) when the calling thread dies, so a killed caller leaves it not running.
 * Its stderr is collected into *ret_stderr (NUL-terminated, trailing newlines removed;
 * the caller frees it) when ret_stderr is not NULL, else passed through.
 * Returns: the exit status (0..255), 128 + signal number if it was killed, or < 0 (-errno)
 * when it could not be started (-ENOENT: no such program).
 */
int spawn_wait(char *const argv[], char **ret_stderr);
