/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared between the hypervisor module's files; not for other modules. */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "hypervisor/hypervisor.h"

/* A domain name hv_domcfg_check() accepts: 1..64 of [A-Za-z0-9_.-]. */
#define HV__NAME_MAX 64
bool hv__name_valid(const char *n);

/* A set of physical CPUs, bit n for CPU n. */
struct hv__cpuset {
	uint64_t bits[HV_CPUS_MAX / 64];
	unsigned max; /* highest CPU in the set + 1; 0 when empty */
};

/*
 * Parse an xl pinning list: CPU numbers and inclusive ranges separated by commas, "0-3,6".
 * Returns: 0, or -EINVAL (empty item, bad number, reversed range, CPU >= HV_CPUS_MAX).
 */
int hv__cpuset_parse(const char *s, struct hv__cpuset *ret);

static inline int hv__cpuset_test(const struct hv__cpuset *c, unsigned cpu)
{
	return cpu < HV_CPUS_MAX && (c->bits[cpu / 64] >> (cpu % 64)) & 1;
}

/* xl's rename-restart suffix for time t: "-YYYYmmddTHHMMZ" (UTC). Returns: 0, -EINVAL. */
#define HV__SUFFIX_MAX 24
int hv__preserve_suffix(time_t t, char buf[static HV__SUFFIX_MAX]);

/*
 * One guest console being copied to its log: the pty xenconsoled made for the domain (read
 * side, non-blocking) and the log file (O_APPEND). Plain file descriptor code, no libxl.
 */
struct hv__console {
	uint32_t domid;
	int tty_fd; /* -1 when closed */
	int log_fd;
};

/* Open tty (read-only, non-blocking, no controlling terminal) and log_path (append, create
 * 0640). Returns: 0, or -errno (nothing left open). */
int hv__console_open(struct hv__console *c, uint32_t domid, const char *tty, const char *log_path);
/*
 * Copy what is readable now from the tty to the log. Returns: 0 while the console lives, 1 when
 * it ended (EOF, EIO or hang-up: both descriptors are closed then), -errno when the log cannot
 * be written (descriptors stay open).
 */
int hv__console_pump(struct hv__console *c);
/* Read what is left, then close both descriptors. Idempotent. */
void hv__console_close(struct hv__console *c);
