/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The FAI monitor protocol parser and judge, fed with the monitor logs of real FAI 6 installs
 * (tests/data/fai/, "DATE - HOST MESSAGE" as fai-monitor -T wrote them).
 */
#include <stdlib.h>

#include "common/diag.h"
#include "common/util.h"
#include "netboot/monitor.h"
#include "tests/unit/test.h"

#define RUN6 "fai-monitor-run6-install-prod.log"
#define RUN7 "fai-monitor-run7-install-fail-failstop.log"

/*
 * Feed install number `session` (0-based; each begins with FAI's 'check') of a real log into
 * m, up to and including the line `until` (NULL: to the end of that install).
 * Returns the number of lines fed.
 */
static unsigned replay(const char *file, unsigned session, struct nb_monitor *m, const char *until)
{
	_cleanup_(freep) char *path = NULL, *text = NULL;
	const char *src = getenv("SRCDIR");
	char *line, *save = NULL;
	int cur = -1;
	unsigned fed = 0;

	ASSERT_TRUE(asprintf(&path, "%s/tests/data/fai/%s", src ? src : ".", file) > 0);
	ASSERT_OK(read_file(path, &text, NULL));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *msg = strstr(line, " - ");
		struct nb_mon_msg parsed;

		ASSERT_NOT_NULL(msg);
		msg += 3;
		/* the daemon's own lines ("FAI monitoring daemon started ...") are not protocol */
		if (strncmp(msg, "FAI monitoring", 14) == 0 || strncmp(msg, "Caught", 6) == 0)
			continue;
		ASSERT_OK(nb_mon_msg_parse(msg, &parsed));
		if (parsed.kind == NB_MON_CHECK)
			cur++;
		if (cur != (int) session)
			continue;
		ASSERT_EQ(nb_monitor_feed(m, msg, NULL), 1);
		fed++;
		if (until && streq(msg, until))
			break;
	}
	ASSERT_TRUE(fed > 0);
	return fed;
}

static void assert_result(const struct nb_monitor *m, int want, const char *want_msg)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;

	ASSERT_EQ(nb_monitor_result(m, &d), want);
	if (!want_msg) {
		ASSERT_EQ(d.n, 0);
		return;
	}
	ASSERT_EQ(d.n, 1);
	ASSERT_EQ(d.v[0].level, DIAG_ERROR);
	ASSERT_STREQ(d.v[0].msg, want_msg);
}

TEST(parse_lines)
{
	static const struct {
		const char *line;
		int r;
		enum nb_mon_kind kind;
		const char *host, *arg;
		unsigned code;
	} t[] = {
		{"guest53 check", 0, NB_MON_CHECK, "guest53", "", 0},
		{"guest53 check\n", 0, NB_MON_CHECK, "guest53", "", 0},
		{"web1 TASKBEGIN extrbase\r\n", 0, NB_MON_TASKBEGIN, "web1", "extrbase", 0},
		{"web1 TASKEND configure 420", 0, NB_MON_TASKEND, "web1", "configure", 420},
		{"web1  TASKEND\tfaiend 0", 0, NB_MON_TASKEND, "web1", "faiend", 0},
		{"web1 TASKERROR mountdisks 885", 0, NB_MON_TASKERROR, "web1", "mountdisks", 885},
		{"web1 TASKSKIP partition", 0, NB_MON_TASKSKIP, "web1", "partition", 0},
		{"web1 HOOK partition.XENGUEST", 0, NB_MON_HOOK, "web1", "partition.XENGUEST", 0},
		{"00:16:3e:05:30:71 HOOK instsoft.DEFAULT.sh", 0, NB_MON_HOOK, "00:16:3e:05:30:71",
		 "instsoft.DEFAULT.sh", 0},
		{"web1 SOMETHINGNEW", 0, NB_MON_OTHER, "web1", "SOMETHINGNEW", 0},
		{"", -EINVAL},
		{"   \n", -EINVAL},
		{"web1", -EINVAL},
		{"web1 check now", -EINVAL},
		{"web1 TASKBEGIN", -EINVAL},
		{"web1 TASKEND install", -EINVAL},
		{"web1 TASKEND install x1", -EINVAL},
		{"web1 TASKEND install -1", -EINVAL},
		{"web1 TASKEND install 1 2", -EINVAL},
		{"web1 TASKEND install 99999999", -EINVAL},
		{"web1 HOOK", -EINVAL},
		{"web1 TASKBEGIN a b", -EINVAL},
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		struct nb_mon_msg m;
		int r = nb_mon_msg_parse(t[i].line, &m);

		if (r != t[i].r)
			TEST__FAIL("'%s': want %d, got %d", t[i].line, t[i].r, r);
		if (r < 0)
			continue;
		ASSERT_EQ(m.kind, t[i].kind);
		ASSERT_STREQ(m.host, t[i].host);
		ASSERT_STREQ(m.arg, t[i].arg);
		ASSERT_EQ(m.code, t[i].code);
	}
}

