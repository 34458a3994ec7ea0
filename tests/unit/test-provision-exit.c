/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision/exit.c: every command's -errno to exit status, from one table. */
#include "provision/cmds.h"
#include "tests/unit/test.h"

TEST(exit_status)
{
	static const struct {
		int r, status;
	} t[] = {
		{0, EXIT_OK},
		{1, EXIT_OK},
		{-EEXIST, EXIT_CONFLICT},
		{-EBUSY, EXIT_CONFLICT},
		{-ESTALE, EXIT_CONFLICT}, /* disk prepare and new-guest's carve agree */
		{-EADDRINUSE, EXIT_CONFLICT},
		{-EALREADY, EXIT_CONFLICT},
		{-EAGAIN, EXIT_CONFLICT},
		{-EDOM, EXIT_USAGE},
		{-EINVAL, EXIT_FAIL}, /* what diag_error() returns: a failure, not a usage error */
		{-ENOENT, EXIT_FAIL},
		{-EACCES, EXIT_FAIL},
		{-EPERM, EXIT_FAIL},
		{-ETIMEDOUT, EXIT_FAIL},
		{-ENOMEM, EXIT_FAIL},
		{-EIO, EXIT_FAIL},
		{-ENOSPC, EXIT_FAIL},
		{-EPROTONOSUPPORT, EXIT_FAIL},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = prov_exit_status(t[i].r);

		if (got != t[i].status)
			TEST__FAIL("prov_exit_status(%d) = %d, want %d", t[i].r, got, t[i].status);
	}
}

TEST_MAIN()
