/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * Test-only LD_PRELOAD shim that lets Debian's `xl -N create X.cfg` (dry run) print xl's own
 * libxl_domain_config JSON on a machine without Xen. Never installed; tests/meson.build
 * builds it as a shared_module without sanitizers (an ASan-instrumented library cannot be
 * preloaded into the uninstrumented xl).
 *
 * Why xl needs anything at all: even with -N, xl allocates a full libxl context before it
 * reads the config. What Debian's xl 4.17 does without Xen (strace, and XLSHIM_DEBUG=1):
 *  - libxl_ctx_alloc() opens /dev/xen/privcmd four times (libxencall, libxenforeignmemory,
 *    libxendevicemodel, libxenctrl): without it "cannot open libxc handle" and exit 1.
 *  - it probes privcmd with ioctl 0x50ff and IOCTL_PRIVCMD_DM_OP (0x105005); ENOSYS is fine.
 *  - xenstore: stat()s then opens the xenstored socket, else /dev/xen/xenbus or
 *    /proc/xen/xenbus: without one "cannot connect to xenstore" and exit 1. Nothing is read
 *    from it during a dry run.
 *  - hypercalls: xen_version subops 0-5, 7, 9, 10 and four multicalls (refused with ENOSYS,
 *    xl carries on) and sysctl physinfo, three times (libxl_get_physinfo before parsing,
 *    then libxl_get_max_cpus/_nodes for the vcpu and pinning bitmaps): this one must answer.
 *
 * How:
 *  - open()/openat() (and their 64-bit and _FORTIFY_SOURCE variants) of /dev/xen/privcmd,
 *    /proc/xen/privcmd, /dev/xen/xenbus and /proc/xen/xenbus open /dev/null instead; the
 *    descriptor is remembered as "privcmd" or "xenbus" until close(). stat() of those paths
 *    describes /dev/null (a character device, which is what libxenstore wants to see).
 *  - connect() to a xenstored socket fails with ENOENT, so a real xenstored is never used.
 *  - ioctl() on a fake privcmd descriptor: IOCTL_PRIVCMD_HYPERCALL for __HYPERVISOR_sysctl
 *    XEN_SYSCTL_physinfo fills in a small made-up host (XLSHIM_CPUS CPUs, default 8; one
 *    node; 4 GiB; PV+HVM capable). Every other hypercall and privcmd ioctl fails with ENOSYS
 *    and is logged to stderr when XLSHIM_DEBUG is set, so a new dependency of xl shows up
 *    as a clear failure instead of silently wrong output.
 * Everything else goes to the real libc functions (dlsym(RTLD_NEXT, ...)).
 */

#define __XEN_TOOLS__ 1
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Order matters: privcmd.h needs the types of xen.h. */
#include <xen/xen.h>
#include <xen/sysctl.h>
#include <xen/sys/privcmd.h>

enum fake { FAKE_NONE, FAKE_PRIVCMD, FAKE_XENBUS };

#define MAX_FDS 1024
static unsigned char fake_fd[MAX_FDS];

static int debug(void)
{
	return getenv("XLSHIM_DEBUG") != NULL;
}

static enum fake fake_for(const char *path)
{
	if (!path)
		return FAKE_NONE;
	if (strcmp(path, "/dev/xen/privcmd") == 0 || strcmp(path, "/proc/xen/privcmd") == 0)
		return FAKE_PRIVCMD;
	if (strcmp(path, "/dev/xen/xenbus") == 0 || strcmp(path, "/proc/xen/xenbus") == 0)
		return FAKE_XENBUS;
	return FAKE_NONE;
}

static void *next(const char *sym)
{
	void *f = dlsym(RTLD_NEXT, sym);
	if (!f) {
		fprintf(stderr, "xlshim: cannot find '%s'\n", sym);
		abort();
	}
	return f;
}

static int open_fake(enum fake kind, const char *path, int flags)
{
	int (*real_open)(const char *, int, ...) = next("open");
	int fd = real_open("/dev/null", (flags & O_CLOEXEC) | O_RDWR);
	if (fd >= 0 && fd < MAX_FDS)
		fake_fd[fd] = (unsigned char) kind;
	if (debug())
		fprintf(stderr, "xlshim: open '%s' -> /dev/null fd %d\n", path, fd);
	return fd;
}

