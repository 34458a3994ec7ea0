/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/process.h"
#include "common/strbuf.h"

extern char **environ;

static void posix_spawn_file_actions_destroyp(posix_spawn_file_actions_t **fa)
{
	if (*fa)
		posix_spawn_file_actions_destroy(*fa);
}

int spawn_wait(char *const argv[], char **ret_stderr)
{
	_cleanup_(posix_spawn_file_actions_destroyp) posix_spawn_file_actions_t *fa = NULL;
	posix_spawn_file_actions_t fa_store;
	_cleanup_(closep) int rd = -1;
	struct strbuf err = STRBUF_INIT;
	int pipefd[2] = {-1, -1};
	int r, status;
	pid_t pid;

	r = posix_spawn_file_actions_init(&fa_store);
	if (r)
		return -r;
	fa = &fa_store;
	if (ret_stderr) {
		if (pipe2(pipefd, O_CLOEXEC) < 0)
			return -errno;
		rd = pipefd[0];
		r = posix_spawn_file_actions_adddup2(fa, pipefd[1], 2);
		if (r) {
			(void) close(pipefd[1]);
			return -r;
		}
	}
	r = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	if (!r)
		r = posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_WRONLY, 0);
	if (!r)
		r = posix_spawnp(&pid, argv[0], fa, NULL, argv, environ);
	if (pipefd[1] >= 0)
		(void) close(pipefd[1]);
	if (r)
		return -r;
	if (ret_stderr) {
		char buf[4096];
		ssize_t n;

		while ((n = read(rd, buf, sizeof(buf))) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				break;
			strbuf_add(&err, buf, (size_t) n);
		}
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			strbuf_release(&err);
			return -errno;
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
