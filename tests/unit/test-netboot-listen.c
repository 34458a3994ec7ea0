/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The FAI monitor's TCP server on loopback, with clients that behave as FAI's sendmon does
 * (`echo "$sendid $*" | nc -w 8 SERVER PORT`: one line, then nc waits for the server to close
 * the connection, or 8 s).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/util.h"
#include "netboot/listen.h"
#include "tests/unit/test.h"

struct got {
	char lines[4][128];
	unsigned n;
};

static void on_line(const char *line, void *userdata)
{
	struct got *g = userdata;

	if (g->n < ELEMENTSOF(g->lines))
		snprintf(g->lines[g->n], sizeof(g->lines[0]), "%s", line);
	g->n++;
}

/* A listener on some free port of this machine; the port in *ret_port. */
static struct nb_listener *listener(unsigned *ret_port)
{
	struct nb_listener *l = NULL;
	unsigned port = 20000 + (unsigned) (getpid() % 20000);

	for (int i = 0; i < 50; i++, port++) {
		struct diag d = DIAG_INIT;
		int r = nb_listener_open(port, &d, &l);

		diag_release(&d);
		if (r >= 0) {
			*ret_port = port;
			return l;
		}
		ASSERT_ERR(r, EADDRINUSE);
	}
	TEST__FAIL("no free port");
}

static int client(unsigned port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_TRUE(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_OK(connect(fd, (struct sockaddr *) &sa, sizeof(sa)));
	return fd;
}

/* Serve l until g has want lines or 2 s passed. */
static void serve(struct nb_listener *l, struct got *g, unsigned want)
{
	for (int round = 0; round < 200 && g->n < want; round++) {
		struct pollfd p[17];
		int fds[17];
		size_t n = nb_listener_fds(l, fds, ELEMENTSOF(fds));

		for (size_t i = 0; i < n; i++)
			p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		ASSERT_TRUE(poll(p, n, 10) >= 0);
		for (size_t i = 0; i < n; i++)
			if (p[i].revents)
				ASSERT_OK(nb_listener_handle(l, p[i].fd, on_line, g));
	}
}

/* The client sees the end of the connection within ms milliseconds: read() returns 0. */
static bool closed_within(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c;

	return poll(&p, 1, ms) == 1 && read(fd, &c, 1) == 0;
}

TEST(closes_after_the_line_as_fai_monitor_does)
{
	struct got g = {0};
	unsigned port;
	struct nb_listener *l = listener(&port);
	int fd = client(port);

	/* nc has sent the line and keeps its side open, waiting for us */
	ASSERT_EQ(write(fd, "web1 TASKBEGIN extrbase\n", 24), 24);
	serve(l, &g, 1);
	ASSERT_EQ(g.n, 1);
	ASSERT_STREQ(g.lines[0], "web1 TASKBEGIN extrbase");
	ASSERT_TRUE(closed_within(fd, 2000));
	ASSERT_EQ(nb_listener_fds(l, (int[4]){0}, 4), 1); /* only the listening socket is left */
	close(fd);
	nb_listener_close(l);
}

TEST(a_line_in_pieces_and_one_without_newline)
{
	struct got g = {0};
	unsigned port;
	struct nb_listener *l = listener(&port);
	int a = client(port), b = client(port);

	ASSERT_EQ(write(a, "web1 TASKEND ", 13), 13);
	serve(l, &g, 1);
	ASSERT_EQ(g.n, 0); /* half a line: nothing yet, the connection stays */
	ASSERT_FALSE(closed_within(a, 50));
	ASSERT_EQ(write(a, "extrbase 0\r\n", 12), 12);
	/* a sender that closes without a newline still counts */
	ASSERT_EQ(write(b, "web1 TASKEND faiend 0", 21), 21);
	ASSERT_OK(shutdown(b, SHUT_WR));
	serve(l, &g, 2);
	ASSERT_EQ(g.n, 2);
	ASSERT_TRUE((streq(g.lines[0], "web1 TASKEND extrbase 0") &&
		     streq(g.lines[1], "web1 TASKEND faiend 0")) ||
		    (streq(g.lines[1], "web1 TASKEND extrbase 0") &&
		     streq(g.lines[0], "web1 TASKEND faiend 0")));
	ASSERT_TRUE(closed_within(a, 2000));
	ASSERT_TRUE(closed_within(b, 2000));
	close(a);
	close(b);
	nb_listener_close(l);
}

TEST_MAIN()
