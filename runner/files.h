/* files: output files that are never overwritten.
 *
 * A new file is written under a temporary name in the same directory, synced,
 * then linked to its final name (link(2) fails if the name exists, unlike
 * rename) and the temporary name removed; so a reader never sees half a file and
 * an existing file is never replaced.
 */
#ifndef CER_FILES_H
#define CER_FILES_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

/* write(2) until all of data is written (EINTR retried); -1 with errno set on failure. */
int files_write_all(int fd, const void *data, size_t len) CER_MUST_CHECK;
int files_write_new(const char *path, const void *data, size_t len, struct err *e) CER_MUST_CHECK;
/* mkdir -p with mode 0700 for new directories; existing directories are fine. */
int files_mkdirs(const char *path, struct err *e) CER_MUST_CHECK;
/* Reads a whole file of at most max bytes (caller frees *data). */
/* When path is an empty regular file (what a kill between its creation and its first
 * write leaves), renames it to PATH.empty-N (N from 1, never one that exists) so
 * the name is free again; nothing is deleted. 0 when path is missing, too. */
int files_set_aside_empty(const char *path, struct err *e) CER_MUST_CHECK;
/* Opens a regular file to read (O_CLOEXEC): the fd, or -1 with e set. */
int files_open_read(const char *path, struct err *e) CER_MUST_CHECK;
int files_read(const char *path, size_t max, uint8_t **data, size_t *len, struct err *e) CER_MUST_CHECK;

#endif
