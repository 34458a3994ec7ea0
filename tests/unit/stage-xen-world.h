/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The world of tests/unit/test-provision-stages-xen.c: a scratch site (state_dir, config_dir,
 * a free FAI monitor port), its inventory with one guest at stage configs (no partition), the
 * built-in 'lab' template, and a pipeline whose hypervisor is the scripted double below and
 * whose clock is the double's (struct stage_xen_policy): no test waits for time to pass.
 *
 * The double (struct fake) records every call but wait in f.calls (waits are counted; a wait
 * on another domid than the one it created is recorded as "wait N") and answers each wait
 * from its script: one step per wait (a step with times > 1 is that many waits), TIMEOUT
 * after the script's end. A wait that times out moves the clock by the wait's slice,
 * any other by 1 ms. Before a step's wait returns, its console text is appended to the
 * domain's console log and its FAI lines are sent to the relay's port, one TCP connection
 * each as FAI's sendmon does; the wait then polls the install's watch (the relay's inotify fd
 * on its spool file) and runs its callback, as libxl's wait does, so a line is read by the
 * stage before the wait returns: the test never depends on how fast the relay is.
 */

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "provision/pipeline.h"
#include "tests/unit/inventory-test.h"

#define STEP_LINES_MAX 6
#define FAKE_WAITS_MAX 100000 /* a stage that never ends fails the test, it does not hang */
#define DELIVER_MS     10000  /* a line the relay did not spool within this fails the test */

struct fake_step {
	unsigned times; /* this many waits (0: 1) */
	const char *console;
	const char *fai[STEP_LINES_MAX];
	bool event; /* the wait returns ev (reason), else it times out */
	enum hv_event_type ev;
	enum hv_shutdown reason;
};
#define EV_SHUTDOWN(r) .event = true, .ev = HV_EVENT_SHUTDOWN, .reason = (r)
#define EV_DEATH       .event = true, .ev = HV_EVENT_DEATH

struct fake {
	struct strbuf calls;  /* "open; domid web1; create web1 console=T/... -> 7; destroy 7; " */
	int open_r, create_r; /* < 0: that call fails */
	const char *running;  /* a domain that exists before the stage, with id running_id */
	uint32_t running_id, next_domid, domid;
	const char *console_at_create; /* what the guest prints first */
	char *console_log;
	const struct fake_step *steps;
	size_t n_steps, step, step_waits;
	unsigned n_waits;
	int64_t now_usec;
	unsigned port; /* the FAI monitor port */
};

static struct fake *fake_current; /* what open() hands out */

static int64_t fake_clock(void *userdata)
{
	return ((struct fake *) userdata)->now_usec;
}

static int fake_open(const struct hv_open_opts *o, void **ret_h, struct diag *d)
{
	struct fake *f = fake_current;

	strbuf_puts(&f->calls, "open; ");
	if (f->open_r < 0) {
		diag_add(d, DIAG_ERROR, NULL, "not a Xen dom0 (no /dev/xen/privcmd)");
		return f->open_r;
	}
	*ret_h = f;
	return 0;
}

static void fake_close(void *h)
{
	strbuf_puts(&fake_current->calls, h ? "close; " : "close NULL; ");
}

static void append_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	ASSERT_TRUE(fd >= 0);
	ASSERT_OK(write_all(fd, text, strlen(text)));
	close(fd);
}

static int fake_create(void *h, const struct hv_domcfg *cfg, const char *console_log,
		       uint32_t *ret_domid, struct diag *d)
{
	struct fake *f = h;

	strbuf_addf(&f->calls, "create %s console=%s", cfg->name, console_log ? console_log : "-");
	if (f->create_r < 0) {
		strbuf_puts(&f->calls, " failed; ");
		diag_add(d, DIAG_ERROR, NULL, "cannot create domain '%s': fake", cfg->name);
		return f->create_r;
	}
	free(f->console_log);
	f->console_log = console_log ? strdup(console_log) : NULL;
	if (f->console_log && f->console_at_create)
		append_file(f->console_log, f->console_at_create);
	*ret_domid = f->domid = f->next_domid++;
	strbuf_addf(&f->calls, " -> %u; ", *ret_domid);
	return 0;
}

static int fake_destroy(void *h, uint32_t domid, struct diag *d)
{
	struct fake *f = h;

	strbuf_addf(&f->calls, "destroy %u; ", domid);
	if (f->running && domid == f->running_id)
		f->running = NULL;
	return 0;
}

static int fake_domid(void *h, const char *name, uint32_t *ret_domid, struct diag *d)
{
	struct fake *f = h;

	strbuf_addf(&f->calls, "domid %s; ", name);
	if (!f->running || !streq(f->running, name))
		return -ENOENT;
	*ret_domid = f->running_id;
	return 0;
}

/* One line to the monitor port, as FAI's sendmon sends it. */
static void fai_send(unsigned port, const char *line)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_TRUE(fd >= 0);
	ASSERT_TRUE(connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0);
	ASSERT_OK(write_all(fd, line, strlen(line)));
	ASSERT_OK(write_all(fd, "\n", 1));
	close(fd);
}

