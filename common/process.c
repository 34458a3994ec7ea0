/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/process.h"
#include "common/strbuf.h"

/*
 * The child: stdin from /dev/null, stdout discarded, stderr into errfd (-1: passed through),
 * and killed when its parent dies: a provision killed while mke2fs runs leaves nothing
 * writing on a LUN that resume or destroy takes over. A failed exec sends its errno through
 * execfd (close-on-exec: a successful exec sends nothing).
 */
static _Noreturn void child(char *const argv[], int errfd, int execfd, pid_t parent)
{
	int e, null;

	/* the parent may be gone already: then the signal never comes */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0 && dup2(null, 0) >= 0 && dup2(null, 1) >= 0 &&
	    (errfd < 0 || dup2(errfd, 2) >= 0))
		execvp(argv[0], argv);
	e = errno;
	(void) !write(execfd, &e, sizeof(e));
	_exit(127);
}

static void read_all(int fd, struct strbuf *sb)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		strbuf_add(sb, buf, (size_t) n);
	}
}

int spawn_wait(char *const argv[], char **ret_stderr)
{
	_cleanup_(closep) int rd = -1, exec_rd = -1;
	struct strbuf err = STRBUF_INIT;
	int pipefd[2] = {-1, -1}, execfd[2], exec_errno = 0, status;
	pid_t parent = getpid(), pid;

	if (ret_stderr) {
		if (pipe2(pipefd, O_CLOEXEC) < 0)
			return -errno;
		rd = pipefd[0];
	}
	if (pipe2(execfd, O_CLOEXEC) < 0) {
		int e = -errno;

		if (pipefd[1] >= 0)
			(void) close(pipefd[1]);
		return e;
	}
	exec_rd = execfd[0];
	pid = fork();
	if (pid == 0)
		child(argv, pipefd[1], execfd[1], parent);
	exec_errno = pid < 0 ? errno : 0;
	if (pipefd[1] >= 0)
		(void) close(pipefd[1]);
	(void) close(execfd[1]);
	if (pid < 0)
		return -exec_errno;
	if (ret_stderr)
		read_all(rd, &err);
	while (read(exec_rd, &exec_errno, sizeof(exec_errno)) < 0 && errno == EINTR)
		;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			strbuf_release(&err);
			return -errno;
		}
	if (exec_errno) {
		strbuf_release(&err);
		return -exec_errno;
	}
	if (ret_stderr) {
		char *s = strbuf_detach(&err);
		size_t l;

		if (!s)
			return -ENOMEM;
		l = strlen(s);
		while (l > 0 && s[l - 1] == '\n')
			s[--l] = 0;
		*ret_stderr = s;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
