/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stage hooks, run for real: shell scripts in a temporary hooks_dir. Needs root (hooks must be
 * owned by root); skipped otherwise. */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "hooks/hooks.h"
#include "tests/unit/test.h"

static char root[64];
static char logpath[128];

static void setup(void)
{
	char cmd[256];

	if (geteuid() != 0)
		SKIP("hooks must be owned by root: run as root");
	snprintf(root, sizeof(root), "/tmp/prov-hooks-XXXXXX");
	ASSERT_NOT_NULL(mkdtemp(root));
	ASSERT_OK(chmod(root, 0755));
	snprintf(logpath, sizeof(logpath), "%s/log", root);
	snprintf(cmd, sizeof(cmd), "mkdir -m 755 %s/carve.pre.d %s/carve.post.d", root, root);
	ASSERT_EQ(system(cmd), 0);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	(void) !system(cmd);
}

static void hook(const char *name, const char *body, unsigned mode)
{
	char path[256], *text;

	snprintf(path, sizeof(path), "%s/carve.pre.d/%s", root, name);
	ASSERT_TRUE(asprintf(&text, "#!/bin/sh\n%s\n", body) > 0);
	ASSERT_OK(write_file_atomic(path, text, strlen(text), mode, true));
	free(text);
}

static char *slurp(const char *path)
{
	char *s = NULL;

	if (read_file(path, &s, NULL) < 0)
		return strdup("");
	return s;
}

TEST(order_env_argv)
{
	char *env[] = {"PROVISION_GUEST=web1", "PROVISION_STAGE=carve", "PATH=/usr/bin:/bin", NULL};
	char *args[] = {"web1", "carve", "pre", NULL};
	struct hook_run r = {.stage = "carve", .when = HOOK_PRE, .argv_extra = args, .env = env};
	struct diag d = DIAG_INIT;
	char body[256], *got;

	setup();
	r.hooks_dir = root;
	snprintf(body, sizeof(body), "echo \"${0##*/} $* $PROVISION_GUEST $PROVISION_STAGE\" >> %s",
		 logpath);
	hook("20-second", body, 0755);
	hook("10-first", body, 0755);
	hook("05_under-score", body, 0755);
	hook(".hidden", body, 0755);
	hook("30-backup~", body, 0755);
	hook("40-x.bak", body, 0755);
	hook("50-x.dpkg-old", body, 0755);
	hook("60-not-executable", body, 0644);
	ASSERT_EQ(hook_run_all(&r, &d, NULL), 3);
	got = slurp(logpath);
	ASSERT_STREQ(got, "05_under-score web1 carve pre web1 carve\n"
			  "10-first web1 carve pre web1 carve\n"
			  "20-second web1 carve pre web1 carve\n");
	free(got);
	ASSERT_EQ(d.n_errors, 0);
	diag_release(&d);
	teardown();
}

TEST(failure_stops_with_tail)
{
	struct hook_run r = {.stage = "carve", .when = HOOK_PRE, .quiet = true};
	struct hook_failure f = {0};
	struct diag d = DIAG_INIT;
	char body[256], *got;

	setup();
	r.hooks_dir = root;
	hook("10-fail", "echo one >&2; echo 'no space on LUN' >&2; exit 3", 0755);
	snprintf(body, sizeof(body), "echo ran >> %s", logpath);
	hook("20-never", body, 0755);
	ASSERT_ERR(hook_run_all(&r, &d, &f), ECHILD);
	ASSERT_EQ(f.exit_status, 3);
	ASSERT_FALSE(f.timed_out);
	ASSERT_TRUE(strstr(f.hook, "10-fail") != NULL);
	ASSERT_STREQ(f.stderr_tail, "one\nno space on LUN\n");
	ASSERT_EQ(d.n_errors, 1);
	ASSERT_TRUE(strstr(d.v[0].msg, "failed with exit status 3") != NULL);
	ASSERT_STREQ(d.v[2].msg, "hook stderr: no space on LUN");
	got = slurp(logpath);
	ASSERT_STREQ(got, ""); /* the second hook did not run */
	free(got);
	hook_failure_release(&f);
	diag_release(&d);
	teardown();
}

