/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * relay-watch SPOOL PORT HOST SECONDS DAEMON ARGV0 [ARG...]: the install's half of the FAI
 * monitor relay (netboot/relay.h) as stage install uses it, for shell tests: register HOST
 * (starting DAEMON with ARGV0 ARG... when the port is free), print "joined", then print
 * "got: LINE" for every line of HOST until one holds "TASKEND faiend" or SECONDS pass, then
 * leave, keeping the spool file as SPOOL/HOST.kept. Exit 0 after faiend, 1 on a timeout or
 * error, 3 when the port belongs to another program.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/diag.h"
#include "netboot/relay.h"

static bool done;

static void on_line(const char *line, void *userdata)
{
	(void) userdata;
	printf("got: %s\n", line);
	fflush(stdout);
	if (strstr(line, "TASKEND faiend"))
		done = true;
}

int main(int argc, char **argv)
{
	struct diag d = DIAG_INIT;
	struct nb_relay *r = NULL;
	char keep[4096];
	time_t end;
	int k;

	if (argc < 7) {
		fputs("usage: relay-watch SPOOL PORT HOST SECONDS DAEMON ARGV0 [ARG...]\n", stderr);
		return 2;
	}
	k = nb_relay_join(&(struct nb_relay_join_opts){.spool_dir = argv[1],
						       .port = (unsigned) atoi(argv[2]),
						       .host = argv[3],
						       .daemon_path = argv[5],
						       .daemon_argv = argv + 6},
			  &r, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "relay-watch: %s\n", d.v[i].msg);
	diag_release(&d);
	if (k < 0)
		return k == -EADDRINUSE ? 3 : 1;
	puts("joined");
	fflush(stdout);
	end = time(NULL) + atoi(argv[4]);
	while (!done && time(NULL) < end) {
		struct pollfd p = {nb_relay_fd(r), POLLIN, 0};

		(void) poll(&p, p.fd >= 0, 1000);
		if (nb_relay_read(r, on_line, NULL) < 0)
			break;
	}
	snprintf(keep, sizeof(keep), "%s/%s.kept", argv[1], argv[3]);
	nb_relay_leave(r, keep);
	return done ? 0 : 1;
}
