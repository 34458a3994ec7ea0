/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The guest's watcher (provision/watch.c): libxl leaves what happens after a guest's shutdown
 * (on_poweroff, on_reboot, on_crash) to the process that created the domain, and `xl create`
 * leaves one behind for it. provision's commands end once the guest runs, so each guest it
 * starts gets a watcher of its own: `provision watch NAME`, detached, one per guest and Dom0.
 */

#include <stdbool.h>

#include "cmds.h"

struct site;

/*
 * Stay with guest name's domain on this Dom0 until it is destroyed, applying its boot
 * config's on_* actions as it shuts down (a reboot starts it again), each under the guest's
 * lock and only while the inventory has the guest on this Dom0. A suspend (a migration's) is
 * waited out: the watcher ends when the domain moved, and goes on when it was resumed here.
 * Ends at once (0) when another watcher has the guest. Its messages go to stdout.
 * Returns: an exit status (EXIT_OK when the domain is gone).
 */
int prov_watch(struct prov_ctx *ctx, const char *name);

/*
 * Start `provision --site SITE_PATH watch NAME` detached (this program, two forks, a session
 * of its own; site_path is the dispatcher's, never NULL), stdout and stderr appended to
 * state_dir/guests/NAME/watch.log. A failure is a warning in d (the guest runs; README says
 * how to start one by hand), never an error.
 */
void prov_watch_spawn(const struct site *s, const char *site_path, const char *name,
		      struct diag *d);
