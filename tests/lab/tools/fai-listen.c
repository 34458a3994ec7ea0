/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fai-listen: the lab's FAI monitor. Listens on the monitor port, feeds every line real FAI
 * sends into netboot/monitor.c and prints what it makes of them, so the lab proves the
 * parser on live FAI traffic before the install stage uses it.
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
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netboot/monitor.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Read one connection to its end (FAI: one line, then nc closes), at most 5 s. */
static size_t read_conn(int fd, char *buf, size_t size)
{
	size_t n = 0;
	double until = now() + 5;

	while (n < size - 1 && now() < until) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t k;

		if (poll(&p, 1, 500) <= 0)
			continue;
		k = read(fd, buf + n, size - 1 - n);
		if (k <= 0)
			break;
		n += (size_t) k;
	}
	buf[n] = 0;
	return n;
}

static void print_diag(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		printf("%s%s", i ? "; " : "", d->v[i].msg);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct nb_monitor m;
	struct diag d = DIAG_INIT;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
	unsigned port = 4711, fail_code = 0, stop_code = 0;
	double timeout = 3600, grace = 60, t0, last = 0;
	enum nb_mon_state shown = NB_MON_WAITING;
	char shown_task[NB_MON_NAME_MAX] = "";
	int opt, s, one = 1, r;

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
	nb_monitor_init(&m, argv[optind], fail_code, stop_code);

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_port = htons((uint16_t) port);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s, (struct sockaddr *) &a, sizeof(a)) < 0 || listen(s, 16) < 0) {
		fprintf(stderr, "fai-listen: cannot listen on port %u: %s\n", port,
			strerror(errno));
		return 3;
	}
	printf("MON-STATE +0.0s listening on port %u for '%s'\n", port, argv[optind]);
	t0 = now();
	for (;;) {
		struct pollfd p = {.fd = s, .events = POLLIN};
		double t = now() - t0;

		if (m.state == NB_MON_DONE || m.state == NB_MON_STOPPED)
			break;
		if (nb_monitor_stalled_on_error(&m) && t - last > grace) {
			printf("MON-STATE +%.1fs silent for %.0fs after a failure: FAI has stopped\n",
			       t, grace);
			break;
		}
		if (t > timeout) {
			printf("MON-RESULT timeout: no end of the install after %.0fs (state %s, task '%s')\n",
			       timeout, nb_mon_state_to_string(m.state),
			       nb_monitor_current_task(&m));
			return 2;
		}
		if (poll(&p, 1, 1000) <= 0)
			continue;
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		char buf[4096], *line, *save = NULL;
		read_conn(c, buf, sizeof(buf));
		close(c);
		t = now() - t0;
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			r = nb_monitor_feed(&m, line, NULL);
			printf("MON +%.1fs %s%s\n", t, line,
			       r < 0	? "   (malformed)"
			       : r == 0 ? "   (other host)"
					: "");
			if (r > 0)
				last = t;
		}
		if (m.state != shown || strcmp(shown_task, nb_monitor_current_task(&m)) != 0) {
			shown = m.state;
			snprintf(shown_task, sizeof(shown_task), "%s", nb_monitor_current_task(&m));
			printf("MON-STATE +%.1fs %s task=%s worst=%u\n", t,
			       nb_mon_state_to_string(shown), shown_task, m.worst_code);
		}
	}
	r = nb_monitor_result(&m, &d);
	printf("MON-RESULT %s: ", r == 0 ? "success" : "failed");
	if (r == 0)
		printf("FAI finished, worst code %u (below %u)\n", m.worst_code, m.fail_code);
	else
		print_diag(&d);
	diag_release(&d);
	return r == 0 ? 0 : 1;
}
