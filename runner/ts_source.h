/* ts_source: the records of a transcript, one at a time, from memory or from an
 * open file.
 *
 * A file is read through a window that holds the record being decoded (and grows to
 * the largest record), so reading a transcript of any length needs the memory of its
 * largest record, not of the file: an auditor's archive verifies in constant memory.
 * From memory nothing is copied. Either way the same strict decoder (dcbor.h) sees
 * the same bytes, so a file and a buffer get the same verdict.
 */
#ifndef CER_TS_SOURCE_H
#define CER_TS_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cbor.h>
#include "err.h"

struct ts_source {
	int fd;              /* -1: the bytes are all in memory */
	uint8_t *buf;        /* the file's window (malloc'ed) */
	size_t cap, max;     /* its size, and the most it may grow to (a record's limit) */
	const uint8_t *p;    /* the bytes not yet taken */
	size_t avail;
	size_t off;          /* offset of p in the transcript: where the next record starts */
	bool eof;            /* nothing more to read beyond p + avail */
};

void ts_source_memory(struct ts_source *s, const uint8_t *data, size_t len);
/* fd stays the caller's; max bounds one record (a hostile length cannot take all memory). */
void ts_source_file(struct ts_source *s, int fd, size_t max);
void ts_source_free(struct ts_source *s);

/* Decodes the next item (dcbor_decode_strict, the top tag allowed) at the current
 * offset, reading on while it is cut short by the window rather than by the file.
 * 1: an item (*item a new reference; *raw, *used its bytes, valid until the next
 * call); 0: the end, no bytes left; -1: the bytes there are no item (why in *why,
 * ERR_TRUNCATED when they end inside one); -2: reading failed (e: I/O, memory, a
 * record beyond max). */
int ts_source_next(struct ts_source *s, cbor_item_t **item, const uint8_t **raw, size_t *used, struct err *why,
		   struct err *e) CER_MUST_CHECK;
/* Moves past the item just read. */
void ts_source_take(struct ts_source *s, size_t used);
/* Every byte from the current offset to the end of the file, in memory (a torn or
 * damaged tail is looked at whole). 0, or -1 with e set. */
int ts_source_rest(struct ts_source *s, const uint8_t **p, size_t *len, struct err *e) CER_MUST_CHECK;

#endif
