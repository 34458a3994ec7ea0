/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The FAI monitor protocol: parser and the judge of one install (see monitor.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/macro.h"
#include "monitor.h"

static const char *const kind_names[_NB_MON_KIND_MAX] = {
	[NB_MON_CHECK] = "check",	[NB_MON_TASKBEGIN] = "TASKBEGIN",
	[NB_MON_TASKEND] = "TASKEND",	[NB_MON_TASKERROR] = "TASKERROR",
	[NB_MON_TASKSKIP] = "TASKSKIP", [NB_MON_HOOK] = "HOOK",
	[NB_MON_OTHER] = "other",
};

DEFINE_STRING_TABLE_TO(nb_mon_kind, enum nb_mon_kind, kind_names)

static const char *const state_names[_NB_MON_STATE_MAX] = {
	[NB_MON_WAITING] = "waiting", [NB_MON_RUNNING] = "running", [NB_MON_FAILING] = "failing",
	[NB_MON_STOPPED] = "stopped", [NB_MON_DONE] = "done",
};

DEFINE_STRING_TABLE_TO(nb_mon_state, enum nb_mon_state, state_names)

/* Split s into at most max words separated by blanks; a trailing "\r\n" is blank too. */
static int split_words(const char *s, const char *word[], size_t len[], int max)
{
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (!*s)
			return n;
		if (n == max)
			return -EINVAL;
		word[n] = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			s++;
		len[n] = (size_t) (s - word[n]);
		n++;
	}
}

static int copy_word(char dst[NB_MON_NAME_MAX], const char *w, size_t len)
{
	if (len >= NB_MON_NAME_MAX)
		return -EINVAL;
	memcpy(dst, w, len);
	dst[len] = 0;
	return 0;
}

static int parse_code(const char *w, size_t len, unsigned *ret)
{
	unsigned v = 0;

	if (len == 0 || len > 6)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (w[i] < '0' || w[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned) (w[i] - '0');
	}
	*ret = v;
	return 0;
}

static bool word_is(const char *w, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(w, s, len) == 0;
}

int nb_mon_msg_parse(const char *line, struct nb_mon_msg *ret)
{
	/* args[k] = number of words after the message word for each kind */
	static const int args[_NB_MON_KIND_MAX] = {
		[NB_MON_CHECK] = 0,	[NB_MON_TASKBEGIN] = 1, [NB_MON_TASKEND] = 2,
		[NB_MON_TASKERROR] = 2, [NB_MON_TASKSKIP] = 1,	[NB_MON_HOOK] = 1,
	};
	struct nb_mon_msg msg = {.kind = NB_MON_OTHER};
	const char *w[4];
	size_t len[4];
	int n, r;

	n = split_words(line, w, len, 4);
	if (n < 2)
		return -EINVAL;
	r = copy_word(msg.host, w[0], len[0]);
	if (r < 0)
		return r;
	for (int k = 0; k < _NB_MON_KIND_MAX; k++)
		if (k != NB_MON_OTHER && word_is(w[1], len[1], kind_names[k]))
			msg.kind = k;
	if (msg.kind == NB_MON_OTHER) {
		r = copy_word(msg.arg, w[1], len[1]);
		if (r < 0)
			return r;
		*ret = msg;
		return 0;
	}
	if (n != 2 + args[msg.kind])
		return -EINVAL;
	if (n >= 3) {
		r = copy_word(msg.arg, w[2], len[2]);
		if (r < 0)
			return r;
	}
	if (n == 4) {
		r = parse_code(w[3], len[3], &msg.code);
		if (r < 0)
			return r;
	}
	*ret = msg;
	return 0;
}

void nb_monitor_init(struct nb_monitor *m, const char *host, unsigned fail_code, unsigned stop_code)
{
	*m = (struct nb_monitor){
		.fail_code = fail_code ? fail_code : NB_MON_FAIL_CODE_DEFAULT,
		.stop_code = stop_code ? stop_code : NB_MON_STOP_CODE_DEFAULT,
		.state = NB_MON_WAITING,
	};
	if (host)
		snprintf(m->host, sizeof(m->host), "%s", host);
}

static void stack_push(struct nb_monitor *m, const char *task)
{
	if (m->depth == NB_MON_STACK_MAX) {
		/* deeper than FAI ever nests: forget the outermost */
		memmove(m->stack[0], m->stack[1], sizeof(m->stack[0]) * (NB_MON_STACK_MAX - 1));
		m->depth--;
	}
	snprintf(m->stack[m->depth++], sizeof(m->stack[0]), "%s", task);
}

/* A TASKEND closes that task and anything begun inside it that never ended. */
static void stack_pop(struct nb_monitor *m, const char *task)
{
	for (unsigned i = m->depth; i > 0; i--)
		if (streq(m->stack[i - 1], task)) {
			m->depth = i - 1;
			return;
		}
}

