/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fai-listen: the lab's FAI monitor. netboot/listen.c accepts FAI's connections on the
 * monitor port and netboot/monitor.c judges every line, so the lab proves both on live FAI
 * traffic, apart from the rest of the install stage.
 *
 *   fai-listen [-p PORT] [-t TIMEOUT] [-g GRACE] [-f FAIL_CODE] [-s STOP_CODE] HOST
 *
 * Output (stdout, line buffered):
 *   MON +12.3s HOST TASKBEGIN extrbase          every line received
 *   MON-STATE +12.3s running task=extrbase      when the state changes
 *   MON-RESULT success|failed|timeout: REASON   at the end
 * Ends when FAI finished (done), stopped (a code above STOP_CODE), stayed silent for GRACE
 * seconds after a failing code, or after TIMEOUT seconds. Exit status: 0 success, 1 the
 * install failed, 2 timeout, 3 usage or socket error.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netboot/listen.h"
#include "netboot/monitor.h"

struct run {
	struct nb_monitor m;
	double t0, last; /* start, and the time of the latest message of our host */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void print_diag(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		printf("%s%s", i ? "; " : "", d->v[i].msg);
	printf("\n");
}

static void on_line(const char *line, void *userdata)
{
	struct run *run = userdata;
	double t = now() - run->t0;
	int r = nb_monitor_feed(&run->m, line, NULL);

	printf("MON +%.1fs %s%s\n", t, line,
	       r < 0	? "   (malformed)"
	       : r == 0 ? "   (other host)"
			: "");
	if (r > 0)
		run->last = t;
}

int main(int argc, char **argv)
{
	struct run run = {0};
	struct nb_listener *l = NULL;
	struct diag d = DIAG_INIT;
	unsigned port = 4711, fail_code = 0, stop_code = 0;
	double timeout = 3600, grace = 60;
	enum nb_mon_state shown = NB_MON_WAITING;
	char shown_task[NB_MON_NAME_MAX] = "";
	int opt, r;

	while ((opt = getopt(argc, argv, "p:t:g:f:s:")) != -1) {
		switch (opt) {
		case 'p':
			port = (unsigned) atoi(optarg);
			break;
		case 't':
			timeout = atof(optarg);
			break;
		case 'g':
			grace = atof(optarg);
			break;
		case 'f':
			fail_code = (unsigned) atoi(optarg);
			break;
		case 's':
			stop_code = (unsigned) atoi(optarg);
			break;
		default:
			return 3;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr,
			"usage: fai-listen [-p PORT] [-t TIMEOUT] [-g GRACE] [-f FAIL_CODE] [-s STOP_CODE] HOST\n");
		return 3;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	nb_monitor_init(&run.m, argv[optind], fail_code, stop_code);
	if (nb_listener_open(port, &d, &l) < 0) {
		printf("fai-listen: ");
		print_diag(&d);
		return 3;
	}
	printf("MON-STATE +0.0s listening on port %u for '%s'\n", port, argv[optind]);
	run.t0 = now();
	for (;;) {
		struct pollfd p[32];
		int fds[32];
		size_t n = nb_listener_fds(l, fds, 32);
		double t = now() - run.t0;

		if (run.m.state == NB_MON_DONE || run.m.state == NB_MON_STOPPED)
			break;
		if (nb_monitor_stalled_on_error(&run.m) && t - run.last > grace) {
			printf("MON-STATE +%.1fs silent for %.0fs after a failure: FAI has stopped\n",
			       t, grace);
			break;
		}
		if (t > timeout) {
			printf("MON-RESULT timeout: no end of the install after %.0fs (state %s, task '%s')\n",
			       timeout, nb_mon_state_to_string(run.m.state),
			       nb_monitor_current_task(&run.m));
			nb_listener_close(l);
			return 2;
		}
		for (size_t i = 0; i < n; i++)
			p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		if (poll(p, n, 1000) <= 0)
			continue;
		for (size_t i = 0; i < n; i++)
			if (p[i].revents && nb_listener_handle(l, p[i].fd, on_line, &run) < 0) {
				printf("fai-listen: the listening socket failed\n");
				nb_listener_close(l);
				return 3;
			}
		if (run.m.state != shown ||
		    strcmp(shown_task, nb_monitor_current_task(&run.m)) != 0) {
			shown = run.m.state;
			snprintf(shown_task, sizeof(shown_task), "%s",
				 nb_monitor_current_task(&run.m));
			printf("MON-STATE +%.1fs %s task=%s worst=%u\n", now() - run.t0,
			       nb_mon_state_to_string(shown), shown_task, run.m.worst_code);
		}
	}
	nb_listener_close(l);
	r = nb_monitor_result(&run.m, &d);
	printf("MON-RESULT %s: ", r == 0 ? "success" : "failed");
	if (r == 0)
		printf("FAI finished, worst code %u (below %u)\n", run.m.worst_code,
		       run.m.fail_code);
	else
		print_diag(&d);
	diag_release(&d);
	return r == 0 ? 0 : 1;
}
