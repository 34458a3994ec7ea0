/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the stages that drive Xen share (stage-xen.c): the hypervisor connection, the console
 * logs, and the clock and limits of pipeline_opts.xen. Private to provision/.
 */

#include "pipeline.h"

#define READY_MARKER "PROVISION-READY "

/* The stages' limits and clock: p->o.xen, or stage_xen_policy_default. */
const struct stage_xen_policy *stage_xen_policy(const struct pipeline *p);
/* The policy's clock, in seconds. */
long stage_xen_now_s(const struct stage_xen_policy *pol);

/* Open p->o.hv. Returns: 0 and the handle in *ret_h, or < 0 with the reason in p's diag. */
int stage_xen_connect(struct pipeline *p, void **ret_h);
/*
 * The console log of p's guest in stage ("install", "boot"), its directory made.
 * Returns: 0 and the path in *ret (caller frees), or < 0 with the reason in p's diag.
 */
int stage_xen_console_path(struct pipeline *p, const char *stage, char **ret);
/* The last lines of the console log (may be NULL) as a note in p's diag, when there are any. */
void stage_xen_console_tail(struct pipeline *p, const char *log);
