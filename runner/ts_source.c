/* ts_source: a transcript's records one at a time (see ts_source.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dcbor.h"
#include "ts_source.h"

enum { WINDOW = 64 * 1024 };   /* many records of a usual size; grown for a larger one */

void ts_source_memory(struct ts_source *s, const uint8_t *data, size_t len)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->p = data;
	s->avail = len;
	s->eof = true;
}

void ts_source_file(struct ts_source *s, int fd, size_t max)
{
	memset(s, 0, sizeof *s);
	s->fd = fd;
	s->max = max;
}

void ts_source_free(struct ts_source *s)
{
	free(s->buf);
	s->buf = NULL;
	s->p = NULL;
	s->avail = 0;
}

/* More bytes after the ones not yet taken: they move to the window's start, the
 * window grows when they fill it, and reads go on until it is full or the file ends. */
static int fill(struct ts_source *s, struct err *e)
{
	if (s->buf && s->p != s->buf) {
		memmove(s->buf, s->p, s->avail);
		s->p = s->buf;
	}
	if (s->avail == s->cap) {
		if (s->cap >= s->max)
			return err_set(e, ERR_INPUT, "a record longer than %zu bytes: not a transcript this runner reads",
				       s->max);
		size_t cap = s->cap ? s->cap * 2 : WINDOW;
		if (cap > s->max)
			cap = s->max;
		uint8_t *nb = realloc(s->buf, cap);
		if (!nb)
			return err_set(e, ERR_NOMEM, "out of memory (%zu bytes for a record)", cap);
		s->buf = nb;
		s->p = nb;
		s->cap = cap;
	}
	while (s->avail < s->cap) {
		ssize_t n = read(s->fd, s->buf + s->avail, s->cap - s->avail);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_errno(e, "reading the transcript at byte %zu", s->off + s->avail);
		if (n == 0) {
			s->eof = true;
			break;
		}
		s->avail += (size_t)n;
	}
	return 0;
}

int ts_source_next(struct ts_source *s, cbor_item_t **item, const uint8_t **raw, size_t *used, struct err *why,
		   struct err *e)
{
	*item = NULL;
	for (;;) {
		if (s->avail == 0 && !s->eof && fill(s, e))
			return -2;
		if (s->avail == 0)
			return 0;
		if (dcbor_decode_strict(s->p, s->avail, true, item, used, why) == 0) {
			*raw = s->p;
			return 1;
		}
		/* Cut short by the window, not by the file: read on and decode again. */
		if (why->kind != ERR_TRUNCATED || s->eof)
			return -1;
		if (fill(s, e))
			return -2;
	}
}

void ts_source_take(struct ts_source *s, size_t used)
{
	s->p += used;
	s->avail -= used;
	s->off += used;
}

int ts_source_rest(struct ts_source *s, const uint8_t **p, size_t *len, struct err *e)
{
	while (!s->eof)
		if (fill(s, e))
			return -1;
	*p = s->p;
	*len = s->avail;
	return 0;
}
