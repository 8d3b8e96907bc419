/* keepsafe: a rehearsal's PINs, shares and kept values beside its throwaway tokens.
 * See keepsafe.h for why a rehearsal, and only a rehearsal, has one. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "files.h"
#include "keepsafe.h"

struct keepsafe {
	int fd;
};

int keepsafe_open(const char *path, struct keepsafe **out, struct err *e)
{
	struct keepsafe *k = calloc(1, sizeof *k);
	*out = NULL;
	if (!k)
		return err_set(e, ERR_NOMEM, "out of memory");
	k->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (k->fd < 0) {
		free(k);
		return err_errno(e, "opening the rehearsal's keepsafe '%s'", path);
	}
	*out = k;
	return 0;
}

static bool plain_field(const char *s)
{
	return s && *s && !strpbrk(s, "\t\n");
}

int keepsafe_put(struct keepsafe *k, const char *kind, const char *step, const char *name, const uint8_t *data,
		 size_t len, struct err *e)
{
	char head[512];
	struct secret *entry = NULL;
	int ret = -1;
	if (!plain_field(kind) || !plain_field(step) || !plain_field(name))
		return err_set(e, ERR_INTERNAL, "a keepsafe entry's kind, step and name must be non-empty, without tab or newline");
	int n = snprintf(head, sizeof head, "%s\t%s\t%s\t%zu\n", kind, step, name, len);
	if (n < 0 || (size_t)n >= sizeof head)
		return err_set(e, ERR_INTERNAL, "keepsafe entry name too long");
	/* One write of the whole entry, assembled in locked memory. */
	if (!(entry = secret_new((size_t)n + len + 2, e)))
		return -1;
	memcpy(entry->p, head, (size_t)n);
	memcpy(entry->p + n, data, len);
	entry->p[(size_t)n + len] = '\n';
	entry->len = (size_t)n + len + 1;
	if (files_write_all(k->fd, entry->p, entry->len) != 0 || fdatasync(k->fd) != 0) {
		err_errno(e, "writing the rehearsal's keepsafe");
		goto out;
	}
	ret = 0;
out:
	secret_free(entry);
	return ret;
}

void keepsafe_close(struct keepsafe *k)
{
	if (!k)
		return;
	close(k->fd);
	free(k);
}

/* The next tab- or newline-ended field of p[0..end) from *at, NUL-terminated in place. */
static char *field(uint8_t *p, size_t end, size_t *at, char stop)
{
	size_t i = *at;
	while (i < end && p[i] != (uint8_t)stop && p[i] != '\n' && p[i] != '\t')
		i++;
	if (i >= end || p[i] != (uint8_t)stop || i == *at)
		return NULL;
	p[i] = 0;
	char *f = (char *)p + *at;
	*at = i + 1;
	return f;
}

static int load(const char *path, keepsafe_each each, void *ctx, size_t *whole, struct err *e);

int keepsafe_load(const char *path, keepsafe_each each, void *ctx, struct err *e)
{
	size_t whole;
	return load(path, each, ctx, &whole, e);
}

static int skip(void *ctx, const char *kind, const char *step, const char *name, const struct secret *data,
		struct err *e)
{
	(void)ctx, (void)kind, (void)step, (void)name, (void)data, (void)e;
	return 0;
}

int keepsafe_cut_torn(const char *path, struct err *e)
{
	size_t whole;
	struct stat st;
	if (load(path, skip, NULL, &whole, e) || stat(path, &st) != 0)
		return e->kind != ERR_NONE ? -1 : err_errno(e, "reading the rehearsal's keepsafe '%s'", path);
	if ((size_t)st.st_size > whole && truncate(path, (off_t)whole) != 0)
		return err_errno(e, "cutting the torn end of the rehearsal's keepsafe '%s'", path);
	return 0;
}

static int load(const char *path, keepsafe_each each, void *ctx, size_t *whole, struct err *e)
{
	struct secret *all = NULL, *data = NULL;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), ret = -1;
	if (fd < 0)
		return err_errno(e, "opening the rehearsal's keepsafe '%s'", path);
	if (fstat(fd, &st) != 0 || st.st_size < 0 || st.st_size > (1 << 24)) {
		err_set(e, ERR_IO, "the rehearsal's keepsafe '%s' cannot be read", path);
		goto out;
	}
	if (!(all = secret_new((size_t)st.st_size + 1, e)))
		goto out;
	ssize_t got = read(fd, all->p, (size_t)st.st_size);
	if (got != st.st_size) {
		err_errno(e, "reading the rehearsal's keepsafe '%s'", path);
		goto out;
	}
	all->len = (size_t)got;
	*whole = 0;
	for (size_t at = 0; at < all->len;) {
		char *kind = field(all->p, all->len, &at, '\t'), *step = kind ? field(all->p, all->len, &at, '\t') : NULL;
		char *name = step ? field(all->p, all->len, &at, '\t') : NULL, *lens = name ? field(all->p, all->len, &at, '\n') : NULL;
		char *end;
		if (!lens)
			break;   /* torn by a crash: what follows was never durable */
		errno = 0;
		unsigned long long len = strtoull(lens, &end, 10);
		if (errno || *end || len > all->len - at || all->len - at - len < 1 || all->p[at + len] != '\n')
			break;
		if (!(data = secret_new((size_t)len + 1, e)))
			goto out;
		memcpy(data->p, all->p + at, (size_t)len);
		data->len = (size_t)len;
		at += (size_t)len + 1;
		*whole = at;
		if (each(ctx, kind, step, name, data, e))
			goto out;
		secret_free(data);
		data = NULL;
	}
	ret = 0;
out:
	secret_free(data);
	secret_free(all);
	close(fd);
	return ret;
}
