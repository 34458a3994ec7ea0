/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/macro.h"
#include "listen.h"

#define CONN_MAX  16
#define LINE_MAX_ 1024

struct conn {
	int fd;
	size_t len;
	char buf[LINE_MAX_];
};

struct nb_listener {
	int fd;
	struct conn conns[CONN_MAX];
	size_t n;
};

int nb_listen_socket(unsigned port, struct diag *d)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t) port),
				  .sin6_addr = IN6ADDR_ANY_INIT};
	int one = 1, zero = 0, fd, r;

	fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) /* no IPv6 in this kernel: IPv4 only */
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return diag_error_errno(d, NULL, -errno, "cannot listen on FAI monitor port %u",
					port);
	(void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	(void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
		struct sockaddr_in s4 = {.sin_family = AF_INET,
					 .sin_port = htons((uint16_t) port),
					 .sin_addr.s_addr = htonl(INADDR_ANY)};

		if (errno != EAFNOSUPPORT || bind(fd, (struct sockaddr *) &s4, sizeof(s4)) < 0)
			goto fail;
	}
	if (listen(fd, 64) < 0)
		goto fail;
	return fd;
fail:
	r = -errno;
	close(fd);
	return diag_error_errno(d, NULL, r, "cannot listen on FAI monitor port %u", port);
}

int nb_listener_adopt(int fd, struct nb_listener **ret)
{
	struct nb_listener *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->fd = fd;
	*ret = l;
	return 0;
}

int nb_listener_open(unsigned port, struct diag *d, struct nb_listener **ret)
{
	int fd = nb_listen_socket(port, d), r;

	if (fd < 0)
		return fd;
	r = nb_listener_adopt(fd, ret);
	if (r < 0)
		close(fd);
	return r;
}

struct nb_listener *nb_listener_close(struct nb_listener *l)
{
	if (!l)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		close(l->conns[i].fd);
	close(l->fd);
	free(l);
	return NULL;
}

size_t nb_listener_fds(const struct nb_listener *l, int *fds, size_t max)
{
	size_t n = 0;

	if (max > 0)
		fds[n++] = l->fd;
	for (size_t i = 0; i < l->n && n < max; i++)
		fds[n++] = l->conns[i].fd;
	return n;
}

static void conn_drop(struct nb_listener *l, size_t i)
{
	close(l->conns[i].fd);
	l->conns[i] = l->conns[--l->n];
}

/* Pass the complete lines of c to fn; keep the rest. Returns: how many were passed. */
static unsigned conn_lines(struct conn *c, bool eof, nb_line_fn fn, void *userdata)
{
	size_t start = 0;
	unsigned n = 0;

	for (size_t i = 0; i < c->len; i++)
		if (c->buf[i] == '\n') {
			c->buf[i] = 0;
			if (i > start && c->buf[i - 1] == '\r')
				c->buf[i - 1] = 0;
			fn(c->buf + start, userdata);
			start = i + 1;
			n++;
		}
	memmove(c->buf, c->buf + start, c->len - start);
	c->len -= start;
	if ((eof || c->len == sizeof(c->buf) - 1) && c->len) {
		c->buf[c->len] = 0; /* a last line without newline, or an overlong one */
		fn(c->buf, userdata);
		c->len = 0;
		n++;
	}
	return n;
}

int nb_listener_handle(struct nb_listener *l, int fd, nb_line_fn fn, void *userdata)
{
	if (fd == l->fd) {
		for (;;) {
			int c = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

			if (c < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK ||
				    errno == ECONNABORTED)
					return 0;
				if (errno == EINTR)
					continue;
				return -errno;
			}
			if (l->n == CONN_MAX) {
				close(c); /* FAI retries nothing, but it sends one line per
					     connection */
				continue;
			}
			l->conns[l->n++] = (struct conn){.fd = c};
		}
	}
	for (size_t i = 0; i < l->n; i++) {
		struct conn *c = &l->conns[i];
		ssize_t k;

		if (c->fd != fd)
			continue;
		k = read(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (k > 0) {
			c->len += (size_t) k;
			/* One message per connection, and we close it as fai-monitor does: FAI's
			 * `nc -w 8` only exits when the monitor closes (or after 8 s). */
			if (conn_lines(c, false, fn, userdata) > 0)
				conn_drop(l, i);
			return 0;
		}
		(void) conn_lines(c, true, fn, userdata);
		conn_drop(l, i);
		return 0;
	}
	return 0;
}
