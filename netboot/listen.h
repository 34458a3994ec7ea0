/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The FAI monitor's TCP server (netboot/listen.c): FAI's sendmon opens one short connection per
 * message line. The listener accepts them and hands every complete line to a callback: the
 * relay (relay.h) spools it for the install of its host, which feeds it to an nb_monitor. It
 * never blocks: the caller polls nb_listener_fds() and calls nb_listener_handle() for a ready
 * fd.
 */

#include <stddef.h>

#include "common/diag.h"

struct nb_listener;

typedef void (*nb_line_fn)(const char *line, void *userdata);

/*
 * Listen on TCP port (all addresses). Returns: 0 and a listener in *ret, or -errno with
 * "cannot listen on FAI monitor port N: ..." in d (-EADDRINUSE: another monitor runs).
 */
int nb_listener_open(unsigned port, struct diag *d, struct nb_listener **ret);
/*
 * The listening socket alone (non-blocking, close-on-exec): the fd, or -errno as above.
 */
int nb_listen_socket(unsigned port, struct diag *d);
/* A listener on fd, a listening socket it now owns. Returns: 0, or -ENOMEM (fd untouched). */
int nb_listener_adopt(int fd, struct nb_listener **ret);
/* Accepts NULL. Returns NULL. */
struct nb_listener *nb_listener_close(struct nb_listener *l);

/* The fds to poll for input (the listening socket, then open connections): at most max. */
size_t nb_listener_fds(const struct nb_listener *l, int *fds, size_t max);

/*
 * fd is readable: accept new connections, or read a connection and pass each complete line
 * (without its newline; a last line without one when the peer closes) to fn. A connection is
 * closed once a line came from it, as FAI's own fai-monitor does: FAI sends each message with
 * `nc -w 8`, which otherwise waits 8 s for the monitor to close, for every message.
 * Returns: 0, or -errno for a failure of the listening socket itself.
 */
int nb_listener_handle(struct nb_listener *l, int fd, nb_line_fn fn, void *userdata);
