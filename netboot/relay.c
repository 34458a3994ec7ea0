/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The FAI monitor relay (relay.h): the install's half (join, read, leave) and the relay's
 * (own, serve). Everything the two share is in the spool directory: one flock on the
 * directory orders registrations against the relay's decision to leave.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/run.h"
#include "common/util.h"
#include "relay.h"

#define SPOOL_SUFFIX   ".mon"
#define UNCLAIMED      "unclaimed.log"
#define PID_FILE       "relay.pid"
#define RELAY_LOG      "relay.log"
#define SPOOL_FILE_MAX (4u << 20) /* a file stops growing here; an install sends ~200 lines */

struct nb_relay {
	int fd;	 /* the spool file, flock'ed while registered */
	int ino; /* inotify on it, or -1 */
	char *path;
	off_t off;
	size_t len;
	char buf[1024];
};

/* Open spool_dir (made when missing) and lock it, waiting. Returns: the locked fd, or -errno. */
static int spool_lock(const char *dir, struct diag *d)
{
	_cleanup_(freep) char *probe = NULL;
	int fd, r;

	if (asprintf(&probe, "%s/x", dir) < 0)
		return -ENOMEM;
	r = mkdir_parents(probe, 0750);
	if (r < 0)
		return diag_error_errno(d, NULL, r, "cannot create '%s'", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return diag_error_errno(d, NULL, -errno, "cannot open '%s'", dir);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			r = -errno;
			close(fd);
			return diag_error_errno(d, NULL, r, "cannot lock '%s'", dir);
		}
	return fd;
}