#define OPEN_WRAPPER(name)                                                                         \
	int name(const char *path, int flags, ...)                                                 \
	{                                                                                          \
		int (*real)(const char *, int, ...) = next(#name);                                 \
		mode_t mode = 0;                                                                   \
		enum fake kind = fake_for(path);                                                   \
		if (kind != FAKE_NONE)                                                             \
			return open_fake(kind, path, flags);                                       \
		if (flags & (O_CREAT | O_TMPFILE)) {                                               \
			va_list ap;                                                                \
			va_start(ap, flags);                                                       \
			mode = va_arg(ap, mode_t);                                                 \
			va_end(ap);                                                                \
		}                                                                                  \
		return real(path, flags, mode);                                                    \
	}

#define OPENAT_WRAPPER(name)                                                                       \
	int name(int dirfd, const char *path, int flags, ...)                                      \
	{                                                                                          \
		int (*real)(int, const char *, int, ...) = next(#name);                            \
		mode_t mode = 0;                                                                   \
		enum fake kind = fake_for(path);                                                   \
		if (kind != FAKE_NONE)                                                             \
			return open_fake(kind, path, flags);                                       \
		if (flags & (O_CREAT | O_TMPFILE)) {                                               \
			va_list ap;                                                                \
			va_start(ap, flags);                                                       \
			mode = va_arg(ap, mode_t);                                                 \
			va_end(ap);                                                                \
		}                                                                                  \
		return real(dirfd, path, flags, mode);                                             \
	}

/* Prototypes for -Wmissing-prototypes: these are the libc symbols we replace. */
int open64(const char *path, int flags, ...);
int openat64(int dirfd, const char *path, int flags, ...);
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);

OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)
OPENAT_WRAPPER(openat)
OPENAT_WRAPPER(openat64)

int __open_2(const char *path, int flags)
{
	return open(path, flags);
}

int __open64_2(const char *path, int flags)
{
	return open64(path, flags);
}

int close(int fd)
{
	int (*real)(int) = next("close");
	if (fd >= 0 && fd < MAX_FDS)
		fake_fd[fd] = FAKE_NONE;
	return real(fd);
}

/* libxenstore stat()s the xenbus device before opening it: describe /dev/null instead. */
int stat(const char *restrict path, struct stat *restrict st)
{
	int (*real)(const char *restrict, struct stat *restrict) = next("stat");
	if (fake_for(path) != FAKE_NONE)
		return real("/dev/null", st);
	return real(path, st);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int (*real)(int, const struct sockaddr *, socklen_t) = next("connect");
	const struct sockaddr_un *un = (const struct sockaddr_un *) addr;
	if (addr && addr->sa_family == AF_UNIX && strstr(un->sun_path, "xenstored")) {
		if (debug())
			fprintf(stderr, "xlshim: connect '%s' -> ENOENT\n", un->sun_path);
		errno = ENOENT;
		return -1;
	}
	return real(fd, addr, len);
}

static unsigned shim_cpus(void)
{
	const char *s = getenv("XLSHIM_CPUS");
	long n = s ? strtol(s, NULL, 10) : 8;
	return n > 0 && n <= 4096 ? (unsigned) n : 8;
}

static int fake_physinfo(struct xen_sysctl_physinfo *pi)
{
	unsigned cpus = shim_cpus();
	memset(pi, 0, sizeof(*pi));
	pi->threads_per_core = 1;
	pi->cores_per_socket = cpus;
	pi->nr_cpus = cpus;
	pi->max_cpu_id = cpus - 1;
	pi->nr_nodes = 1;
	pi->max_node_id = 0;
	pi->cpu_khz = 2000000;
	pi->capabilities = XEN_SYSCTL_PHYSCAP_hvm | XEN_SYSCTL_PHYSCAP_pv | XEN_SYSCTL_PHYSCAP_hap |
			   XEN_SYSCTL_PHYSCAP_shadow | XEN_SYSCTL_PHYSCAP_gnttab_v1;
	pi->total_pages = (4ULL << 30) / 4096;
	pi->free_pages = pi->total_pages / 2;
	pi->max_mfn = pi->total_pages - 1;
	return 0;
}

static int fake_hypercall(privcmd_hypercall_t *h)
{
	if (h->op == __HYPERVISOR_sysctl) {
		struct xen_sysctl *s = (struct xen_sysctl *) (unsigned long) h->arg[0];
		if (s && s->cmd == XEN_SYSCTL_physinfo) {
			if (debug())
				fprintf(stderr, "xlshim: answered sysctl physinfo\n");
			return fake_physinfo(&s->u.physinfo);
		}
		if (debug())
			fprintf(stderr, "xlshim: unanswered sysctl %u\n", s ? s->cmd : 0);
	} else if (debug())
		fprintf(stderr, "xlshim: unanswered hypercall %llu (%llu)\n",
			(unsigned long long) h->op, (unsigned long long) h->arg[0]);
	errno = ENOSYS;
	return -1;
}

int ioctl(int fd, unsigned long request, ...)
{
	int (*real)(int, unsigned long, ...) = next("ioctl");
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (fd < 0 || fd >= MAX_FDS || fake_fd[fd] == FAKE_NONE)
		return real(fd, request, arg);
	if (fake_fd[fd] == FAKE_PRIVCMD && request == IOCTL_PRIVCMD_HYPERCALL && arg)
		return fake_hypercall(arg);
	if (debug())
		fprintf(stderr, "xlshim: unanswered ioctl 0x%lx on fake fd %d\n", request, fd);
	errno = ENOSYS;
	return -1;
}