static bool pid_alive(pid_t pid)
{
	char path[64], *s = NULL;
	bool alive;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	if (read_file(path, &s, NULL) < 0)
		return false;
	alive = !strstr(s, ") Z ");
	free(s);
	return alive;
}

TEST(timeout_kills_group)
{
	struct hook_run r = {.stage = "carve", .when = HOOK_PRE, .timeout_s = 1, .quiet = true};
	struct hook_failure f = {0};
	struct diag d = DIAG_INIT;
	char body[256], *got;
	time_t t0 = time(NULL);
	pid_t child;

	setup();
	r.hooks_dir = root;
	snprintf(body, sizeof(body), "sleep 300 & echo $! > %s; sleep 300", logpath);
	hook("10-hang", body, 0755);
	ASSERT_ERR(hook_run_all(&r, &d, &f), ETIMEDOUT);
	ASSERT_TRUE(f.timed_out);
	ASSERT_TRUE(time(NULL) - t0 < 30);
	got = slurp(logpath);
	child = atoi(got);
	free(got);
	ASSERT_TRUE(child > 0);
	for (int i = 0; i < 50 && pid_alive(child); i++)
		usleep(100000);
	ASSERT_FALSE(pid_alive(child)); /* the hook's own child died with the group */
	ASSERT_TRUE(strstr(d.v[0].msg, "timed out after 1s") != NULL);
	hook_failure_release(&f);
	diag_release(&d);
	teardown();
}

TEST(background_child_does_not_block)
{
	struct hook_run r = {.stage = "carve", .when = HOOK_PRE, .quiet = true};
	struct diag d = DIAG_INIT;
	time_t t0 = time(NULL);

	setup();
	r.hooks_dir = root;
	/* the child keeps stderr open; the hook itself exits at once */
	hook("10-daemon", "sleep 5 &\nexit 0", 0755);
	ASSERT_EQ(hook_run_all(&r, &d, NULL), 1);
	ASSERT_TRUE(time(NULL) - t0 < 4);
	diag_release(&d);
	teardown();
}

TEST(unsafe_refused_before_running)
{
	struct hook_run r = {.stage = "carve", .when = HOOK_PRE, .quiet = true};
	struct diag d = DIAG_INIT;
	char body[256], path[256], *got;

	setup();
	r.hooks_dir = root;
	snprintf(body, sizeof(body), "echo ran >> %s", logpath);
	hook("10-ok", body, 0755);
	hook("20-world-writable", body, 0757);
	ASSERT_ERR(hook_run_all(&r, &d, NULL), EPERM);
	ASSERT_TRUE(strstr(d.v[0].msg, "20-world-writable': writable by group or others") != NULL);
	got = slurp(logpath);
	ASSERT_STREQ(got, ""); /* refused before anything ran */
	free(got);
	diag_release(&d);

	snprintf(path, sizeof(path), "%s/carve.pre.d/20-world-writable", root);
	ASSERT_OK(chmod(path, 0755));
	ASSERT_OK(chown(path, 1000, 1000));
	ASSERT_ERR(hook_run_all(&r, &d, NULL), EPERM);
	ASSERT_TRUE(strstr(d.v[0].msg, "not owned by root") != NULL);
	diag_release(&d);

	ASSERT_OK(chown(path, 0, 0));
	snprintf(path, sizeof(path), "%s/carve.pre.d", root);
	ASSERT_OK(chmod(path, 0775));
	ASSERT_ERR(hook_run_all(&r, &d, NULL), EPERM);
	ASSERT_TRUE(strstr(d.v[0].msg, "refusing hook directory") != NULL);
	diag_release(&d);
	teardown();
}

TEST(missing_dir_runs_nothing)
{
	struct hook_run r = {.stage = "boot", .when = HOOK_POST};
	struct diag d = DIAG_INIT;

	setup();
	r.hooks_dir = root;
	ASSERT_EQ(hook_run_all(&r, &d, NULL), 0);
	r.hooks_dir = NULL;
	ASSERT_EQ(hook_run_all(&r, &d, NULL), 0);
	r.stage = "../etc";
	ASSERT_ERR(hook_run_all(&r, &d, NULL), EINVAL);
	diag_release(&d);
	teardown();
}

TEST_MAIN()
