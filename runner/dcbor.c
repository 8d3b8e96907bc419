/* dcbor: deterministic CBOR (RFC 8949 §4.2.1) over libcbor.
 *
 * libcbor's own serializer writes an integer in the width it was built with
 * (cbor_build_uint64(5) gives 9 bytes), keeps indefinite lengths and does not
 * sort map keys, so we walk the item tree ourselves and emit every head with
 * cbor_encode_* (which always picks the shortest argument form).
 */
#include <stdlib.h>
#include <string.h>
#include "dcbor.h"
#include "words.h"
#include "utf8.h"

enum {
	DCBOR_DEPTH_MAX = 64,   /* deeper nesting is rejected on both sides */
	HEAD_MAX = 9,           /* initial byte + 8-byte argument */
};

static int put_head(struct buf *out, size_t n, const unsigned char *head, struct err *e)
{
	if (n == 0)
		return err_set(e, ERR_CBOR, "cannot encode item head");
	return buf_append(out, head, n, e);
}

/* Total content length of a (possibly chunked) byte or text string. */
static size_t string_total(const cbor_item_t *item, bool text)
{
	size_t total = 0, count;
	cbor_item_t **chunks;
	if (text ? cbor_string_is_definite(item) : cbor_bytestring_is_definite(item))
		return text ? cbor_string_length(item) : cbor_bytestring_length(item);
	chunks = text ? cbor_string_chunks_handle(item) : cbor_bytestring_chunks_handle(item);
	count = text ? cbor_string_chunk_count(item) : cbor_bytestring_chunk_count(item);
	for (size_t i = 0; i < count; i++)
		total += text ? cbor_string_length(chunks[i]) : cbor_bytestring_length(chunks[i]);
	return total;
}

/* Appends the content of a (possibly chunked) string: chunks in memory are
 * written as one definite string. */
static int string_content(const cbor_item_t *item, bool text, struct buf *out, struct err *e)
{
	size_t count;
	cbor_item_t **chunks;
	if (text ? cbor_string_is_definite(item) : cbor_bytestring_is_definite(item)) {
		if (text)
			return buf_append(out, cbor_string_handle(item), cbor_string_length(item), e);
		return buf_append(out, cbor_bytestring_handle(item), cbor_bytestring_length(item), e);
	}
	chunks = text ? cbor_string_chunks_handle(item) : cbor_bytestring_chunks_handle(item);
	count = text ? cbor_string_chunk_count(item) : cbor_bytestring_chunk_count(item);
	for (size_t i = 0; i < count; i++) {
		const cbor_item_t *c = chunks[i];
		int rc = text ? buf_append(out, cbor_string_handle(c), cbor_string_length(c), e)
			      : buf_append(out, cbor_bytestring_handle(c), cbor_bytestring_length(c), e);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int encode(const cbor_item_t *item, struct buf *out, int depth, struct err *e);

/* One map entry during encoding: key bytes live in the shared key buffer. */
struct entry {
	size_t koff, klen;
	const uint8_t *key;
	const cbor_item_t *value;
};

/* RFC 8949 §4.2.1: keys sorted by the bytewise lexicographic order of their
 * deterministic encodings. A shorter key that is a prefix sorts first; with
 * all-uint or all-tstr keys that never happens except for equal keys. */
static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, n);
	if (c != 0)
		return c;
	return (x->klen > y->klen) - (x->klen < y->klen);
}

