/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared by common/run.c and common/run-wait.c. */

#include "common/run.h"

/* Close our end of s's pipe (an output: its unended last line goes to on_line first). */
void run__close(struct run_child *c, struct run_stream *s);
/* Close every pipe of c. */
void run__close_pipes(struct run_child *c);