/* Whether relay.pid is locked by a running relay. */
static bool relay_running(int dirfd)
{
	int fd = openat(dirfd, PID_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bool running;

	if (fd < 0)
		return false;
	running = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return running;
}

/* Open and lock relay.pid in the locked spool (dirfd). Returns: the fd, or -errno (in d). */
static int pid_take(const char *spool_dir, int dirfd, struct diag *d)
{
	int pfd = openat(dirfd, PID_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);

	if (pfd < 0 || flock(pfd, LOCK_EX | LOCK_NB) < 0) {
		int r = -errno;

		if (pfd >= 0)
			close(pfd);
		return diag_error_errno(d, NULL, r, "cannot lock '%s/%s'", spool_dir, PID_FILE);
	}
	return pfd;
}

/*
 * Take the port and lock relay.pid, the spool locked (dirfd) and no relay running: what a
 * relay needs, in *ret_lfd and *ret_pfd. The lock goes with the open file: a relay started
 * with pfd keeps it through fork and exec. Returns: 0, -EADDRINUSE (another program has the
 * port), -errno; errors in d.
 */
static int port_take(const char *spool_dir, int dirfd, unsigned port, int *ret_lfd, int *ret_pfd,
		     struct diag *d)
{
	struct diag quiet = DIAG_INIT;
	int lfd, pfd;

	lfd = nb_listen_socket(port, &quiet);
	diag_release(&quiet);
	if (lfd < 0)
		return diag_error_errno(
			d, NULL, lfd, "cannot listen on FAI monitor port %u (%s)", port,
			lfd == -EADDRINUSE
				? "another program, not provision's relay, has it: FAI's faimond?"
				: "for the relay");
	pfd = pid_take(spool_dir, dirfd, d);
	if (pfd < 0) {
		close(lfd);
		return pfd;
	}
	*ret_lfd = lfd;
	*ret_pfd = pfd;
	return 0;
}

int nb_relay_own(const char *spool_dir, unsigned port, int *ret_listen_fd, int *ret_pid_fd,
		 struct diag *d)
{
	_cleanup_(closep) int dirfd = -1;

	dirfd = spool_lock(spool_dir, d);
	if (dirfd < 0)
		return dirfd;
	if (relay_running(dirfd))
		return -EALREADY;
	return port_take(spool_dir, dirfd, port, ret_listen_fd, ret_pid_fd, d);
}

int nb_relay_own_socket(const char *spool_dir, int *ret_pid_fd, struct diag *d)
{
	_cleanup_(closep) int dirfd = -1;
	int pfd;

	dirfd = spool_lock(spool_dir, d);
	if (dirfd < 0)
		return dirfd;
	if (relay_running(dirfd))
		return -EALREADY;
	pfd = pid_take(spool_dir, dirfd, d);
	if (pfd < 0)
		return pfd;
	*ret_pid_fd = pfd;
	return 0;
}

/*
 * Start the relay with lfd and pfd (closed here either way), a daemon (common/run.h: two
 * forks, so that it is nobody's child here, no zombie, nothing for libxl's or the hooks'
 * reaping to see; exec failing is reported back).
 */
static int relay_start(const struct nb_relay_join_opts *o, int dirfd, int lfd, int pfd,
		       struct diag *d)
{
	int log = openat(dirfd, RELAY_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	struct run_child c = {
		.path = o->daemon_path,
		.argv = o->daemon_argv,
		.daemonize = true,
		.out = {.io = RUN_FD, .fd = log},
		.err = {.io = RUN_FD, .fd = log},
		.extra = {{.io = RUN_FD, .num = 3, .fd = lfd}, {.io = RUN_FD, .num = 4, .fd = pfd}},
	};
	int err;

	if (log < 0) {
		err = -errno;
		goto out;
	}
	err = run_start(&c);
	run_child_release(&c);
out:
	if (log >= 0)
		close(log);
	close(lfd);
	close(pfd);
	if (err < 0)
		return diag_error_errno(d, NULL, err, "cannot start the FAI monitor relay '%s'",
					o->daemon_path);
	return 0;
}

static struct nb_relay *relay_free(struct nb_relay *r)
{
	if (!r)
		return NULL;
	if (r->fd >= 0)
		close(r->fd);
	if (r->ino >= 0)
		close(r->ino);
	free(r->path);
	free(r);
	return NULL;
}

/* Make sure a relay owns the port, dirfd locked. */
static int relay_ensure(const struct nb_relay_join_opts *o, int dirfd, struct diag *d)
{
	int lfd = -1, pfd = -1, r;

	if (relay_running(dirfd))
		return 0;
	r = port_take(o->spool_dir, dirfd, o->port, &lfd, &pfd, d);
	return r < 0 ? r : relay_start(o, dirfd, lfd, pfd, d);
}

int nb_relay_join(const struct nb_relay_join_opts *o, struct nb_relay **ret, struct diag *d)
{
	_cleanup_(closep) int dirfd = -1;
	struct nb_relay *r;
	int k;

	if (!hostname_label_valid(o->host))
		return diag_error(d, NULL, "'%s' is not a host name FAI can report as", o->host);
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = r->ino = -1;
	if (asprintf(&r->path, "%s/%s" SPOOL_SUFFIX, o->spool_dir, o->host) < 0) {
		r->path = NULL;
		relay_free(r);
		return -ENOMEM;
	}
	k = dirfd = spool_lock(o->spool_dir, d);
	if (k < 0)
		goto fail;
	r->fd = open(r->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (r->fd < 0) {
		k = diag_error_errno(d, NULL, -errno, "cannot create '%s'", r->path);
		goto fail;
	}
	if (flock(r->fd, LOCK_EX | LOCK_NB) < 0) {
		/* not ours to remove: the other install's */
		k = -errno;
		k = diag_error_errno(d, NULL, k == -EWOULDBLOCK ? -EBUSY : k,
				     "the install of '%s' is watched already ('%s')", o->host,
				     r->path);
		relay_free(r);
		return k;
	}
	/* a file left by a crashed install: its lines are old */
	if (ftruncate(r->fd, 0) < 0) {
		k = diag_error_errno(d, NULL, -errno, "cannot truncate '%s'", r->path);
		goto fail;
	}
	k = relay_ensure(o, dirfd, d);
	if (k < 0)
		goto fail;
	r->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (r->ino >= 0 && inotify_add_watch(r->ino, r->path, IN_MODIFY) < 0) {
		close(r->ino); /* the caller reads on its own clock then */
		r->ino = -1;
	}
	*ret = r;
	return 0;
fail:
	if (r->fd >= 0)
		(void) unlink(r->path);
	relay_free(r);
	return k;
}

int nb_relay_fd(const struct nb_relay *r)
{
	return r->ino;
}

int nb_relay_read(struct nb_relay *r, nb_line_fn fn, void *userdata)
{
	char ev[4096];
	int n = 0;

	if (r->ino >= 0)
		while (read(r->ino, ev, sizeof(ev)) > 0)
			;
	for (;;) {
		ssize_t k = pread(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len, r->off);
		size_t start = 0;

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return n;
		r->off += k;
		r->len += (size_t) k;
		for (size_t i = 0; i < r->len; i++)
			if (r->buf[i] == '\n') {
				r->buf[i] = 0;
				fn(r->buf + start, userdata);
				start = i + 1;
				n++;
			}
		memmove(r->buf, r->buf + start, r->len - start);
		r->len -= start;
		if (r->len == sizeof(r->buf) - 1) { /* the relay cuts lines shorter: not ours */
			r->len = 0;
		}
	}
}

struct nb_relay *nb_relay_leave(struct nb_relay *r, const char *keep_as)
{
	if (!r)
		return NULL;
	if (!keep_as || rename(r->path, keep_as) < 0)
		(void) unlink(r->path);
	return relay_free(r);
}

/* ---- the relay ---- */

static int append_capped(int fd, const char *line)
{
	struct stat st;
	size_t len = strlen(line);
	char buf[1024];

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size >= SPOOL_FILE_MAX)
		return 0;
	if (len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;
	memcpy(buf, line, len);
	buf[len++] = '\n';
	return write_all(fd, buf, len); /* O_APPEND: one write, one line */
}

int nb_relay_spool_name(const char *line, char ret[NB_RELAY_SPOOL_NAME_MAX])
{
	char host[64];
	size_t n = strcspn(line, " \t");

	if (n == 0 || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, line, n);
	host[n] = 0;
	if (!hostname_label_valid(host))
		return -EINVAL;
	snprintf(ret, NB_RELAY_SPOOL_NAME_MAX, "%s" SPOOL_SUFFIX, host);
	return 0;
}

/* A line from the port: to its host's spool file when registered, else to unclaimed.log. */
static void route(const char *line, void *userdata)
{
	int dirfd = *(const int *) userdata;
	char file[NB_RELAY_SPOOL_NAME_MAX];
	int fd = -1;

	if (nb_relay_spool_name(line, file) == 0)
		fd = openat(dirfd, file, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		fd = openat(dirfd, UNCLAIMED,
			    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0 || append_capped(fd, line) < 0)
		fprintf(stderr, "fai-monitor: cannot spool '%s': %m\n", line);
	if (fd >= 0)
		close(fd);
}

/* How many installs are registered (their spool file locked); -errno. */
static int registered(int dirfd)
{
	int dup = fcntl(dirfd, F_DUPFD_CLOEXEC, 3), n = 0;
	struct dirent *de;
	DIR *dir;

	if (dup < 0)
		return -errno;
	dir = fdopendir(dup);
	if (!dir) {
		close(dup);
		return -errno;
	}
	rewinddir(dir);
	while ((de = readdir(dir))) {
		size_t len = strlen(de->d_name);
		int fd;

		if (len <= strlen(SPOOL_SUFFIX) ||
		    strcmp(de->d_name + len - strlen(SPOOL_SUFFIX), SPOOL_SUFFIX) != 0)
			continue;
		fd = openat(dirfd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
			n++;
		close(fd);
	}
	closedir(dir);
	return n;
}

static long mono_s(void)
{
	return (long) (mono_usec() / 1000000);
}

int nb_relay_serve(int listen_fd, int pid_fd, const char *spool_dir, unsigned linger_s,
		   struct diag *d)
{
	_cleanup_(closep) int dirfd = -1;
	struct nb_listener *l = NULL;
	long last_seen, last_check = 0;
	char pid[24];
	int r;

	dirfd = open(spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		r = diag_error_errno(d, NULL, -errno, "cannot open '%s'", spool_dir);
		close(listen_fd);
		close(pid_fd);
		return r;
	}
	r = nb_listener_adopt(listen_fd, &l);
	if (r < 0) {
		close(listen_fd);
		close(pid_fd);
		return r;
	}
	snprintf(pid, sizeof(pid), "%d\n", (int) getpid());
	if (ftruncate(pid_fd, 0) < 0 || pwrite(pid_fd, pid, strlen(pid), 0) < 0)
		fprintf(stderr, "fai-monitor: cannot write '%s/%s': %m\n", spool_dir, PID_FILE);
	last_seen = mono_s();
	for (;;) {
		struct pollfd pfds[17];
		int fds[17];
		size_t n = nb_listener_fds(l, fds, ELEMENTSOF(fds));

		for (size_t i = 0; i < n; i++)
			pfds[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		r = poll(pfds, n, 1000);
		if (r < 0 && errno != EINTR) {
			r = diag_error_errno(d, NULL, -errno, "poll");
			break;
		}
		for (size_t i = 0; r > 0 && i < n; i++)
			if (pfds[i].revents) {
				r = nb_listener_handle(l, pfds[i].fd, route, &dirfd);
				if (r < 0) {
					r = diag_error_errno(d, NULL, r, "FAI monitor port");
					goto out;
				}
				r = 1;
			}
		if (linger_s == 0 || mono_s() == last_check)
			continue;
		last_check = mono_s();
		/* under the spool lock: an install registering now waits, then starts a relay */
		if (flock(dirfd, LOCK_EX | LOCK_NB) < 0)
			continue;
		r = registered(dirfd);
		if (r > 0)
			last_seen = last_check;
		if (r == 0 && last_check - last_seen >= (long) linger_s)
			break; /* port and relay.pid are released below, before the spool lock */
		(void) flock(dirfd, LOCK_UN);
	}
out:
	nb_listener_close(l);
	close(pid_fd);
	return r < 0 ? r : 0;
}