static int encode_map(const cbor_item_t *item, struct buf *out, int depth, struct err *e)
{
	size_t n = cbor_map_size(item);
	struct cbor_pair *pairs = cbor_map_handle(item);
	struct entry *ents = NULL;
	struct buf keys = {0};
	unsigned char head[HEAD_MAX];
	cbor_type ktype = CBOR_TYPE_UINT;
	int ret = -1;

	if (n > 0) {
		ents = calloc(n, sizeof *ents);
		if (!ents) {
			err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		/* The format allows one key type per map so that the two orderings of
		 * RFC 8949 (§4.2.1 bytewise, §4.2.3 length-first) agree. */
		ktype = cbor_typeof(pairs[0].key);
		if (ktype != CBOR_TYPE_UINT && ktype != CBOR_TYPE_STRING) {
			err_set(e, ERR_CBOR, "map key is neither an unsigned integer nor a text string");
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (cbor_typeof(pairs[i].key) != ktype) {
			err_set(e, ERR_CBOR, "map mixes unsigned integer and text string keys");
			goto out;
		}
		ents[i].koff = keys.len;
		if (encode(pairs[i].key, &keys, depth, e) != 0)
			goto out;
		ents[i].klen = keys.len - ents[i].koff;
		ents[i].value = pairs[i].value;
	}
	/* Pointers only now: the key buffer may have moved while it grew. */
	for (size_t i = 0; i < n; i++)
		ents[i].key = keys.p + ents[i].koff;
	if (n > 1)
		qsort(ents, n, sizeof *ents, entry_cmp);
	for (size_t i = 1; i < n; i++) {
		if (entry_cmp(&ents[i - 1], &ents[i]) == 0) {
			err_set(e, ERR_CBOR, "duplicate map key");
			goto out;
		}
	}
	if (put_head(out, cbor_encode_map_start(n, head, sizeof head), head, e) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (buf_append(out, ents[i].key, ents[i].klen, e) != 0)
			goto out;
		if (encode(ents[i].value, out, depth, e) != 0)
			goto out;
	}
	ret = 0;
out:
	free(ents);
	buf_free(&keys);
	return ret;
}

static int encode(const cbor_item_t *item, struct buf *out, int depth, struct err *e)
{
	unsigned char head[HEAD_MAX];
	size_t n, start;

	if (!item)
		return err_set(e, ERR_CBOR, "missing item");
	switch (cbor_typeof(item)) {
	case CBOR_TYPE_UINT:
		return put_head(out, cbor_encode_uint(cbor_get_int(item), head, sizeof head), head, e);
	case CBOR_TYPE_NEGINT:
		return put_head(out, cbor_encode_negint(cbor_get_int(item), head, sizeof head), head, e);
	case CBOR_TYPE_BYTESTRING:
		n = string_total(item, false);
		if (put_head(out, cbor_encode_bytestring_start(n, head, sizeof head), head, e) != 0)
			return -1;
		return string_content(item, false, out, e);
	case CBOR_TYPE_STRING:
		n = string_total(item, true);
		if (put_head(out, cbor_encode_string_start(n, head, sizeof head), head, e) != 0)
			return -1;
		start = out->len;
		if (string_content(item, true, out, e) != 0)
			return -1;
		if (!utf8_valid(out->p + start, n))
			return err_set(e, ERR_CBOR, "text string is not valid UTF-8");
		return 0;
	case CBOR_TYPE_ARRAY:
		if (depth >= DCBOR_DEPTH_MAX)
			return err_set(e, ERR_CBOR, "nesting deeper than %d", DCBOR_DEPTH_MAX);
		n = cbor_array_size(item);
		if (put_head(out, cbor_encode_array_start(n, head, sizeof head), head, e) != 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			if (encode(cbor_array_handle(item)[i], out, depth + 1, e) != 0)
				return -1;
		}
		return 0;
	case CBOR_TYPE_MAP:
		if (depth >= DCBOR_DEPTH_MAX)
			return err_set(e, ERR_CBOR, "nesting deeper than %d", DCBOR_DEPTH_MAX);
		return encode_map(item, out, depth + 1, e);
	case CBOR_TYPE_TAG:
		/* The only tag of the format is COSE's 18 around a record (dcbor_encode_tagged). */
		return err_set(e, ERR_CBOR, "tag %llu inside an item", (unsigned long long)cbor_tag_value(item));
	case CBOR_TYPE_FLOAT_CTRL:
		/* Asked first: libcbor's ctrl accessors assert on a float. */
		if (!cbor_float_ctrl_is_ctrl(item))
			return err_set(e, ERR_CBOR, "floating-point value");
		if (cbor_is_bool(item))
			return put_head(out, cbor_encode_bool(cbor_get_bool(item), head, sizeof head), head, e);
		if (cbor_is_null(item))
			return put_head(out, cbor_encode_null(head, sizeof head), head, e);
		if (cbor_is_undef(item))
			return err_set(e, ERR_CBOR, "undefined value");
		return err_set(e, ERR_CBOR, "simple value %u", (unsigned)cbor_ctrl_value(item));
	}
	return err_set(e, ERR_CBOR, "unknown item type");
}

int dcbor_encode(const cbor_item_t *item, struct buf *out, struct err *e)
{
	return encode(item, out, 0, e);
}

int dcbor_encode_tagged(uint64_t tag, const cbor_item_t *item, struct buf *out, struct err *e)
{
	unsigned char head[HEAD_MAX];
	if (put_head(out, cbor_encode_tag(tag, head, sizeof head), head, e) != 0)
		return -1;
	/* The tag counts as one level of nesting, as it does when decoding. */
	return encode(item, out, 1, e);
}

/* --- strict decoding ------------------------------------------------------- */

/* Walks the heads of the first item of data without building anything, so that
 * libcbor (whose items are freed recursively) never sees nesting deeper than
 * DCBOR_DEPTH_MAX or an indefinite length, and is only handed an item that is
 * complete within data (so no count it preallocates can exceed the input).
 * Sets code "truncated" when the data ends inside the item before anything
 * malformed was seen: that is how a torn tail looks, and the transcript reader
 * must tell it from a damaged record. */
static int scan(const uint8_t *d, size_t len, bool allow_top_tag, size_t *used, size_t *tag_head, struct err *e)
{
	uint64_t left[DCBOR_DEPTH_MAX + 1];
	int depth = 0;
	size_t off = 0;

	*tag_head = 0;
	left[0] = 1;
	while (depth >= 0) {
		uint8_t ib, major, ai;
		uint64_t arg = 0;
		size_t argn;

		if (left[depth] == 0) {
			depth--;
			continue;
		}
		left[depth]--;
		if (off >= len)
			return err_set(e, ERR_TRUNCATED, "data ends inside an item at byte %zu", off);
		ib = d[off];
		major = ib >> 5;
		ai = ib & 0x1f;
		off++;
		if (ai < 24) {
			arg = ai;
			argn = 0;
		} else if (ai <= 27) {
			argn = (size_t)1 << (ai - 24);
		} else if (ai == 31 && major >= 2 && major <= 5) {
			return err_set(e, ERR_CBOR, "indefinite length at byte %zu", off - 1);
		} else {
			return err_set(e, ERR_CBOR, "malformed initial byte 0x%02x at byte %zu", ib, off - 1);
		}
		if (argn > len - off)
			return err_set(e, ERR_TRUNCATED, "data ends inside an item head at byte %zu", off - 1);
		for (size_t i = 0; i < argn; i++)
			arg = (arg << 8) | d[off + i];
		off += argn;

		switch (major) {
		case 2:
		case 3:
			if (arg > len - off)
				return err_set(e, ERR_TRUNCATED, "string at byte %zu runs past the end", off);
			off += (size_t)arg;
			break;
		case 4:
		case 5:
			/* Counted even when empty, as the encoder counts it. */
			if (depth + 1 > DCBOR_DEPTH_MAX)
				return err_set(e, ERR_CBOR, "nesting deeper than %d", DCBOR_DEPTH_MAX);
			if (arg == 0)
				break;
			/* Each element takes at least one byte, so a count beyond len runs
			 * into the end of the data all the same; capping it avoids overflow. */
			left[++depth] = arg > len ? (uint64_t)len + 1 : major == 5 ? arg * 2 : arg;
			break;
		case 6:
			if (!allow_top_tag || off != 1 + argn)
				return err_set(e, ERR_CBOR, "tag %llu inside an item", (unsigned long long)arg);
			*tag_head = off;
			left[++depth] = 1;
			break;
		default:
			/* Integers and simple values carry nothing further. */
			break;
		}
	}
	*used = off;
	return 0;
}

/* Builds the item at d[*off] that scan() has already walked: every head is known
 * to be well formed, definite, within the data and at most DCBOR_DEPTH_MAX deep,
 * so only allocation can fail here (and simple values the format does not have).
 * libcbor's own loader (cbor_load) is not used: in 0.8 its builder callbacks
 * dereference the item they failed to allocate. */
static int build(const uint8_t *d, size_t *off, cbor_item_t **out, struct err *e)
{
	uint8_t ib = d[*off], major = ib >> 5, ai = ib & 0x1f;
	size_t at = *off, argn = ai < 24 ? 0 : (size_t)1 << (ai - 24);
	uint64_t arg = ai < 24 ? ai : 0;
	cbor_item_t *it = NULL, *k = NULL, *v = NULL;

	*out = NULL;
	(*off)++;
	for (size_t i = 0; i < argn; i++)
		arg = (arg << 8) | d[(*off)++];
	switch (major) {
	case 0:
		it = dcbor_uint(arg);
		break;
	case 1:
		/* -1 - arg, in the smallest width (as dcbor_int builds it). */
		if (arg <= UINT8_MAX)
			it = cbor_build_negint8((uint8_t)arg);
		else if (arg <= UINT16_MAX)
			it = cbor_build_negint16((uint16_t)arg);
		else if (arg <= UINT32_MAX)
			it = cbor_build_negint32((uint32_t)arg);
		else
			it = cbor_build_negint64(arg);
		break;
	case 2:
		it = dcbor_bytes(d + *off, (size_t)arg);
		*off += (size_t)arg;
		break;
	case 3:
		it = dcbor_textn((const char *)d + *off, (size_t)arg);
		*off += (size_t)arg;
		break;
	case 4:
		if (!(it = cbor_new_definite_array((size_t)arg)))
			break;
		for (uint64_t i = 0; i < arg; i++) {
			if (build(d, off, &v, e) != 0)
				goto fail;
			/* Cannot fail: the storage for arg items is allocated. */
			bool pushed = cbor_array_push(it, v);
			/* cbor_decref sets the pointer to NULL only when it frees the item. */
			cbor_decref(&v);
			v = NULL;
			if (!pushed) {
				err_set(e, ERR_INTERNAL, "cannot append to a decoded array");
				goto fail;
			}
		}
		break;
	case 5:
		if (!(it = cbor_new_definite_map((size_t)arg)))
			break;
		for (uint64_t i = 0; i < arg; i++) {
			if (build(d, off, &k, e) != 0)
				goto fail;
			if (build(d, off, &v, e) != 0)
				goto fail;
			bool added = cbor_map_add(it, (struct cbor_pair){.key = k, .value = v});
			cbor_decref(&k);
			cbor_decref(&v);
			k = v = NULL;
			if (!added) {
				err_set(e, ERR_INTERNAL, "cannot add to a decoded map");
				goto fail;
			}
		}
		break;
	case 6:
		/* scan() lets only the top tag through, and that one is read by the caller. */
		return err_set(e, ERR_CBOR, "tag %llu inside an item", (unsigned long long)arg);
	default:
		if (ai == 20 || ai == 21)
			it = dcbor_bool(ai == 21);
		else if (ai == 22)
			it = dcbor_null();
		else if (ai == 23)
			return err_set(e, ERR_CBOR, "undefined value at byte %zu", at);
		else if (ai >= 25)
			return err_set(e, ERR_CBOR, "floating-point value at byte %zu", at);
		else
			return err_set(e, ERR_CBOR, "simple value %llu at byte %zu", (unsigned long long)arg, at);
		break;
	}
	if (!it)
		return err_set(e, ERR_NOMEM, "out of memory decoding CBOR");
	*out = it;
	return 0;
fail:
	if (k)
		cbor_decref(&k);
	if (v)
		cbor_decref(&v);
	cbor_decref(&it);
	return -1;
}

int dcbor_decode_strict(const uint8_t *data, size_t len, bool allow_top_tag, cbor_item_t **out, size_t *used,
			struct err *e)
{
	cbor_item_t *item = NULL, *inner = NULL;
	struct buf re = {0};
	size_t n = 0, th = 0, off;
	uint64_t tag = 0;
	int ret = -1;

	*out = NULL;
	if (scan(data, len, allow_top_tag, &n, &th, e) != 0)
		goto out;
	/* The top tag's head (COSE_Sign1's 18) is read here, the tagged item built. */
	for (size_t i = th > 1 ? 1 : 0; i < th; i++)
		tag = (tag << 8) | data[i];
	if (th == 1)
		tag = data[0] & 0x1f;
	off = th;
	if (build(data, &off, &item, e) != 0)
		goto out;
	if (off != n) {
		err_set(e, ERR_INTERNAL, "decoded %zu bytes of an item of %zu", off, n);
		goto out;
	}
	if (th) {
		inner = item;
		if (!(item = cbor_new_tag(tag))) {
			err_set(e, ERR_NOMEM, "out of memory decoding CBOR");
			goto out;
		}
		cbor_tag_set_item(item, inner);   /* takes its own reference */
		if (dcbor_encode_tagged(tag, inner, &re, e) != 0)
			goto out;
	} else if (dcbor_encode(item, &re, e) != 0) {
		goto out;
	}
	/* RFC 8949 §4.2: an item is deterministic iff re-encoding it gives it back. */
	if (re.len != n || memcmp(re.p, data, n) != 0) {
		err_set(e, ERR_CBOR, "not deterministic CBOR (re-encoding differs)");
		goto out;
	}
	*out = item;
	item = NULL;
	if (used)
		*used = n;
	ret = 0;
out:
	if (item)
		cbor_decref(&item);
	if (inner)
		cbor_decref(&inner);
	buf_free(&re);
	return ret;
}

/* --- builders ---------------------------------------------------------------- */

cbor_item_t *dcbor_uint(uint64_t v)
{
	/* Width in memory does not matter to our encoder; the smallest saves memory. */
	if (v <= UINT8_MAX)
		return cbor_build_uint8((uint8_t)v);
	if (v <= UINT16_MAX)
		return cbor_build_uint16((uint16_t)v);
	if (v <= UINT32_MAX)
		return cbor_build_uint32((uint32_t)v);
	return cbor_build_uint64(v);
}

cbor_item_t *dcbor_int(int64_t v)
{
	uint64_t m;
	if (v >= 0)
		return dcbor_uint((uint64_t)v);
	/* CBOR negint n means -1 - n; computed without overflowing at INT64_MIN. */
	m = (uint64_t)(-(v + 1));
	if (m <= UINT8_MAX)
		return cbor_build_negint8((uint8_t)m);
	if (m <= UINT16_MAX)
		return cbor_build_negint16((uint16_t)m);
	if (m <= UINT32_MAX)
		return cbor_build_negint32((uint32_t)m);
	return cbor_build_negint64(m);
}

cbor_item_t *dcbor_text(const char *s)
{
	return dcbor_textn(s, strlen(s));
}

cbor_item_t *dcbor_textn(const char *s, size_t n)
{
	return cbor_build_stringn(s, n);
}

cbor_item_t *dcbor_bytes(const void *p, size_t n)
{
	/* libcbor copies; an empty string still needs a valid pointer. */
	static const uint8_t none[1];
	return cbor_build_bytestring(n ? p : none, n);
}

cbor_item_t *dcbor_bool(bool v)
{
	return cbor_build_bool(v);
}

cbor_item_t *dcbor_null(void)
{
	return cbor_new_null();
}

cbor_item_t *dcbor_map(void)
{
	return cbor_new_indefinite_map();
}

cbor_item_t *dcbor_array(void)
{
	return cbor_new_indefinite_array();
}

static int put_pair(cbor_item_t *map, cbor_item_t *key, cbor_item_t *value, struct err *e)
{
	int ret = -1;
	if (!map || !cbor_isa_map(map)) {
		err_set(e, ERR_CBOR, "not a map");
		goto out;
	}
	if (!key || !value) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* cbor_map_add takes its own references. */
	if (!cbor_map_add(map, (struct cbor_pair){.key = key, .value = value})) {
		err_set(e, ERR_NOMEM, "cannot add to map");
		goto out;
	}
	ret = 0;
out:
	if (key)
		cbor_decref(&key);
	if (value)
		cbor_decref(&value);
	return ret;
}

int dcbor_put(cbor_item_t *map, const char *key, cbor_item_t *value, struct err *e)
{
	return put_pair(map, dcbor_text(key), value, e);
}

int dcbor_put_u(cbor_item_t *map, uint64_t key, cbor_item_t *value, struct err *e)
{
	return put_pair(map, dcbor_uint(key), value, e);
}

int dcbor_push(cbor_item_t *array, cbor_item_t *value, struct err *e)
{
	int ret = -1;
	if (!array || !cbor_isa_array(array)) {
		err_set(e, ERR_CBOR, "not an array");
		goto out;
	}
	if (!value) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (!cbor_array_push(array, value)) {
		err_set(e, ERR_NOMEM, "cannot append to array");
		goto out;
	}
	ret = 0;
out:
	if (value)
		cbor_decref(&value);
	return ret;
}

/* --- readers ----------------------------------------------------------------- */

cbor_item_t *dcbor_get(const cbor_item_t *map, const char *key)
{
	size_t klen = strlen(key);
	if (!map || !cbor_isa_map(map))
		return NULL;
	for (size_t i = 0; i < cbor_map_size(map); i++) {
		struct cbor_pair *p = &cbor_map_handle(map)[i];
		if (cbor_isa_string(p->key) && cbor_string_is_definite(p->key) &&
		    cbor_string_length(p->key) == klen && memcmp(cbor_string_handle(p->key), key, klen) == 0)
			return p->value;
	}
	return NULL;
}

cbor_item_t *dcbor_get_u(const cbor_item_t *map, uint64_t key)
{
	if (!map || !cbor_isa_map(map))
		return NULL;
	for (size_t i = 0; i < cbor_map_size(map); i++) {
		struct cbor_pair *p = &cbor_map_handle(map)[i];
		if (cbor_isa_uint(p->key) && cbor_get_int(p->key) == key)
			return p->value;
	}
	return NULL;
}

char *dcbor_strdup(const cbor_item_t *item)
{
	struct buf b = {0};
	struct err e;
	if (!item || !cbor_isa_string(item))
		return NULL;
	if (string_content(item, true, &b, &e) != 0 || buf_terminate(&b, &e) != 0) {
		buf_free(&b);
		return NULL;
	}
	return (char *)b.p;
}

bool dcbor_as_u64(const cbor_item_t *item, uint64_t *v)
{
	if (!item || !cbor_isa_uint(item))
		return false;
	*v = cbor_get_int(item);
	return true;
}

#define DCBOR_STR_(x) #x
#define DCBOR_STR(x) DCBOR_STR_(x)
const char *dcbor_lib_version(void)
{
	return DCBOR_STR(CBOR_MAJOR_VERSION) "." DCBOR_STR(CBOR_MINOR_VERSION) "." DCBOR_STR(CBOR_PATCH_VERSION);
}

/* See dcbor.h. */
void dcbor_show(const cbor_item_t *v, char *out, size_t cap)
{
	if (!v) {
		snprintf(out, cap, "(none)");
	} else if (cbor_isa_string(v)) {
		snprintf(out, cap, "%.*s", (int)cbor_string_length(v), (const char *)cbor_string_handle(v));
	} else if (cbor_isa_uint(v)) {
		snprintf(out, cap, "%llu", (unsigned long long)cbor_get_int(v));
	} else if (cbor_isa_negint(v)) {
		snprintf(out, cap, "-%llu", (unsigned long long)cbor_get_int(v) + 1);
	} else if (cbor_is_bool(v)) {
		snprintf(out, cap, "%s", cbor_get_bool(v) ? "true" : "false");
	} else if (cbor_isa_bytestring(v)) {
		words_hex(cbor_bytestring_handle(v), cbor_bytestring_length(v), out, cap);
	} else if (cbor_isa_array(v)) {
		size_t used = 0;
		out[0] = 0;
		for (size_t i = 0; i < cbor_array_size(v) && used + 1 < cap; i++) {
			cbor_item_t *it = cbor_array_get(v, i);
			char one[256];
			dcbor_show(it, one, sizeof one);
			cbor_decref(&it);
			used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? ", " : "", one);
		}
	} else if (cbor_isa_map(v)) {
		struct cbor_pair *pairs = cbor_map_handle(v);
		size_t used = (size_t)snprintf(out, cap, "{");
		for (size_t i = 0; i < cbor_map_size(v) && used + 1 < cap; i++) {
			char k[128], one[256];
			dcbor_show(pairs[i].key, k, sizeof k);
			dcbor_show(pairs[i].value, one, sizeof one);
			used += (size_t)snprintf(out + used, cap - used, "%s%s: %s", i ? ", " : "", k, one);
		}
		if (used + 1 < cap)
			snprintf(out + used, cap - used, "}");
	} else {
		snprintf(out, cap, "(null)");
	}
}

void dcbor_text_into(const cbor_item_t *v, char *out, size_t cap)
{
	if (!cap)
		return;
	out[0] = 0;
	if (v && cbor_isa_string(v) && cbor_string_is_definite(v))
		snprintf(out, cap, "%.*s", (int)cbor_string_length(v), (const char *)cbor_string_handle(v));
	else if (v)
		dcbor_show(v, out, cap);
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

bool dcbor_text_is(const cbor_item_t *v, const char *s)
{
	return v && cbor_isa_string(v) && cbor_string_is_definite(v) && cbor_string_length(v) == strlen(s) &&
	       !memcmp(cbor_string_handle(v), s, strlen(s));
}
