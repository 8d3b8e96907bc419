#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/rand.h>
#include "files.h"

int files_write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int files_write_new(const char *path, const void *data, size_t len, struct err *e)
{
	char tmp[PATH_MAX];
	unsigned char r[6];
	int fd = -1, ret = -1;

	if (access(path, F_OK) == 0)
		return err_set(e, ERR_IO, "'%s' exists already; output files are never overwritten", path);
	if (RAND_bytes(r, sizeof r) != 1)
		return err_openssl(e, "cannot draw a temporary name");
	if (snprintf(tmp, sizeof tmp, "%s.tmp-%02x%02x%02x%02x%02x%02x", path, r[0], r[1], r[2], r[3], r[4],
		     r[5]) >= (int)sizeof tmp)
		return err_set(e, ERR_IO, "path too long: '%s'", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_errno(e, "cannot create '%s'", tmp);
	if (files_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		err_errno(e, "cannot write '%s'", tmp);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		err_errno(e, "cannot write '%s'", tmp);
		goto out;
	}
	fd = -1;
	/* link(2), unlike rename(2), fails when the name exists: never overwrite. */
	if (link(tmp, path) == 0) {
		ret = 0;
		goto out;
	}
	if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP) {
		err_errno(e, "cannot create '%s'", path);
		goto out;
	}
	/* FAT and exFAT (USB drives) have no hard links: O_EXCL on the final name still
	 * never overwrites; a crash may leave a partial file there, which the export's
	 * read-back catches. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		err_errno(e, "cannot create '%s'", path);
		goto out;
	}
	if (files_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		err_errno(e, "cannot write '%s'", path);
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ret;
}

int files_mkdirs(const char *path, struct err *e)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
		return err_set(e, ERR_IO, "path too long: '%s'", path);
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == 0) {
			char c = *s;
			*s = 0;
			if (mkdir(p, 0700) != 0 && errno != EEXIST)
				return err_errno(e, "cannot create directory '%s'", p);
			struct stat st;
			if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
				return err_set(e, ERR_IO, "'%s' exists and is not a directory", p);
			*s = c;
			if (!c)
				break;
		}
	}
	return 0;
}

int files_open_read(const char *path, struct err *e)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, "cannot open '%s'", path);
	if (fstat(fd, &st) != 0) {
		err_errno(e, "cannot read '%s'", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, ERR_IO, "'%s' is not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

int files_read(const char *path, size_t max, uint8_t **data, size_t *len, struct err *e)
{
	struct stat st;
	uint8_t *p = NULL;
	size_t n = 0;
	int ret = -1;
	int fd = files_open_read(path, e);
	*data = NULL;
	*len = 0;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		err_errno(e, "cannot read '%s'", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		err_set(e, ERR_IO, "'%s' is too large (%lld bytes, at most %zu)", path, (long long)st.st_size, max);
		goto out;
	}
	/* Read what is on the device, not what the page cache remembers of a write (an
	 * export's read-back must see a bad medium). The pages were synced, so dropping
	 * them loses nothing. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	p = malloc((size_t)st.st_size + 1);
	if (!p) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, p + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (n != (size_t)st.st_size) {
		err_errno(e, "cannot read '%s'", path);
		goto out;
	}
	p[n] = 0;
	*data = p;
	*len = n;
	p = NULL;
	ret = 0;
out:
	free(p);
	close(fd);
	return ret;
}

int files_set_aside_empty(const char *path, struct err *e)
{
	struct stat st;
	char aside[PATH_MAX];
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != 0)
		return 0;
	for (unsigned n = 1; n < 1000; n++) {
		if (snprintf(aside, sizeof aside, "%s.empty-%u", path, n) >= (int)sizeof aside)
			return err_set(e, ERR_IO, "path too long: '%s'", path);
		/* link(2) never replaces: the new name is taken only when it is free. */
		if (link(path, aside) == 0)
			return unlink(path) == 0 ? 0 : err_errno(e, "setting the empty '%s' aside", path);
		if (errno != EEXIST)
			return err_errno(e, "setting the empty '%s' aside as '%s'", path, aside);
	}
	return err_set(e, ERR_IO, "too many empty transcripts set aside next to '%s'", path);
}
