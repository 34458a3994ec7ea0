/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one map from a command's -errno to its exit status (README: "Exit status"). */
#include <errno.h>

#include "cmds.h"

int prov_exit_status(int r)
{
	if (r >= 0)
		return EXIT_OK;
	switch (-r) {
	case EDOM: /* bad input: a guest name, template, option value the site refuses */
		return EXIT_USAGE;
	case EEXIST:	 /* configs or a guest already there, a signature that is not ours */
	case EBUSY:	 /* the inventory or a LUN stayed locked, a partition in use */
	case ESTALE:	 /* the LUN changed since it was read (another Dom0 carved it) */
	case EADDRINUSE: /* the FAI monitor's port is taken */
	case EALREADY:	 /* a FAI monitor relay runs already */
	case EAGAIN:	 /* a lock not granted at once */
		return EXIT_CONFLICT;
	default:
		return EXIT_FAIL;
	}
}
