#include <stdlib.h>
#include <string.h>
#include "buf.h"

int buf_append(struct buf *b, const void *data, size_t len, struct err *e)
{
	if (len > SIZE_MAX - b->len - 1)
		return err_set(e, ERR_NOMEM, "buffer too large");
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + len + 1)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (!p)
			return err_set(e, ERR_NOMEM, "out of memory");
		b->p = p;
		b->cap = cap;
	}
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = 0;
	return 0;
}

int buf_terminate(struct buf *b, struct err *e)
{
	return buf_append(b, "", 0, e);
}

void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
