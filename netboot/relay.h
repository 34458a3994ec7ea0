/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One FAI monitor port per Dom0, several installs at once (netboot/relay.c).
 *
 * Every FAI install reports to the same TCP port (monserver:4711) and names its host in the
 * first word of each line. The first install on a Dom0 starts a relay (`provision
 * fai-monitor`) that owns the port and appends each line to its host's spool file,
 * SPOOL/HOST.mon. An install registers by creating its file (empty, flock held for as long as
 * it watches) and reads its own lines from it. Lines from hosts nobody registered go to
 * SPOOL/unclaimed.log. The relay leaves when no install has been registered for its linger
 * time; the spool files of finished installs are kept by their installs (nb_relay_leave).
 *
 * Who owns the port is decided under a flock of SPOOL itself: an install registers and, when
 * the port is free, binds it and starts the relay with the bound socket, so the port is never
 * closed while an install waits for it; the relay closes it and exits under the same lock
 * when it finds no registration. SPOOL/relay.pid stays locked for the relay's life: that tells
 * "our relay has the port" from "another program (FAI's own faimond) has it".
 */

#include <stdbool.h>

#include "common/diag.h"
#include "listen.h"

struct nb_relay;

struct nb_relay_join_opts {
	const char *spool_dir; /* made (0750) when missing */
	unsigned port;
	const char *host; /* the installing host's name: a hostname label */
	/*
	 * The relay to start when the port is free: executed (never through a shell) with the
	 * bound socket as fd 3 and SPOOL/relay.pid (locked) as fd 4, stdin /dev/null, stdout and
	 * stderr appended to SPOOL/relay.log, in a session of its own (it outlives its starter).
	 */
	const char *daemon_path;
	char *const *daemon_argv;
};

/*
 * Register o->host's install and make sure a relay owns the port (starting one if needed).
 * Returns: 0 and the registration in *ret; -EADDRINUSE when a program other than our relay
 * has the port; -EBUSY when o->host is registered already; other -errno. Errors in d.
 */
int nb_relay_join(const struct nb_relay_join_opts *o, struct nb_relay **ret, struct diag *d);

/* A fd to poll (POLLIN) that wakes when new lines may be in the spool file, or -1. */
int nb_relay_fd(const struct nb_relay *r);

/*
 * Pass every complete line that arrived for this host since the last call to fn (without
 * its newline). Returns: how many lines, or -errno.
 */
int nb_relay_read(struct nb_relay *r, nb_line_fn fn, void *userdata);

/*
 * Unregister. The spool file is renamed to keep_as (a path on the same filesystem) when it
 * is not NULL, else removed. Accepts NULL. Returns NULL.
 */
struct nb_relay *nb_relay_leave(struct nb_relay *r, const char *keep_as);

/*
 * The relay: serve listen_fd (a bound, listening socket) and route lines into spool_dir
 * until no install has been registered for linger_s seconds (0: serve until killed). pid_fd
 * is spool_dir/relay.pid, locked by the caller; the relay's pid is written to it. Both fds are
 * closed on return, the port and relay.pid before the spool lock (an install that takes the
 * lock next finds the port free and starts a new relay).
 * Returns: 0 when it left for want of installs, -errno on a failure of the port or spool.
 */
int nb_relay_serve(int listen_fd, int pid_fd, const char *spool_dir, unsigned linger_s,
		   struct diag *d);

#define NB_RELAY_SPOOL_NAME_MAX 80

/*
 * Where the relay spools a line from the port: "HOST.mon" for the first word of line (up to
 * a blank) when it is a hostname label of at most 63 characters (pure: for tests and fuzzing).
 * Returns: 0 and the file name in ret, -EINVAL (the line goes to unclaimed.log).
 */
int nb_relay_spool_name(const char *line, char ret[NB_RELAY_SPOOL_NAME_MAX]);

/*
 * Own the port and relay.pid for a relay started by hand (`provision fai-monitor` in the
 * foreground): *ret_listen_fd and *ret_pid_fd for nb_relay_serve(). Returns: 0, -EALREADY
 * when our relay runs already, -EADDRINUSE when another program has the port, -errno.
 */
int nb_relay_own(const char *spool_dir, unsigned port, int *ret_listen_fd, int *ret_pid_fd,
		 struct diag *d);

/*
 * The same for a relay whose port was bound by its starter (systemd's socket activation):
 * only relay.pid, in *ret_pid_fd. Returns: 0, -EALREADY when our relay runs already, -errno.
 */
int nb_relay_own_socket(const char *spool_dir, int *ret_pid_fd, struct diag *d);