/* The spooled line wakes the install's watch: run its callback as libxl's wait does. */
static int deliver(const struct hv_wait_opts *o, struct hv_event *ret)
{
	struct pollfd pfd;
	int r;

	if (o->n_watches != 1)
		TEST__FAIL("the install waits without a watch on the relay's spool (no inotify?)");
	pfd = (struct pollfd){.fd = o->watches[0].fd, .events = o->watches[0].events};
	r = poll(&pfd, 1, DELIVER_MS);
	if (r != 1)
		TEST__FAIL("the relay did not spool a line within %d ms", DELIVER_MS);
	r = o->watches[0].fn(pfd.fd, pfd.revents, o->watches[0].userdata);
	if (r > 0)
		*ret = (struct hv_event){.type = HV_EVENT_WATCH, .watch_result = r};
	return r;
}

static int fake_wait(void *h, uint32_t domid, const struct hv_wait_opts *o, struct hv_event *ret,
		     struct diag *d)
{
	struct fake *f = h;
	const struct fake_step *s = f->step < f->n_steps ? &f->steps[f->step] : NULL;
	int r;

	if (domid != f->domid)
		strbuf_addf(&f->calls, "wait %u; ", domid);
	if (++f->n_waits > FAKE_WAITS_MAX)
		TEST__FAIL("the stage waits for ever");
	if (s && ++f->step_waits >= (s->times ? s->times : 1)) {
		f->step++;
		f->step_waits = 0;
	}
	if (s && s->console && f->console_log)
		append_file(f->console_log, s->console);
	for (size_t i = 0; s && i < STEP_LINES_MAX && s->fai[i]; i++) {
		fai_send(f->port, s->fai[i]);
		r = deliver(o, ret);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	if (!s || !s->event) {
		f->now_usec += (int64_t) o->timeout_ms * 1000;
		*ret = (struct hv_event){.type = HV_EVENT_TIMEOUT};
	} else {
		f->now_usec += 1000;
		*ret = (struct hv_event){.type = s->ev, .reason = s->reason};
	}
	return 0;
}

static const struct hv_ops fake_ops = {
	.name = "fake",
	.open = fake_open,
	.close = fake_close,
	.create = fake_create,
	.wait = fake_wait,
	.destroy = fake_destroy,
	.domid = fake_domid,
};

/* ---- the world ---------------------------------------------------------------------------- */

struct world {
	char *dir, *site_path;
	struct fake f;
	struct stage_xen_policy pol;
	struct prov_ctx ctx;
	struct pipeline p;
	char *out;
	size_t out_len;
};

static const char site_text[] =
	"config_dir: %1$s/configs\n"
	"state_dir: %1$s/state\n"
	"hooks_dir: %1$s/hooks.d\n"
	"luns: [%1$s/lun0.img]\n"
	"partition_sizes: [10G]\n"
	"mac_prefix: \"00:16:3e\"\n"
	"network:\n"
	"  trunk: vtrunk\n"
	"  vlans:\n"
	"    10: { bridge: br10, native: true, subnet: 10.10.0.0/24,\n"
	"          gateway: 10.10.0.1, range: 10.10.0.50-10.10.0.99 }\n"
	"fai:\n"
	"  server: 10.10.0.1\n"
	"  nfsroot: /srv/fai/nfsroot\n"
	"  config_src: nfs://10.10.0.1/srv/fai/config\n"
	"  kernel: /boot/fai/vmlinuz\n"
	"  initrd: /boot/fai/initrd.img\n"
	"  monitor_port: %2$u\n"
	"kernels:\n"
	"  default: { kernel: /boot/vmlinuz-xen, initrd: /boot/initrd.img-xen }\n";

/* A TCP port nobody listens on now (the relay binds it when the install joins). */
static unsigned free_port(void)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), zero = 0;

	ASSERT_TRUE(fd >= 0);
	(void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	ASSERT_TRUE(bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0);
	ASSERT_TRUE(getsockname(fd, (struct sockaddr *) &sa, &len) == 0);
	close(fd);
	return ntohs(sa.sin6_port);
}

static char *world_path(const struct world *w, const char *rel)
{
	char *s;

	ASSERT_TRUE(asprintf(&s, "%s/%s", w->dir, rel) > 0);
	return s;
}

/* Guest name in the inventory at stage configs: no partition (part_size 0), a MAC, an IP. */
static void world_guest(struct world *w, const char *name)
{
	const struct site *s = w->ctx.site;
	const struct site_vlan *v = tmpl_site_vlan(s, 10);
	struct inv_alloc a = {.name = name,
			      .template_name = "lab",
			      .vlan = 10,
			      .who = w->p.who,
			      .spec = "memory: 512M\n",
			      .mac_prefix_len = s->mac_prefix_len,
			      .range_first = v->range_first,
			      .range_last = v->range_last,
			      .gateway = v->gateway};

	memcpy(a.mac_prefix, s->mac_prefix, 6);
	ASSERT_OK(inv_open(s->state_dir, &w->ctx.diag, &w->p.inv));
	ASSERT_OK(inv_guest_allocate(w->p.inv, &a, &w->ctx.diag, &w->p.g));
	ASSERT_OK(inv_stage_done(w->p.inv, w->p.g->id, "configs", w->p.who, &w->ctx.diag));
	ASSERT_FALSE(w->p.g->has_partition);
}

