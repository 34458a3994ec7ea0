/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * The libxl edge on a machine without Xen, which is the real error path: hv_libxl_ops.open
 * must stop at the missing /dev/xen/privcmd with the message the pipeline shows, and when the
 * context itself cannot be made, libxl's own words must reach both the log FILE and the
 * diagnostic. The logger's levels and its record of the last error are checked through
 * xentoollog's own entry points, as libxl calls them.
 */

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/diag.h"
#include "hypervisor/libxl-internal.h"
#include "tests/unit/test.h"

static bool have_privcmd(void)
{
	struct stat st;

	return stat("/dev/xen/privcmd", &st) == 0;
}

/* Everything written to a memstream logger so far. */
struct memlog {
	FILE *f;
	char *buf;
	size_t len;
};

static void memlog_open(struct memlog *m)
{
	*m = (struct memlog){0};
	m->f = open_memstream(&m->buf, &m->len);
	ASSERT_NOT_NULL(m->f);
}

static const char *memlog_text(struct memlog *m)
{
	ASSERT_EQ(fflush(m->f), 0);
	return m->buf;
}

static void memlog_close(struct memlog *m)
{
	fclose(m->f);
	free(m->buf);
}

TEST(open_off_xen_says_not_a_dom0)
{
	struct diag d = DIAG_INIT;
	struct memlog m;
	void *h = (void *) 1;

	if (have_privcmd())
		SKIP("this machine has /dev/xen/privcmd");
	memlog_open(&m);
	ASSERT_ERR(hv_libxl_ops.open(&(struct hv_open_opts){.log = m.f}, &h, &d), ENODEV);
	ASSERT_EQ(h, (void *) 1); /* ret_h untouched on failure */
	ASSERT_EQ(d.n, 1);
	ASSERT_EQ(d.v[0].level, DIAG_ERROR);
	ASSERT_STREQ(d.v[0].msg, "not a Xen dom0 (no /dev/xen/privcmd)");
	/* checked before libxl: libxl has not said anything */
	ASSERT_STREQ(memlog_text(&m), "");
	memlog_close(&m);
	diag_release(&d);
}

TEST(ctx_alloc_failure_carries_libxl_text)
{
	struct diag d = DIAG_INIT;
	struct memlog m;
	void *h = NULL;
	int r;

	if (have_privcmd())
		SKIP("this machine has /dev/xen/privcmd");
	memlog_open(&m);
	r = hv__libxl_new(&(struct hv_open_opts){.log = m.f, .verbose = 0}, &h, &d);
	ASSERT_TRUE(r < 0);
	ASSERT_NULL(h);
	ASSERT_EQ(d.n, 1);
	/* libxl_ctx_alloc: "cannot open libxc handle" with errno text, as libxl logged it */
	ASSERT_NOT_NULL(strstr(d.v[0].msg, "cannot open the Xen toolstack (libxl): "));
	ASSERT_NOT_NULL(strstr(d.v[0].msg, "cannot open libxc handle"));
	ASSERT_NOT_NULL(strstr(memlog_text(&m), "libxl: error: "));
	ASSERT_NOT_NULL(strstr(memlog_text(&m), "cannot open libxc handle"));
	fprintf(stderr, "diag: %s\nlibxl said:\n%s", d.v[0].msg, memlog_text(&m));
	memlog_close(&m);
	diag_release(&d);
}

TEST(logger_levels_follow_verbose)
{
	static const struct {
		int verbose;
		xentoollog_level level;
	} t[] = {
		{-1, XTL_WARN},	 {0, XTL_WARN},	 {1, XTL_INFO},
		{2, XTL_DETAIL}, {3, XTL_DEBUG}, {9, XTL_DEBUG},
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++)
		ASSERT_EQ(hv__xlog_level(t[i].verbose), t[i].level);

	for (int v = 0; v <= 3; v++) {
		struct memlog m;
		struct hv__xlog *l;
		xentoollog_logger *lg;
		const char *out;

		memlog_open(&m);
		l = hv__xlog_new(m.f, v);
		ASSERT_NOT_NULL(l);
		lg = hv__xlog_logger(l);
		xtl_log(lg, XTL_DEBUG, -1, "libxl", "debug line");
		xtl_log(lg, XTL_DETAIL, -1, "libxl", "detail line");
		xtl_log(lg, XTL_INFO, -1, "libxl", "info line");
		xtl_log(lg, XTL_WARN, -1, "libxl", "warn line");
		out = memlog_text(&m);
		ASSERT_TRUE(strstr(out, "libxl: warning: warn line\n") != NULL);
		ASSERT_EQ(strstr(out, "info line") != NULL, v >= 1);
		ASSERT_EQ(strstr(out, "detail line") != NULL, v >= 2);
		ASSERT_EQ(strstr(out, "debug line") != NULL, v >= 3);
		xtl_logger_destroy(lg);
		memlog_close(&m);
	}
}

TEST(logger_keeps_last_error_and_mutes)
{
	struct memlog m;
	struct hv__xlog *l;
	xentoollog_logger *lg;

	memlog_open(&m);
	l = hv__xlog_new(m.f, 0);
	ASSERT_NOT_NULL(l);
	lg = hv__xlog_logger(l);
	ASSERT_STREQ(hv__xlog_last_error(l), "");

	/* libxl's form: source position first; errno text appended like the stdio stream does */
	xtl_log(lg, XTL_ERROR, -1, "libxl",
		"libxl_create.c:1672:domcreate_launch_dm: Domain 2:unable to add disk devices");
	ASSERT_STREQ(hv__xlog_last_error(l), "Domain 2:unable to add disk devices");
	xtl_log(lg, XTL_ERROR, ENOENT, "libxl", "libxl.c:99:libxl_ctx_alloc: cannot open %s",
		"libxc handle");
	ASSERT_STREQ(hv__xlog_last_error(l), "cannot open libxc handle: No such file or directory");
	/* a warning does not replace the error; a message without a position stays whole */
	xtl_log(lg, XTL_WARN, -1, "libxl", "just a warning");
	xtl_log(lg, XTL_CRITICAL, -1, "xc", "foo.c: not a position");
	ASSERT_STREQ(hv__xlog_last_error(l), "foo.c: not a position");
	ASSERT_NOT_NULL(strstr(memlog_text(&m),
			       "libxl: error: libxl_create.c:1672:domcreate_launch_dm: Domain "
			       "2:unable to add disk devices\n"));

	hv__xlog_mute(l, true);
	xtl_log(lg, XTL_ERROR, -1, "libxl", "libxl_console.c:1:get_tty: unable to read tty");
	ASSERT_NULL(strstr(memlog_text(&m), "unable to read tty"));
	ASSERT_STREQ(hv__xlog_last_error(l), "unable to read tty");
	hv__xlog_mute(l, false);
	hv__xlog_reset(l);
	ASSERT_STREQ(hv__xlog_last_error(l), "");
	xtl_log(lg, XTL_ERROR, -1, "libxl", "back");
	ASSERT_NOT_NULL(strstr(memlog_text(&m), "libxl: error: back\n"));

	xtl_logger_destroy(lg);
	memlog_close(&m);
}

TEST(close_accepts_null)
{
	hv_libxl_ops.close(NULL);
}

TEST_MAIN()
