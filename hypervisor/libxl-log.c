/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * The logger libxl writes to (xentoollog): a stdio stream on a FILE of the caller's, so
 * libxl's own messages reach the user as libxl words them, plus the text of the last error
 * for provision's diagnostics. Part of the module's libxl edge (libxl-internal.h).
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <xentoollog.h>

#include "common/macro.h"
#include "hypervisor/libxl-internal.h"

struct hv__xlog {
	xentoollog_logger vtable; /* first: libxl calls through it */
	xentoollog_logger_stdiostream *out;
	bool mute;
	char last_error[512];
};

xentoollog_level hv__xlog_level(int verbose)
{
	if (verbose <= 0)
		return XTL_WARN;
	if (verbose == 1)
		return XTL_INFO;
	if (verbose == 2)
		return XTL_DETAIL;
	return XTL_DEBUG;
}

/* libxl writes "libxl_create.c:1672:domcreate_launch_dm: Domain 2:unable to ..."; drop the
 * source position, which the live log keeps, from the text quoted in diagnostics. */
static const char *skip_source_pos(const char *s)
{
	const char *p =
		s + strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

	if (strncmp(p, ".c:", 3) != 0)
		return s;
	p += 3;
	if (!strspn(p, "0123456789"))
		return s;
	p += strspn(p, "0123456789");
	if (*p++ != ':')
		return s;
	p += strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	if (strncmp(p, ": ", 2) != 0)
		return s;
	return p + 2;
}

_printf_(5, 0) static void xlog_vmessage(xentoollog_logger *lg, xentoollog_level level,
					 int errnoval, const char *context, const char *format,
					 va_list al)
{
	struct hv__xlog *l = (struct hv__xlog *) lg;

	if (level >= XTL_ERROR) {
		char msg[sizeof(l->last_error)];
		va_list aq;

		va_copy(aq, al);
		(void) vsnprintf(msg, sizeof(msg), format, aq);
		va_end(aq);
		if (errnoval >= 0)
			(void) snprintf(l->last_error, sizeof(l->last_error), "%s: %s",
					skip_source_pos(msg), strerror(errnoval));
		else
			(void) snprintf(l->last_error, sizeof(l->last_error), "%s",
					skip_source_pos(msg));
	}
	if (!l->mute)
		xtl_logv((xentoollog_logger *) l->out, level, errnoval, context, format, al);
}

/* libxc's progress (the pages of each round of a live migration), shown from -vv on */
static void xlog_progress(xentoollog_logger *lg, const char *context, const char *doing_what,
			  int percent, unsigned long done, unsigned long total)
{
	struct hv__xlog *l = (struct hv__xlog *) lg;

	(void) percent;
	if (!l->mute)
		xtl_progress((xentoollog_logger *) l->out, context, doing_what, done, total);
}

static void xlog_destroy(xentoollog_logger *lg)
{
	struct hv__xlog *l = (struct hv__xlog *) lg;

	xtl_logger_destroy((xentoollog_logger *) l->out);
	free(l);
}

struct hv__xlog *hv__xlog_new(FILE *f, int verbose)
{
	struct hv__xlog *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	/* progress lines would garble provision's own output: only from -vv on, where libxc's
	 * "Frames iteration N of M: DONE/TOTAL" lines give the pages of each migration round */
	l->out = xtl_createlogger_stdiostream(f, hv__xlog_level(verbose),
					      verbose >= 2 ? 0 : XTL_STDIOSTREAM_HIDE_PROGRESS);
	if (!l->out) {
		free(l);
		return NULL;
	}
	l->vtable.vmessage = xlog_vmessage;
	l->vtable.destroy = xlog_destroy;
	l->vtable.progress = xlog_progress;
	return l;
}

xentoollog_logger *hv__xlog_logger(struct hv__xlog *l)
{
	return &l->vtable;
}

const char *hv__xlog_last_error(const struct hv__xlog *l)
{
	return l->last_error;
}

void hv__xlog_reset(struct hv__xlog *l)
{
	l->last_error[0] = '\0';
}

void hv__xlog_mute(struct hv__xlog *l, bool mute)
{
	l->mute = mute;
}
