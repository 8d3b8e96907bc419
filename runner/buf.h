/* buf: a growable byte buffer. Zero-initialise (struct buf b = {0}); buf_free
 * releases it. Not for secrets: those live in struct secret (secret.h). */
#ifndef CER_BUF_H
#define CER_BUF_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct buf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

int buf_append(struct buf *b, const void *data, size_t len, struct err *e) CER_MUST_CHECK;
/* Appends one NUL that is not counted in len, so p can be read as a C string. */
int buf_terminate(struct buf *b, struct err *e) CER_MUST_CHECK;
void buf_free(struct buf *b);   /* leaves b zeroed; safe on a zeroed buf */

#endif
