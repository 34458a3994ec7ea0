/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Locks on a guest or a LUN (inv_lock_take()): the backend's own when it has some that hold
 * across hosts (PostgreSQL advisory locks), else flock(2) on STATE_DIR/locks/KEY.lock, the
 * files provision/pipeline.c has always used (one host).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/util.h"
#include "inventory/inventory-internal.h"

struct inv_lock {
	struct inv *inv;
	char *key;
	int fd; /* the flock(2) file; -1: a backend lock */
};

static bool key_valid(const char *key)
{
	if (!key || !*key || *key == '.' || strlen(key) > 200)
		return false;
	for (const char *c = key; *c; c++)
		if (*c == '/' || *c <= ' ' || *c >= 0x7f)
			return false;
	return true;
}

/* flock(2) STATE_DIR/locks/KEY.lock. Returns: the fd, -EWOULDBLOCK quietly, < 0 with d. */
static int file_lock(const struct inv *inv, const char *key, bool wait, struct diag *d)
{
	_cleanup_(freep) char *path = NULL;

	if (!inv->state_dir)
		return diag_error(d, NULL, "no state directory for the lock '%s'", key);
	if (asprintf(&path, "%s/locks/%s.lock", inv->state_dir, key) < 0)
		return -ENOMEM;
	return lock_file(path, wait, d);
}

static int take(struct inv *inv, const char *key, bool wait, struct diag *d, struct inv_lock **ret)
{
	_cleanup_(freep) struct inv_lock *l = NULL;
	int r;

	if (!key_valid(key))
		return diag_error(d, NULL, "invalid lock name '%s'", key ?: "");
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->inv = inv;
	l->fd = -1;
	l->key = strdup(key);
	if (!l->key)
		return -ENOMEM;
	if (inv->ops->lock)
		r = inv->ops->lock(inv->h, key, wait, d);
	else
		r = l->fd = file_lock(inv, key, wait, d);
	if (r < 0) {
		free(l->key);
		return r;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

int inv_lock_take(struct inv *inv, const char *key, struct diag *d, struct inv_lock **ret)
{
	return take(inv, key, true, d, ret);
}

int inv_lock_try(struct inv *inv, const char *key, struct diag *d, struct inv_lock **ret)
{
	return take(inv, key, false, d, ret);
}

struct inv_lock *inv_lock_release(struct inv_lock *l)
{
	if (!l)
		return NULL;
	if (l->fd >= 0)
		(void) close(l->fd);
	else
		l->inv->ops->unlock(l->inv->h, l->key);
	free(l->key);
	free(l);
	return NULL;
}