TEST(parse_long_name)
{
	char line[400];
	struct nb_mon_msg m;

	snprintf(line, sizeof(line), "web1 HOOK %0200d", 0);
	ASSERT_ERR(nb_mon_msg_parse(line, &m), EINVAL);
}

/* run 7, install 1: a good install; FAI's chboot/savelog all 0 */
TEST(real_success)
{
	struct nb_monitor m;

	nb_monitor_init(&m, "guest53", 0, 0);
	ASSERT_EQ(m.state, NB_MON_WAITING);
	ASSERT_EQ(replay(RUN7, 0, &m, NULL), 40);
	ASSERT_EQ(m.state, NB_MON_DONE);
	ASSERT_TRUE(m.faiend);
	ASSERT_EQ(m.worst_code, 0);
	ASSERT_FALSE(nb_monitor_stalled_on_error(&m));
	ASSERT_EQ(m.n_tasks_ended, 19);
	assert_result(&m, 0, NULL);
}

/* run 7, install 2: 'TASKEND configure 420', then 'TASKEND install 0' and 'faiend 0' */
TEST(real_failed_script_halts_normally)
{
	struct nb_monitor m;

	nb_monitor_init(&m, "guest53", 0, 0);
	replay(RUN7, 1, &m, "guest53 TASKEND configure 420");
	ASSERT_EQ(m.state, NB_MON_FAILING);
	ASSERT_TRUE(nb_monitor_stalled_on_error(&m));
	ASSERT_STREQ(nb_monitor_current_task(&m), "install");
	assert_result(&m, -EIO,
		      "FAI task 'configure' of 'guest53' ended with code 420 (fail_code 400)");

	nb_monitor_init(&m, "guest53", 0, 0);
	replay(RUN7, 1, &m, NULL);
	/* FAI went on: not stalled, and its own "install 0" changes nothing */
	ASSERT_EQ(m.state, NB_MON_DONE);
	ASSERT_FALSE(nb_monitor_stalled_on_error(&m));
	ASSERT_TRUE(m.faiend);
	ASSERT_EQ(m.faiend_code, 0);
	ASSERT_EQ(m.worst_code, 420);
	ASSERT_STREQ(m.worst_task, "configure");
	assert_result(
		&m, -EIO,
		"FAI task 'configure' of 'guest53' ended with code 420 (fail_code 400), although FAI finished as if all went well");
}

/* run 7, install 3: STOP_ON_ERROR=400 in the config space; the last message is configure 420 */
TEST(real_stop_on_error)
{
	struct nb_monitor m;

	/* provision told the same STOP_ON_ERROR: flagged at once */
	nb_monitor_init(&m, "guest53", 0, 400);
	replay(RUN7, 2, &m, "guest53 TASKEND configure 420");
	ASSERT_EQ(m.state, NB_MON_STOPPED);
	assert_result(
		&m, -EIO,
		"FAI stopped the install of 'guest53' at its shell: task 'configure' ended with code 420 (above STOP_ON_ERROR 400)");

	/* with FAI's default 700 assumed: failing, and stalled after the failing code, so the
	 * caller's grace period decides */
	nb_monitor_init(&m, "guest53", 0, 0);
	ASSERT_EQ(replay(RUN7, 2, &m, NULL), 28);
	ASSERT_EQ(m.n_tasks_ended, 12);
	ASSERT_EQ(m.state, NB_MON_FAILING);
	ASSERT_TRUE(nb_monitor_stalled_on_error(&m));
	ASSERT_FALSE(m.faiend);
	assert_result(&m, -EIO,
		      "FAI task 'configure' of 'guest53' ended with code 420 (fail_code 400)");
}

/* run 6: LOGUSER set: chboot 3 (passes), savelog 410, FAI's own 'TASKEND install 410' */
TEST(real_savelog_410)
{
	struct nb_monitor m;

	nb_monitor_init(&m, "guest53", 0, 0);
	replay(RUN6, 0, &m, NULL);
	ASSERT_EQ(m.state, NB_MON_DONE);
	ASSERT_EQ(m.worst_code, 410);
	ASSERT_STREQ(m.worst_task, "savelog");
	assert_result(
		&m, -EIO,
		"FAI task 'savelog' of 'guest53' ended with code 410 (fail_code 400), although FAI finished as if all went well");

	/* the threshold is the site's: a code equal to it fails, at 411 the same install
	 * passes ... */
	nb_monitor_init(&m, "guest53", 410, 0);
	replay(RUN6, 0, &m, "guest53 TASKEND savelog 410");
	ASSERT_EQ(m.state, NB_MON_FAILING);
	ASSERT_TRUE(nb_monitor_stalled_on_error(&m));
	nb_monitor_init(&m, "guest53", 410, 0);
	replay(RUN6, 0, &m, NULL);
	ASSERT_EQ(m.state, NB_MON_DONE);
	assert_result(
		&m, -EIO,
		"FAI task 'savelog' of 'guest53' ended with code 410 (fail_code 410), although FAI finished as if all went well");
	nb_monitor_init(&m, "guest53", 411, 0);
	replay(RUN6, 0, &m, NULL);
	assert_result(&m, 0, NULL);
	/* ... and at 1 even chboot's 3 fails it (the first task reaching 3 is named) */
	nb_monitor_init(&m, "guest53", 1, 0);
	replay(RUN6, 0, &m, "guest53 TASKEND chboot 3");
	assert_result(&m, -EIO, "FAI task 'chboot' of 'guest53' ended with code 3 (fail_code 1)");
}

