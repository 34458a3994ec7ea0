/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The FAI monitor protocol (netboot/monitor.c): every line of the input is fed, as the relay
 * spools them, to two monitors (one for host "web1", one for any sender), which are judged
 * afterwards; each line also goes through the relay's routing (nb_relay_spool_name()), which
 * must agree with the parser about the sender.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/macro.h"
#include "netboot/monitor.h"
#include "netboot/relay.h"
#include "fuzz.h"

static void line_check(struct nb_monitor *web1, struct nb_monitor *any, const char *line)
{
	char spool[NB_RELAY_SPOOL_NAME_MAX];
	struct nb_mon_msg msg;
	int r, k;

	r = nb_monitor_feed(web1, line, &msg);
	FUZZ_CHECK(r == 0 || r == 1 || r == -EINVAL);
	if (r >= 0) {
		FUZZ_CHECK(nb_mon_kind_to_string(msg.kind) != NULL);
		FUZZ_CHECK(msg.host[0] && strlen(msg.host) < NB_MON_NAME_MAX);
		FUZZ_CHECK((r == 1) == streq(msg.host, "web1"));
	}
	k = nb_monitor_feed(any, line, NULL);
	FUZZ_CHECK(k == (r < 0 ? r : 1));
	FUZZ_CHECK(any->depth <= NB_MON_STACK_MAX && web1->depth <= NB_MON_STACK_MAX);
	if (nb_relay_spool_name(line, spool) == 0) {
		size_t n = strlen(spool);

		FUZZ_CHECK(n > 4 && strcmp(spool + n - 4, ".mon") == 0);
		/* a line the monitor reads comes from the host whose file it was spooled in */
		if (r >= 0)
			FUZZ_CHECK(strlen(msg.host) == n - 4 &&
				   memcmp(msg.host, spool, n - 4) == 0);
	}
}

static void judge(const struct nb_monitor *m)
{
	struct diag d = DIAG_INIT;
	int r = nb_monitor_result(m, &d);

	FUZZ_CHECK(r == 0 || r == -EIO || r == -EINPROGRESS);
	FUZZ_CHECK(r == 0 ? d.n_errors == 0 : d.n_errors == 1);
	FUZZ_CHECK(r != 0 || m->state == NB_MON_DONE);
	FUZZ_CHECK(nb_mon_state_to_string(m->state) != NULL);
	(void) nb_monitor_current_task(m);
	(void) nb_monitor_stalled_on_error(m);
	fuzz_diag_print(&d);
	diag_release(&d);
}

int fuzz_one(const uint8_t *data, size_t size)
{
	_cleanup_(freep) char *text = fuzz_strndup(data, size);
	struct nb_monitor web1, any;
	char *line = text;

	nb_monitor_init(&web1, "web1", 0, 0);
	nb_monitor_init(&any, NULL, 0, 0);
	while (line) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = 0;
		line_check(&web1, &any, line);
		line = nl ? nl + 1 : NULL;
	}
	judge(&web1);
	judge(&any);
	return 0;
}
