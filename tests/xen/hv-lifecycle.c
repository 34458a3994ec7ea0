/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * hv-lifecycle: drive the hypervisor module's lifecycle directly, for the lab
 * (tests/lab/tests/hv-lifecycle.sh) on a real Xen. Not installed. Prints one line per event
 * on stdout, so the lab script can check them; errors go to stderr as provision prints them.
 *
 *   hv-lifecycle [-v] run NAME KERNEL RAMDISK CMDLINE [options]   create, wait, apply on_*
 *       --memory MIB (128)  --on-poweroff/--on-reboot/--on-crash ACTION (destroy)
 *       --console LOG   copy the console there     --timeout S   give up (destroy) after S
 *       --max-restarts N (3): then destroy         --stop-on-stdin   a line on stdin stops
 *   hv-lifecycle [-v] destroy NAME                 exit 3 when there is no such domain
 *   hv-lifecycle [-v] domid NAME                   exit 3 when there is no such domain
 *
 * Exit: 0 done, 1 failure or timeout, 2 usage, 3 no such domain.
 */

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/diag.h"
#include "hypervisor/hypervisor.h"

static int verbose;

static int usage(void)
{
	fprintf(stderr, "usage: hv-lifecycle [-v] run NAME KERNEL RAMDISK CMDLINE [options]\n"
			"       hv-lifecycle [-v] destroy|domid NAME\n");
	return 2;
}

static int finish(struct diag *d, int status)
{
	diag_print(d, stderr, "hv-lifecycle");
	diag_release(d);
	return status;
}

static int stdin_line(int fd, short revents, void *userdata)
{
	char buf[256];

	(void) read(fd, buf, sizeof(buf));
	return 1;
}

static void print_tail(const char *log)
{
	char *t = NULL;

	if (log && hv_console_tail(log, 5, &t) == 0) {
		printf("console tail:\n%s", t);
		free(t);
	}
}

static int run(void *h, struct hv_domcfg *c, const char *log, int timeout_s, int max_restarts,
	       bool stop_on_stdin, struct diag *d)
{
	struct hv_watch w = {.fd = 0, .events = POLLIN, .fn = stdin_line};
	struct hv_wait_opts o = {.timeout_ms = -1, .watches = &w, .n_watches = stop_on_stdin};
	time_t deadline = timeout_s > 0 ? time(NULL) + timeout_s : 0;
	uint32_t domid;
	int restarts = 0, r;

	r = hv_libxl_ops.create(h, c, log, &domid, d);
	if (r < 0)
		return 1;
	printf("created %s domid=%u\n", c->name, domid);
	fflush(stdout);
	for (;;) {
		struct hv_event ev;
		struct hv_next next;
		uint32_t old = domid;

		/* one-second slices, as the pipeline does to print progress */
		o.timeout_ms = 1000;
		r = hv_libxl_ops.wait(h, domid, &o, &ev, d);
		if (r < 0)
			return 1;
		if (ev.type == HV_EVENT_TIMEOUT) {
			if (!deadline || time(NULL) < deadline)
				continue;
			printf("timeout domid=%u\n", domid);
			print_tail(log);
			(void) hv_libxl_ops.destroy(h, domid, d);
			return 1;
		}
		if (ev.type == HV_EVENT_WATCH) {
			printf("watch domid=%u\n", domid);
			return 0;
		}
		if (ev.type == HV_EVENT_DEATH) {
			printf("death domid=%u\n", domid);
			return 0;
		}
		if (hv_shutdown_next(ev.reason, c).step == HV_NEXT_RESTART &&
		    restarts >= max_restarts) {
			printf("shutdown domid=%u reason=%s restart-limit\n", domid,
			       hv_shutdown_to_string(ev.reason));
			(void) hv_libxl_ops.destroy(h, domid, d);
			return 0;
		}
		r = hv_shutdown_apply(&hv_libxl_ops, h, c, log, ev.reason, &domid, &next, d);
		printf("shutdown domid=%u reason=%s next=%s%s\n", old,
		       hv_shutdown_to_string(ev.reason), hv_next_step_to_string(next.step),
		       next.coredump ? "+coredump" : "");
		if (ev.reason == HV_SHUTDOWN_CRASH)
			print_tail(log);
		if (r < 0)
			return 1;
		if (domid == HV_DOMID_NONE || domid == old) {
			printf("end\n");
			return 0;
		}
		restarts++;
		printf("created %s domid=%u\n", c->name, domid);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"memory", required_argument, NULL, 'm'},
		{"on-poweroff", required_argument, NULL, 'P'},
		{"on-reboot", required_argument, NULL, 'R'},
		{"on-crash", required_argument, NULL, 'C'},
		{"console", required_argument, NULL, 'c'},
		{"timeout", required_argument, NULL, 't'},
		{"max-restarts", required_argument, NULL, 'x'},
		{"stop-on-stdin", no_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	struct hv_domcfg c = {.memory_mib = 128, .vcpus = 1};
	struct diag d = DIAG_INIT;
	const char *log = NULL;
	int timeout_s = 0, max_restarts = 3, opt, r, status;
	bool stop_on_stdin = false;
	void *h = NULL;

	while ((opt = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		enum hv_action *a = NULL;

		switch (opt) {
		case 'v':
			verbose++;
			break;
		case 'm':
			c.memory_mib = strtoull(optarg, NULL, 10);
			break;
		case 'P':
			a = &c.on_poweroff;
			break;
		case 'R':
			a = &c.on_reboot;
			break;
		case 'C':
			a = &c.on_crash;
			break;
		case 'c':
			log = optarg;
			break;
		case 't':
			timeout_s = atoi(optarg);
			break;
		case 'x':
			max_restarts = atoi(optarg);
			break;
		case 's':
			stop_on_stdin = true;
			break;
		default:
			return usage();
		}
		if (a && (*a = hv_action_from_string(optarg)) < 0)
			return usage();
	}
	argv += optind, argc -= optind;
	if (argc < 2 || (streq(argv[0], "run") ? argc != 5 : argc != 2))
		return usage();

	r = hv_libxl_ops.open(&(struct hv_open_opts){.log = stderr, .verbose = verbose}, &h, &d);
	if (r < 0)
		return finish(&d, 1);
	if (streq(argv[0], "destroy")) {
		r = hv_domain_destroy_by_name(&hv_libxl_ops, h, argv[1], &d);
		status = r == -ENOENT ? 3 : r < 0;
		if (r == 0)
			printf("destroyed %s\n", argv[1]);
	} else if (streq(argv[0], "domid")) {
		uint32_t domid;

		r = hv_libxl_ops.domid(h, argv[1], &domid, &d);
		status = r == -ENOENT ? 3 : r < 0;
		if (r == 0)
			printf("%u\n", domid);
	} else if (streq(argv[0], "run")) {
		c.name = argv[1], c.kernel = argv[2], c.ramdisk = argv[3], c.cmdline = argv[4];
		status = run(h, &c, log, timeout_s, max_restarts, stop_on_stdin, &d);
	} else {
		status = usage();
	}
	hv_libxl_ops.close(h);
	return finish(&d, status);
}