TEST(progress)
{
	static const struct {
		const char *until, *task;
		unsigned ended;
	} t[] = {
		{"guest53 check", "", 0},
		{"guest53 TASKBEGIN confdir", "confdir", 0},
		{"guest53 TASKEND confdir 0", "", 1},
		{"guest53 TASKBEGIN action", "action", 4},
		{"guest53 TASKBEGIN install", "install", 4},
		{"guest53 TASKBEGIN partition", "partition", 4},
		{"guest53 TASKEND partition 0", "install", 5},
		{"guest53 TASKBEGIN extrbase", "extrbase", 6},
		{"guest53 TASKBEGIN instsoft", "instsoft", 10},
		/* FAI never ends 'action': install's end leaves it open */
		{"guest53 TASKEND install 0", "action", 17},
		{"guest53 TASKBEGIN faiend", "faiend", 17},
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		struct nb_monitor m;

		nb_monitor_init(&m, "guest53", 0, 0);
		replay(RUN7, 0, &m, t[i].until);
		ASSERT_EQ(m.state, NB_MON_RUNNING);
		ASSERT_STREQ(nb_monitor_current_task(&m), t[i].task);
		ASSERT_EQ(m.n_tasks_ended, t[i].ended);
	}
}

TEST(unfinished)
{
	struct nb_monitor m;

	nb_monitor_init(&m, "guest53", 0, 0);
	assert_result(&m, -EINPROGRESS, "no FAI monitor message from 'guest53' yet");
	replay(RUN7, 0, &m, "guest53 TASKEND extrbase 0");
	ASSERT_FALSE(nb_monitor_stalled_on_error(&m));
	assert_result(&m, -EINPROGRESS,
		      "FAI has not finished the install of 'guest53' (last task 'extrbase')");
}

TEST(other_hosts_ignored)
{
	struct nb_monitor m;
	struct nb_mon_msg msg;

	nb_monitor_init(&m, "web1", 0, 0);
	/* an install of guest53 on the same port, with a failure, does not touch web1's */
	ASSERT_EQ(nb_monitor_feed(&m, "guest53 TASKEND configure 420", &msg), 0);
	ASSERT_EQ(msg.kind, NB_MON_TASKEND);
	ASSERT_EQ(nb_monitor_feed(&m, "web1 check", NULL), 1);
	ASSERT_EQ(nb_monitor_feed(&m, "web1 TASKEND faiend 0", NULL), 1);
	ASSERT_EQ(m.state, NB_MON_DONE);
	assert_result(&m, 0, NULL);
	/* malformed lines change nothing */
	ASSERT_ERR(nb_monitor_feed(&m, "web1 TASKEND faiend", NULL), EINVAL);
	ASSERT_EQ(m.n_msgs, 2);

	/* no host: every sender counts */
	nb_monitor_init(&m, NULL, 0, 0);
	ASSERT_EQ(nb_monitor_feed(&m, "guest53 TASKEND configure 420", NULL), 1);
	ASSERT_EQ(m.state, NB_MON_FAILING);
}

TEST(taskerror_fails_below_threshold)
{
	struct nb_monitor m;

	nb_monitor_init(&m, "web1", 0, 0);
	ASSERT_EQ(nb_monitor_feed(&m, "web1 check", NULL), 1);
	ASSERT_EQ(nb_monitor_feed(&m, "web1 TASKBEGIN tests", NULL), 1);
	ASSERT_EQ(nb_monitor_feed(&m, "web1 TASKERROR tests 312", NULL), 1);
	ASSERT_EQ(m.state, NB_MON_FAILING);
	ASSERT_TRUE(nb_monitor_stalled_on_error(&m));
	ASSERT_EQ(nb_monitor_feed(&m, "web1 TASKEND tests 0", NULL), 1);
	ASSERT_FALSE(nb_monitor_stalled_on_error(&m));
	ASSERT_EQ(nb_monitor_feed(&m, "web1 TASKEND faiend 0", NULL), 1);
	ASSERT_EQ(m.state, NB_MON_DONE);
	assert_result(&m, -EIO, "FAI reported an error in task 'tests' of 'web1': code 312");
}

TEST(state_names)
{
	ASSERT_STREQ(nb_mon_state_to_string(NB_MON_STOPPED), "stopped");
	ASSERT_NULL(nb_mon_state_to_string(_NB_MON_STATE_MAX));
	ASSERT_STREQ(nb_mon_kind_to_string(NB_MON_TASKEND), "TASKEND");
	ASSERT_NULL(nb_mon_kind_to_string(_NB_MON_KIND_INVALID));
}

TEST_MAIN()