/* The site, guest name with the 'lab' template (VLAN 10), a pipeline on the double. */
static void world_init(struct world *w, const char *name)
{
	_cleanup_(freep) char *text = NULL, *configs = NULL;

	*w = (struct world){.f = {.next_domid = 7, .now_usec = 1000 * 1000000LL}};
	w->dir = test_tmpdir();
	w->f.port = free_port();
	fake_current = &w->f;
	w->pol = stage_xen_policy_default;
	w->pol.clock_usec = fake_clock;
	w->pol.clock_userdata = &w->f;
	w->site_path = world_path(w, "site.yaml");
	ASSERT_TRUE(asprintf(&text, site_text, w->dir, w->f.port) > 0);
	append_file(w->site_path, text);
	configs = world_path(w, "configs");
	ASSERT_TRUE(mkdir(configs, 0750) == 0);

	w->ctx = (struct prov_ctx){.prog = "provision", .site_path = w->site_path};
	ASSERT_OK(tmpl_site_load(w->site_path, &w->ctx.diag, &w->ctx.site));
	w->p = (struct pipeline){
		.ctx = &w->ctx,
		.site = w->ctx.site,
		.name = name,
		.who = strdup("test(0)"),
		.o = {.until = STAGE_BOOT,
		      .site_path = w->site_path,
		      .hv = &fake_ops,
		      .relay_daemon = getenv("PROVISION"),
		      .xen = &w->pol},
	};
	ASSERT_NOT_NULL(w->p.o.relay_daemon); /* tests/meson.build sets it */
	w->p.out = open_memstream(&w->out, &w->out_len);
	ASSERT_NOT_NULL(w->p.out);
	ASSERT_OK(tmpl_guest_load(w->ctx.site, "lab", &w->ctx.diag, &w->p.t));
	w->p.t->vlan = 10;
	world_guest(w, name);
}

/* Stop the relay the install started (it would linger for FAI_RELAY_LINGER_S). */
static void relay_stop(struct world *w)
{
	_cleanup_(freep) char *path = world_path(w, "state/fai-monitor/relay.pid"), *pid = NULL;
	int ino, pidfd;
	pid_t p;

	if (access(path, F_OK) < 0)
		return;
	/* the relay writes its pid when it starts serving: wait for that, not for a time */
	ino = inotify_init1(IN_CLOEXEC);
	ASSERT_TRUE(ino >= 0);
	ASSERT_TRUE(inotify_add_watch(ino, path, IN_MODIFY) >= 0);
	while (read_file(path, &pid, NULL) >= 0 && !*pid) {
		struct pollfd pfd = {.fd = ino, .events = POLLIN};

		free(pid);
		pid = NULL;
		ASSERT_EQ(poll(&pfd, 1, DELIVER_MS), 1);
		(void) !read(ino, (char[4096]){0}, 4096);
	}
	close(ino);
	ASSERT_NOT_NULL(pid);
	p = (pid_t) atoi(pid);
	ASSERT_TRUE(p > 1);
	pidfd = (int) syscall(SYS_pidfd_open, p, 0);
	ASSERT_TRUE(kill(p, SIGTERM) == 0);
	if (pidfd >= 0) {
		struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

		ASSERT_EQ(poll(&pfd, 1, DELIVER_MS), 1);
		close(pidfd);
	}
}

static void world_release(struct world *w)
{
	relay_stop(w);
	pipeline_release(&w->p);
	if (w->p.out)
		fclose(w->p.out);
	free(w->out);
	tmpl_site_free(w->ctx.site);
	diag_release(&w->ctx.diag);
	strbuf_release(&w->f.calls);
	free(w->f.console_log);
	free(w->site_path);
	test_tmpdir_free(&w->dir);
	fake_current = NULL;
}

/* s with every occurrence of the scratch directory written as "T". */
static char *world_text(const struct world *w, const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = strlen(w->dir);

	for (const char *at; (at = strstr(s, w->dir)); s = at + n) {
		strbuf_add(&sb, s, (size_t) (at - s));
		strbuf_putc(&sb, 'T');
	}
	strbuf_puts(&sb, s);
	return strbuf_detach(&sb);
}

/* What the stage printed on p->out so far, and its messages as the dispatcher prints them. */
static char *world_out(struct world *w)
{
	fflush(w->p.out);
	return world_text(w, w->out ? w->out : "");
}

static char *world_diag(struct world *w)
{
	_cleanup_(freep) char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ASSERT_NOT_NULL(f);
	diag_print(&w->ctx.diag, f, "provision");
	fclose(f);
	return world_text(w, text ? text : "");
}

static char *world_calls(struct world *w)
{
	return world_text(w, w->f.calls.buf ? w->f.calls.buf : "");
}
