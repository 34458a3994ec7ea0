/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libxl edge, part three: waiting. One event loop serves everything a stage waits for:
 * libxl's own file descriptors and timeouts (libxl_osevent_beforepoll/afterpoll), the
 * consoles being copied to their logs, and the caller's watches (the FAI monitor's spool).
 * Death events are enabled per domain on the first wait. No threads. (libxl-run.c holds the
 * context and the other operations; struct lx is shared through libxl-internal.h.)
 */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <libxl.h>
#include <libxl_utils.h>

#include "common/macro.h"
#include "common/util.h"
#include "hypervisor/hypervisor-internal.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/libxl-internal.h"

/* ---- events and consoles ------------------------------------------------------------------ */

/* Read domid's consoles one last time and stop copying them. */
void hv__lx_console_drop(struct lx *h, uint32_t domid)
{
	for (size_t i = 0; i < h->n_consoles;)
		if (h->consoles[i].domid == domid) {
			hv__console_close(&h->consoles[i]);
			h->consoles[i] = h->consoles[--h->n_consoles];
		} else {
			i++;
		}
}

void hv__lx_consoles_pump(struct lx *h)
{
	for (size_t i = 0; i < h->n_consoles; i++)
		(void) hv__console_pump(&h->consoles[i]);
}

static int event_for_domid(const libxl_event *ev, void *user)
{
	return ev->domid == *(const uint32_t *) user &&
	       (ev->type == LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN ||
		ev->type == LIBXL_EVENT_TYPE_DOMAIN_DEATH);
}