/* The worst code so far, and the first task that reached it. */
static void note_code(struct nb_monitor *m, const char *task, unsigned code)
{
	if (code > m->worst_code) {
		m->worst_code = code;
		snprintf(m->worst_task, sizeof(m->worst_task), "%s", task);
	}
}

static void apply(struct nb_monitor *m, const struct nb_mon_msg *msg)
{
	bool failed = false;

	m->n_msgs++;
	if (m->state == NB_MON_WAITING)
		m->state = NB_MON_RUNNING;
	switch (msg->kind) {
	case NB_MON_TASKBEGIN:
		stack_push(m, msg->arg);
		break;
	case NB_MON_TASKEND:
		stack_pop(m, msg->arg);
		m->n_tasks_ended++;
		note_code(m, msg->arg, msg->code);
		failed = msg->code >= m->fail_code;
		if (streq(msg->arg, "faiend")) {
			m->faiend = true;
			m->faiend_code = msg->code;
		}
		break;
	case NB_MON_TASKERROR:
		note_code(m, msg->arg, msg->code);
		if (!m->taskerror) {
			m->taskerror = true;
			m->error_code = msg->code;
			snprintf(m->error_task, sizeof(m->error_task), "%s", msg->arg);
		}
		failed = true;
		break;
	default:
		break;
	}
	if (msg->kind == NB_MON_TASKBEGIN || msg->kind == NB_MON_TASKEND ||
	    msg->kind == NB_MON_TASKERROR || msg->kind == NB_MON_TASKSKIP)
		snprintf(m->last_task, sizeof(m->last_task), "%s", msg->arg);
	m->last_failed = failed;

	if (m->state == NB_MON_STOPPED || m->state == NB_MON_DONE)
		return;
	if (msg->kind == NB_MON_TASKEND && msg->code > m->stop_code) {
		/* stop_fai_installation: 'TASKEND <current task> <highest code so far>' */
		m->state = NB_MON_STOPPED;
		snprintf(m->worst_task, sizeof(m->worst_task), "%s", msg->arg);
	} else if (m->faiend)
		m->state = NB_MON_DONE;
	else if (failed)
		m->state = NB_MON_FAILING;
}

int nb_monitor_feed(struct nb_monitor *m, const char *line, struct nb_mon_msg *ret_msg)
{
	struct nb_mon_msg msg;
	int r;

	r = nb_mon_msg_parse(line, &msg);
	if (r < 0)
		return r;
	if (ret_msg)
		*ret_msg = msg;
	if (m->host[0] && !streq(m->host, msg.host))
		return 0;
	apply(m, &msg);
	return 1;
}

const char *nb_monitor_current_task(const struct nb_monitor *m)
{
	return m->depth ? m->stack[m->depth - 1] : "";
}

bool nb_monitor_stalled_on_error(const struct nb_monitor *m)
{
	return m->last_failed && (m->state == NB_MON_FAILING || m->state == NB_MON_STOPPED);
}

int nb_monitor_result(const struct nb_monitor *m, struct diag *d)
{
	const char *host = m->host[0] ? m->host : "the host";

	if (m->state == NB_MON_STOPPED) {
		diag_add(
			d, DIAG_ERROR, NULL,
			"FAI stopped the install of '%s' at its shell: task '%s' ended with code %u (above STOP_ON_ERROR %u)",
			host, m->worst_task, m->worst_code, m->stop_code);
		return -EIO;
	}
	if (m->taskerror) {
		diag_add(d, DIAG_ERROR, NULL, "FAI reported an error in task '%s' of '%s': code %u",
			 m->error_task, host, m->error_code);
		return -EIO;
	}
	if (m->worst_code >= m->fail_code) {
		diag_add(d, DIAG_ERROR, NULL,
			 "FAI task '%s' of '%s' ended with code %u (fail_code %u)%s", m->worst_task,
			 host, m->worst_code, m->fail_code,
			 m->faiend ? ", although FAI finished as if all went well" : "");
		return -EIO;
	}
	if (m->state == NB_MON_WAITING) {
		diag_add(d, DIAG_ERROR, NULL, "no FAI monitor message from '%s' yet", host);
		return -EINPROGRESS;
	}
	if (!m->faiend) {
		diag_add(d, DIAG_ERROR, NULL,
			 "FAI has not finished the install of '%s' (last task '%s')", host,
			 m->last_task[0] ? m->last_task : "none");
		return -EINPROGRESS;
	}
	if (m->faiend_code != 0) {
		diag_add(d, DIAG_ERROR, NULL, "FAI of '%s' ended with 'TASKEND faiend %u'", host,
			 m->faiend_code);
		return -EIO;
	}
	return 0;
}
