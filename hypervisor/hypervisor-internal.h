/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared between hypervisor/domcfg.c and hypervisor/libxl.c; not for other modules. */

#include <stdint.h>

#include "hypervisor/hypervisor.h"

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
