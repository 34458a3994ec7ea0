/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stage_install() and stage_boot() (provision/stage-install.c, stage-boot.c) against a
 * scripted hypervisor double (tests/unit/stage-xen-world.h), each case asserting the result,
 * every message (what the stage printed and its diag, as the dispatcher prints it) and what
 * the double saw: its calls and the domids they named.
 *
 * FAI's lines go through the real relay: the install starts `provision fai-monitor
 * --inherited` (the built binary, $PROVISION, as pipeline_opts.relay_daemon) on a free port
 * of the test's site, and the double sends each line over TCP to that port from inside its
 * wait(), then waits for the install's own watch (the relay's inotify fd on the spool file)
 * before it returns. That keeps the relay, the spool and nb_relay_read() under test, and it
 * stays deterministic: a line is in the monitor before the wait that sent it returns, however
 * slow the relay is (a line not spooled within 10 s fails the test; nothing sleeps). The
 * clock is the double's (pipeline_opts.xen): a wait that times out moves it by its slice, so
 * the stall grace, the install and boot timeouts and the progress lines run at their real
 * values in milliseconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "templates/templates.h"
#include "provision/stage-xen.h"
#include "tests/unit/stage-xen-world.h"
#include "tests/unit/test.h"

#define LOG_INSTALL "T/state/guests/web1/console-install.log"
#define LOG_BOOT    "T/state/guests/web1/console-boot.log"
#define CONFIGS                                                                                    \
	"wrote T/configs/web1.install.cfg\n"                                                       \
	"wrote T/configs/web1.boot.cfg\n"

#define ASSERT_TEXT(got, want)                                                                     \
	do {                                                                                       \
		_cleanup_(freep) char *_t = (got);                                                 \
		ASSERT_STREQ(_t, want);                                                            \
	} while (0)

/* FAI's lines of a good install, then the installer powers off (FAI's halt). */
static const struct fake_step fai_ok[] = {
	{.times = 15},
	{.fai = {"web1 check", "web1 TASKBEGIN install"}},
	{.times = 14},
	{.fai = {"web1 TASKEND install 0", "web1 TASKEND faiend 0"}},
	{EV_SHUTDOWN(HV_SHUTDOWN_POWEROFF)},
};

TEST(install_ok)
{
	_cleanup_(freep) char *kept = NULL, *path = NULL;
	struct world w;

	world_init(&w, "web1");
	w.f.steps = fai_ok;
	w.f.n_steps = ELEMENTSOF(fai_ok);
	w.p.o.verbose = 1;
	ASSERT_OK(stage_install(&w.p));
	ASSERT_TEXT(world_out(&w),
		    CONFIGS "  installer running as domain 7, console in " LOG_INSTALL "\n"
			    "  install: 15s, the installer boots (no word from FAI yet)\n"
			    "  fai: web1 check\n"
			    "  fai: web1 TASKBEGIN install\n"
			    "  install: 30s, FAI task 'install'\n"
			    "  fai: web1 TASKEND install 0\n"
			    "  fai: web1 TASKEND faiend 0\n"
			    "  install finished after 31s: every FAI task below 400\n");
	ASSERT_TEXT(world_diag(&w), "");
	/* on_poweroff destroy: the installer's domain, once */
	ASSERT_TEXT(world_calls(&w), "open; domid web1; create web1 console=" LOG_INSTALL
				     " -> 7; destroy 7; close; ");
	ASSERT_EQ(w.f.n_waits, 32);
	/* the lines came through the relay: its spool file is kept beside the console log */
	path = world_path(&w, "state/guests/web1/fai-monitor.log");
	ASSERT_OK(read_file(path, &kept, NULL));
	ASSERT_STREQ(kept, "web1 check\nweb1 TASKBEGIN install\nweb1 TASKEND install 0\n"
			   "web1 TASKEND faiend 0\n");
	world_release(&w);
}

/* Someone destroys the installer while FAI partitions the disk. */
static const struct fake_step fai_death[] = {
	{.fai = {"web1 check", "web1 TASKBEGIN partition"}},
	{.times = 2},
	{EV_DEATH},
};

TEST(install_death)
{
	struct world w;

	world_init(&w, "web1");
	w.f.steps = fai_death;
	w.f.n_steps = ELEMENTSOF(fai_death);
	w.f.console_at_create = "Linux version 6.1.0 (FAI installer)\n";
	ASSERT_ERR(stage_install(&w.p), EINPROGRESS);
	ASSERT_TEXT(world_out(&w),
		    CONFIGS "  installer running as domain 7, console in " LOG_INSTALL "\n");
	ASSERT_TEXT(world_diag(&w),
		    "provision: error: FAI has not finished the install of 'web1' (last task "
		    "'partition')\n"
		    "provision: note: last lines of the console (" LOG_INSTALL "):\n"
		    "Linux version 6.1.0 (FAI installer)\n\n");
	/* gone already: nothing to destroy */
	ASSERT_TEXT(world_calls(&w),
		    "open; domid web1; create web1 console=" LOG_INSTALL " -> 7; close; ");
	world_release(&w);
}

/* FAI finished, then the installer crashed instead of halting. */
static const struct fake_step fai_crash[] = {
	{.fai = {"web1 check", "web1 TASKBEGIN install", "web1 TASKEND install 0",
		 "web1 TASKEND faiend 0"}},
	{EV_SHUTDOWN(HV_SHUTDOWN_CRASH)},
};

TEST(install_crash)
{
	struct world w;

	world_init(&w, "web1");
	w.f.steps = fai_crash;
	w.f.n_steps = ELEMENTSOF(fai_crash);
	w.f.console_at_create = "Kernel panic - not syncing\n";
	ASSERT_ERR(stage_install(&w.p), EINVAL);
	ASSERT_TEXT(world_out(&w),
		    CONFIGS "  installer running as domain 7, console in " LOG_INSTALL "\n");
	ASSERT_TEXT(world_diag(&w),
		    "provision: error: the installer stopped with 'crash', not a halt or reboot\n"
		    "provision: note: last lines of the console (" LOG_INSTALL "):\n"
		    "Kernel panic - not syncing\n\n");
	/* on_crash preserve: the crashed installer is kept for a look, not destroyed */
	ASSERT_TEXT(world_calls(&w),
		    "open; domid web1; create web1 console=" LOG_INSTALL " -> 7; close; ");
	world_release(&w);
}

/* A failing task (420 >= fail_code 400, below STOP_ON_ERROR), then FAI's silence. */
static const struct fake_step fai_stall[] = {
	{.fai = {"web1 check", "web1 TASKBEGIN configure", "web1 TASKEND configure 420"}},
};

TEST(install_fai_stalled_on_error)
{
	struct world w;

	world_init(&w, "web1");
	w.f.steps = fai_stall;
	w.f.n_steps = ELEMENTSOF(fai_stall);
	ASSERT_ERR(stage_install(&w.p), EINVAL);
	ASSERT_TEXT(world_out(&w),
		    CONFIGS "  installer running as domain 7, console in " LOG_INSTALL "\n"
			    "  install: 15s, FAI between tasks (last 'configure')\n");
	/* the console log is empty: no note of its last lines */
	ASSERT_TEXT(world_diag(&w),
		    "provision: error: FAI task 'configure' of 'web1' ended with code 420 "
		    "(fail_code 400)\n"
		    "provision: error: FAI stopped in task 'configure' with code 420 (no word for "
		    "21s, it waits at its shell): domain destroyed\n");
	/* the lines came within the first wait, the grace is 20 s: 21 s of silence */
	ASSERT_EQ(w.f.n_waits, 21);
	ASSERT_TEXT(world_calls(&w), "open; domid web1; create web1 console=" LOG_INSTALL
				     " -> 7; destroy 7; close; ");
	world_release(&w);
}

/* A code above STOP_ON_ERROR: FAI said it stopped, the watch ends the wait at once. */
static const struct fake_step fai_stop[] = {
	{.fai = {"web1 check", "web1 TASKBEGIN partition", "web1 TASKEND partition 800"}},
};

TEST(install_fai_stopped)
{
	struct world w;

	world_init(&w, "web1");
	w.f.steps = fai_stop;
	w.f.n_steps = ELEMENTSOF(fai_stop);
	ASSERT_ERR(stage_install(&w.p), EINVAL);
	ASSERT_TEXT(world_out(&w),
		    CONFIGS "  installer running as domain 7, console in " LOG_INSTALL "\n");
	ASSERT_TEXT(world_diag(&w),
		    "provision: error: FAI stopped the install of 'web1' at its shell: task "
		    "'partition' ended with code 800 (above STOP_ON_ERROR 700)\n"
		    "provision: error: FAI stopped in task 'partition' with code 800 (no word for "
		    "0s, it waits at its shell): domain destroyed\n");
	ASSERT_EQ(w.f.n_waits, 1);
	ASSERT_TEXT(world_calls(&w), "open; domid web1; create web1 console=" LOG_INSTALL
				     " -> 7; destroy 7; close; ");
	world_release(&w);
}

/* FAI works on and on: the template's install timeout (40 s here) ends it. */
static const struct fake_step fai_slow[] = {
	{.fai = {"web1 check", "web1 TASKBEGIN instsoft"}},
};

TEST(install_timeout)
{
	struct world w;

	world_init(&w, "web1");
	w.f.steps = fai_slow;
	w.f.n_steps = ELEMENTSOF(fai_slow);
	w.p.t->install_timeout_s = 40;
	ASSERT_ERR(stage_install(&w.p), ETIMEDOUT);
	ASSERT_TEXT(world_out(&w),
		    CONFIGS "  installer running as domain 7, console in " LOG_INSTALL "\n"
			    "  install: 15s, FAI task 'instsoft'\n"
			    "  install: 30s, FAI task 'instsoft'\n");
	ASSERT_TEXT(world_diag(&w), "provision: error: the install did not finish within 40s (task "
				    "'instsoft'): Connection timed out\n");
	ASSERT_EQ(w.f.n_waits, 41);
	ASSERT_TEXT(world_calls(&w), "open; domid web1; create web1 console=" LOG_INSTALL
				     " -> 7; destroy 7; close; ");
	world_release(&w);
}

TEST(install_not_xen)
{
	_cleanup_(freep) char *spool = NULL;
	struct world w;

	world_init(&w, "web1");
	w.f.open_r = -ENODEV;
	ASSERT_ERR(stage_install(&w.p), ENODEV);
	ASSERT_TEXT(world_out(&w), CONFIGS);
	ASSERT_TEXT(world_diag(&w), "provision: error: not a Xen dom0 (no /dev/xen/privcmd)\n");
	ASSERT_TEXT(world_calls(&w), "open; close NULL; ");
	/* Xen first: no relay was started, no spool made */
	spool = world_path(&w, "state/fai-monitor");
	ASSERT_TRUE(access(spool, F_OK) < 0 && errno == ENOENT);
	world_release(&w);
}

TEST(install_create_fails)
{
	struct world w;

	world_init(&w, "web1");
	w.f.create_r = -ENOMEM;
	w.f.running = "web1"; /* left by a crashed run: destroyed before the new installer */
	w.f.running_id = 3;
	ASSERT_ERR(stage_install(&w.p), ENOMEM);
	ASSERT_TEXT(world_out(&w), CONFIGS);
	ASSERT_TEXT(world_diag(&w), "provision: error: cannot create domain 'web1': fake\n");
	ASSERT_TEXT(world_calls(&w), "open; domid web1; destroy 3; create web1 console=" LOG_INSTALL
				     " failed; close; ");
	ASSERT_EQ(w.f.n_waits, 0);
	world_release(&w);
}

/* ---- boot ---- */

/* The template of a guest installing from its CD: HVM, install.method cdrom. */
static void world_cdrom(struct world *w)
{
	w->p.t->type = TMPL_GUEST_HVM;
	w->p.t->install_method = TMPL_INSTALL_CDROM;
	w->p.t->hvm.cdrom = strdup("/srv/iso/installer.iso");
	ASSERT_NOT_NULL(w->p.t->hvm.cdrom);
}

/* The guest's own installer reboots once (a Windows setup does), then powers off. */
static const struct fake_step cd_ok[] = {
	{.times = 20},
	{EV_SHUTDOWN(HV_SHUTDOWN_REBOOT)},
	{.times = 5},
	{EV_SHUTDOWN(HV_SHUTDOWN_POWEROFF)},
};

TEST(install_cdrom_poweroff)
{
	_cleanup_(freep) char *spool = NULL;
	struct world w;

	world_init(&w, "web1");
	world_cdrom(&w);
	w.f.steps = cd_ok;
	w.f.n_steps = ELEMENTSOF(cd_ok);
	ASSERT_OK(stage_install(&w.p));
	ASSERT_TEXT(
		world_out(&w), CONFIGS
		"  installer running as domain 7, console in " LOG_INSTALL "\n"
		"  install: 15s, the guest's own installer runs (until it powers off)\n"
		"  install: 20s, the guest's installer shut down ('reboot'), runs again as domain 8\n"
		"  install finished after 25s: the guest's installer powered it off\n");
	ASSERT_TEXT(world_diag(&w), "");
	/* on_reboot restart: destroyed and made again; on_poweroff destroy */
	ASSERT_TEXT(world_calls(&w), "open; domid web1; create web1 console=" LOG_INSTALL
				     " -> 7; destroy 7; create web1 console=" LOG_INSTALL
				     " -> 8; destroy 8; close; ");
	/* no FAI: no relay was started */
	spool = world_path(&w, "state/fai-monitor");
	ASSERT_TRUE(access(spool, F_OK) < 0 && errno == ENOENT);
	world_release(&w);
}

/* The installer never powers off: the template's timeout ends it. */
TEST(install_cdrom_timeout)
{
	struct world w;

	world_init(&w, "web1");
	world_cdrom(&w);
	w.p.t->install_timeout_s = 20;
	ASSERT_ERR(stage_install(&w.p), ETIMEDOUT);
	ASSERT_TEXT(world_out(&w), CONFIGS
		    "  installer running as domain 7, console in " LOG_INSTALL "\n"
		    "  install: 15s, the guest's own installer runs (until it powers off)\n");
	ASSERT_TEXT(world_diag(&w), "provision: error: the guest's installer did not power off "
				    "within 20s: Connection timed out\n");
	ASSERT_TEXT(world_calls(&w), "open; domid web1; create web1 console=" LOG_INSTALL
				     " -> 7; destroy 7; close; ");
	world_release(&w);
}

/* It crashes: not a power-off, the install failed (on_crash preserve keeps it). */
static const struct fake_step cd_crash[] = {
	{EV_SHUTDOWN(HV_SHUTDOWN_CRASH)},
};

TEST(install_cdrom_crash)
{
	struct world w;

	world_init(&w, "web1");
	world_cdrom(&w);
	w.f.steps = cd_crash;
	w.f.n_steps = ELEMENTSOF(cd_crash);
	ASSERT_ERR(stage_install(&w.p), EINVAL);
	ASSERT_TEXT(world_diag(&w), "provision: error: the guest's installer stopped with 'crash', "
				    "not a power-off\n");
	ASSERT_TEXT(world_calls(&w),
		    "open; domid web1; create web1 console=" LOG_INSTALL " -> 7; close; ");
	world_release(&w);
}

static const struct fake_step boot_ready[] = {
	{.times = 2},
	{.console = "web1 login: \n" READY_MARKER "web1\n"},
};

static char *guest_host(struct world *w)
{
	_cleanup_(inv_guest_freep) struct inv_guest *g = NULL;
	char *h;

	ASSERT_OK(inv_guest_get(w->p.inv, "web1", &w->ctx.diag, &g));
	h = g->host ? strdup(g->host) : strdup("(none)");
	ASSERT_NOT_NULL(h);
	return h;
}

TEST(boot_ready)
{
	_cleanup_(freep) char *host = NULL;
	char hn[256] = "";
	struct world w;

	world_init(&w, "web1");
	w.f.steps = boot_ready;
	w.f.n_steps = ELEMENTSOF(boot_ready);
	w.f.console_at_create = "Linux version 6.1.0-xen\n";
	ASSERT_OK(stage_boot(&w.p));
	ASSERT_TEXT(world_out(&w),
		    CONFIGS "  'web1' started as domain 7, waiting for its ready marker\n"
			    "  'web1' is up after 3s\n");
	ASSERT_TEXT(world_diag(&w), "");
	ASSERT_TEXT(world_calls(&w),
		    "open; domid web1; domid web1; create web1 console=" LOG_BOOT " -> 7; close; ");
	ASSERT_EQ(w.f.n_waits, 3);
	ASSERT_OK(gethostname(hn, sizeof(hn) - 1));
	host = guest_host(&w);
	ASSERT_STREQ(host, hn);
	world_release(&w);
}

static const struct fake_step boot_death[] = {
	{.times = 2},
	{EV_DEATH},
};

TEST(boot_death)
{
	_cleanup_(freep) char *host = NULL;
	struct world w;

	world_init(&w, "web1");
	w.f.steps = boot_death;
	w.f.n_steps = ELEMENTSOF(boot_death);
	w.f.console_at_create = "Linux version 6.1.0-xen\n";
	ASSERT_ERR(stage_boot(&w.p), EINVAL);
	ASSERT_TEXT(world_out(&w),
		    CONFIGS "  'web1' started as domain 7, waiting for its ready marker\n");
	ASSERT_TEXT(world_diag(&w), "provision: error: 'web1' stopped before it was ready "
				    "(destroyed)\n"
				    "provision: note: last lines of the console (" LOG_BOOT "):\n"
				    "Linux version 6.1.0-xen\n\n");
	ASSERT_TEXT(world_calls(&w),
		    "open; domid web1; domid web1; create web1 console=" LOG_BOOT " -> 7; close; ");
	host = guest_host(&w);
	ASSERT_STREQ(host, "(none)");
	world_release(&w);
}

TEST(boot_timeout)
{
	_cleanup_(freep) char *host = NULL;
	struct world w;

	world_init(&w, "web1");
	w.f.console_at_create = "Linux version 6.1.0-xen\nweb1 login: \n";
	ASSERT_ERR(stage_boot(&w.p), ETIMEDOUT);
	ASSERT_TEXT(world_out(&w),
		    CONFIGS "  'web1' started as domain 7, waiting for its ready marker\n");
	ASSERT_TEXT(world_diag(&w),
		    "provision: error: 'web1' was not ready within 900s: Connection "
		    "timed out\n"
		    "provision: note: last lines of the console (" LOG_BOOT "):\n"
		    "Linux version 6.1.0-xen\nweb1 login: \n\n");
	ASSERT_EQ(w.f.n_waits, 901);
	ASSERT_TEXT(world_calls(&w),
		    "open; domid web1; domid web1; create web1 console=" LOG_BOOT " -> 7; close; ");
	host = guest_host(&w);
	ASSERT_STREQ(host, "(none)");
	world_release(&w);
}

TEST(boot_already_up)
{
	_cleanup_(freep) char *log = NULL, *host = NULL;
	struct world w;

	world_init(&w, "web1");
	w.f.running = "web1";
	w.f.running_id = 5;
	log = world_path(&w, "state/guests/web1/console-boot.log");
	ASSERT_OK(mkdir_parents(log, 0750));
	append_file(log, READY_MARKER "web1\n");
	ASSERT_OK(stage_boot(&w.p));
	ASSERT_TEXT(world_out(&w), CONFIGS "  'web1' already runs as domain 5\n");
	ASSERT_TEXT(world_diag(&w), "");
	ASSERT_TEXT(world_calls(&w), "open; domid web1; close; ");
	host = guest_host(&w);
	ASSERT_TRUE(!streq(host, "(none)"));
	world_release(&w);
}

TEST_MAIN()
