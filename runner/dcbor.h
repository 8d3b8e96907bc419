/* dcbor: deterministic CBOR (RFC 8949 §4.2.1) over libcbor.
 *
 * In memory every CBOR value of the runner (step params, outputs, checks,
 * transcript entries) is a libcbor item (cbor_item_t). Builders may use
 * indefinite maps and arrays (they grow); the encoder always writes definite
 * lengths. The encoder is ours, on libcbor's cbor_encode_* functions, because
 * libcbor's own serializer keeps the width an integer was built with:
 *   - every integer and length in its shortest form,
 *   - map keys all uint or all tstr, sorted by their encoded bytes, no duplicates,
 *   - no floats, no indefinite lengths on the wire, no tags (except the one
 *     top-level tag a caller writes itself with dcbor_encode_tagged).
 * dcbor_decode_strict() is the reader's half: it decodes one item and rejects
 * it unless re-encoding gives back exactly the same bytes.
 */
#ifndef CER_DCBOR_H
#define CER_DCBOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <cbor.h>
#include "err.h"
#include "buf.h"

/* Appends the deterministic encoding of item to out. Fails (code "cbor") on a
 * float, a tag, a map with mixed or duplicate keys, or an undefined simple value. */
int dcbor_encode(const cbor_item_t *item, struct buf *out, struct err *e) CER_MUST_CHECK;
/* Appends tag `tag` followed by the deterministic encoding of item. */
int dcbor_encode_tagged(uint64_t tag, const cbor_item_t *item, struct buf *out, struct err *e) CER_MUST_CHECK;

/* Decodes the first item of data[0..len) into *out (caller owns: cbor_decref).
 * *used receives its length in bytes. Fails (code "cbor") on malformed input, on
 * an item that is not deterministic (re-encoding differs), or nesting deeper than 64;
 * with code "truncated" when data ends inside the item before anything malformed
 * (how a torn tail looks); "nomem" when out of memory.
 * If allow_top_tag is true, the outermost item may be a tag (e.g. COSE's 18). */
int dcbor_decode_strict(const uint8_t *data, size_t len, bool allow_top_tag,
			cbor_item_t **out, size_t *used, struct err *e) CER_MUST_CHECK;

/* --- builders: each returns a new item with refcount 1 (caller owns), NULL on OOM --- */
cbor_item_t *dcbor_uint(uint64_t v);
cbor_item_t *dcbor_int(int64_t v);           /* negative values become CBOR negint */
cbor_item_t *dcbor_text(const char *s);      /* NUL-terminated UTF-8 */
cbor_item_t *dcbor_textn(const char *s, size_t n);
cbor_item_t *dcbor_bytes(const void *p, size_t n);
cbor_item_t *dcbor_bool(bool v);
cbor_item_t *dcbor_null(void);
cbor_item_t *dcbor_map(void);                /* indefinite, grows */
cbor_item_t *dcbor_array(void);              /* indefinite, grows */

/* Adds key -> value to map; takes ownership of value (even on failure). */
int dcbor_put(cbor_item_t *map, const char *key, cbor_item_t *value, struct err *e) CER_MUST_CHECK;
int dcbor_put_u(cbor_item_t *map, uint64_t key, cbor_item_t *value, struct err *e) CER_MUST_CHECK;
/* Appends value to an array; takes ownership of value (even on failure). */
int dcbor_push(cbor_item_t *array, cbor_item_t *value, struct err *e) CER_MUST_CHECK;

/* --- readers: borrowed pointers, NULL when absent or of another type --- */
cbor_item_t *dcbor_get(const cbor_item_t *map, const char *key);   /* tstr key */
cbor_item_t *dcbor_get_u(const cbor_item_t *map, uint64_t key);    /* uint key */
/* Copies a tstr item into a new NUL-terminated malloc'ed string (caller frees); NULL if not tstr. */
char *dcbor_strdup(const cbor_item_t *item);
/* uint item to *v; false if not a uint. */
bool dcbor_as_u64(const cbor_item_t *item, uint64_t *v);

/* The libcbor this program was built against ("0.8.0"; its version is a header macro). */
const char *dcbor_lib_version(void);
/* A value as one line of text, as the room and a replay show it (cap bytes into out):
 * text as it is, integers in decimal, bytes in hex, arrays "a, b", maps "{k: v}";
 * "(none)" for NULL. */
void dcbor_show(const cbor_item_t *v, char *out, size_t cap);
/* A value as text safe to show (cap bytes into out): a text item as it is, another
 * value as dcbor_show writes it, "" for NULL; a control character (an escape sequence
 * a hostile file carries) becomes '?'. */
void dcbor_text_into(const cbor_item_t *v, char *out, size_t cap);
/* Whether v is the text item s. */
bool dcbor_text_is(const cbor_item_t *v, const char *s);

#endif
