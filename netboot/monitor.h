/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The FAI monitor protocol, parsed and judged (pure: no sockets, no clock).
 *
 * Real FAI 6 sends every message as one line over its own short TCP connection to the
 * monitor port (sendmon in /usr/lib/fai/subroutines: echo "$sendid $*" | nc ...). With the
 * default FAI_SENDID=host the first word is the installing host's name:
 *
 *	web1 check			connectivity probe, always first
 *	web1 TASKBEGIN extrbase
 *	web1 TASKEND extrbase 0		the task's own highest error code
 *	web1 TASKERROR mountdisks 885	only some hard errors
 *	web1 TASKSKIP partition
 *	web1 HOOK partition.XENGUEST
 *	web1 TASKEND faiend 0		FAI finished; 'TASKEND reboot 0' follows, then halt/reboot
 *
 * FAI's own result cannot be trusted: a failed configure script gives 'TASKEND configure
 * 420', yet FAI then sends 'TASKEND install 0' and 'TASKEND faiend 0' and halts as if all
 * went well. So the install succeeded only when EVERY TASKEND code is below fail_code, no
 * TASKERROR came, and 'TASKEND faiend 0' was seen. A code above FAI's STOP_ON_ERROR makes
 * FAI stop at a root shell and never power off: that is flagged at once (NB_MON_STOPPED).
 */

#include <stdbool.h>

#include "common/diag.h"

#define NB_MON_FAIL_CODE_DEFAULT 400 /* FAI's 1xx-2xx info and 3xx warnings pass */
#define NB_MON_STOP_CODE_DEFAULT 700 /* FAI's default STOP_ON_ERROR */
#define NB_MON_NAME_MAX		 128

enum nb_mon_kind {
	NB_MON_CHECK,
	NB_MON_TASKBEGIN,
	NB_MON_TASKEND,
	NB_MON_TASKERROR,
	NB_MON_TASKSKIP,
	NB_MON_HOOK,
	NB_MON_OTHER, /* a well-formed line with a message word we do not know */
	_NB_MON_KIND_MAX,
	_NB_MON_KIND_INVALID = -22,
};

/* One parsed line. */
struct nb_mon_msg {
	enum nb_mon_kind kind;
	char host[NB_MON_NAME_MAX]; /* the sender id */
	char arg[NB_MON_NAME_MAX];  /* task (TASK*), hook (HOOK), the message word (OTHER) */
	unsigned code;		    /* TASKEND, TASKERROR */
};

/*
 * Parse one protocol line ("HOST WORD [ARG [CODE]]", a trailing "\n" or "\r\n" allowed).
 * Returns: 0 and the message in *ret, or -EINVAL for a malformed line (missing or extra
 * fields, a code that is not a decimal number, a name too long).
 */
int nb_mon_msg_parse(const char *line, struct nb_mon_msg *ret);

const char *nb_mon_kind_to_string(enum nb_mon_kind k);

enum nb_mon_state {
	NB_MON_WAITING, /* nothing from the host yet */
	NB_MON_RUNNING, /* FAI is working, no failure so far */
	NB_MON_FAILING, /* the install has failed, but FAI carries on (it will halt normally) */
	NB_MON_STOPPED, /* FAI stopped at its shell: it never powers off, destroy the domain */
	NB_MON_DONE,	/* 'TASKEND faiend' seen: FAI finished and halts or reboots now */
	_NB_MON_STATE_MAX,
	_NB_MON_STATE_INVALID = -22,
};

const char *nb_mon_state_to_string(enum nb_mon_state s);

#define NB_MON_STACK_MAX 8

/* The monitor of one install. Embedded: nb_monitor_init(), no release needed. */
struct nb_monitor {
	/* settings */
	char host[NB_MON_NAME_MAX]; /* only this sender counts; "" accepts any */
	unsigned fail_code;	    /* a TASKEND code >= this fails the install */
	unsigned stop_code;	    /* FAI's STOP_ON_ERROR: a code above it stops FAI */

	/* state */
	enum nb_mon_state state;
	unsigned n_msgs;			       /* messages applied */
	unsigned n_tasks_ended;			       /* TASKEND messages, for progress */
	char stack[NB_MON_STACK_MAX][NB_MON_NAME_MAX]; /* begun, not yet ended; FAI nests tasks */
	unsigned depth;
	char last_task[NB_MON_NAME_MAX];  /* the task of the latest TASK* message */
	unsigned worst_code;		  /* highest TASKEND/TASKERROR code */
	char worst_task[NB_MON_NAME_MAX]; /* the first task that reached worst_code */
	bool taskerror;			  /* a TASKERROR came */
	char error_task[NB_MON_NAME_MAX]; /* ... for this task */
	unsigned error_code;		  /* ... with this code */
	bool faiend;			  /* 'TASKEND faiend CODE' came */
	unsigned faiend_code;
	bool last_failed; /* the latest message was a failing TASKEND/TASKERROR */
};

/*
 * Start monitoring the install of host (NULL or "": any sender). fail_code and stop_code
 * of 0 mean the defaults (400, 700).
 */
void nb_monitor_init(struct nb_monitor *m, const char *host, unsigned fail_code,
		     unsigned stop_code);

/*
 * Feed one line as received. Lines from other senders are parsed but change nothing.
 * ret_msg (may be NULL) receives the parsed message.
 * Returns: 1 when the message was applied, 0 when it was another host's, -EINVAL for a
 * malformed line (the state is unchanged).
 */
int nb_monitor_feed(struct nb_monitor *m, const char *line, struct nb_mon_msg *ret_msg);

/* The innermost task FAI is in now ("install", "extrbase"), for progress; "" if none. */
const char *nb_monitor_current_task(const struct nb_monitor *m);

/*
 * True when the latest message reported a failure and FAI may have stopped without a code
 * above stop_code telling us (a config space can lower STOP_ON_ERROR below our stop_code):
 * if no further message comes within a grace period, the caller should treat FAI as stopped.
 */
bool nb_monitor_stalled_on_error(const struct nb_monitor *m);

/*
 * The verdict so far. Returns: 0 when the install succeeded (finished, every code below
 * fail_code, no TASKERROR); -EIO when FAI reported a failure, -EINPROGRESS when FAI has not
 * finished (yet); in both cases the reason is appended to d as an error.
 */
int nb_monitor_result(const struct nb_monitor *m, struct diag *d);