static int death_enable(struct lx *h, uint32_t domid, struct diag *d)
{
	struct death *n;
	int xlrc;

	for (size_t i = 0; i < h->n_deaths; i++)
		if (h->deaths[i].domid == domid)
			return 0;
	n = realloc(h->deaths, (h->n_deaths + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	h->deaths = n;
	xlrc = libxl_evenable_domain_death(h->ctx, domid, 0, &n[h->n_deaths].gen);
	if (xlrc)
		return hv__lx_fail(h, d, xlrc, "cannot watch domain %u", domid);
	n[h->n_deaths++].domid = domid;
	return 0;
}

/* Stop watching domid and drop its queued events. */
void hv__lx_death_disable(struct lx *h, uint32_t domid)
{
	libxl_event *ev;

	for (size_t i = 0; i < h->n_deaths; i++)
		if (h->deaths[i].domid == domid) {
			libxl_evdisable_domain_death(h->ctx, h->deaths[i].gen);
			h->deaths[i] = h->deaths[--h->n_deaths];
			break;
		}
	while (libxl_event_check(h->ctx, &ev, LIBXL_EVENTMASK_ALL, event_for_domid, &domid) == 0)
		libxl_event_free(h->ctx, ev);
}

static enum hv_shutdown shutdown_from_libxl(libxl_shutdown_reason r)
{
	switch (r) {
	case LIBXL_SHUTDOWN_REASON_POWEROFF:
		return HV_SHUTDOWN_POWEROFF;
	case LIBXL_SHUTDOWN_REASON_REBOOT:
		return HV_SHUTDOWN_REBOOT;
	case LIBXL_SHUTDOWN_REASON_SUSPEND:
		return HV_SHUTDOWN_SUSPEND;
	case LIBXL_SHUTDOWN_REASON_CRASH:
		return HV_SHUTDOWN_CRASH;
	case LIBXL_SHUTDOWN_REASON_WATCHDOG:
		return HV_SHUTDOWN_WATCHDOG;
	case LIBXL_SHUTDOWN_REASON_SOFT_RESET:
		return HV_SHUTDOWN_SOFT_RESET;
	default:
		return HV_SHUTDOWN_UNKNOWN;
	}
}

/* A queued shutdown or death of domid: 1 and *ret filled, 0 none, < 0 error. */
static int take_event(struct lx *h, uint32_t domid, struct hv_event *ret, struct diag *d)
{
	libxl_event *ev;
	int xlrc;

	xlrc = libxl_event_check(h->ctx, &ev, LIBXL_EVENTMASK_ALL, event_for_domid, &domid);
	if (xlrc == ERROR_NOT_READY)
		return 0;
	if (xlrc)
		return hv__lx_fail(h, d, xlrc, "cannot read events of domain %u", domid);
	hv__lx_consoles_pump(h); /* the guest's last words belong in the log before we report */
	if (ev->type == LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN) {
		*ret = (struct hv_event){
			.type = HV_EVENT_SHUTDOWN,
			.reason = shutdown_from_libxl(ev->u.domain_shutdown.shutdown_reason)};
	} else {
		*ret = (struct hv_event){.type = HV_EVENT_DEATH};
	}
	libxl_event_free(h->ctx, ev);
	if (ret->type == HV_EVENT_DEATH) {
		hv__lx_death_disable(h, domid);
		hv__lx_console_drop(h, domid);
	}
	return 1;
}

long long hv__lx_now_ms(void)
{
	return mono_usec() / 1000;
}

/* Room for n pollfds. */
static int pfds_reserve(struct lx *h, size_t n)
{
	struct pollfd *p;

	if (n <= h->pfds_alloc && h->pfds)
		return 0;
	if (n < 8)
		n = 8;
	p = realloc(h->pfds, n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	h->pfds = p;
	h->pfds_alloc = n;
	return 0;
}

/* One round: poll consoles, watches and libxl; run watch callbacks. 1: a watch stopped us. */
int hv__lx_poll_once(struct lx *h, const struct hv_wait_opts *o, int timeout, int *ret_watch,
		     struct diag *d)
{
	size_t nc = h->n_consoles, nw = o ? o->n_watches : 0, base = nc + nw;
	int nlx = 0, xlrc, n, r;
	struct timeval tv;

	for (;;) {
		r = pfds_reserve(h, base + (size_t) nlx);
		if (r < 0)
			return r;
		for (size_t i = 0; i < nc; i++)
			h->pfds[i] = (struct pollfd){.fd = h->consoles[i].tty_fd, .events = POLLIN};
		for (size_t i = 0; i < nw; i++)
			h->pfds[nc + i] = (struct pollfd){.fd = o->watches[i].fd,
							  .events = o->watches[i].events};
		gettimeofday(&tv, NULL);
		xlrc = libxl_osevent_beforepoll(h->ctx, &nlx, h->pfds + base, &timeout, tv);
		if (xlrc != ERROR_BUFFERFULL)
			break;
	}
	if (xlrc)
		return hv__lx_fail(h, d, xlrc, "cannot poll libxl's events");

	n = poll(h->pfds, base + (size_t) nlx, timeout);
	if (n < 0 && errno != EINTR)
		return diag_error_errno(d, NULL, -errno, "cannot wait for domain events");
	if (n < 0) /* a signal (libxl's SIGCHLD): nothing is ready */
		for (size_t i = 0; i < base + (size_t) nlx; i++)
			h->pfds[i].revents = 0;
	gettimeofday(&tv, NULL);
	libxl_osevent_afterpoll(h->ctx, nlx, h->pfds + base, tv);

	for (size_t i = 0; i < nc; i++)
		if (h->pfds[i].revents && hv__console_pump(&h->consoles[i]) < 0) {
			diag_add(d, DIAG_WARNING, NULL,
				 "cannot write the console log of domain %u, no longer copying it",
				 h->consoles[i].domid);
			hv__console_close(&h->consoles[i]);
		}
	for (size_t i = 0; i < nw; i++) {
		if (!h->pfds[nc + i].revents)
			continue;
		r = o->watches[i].fn(o->watches[i].fd, h->pfds[nc + i].revents,
				     o->watches[i].userdata);
		if (r != 0) {
			*ret_watch = r;
			return r < 0 ? r : 1;
		}
	}
	/* ended consoles (their domain is gone) leave the list */
	for (size_t i = h->n_consoles; i-- > 0;)
		if (h->consoles[i].tty_fd < 0)
			h->consoles[i] = h->consoles[--h->n_consoles];
	return 0;
}

int hv__lx_wait(void *hv, uint32_t domid, const struct hv_wait_opts *o, struct hv_event *ret,
		struct diag *d)
{
	struct lx *h = hv;
	long long deadline = o && o->timeout_ms >= 0 ? hv__lx_now_ms() + o->timeout_ms : -1;
	int r, watch = 0;

	hv__xlog_reset(h->log);
	r = death_enable(h, domid, d);
	if (r < 0)
		return r;
	for (;;) {
		int timeout = -1;

		r = take_event(h, domid, ret, d);
		if (r != 0)
			return r < 0 ? r : 0;
		if (deadline >= 0) {
			long long left = deadline - hv__lx_now_ms();

			if (left <= 0) {
				*ret = (struct hv_event){.type = HV_EVENT_TIMEOUT};
				return 0;
			}
			timeout = left > 60000 ? 60000 : (int) left;
		}
		r = hv__lx_poll_once(h, o, timeout, &watch, d);
		if (r < 0)
			return r;
		if (r > 0) {
			*ret = (struct hv_event){.type = HV_EVENT_WATCH, .watch_result = watch};
			return 0;
		}
	}
}
