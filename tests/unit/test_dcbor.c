/* Unit tests for runner/dcbor.c: deterministic encoding (RFC 8949 §4.2.1) and
 * the strict reader. Expected bytes are written out by hand from RFC 8949 §3. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "runner/dcbor.h"

/* Parses "1a 00 01" (spaces ignored) into out; returns the length. */
static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;
	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		assert_true(sscanf(s, "%2x", &v) == 1);
		assert_true(n < cap);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* Encodes item (consumed) and compares with the expected hex. */
static void expect_enc(cbor_item_t *item, const char *hex)
{
	uint8_t want[512];
	size_t n = unhex(hex, want, sizeof want);
	struct buf b = {0};
	struct err e;
	assert_non_null(item);
	if (dcbor_encode(item, &b, &e) != 0)
		fail_msg("encode failed: %s", e.msg);
	if (b.len != n || memcmp(b.p, want, n) != 0) {
		char got[1100] = "";
		for (size_t i = 0; i < b.len && i < 500; i++)
			snprintf(got + 2 * i, 3, "%02x", b.p[i]);
		fail_msg("encoding differs: got %s, want %s", got, hex);
	}
	buf_free(&b);
	cbor_decref(&item);
}

/* Encoding item (consumed) must fail with code "cbor". */
static void expect_enc_fail(cbor_item_t *item)
{
	struct buf b = {0};
	struct err e;
	assert_non_null(item);
	assert_int_equal(dcbor_encode(item, &b, &e), -1);
	assert_string_equal(e.code, "cbor");
	buf_free(&b);
	cbor_decref(&item);
}

static void test_uint_boundaries(void **state)
{
	(void)state;
	/* Built at 64-bit width on purpose: the width in memory must not matter. */
	expect_enc(cbor_build_uint64(0), "00");
	expect_enc(cbor_build_uint64(23), "17");
	expect_enc(cbor_build_uint64(24), "18 18");
	expect_enc(cbor_build_uint64(255), "18 ff");
	expect_enc(cbor_build_uint64(256), "19 01 00");
	expect_enc(cbor_build_uint64(65535), "19 ff ff");
	expect_enc(cbor_build_uint64(65536), "1a 00 01 00 00");
	expect_enc(cbor_build_uint64(UINT32_MAX), "1a ff ff ff ff");
	expect_enc(cbor_build_uint64((uint64_t)UINT32_MAX + 1), "1b 00 00 00 01 00 00 00 00");
	expect_enc(cbor_build_uint64(UINT64_MAX), "1b ff ff ff ff ff ff ff ff");
	/* And a narrow width holding a small value. */
	expect_enc(cbor_build_uint16(5), "05");
	expect_enc(dcbor_uint(1000), "19 03 e8");
}

static void test_negint(void **state)
{
	(void)state;
	expect_enc(dcbor_int(-1), "20");
	expect_enc(dcbor_int(-24), "37");
	expect_enc(dcbor_int(-25), "38 18");
	expect_enc(dcbor_int(-256), "38 ff");
	expect_enc(dcbor_int(-257), "39 01 00");
	expect_enc(dcbor_int(-65536), "39 ff ff");
	expect_enc(dcbor_int(-65537), "3a 00 01 00 00");
	expect_enc(dcbor_int(-4294967296LL), "3a ff ff ff ff");
	expect_enc(dcbor_int(-4294967297LL), "3b 00 00 00 01 00 00 00 00");
	expect_enc(dcbor_int(INT64_MIN), "3b 7f ff ff ff ff ff ff ff");
	expect_enc(cbor_build_negint64(6), "26");   /* -7, COSE ES256 */
	expect_enc(dcbor_int(7), "07");
}

static void test_lengths(void **state)
{
	char s24[25];
	uint8_t b256[256];
	(void)state;
	memset(s24, 'x', 24);
	s24[24] = 0;
	memset(b256, 0, sizeof b256);
	expect_enc(dcbor_text(""), "60");
	expect_enc(dcbor_text("a"), "61 61");
	expect_enc(dcbor_text(s24), "78 18 787878787878787878787878 787878787878787878787878");
	expect_enc(dcbor_bytes(NULL, 0), "40");
	{
		struct buf b = {0};
		struct err e;
		cbor_item_t *it = dcbor_bytes(b256, sizeof b256);
		assert_int_equal(dcbor_encode(it, &b, &e), 0);
		assert_int_equal(b.len, 3 + 256);
		assert_memory_equal(b.p, "\x59\x01\x00", 3);
		buf_free(&b);
		cbor_decref(&it);
	}
	expect_enc(dcbor_bool(true), "f5");
	expect_enc(dcbor_bool(false), "f4");
	expect_enc(dcbor_null(), "f6");
}

static void test_key_order_text(void **state)
{
	struct err e;
	cbor_item_t *m = dcbor_map();
	(void)state;
	/* Inserted out of order; "b" sorts before "aa" because its encoding
	 * (61 62) is shorter and its first byte 61 < 62 (the head of "aa"). */
	assert_int_equal(dcbor_put(m, "aa", dcbor_uint(1), &e), 0);
	assert_int_equal(dcbor_put(m, "b", dcbor_uint(2), &e), 0);
	assert_int_equal(dcbor_put(m, "a", dcbor_uint(3), &e), 0);
	assert_int_equal(dcbor_put(m, "ab", dcbor_uint(4), &e), 0);
	expect_enc(m, "a4 61 61 03 61 62 02 62 61 61 01 62 61 62 04");
}

static void test_key_order_uint(void **state)
{
	struct err e;
	cbor_item_t *m = dcbor_map();
	(void)state;
	assert_int_equal(dcbor_put_u(m, 256, dcbor_uint(0), &e), 0);
	assert_int_equal(dcbor_put_u(m, 24, dcbor_uint(0), &e), 0);
	assert_int_equal(dcbor_put_u(m, 10, dcbor_uint(0), &e), 0);
	assert_int_equal(dcbor_put_u(m, 1, dcbor_uint(0), &e), 0);
	assert_int_equal(dcbor_put_u(m, 23, dcbor_uint(0), &e), 0);
	expect_enc(m, "a5 01 00 0a 00 17 00 18 18 00 19 01 00 00");
}

static void test_map_rejects(void **state)
{
	struct err e;
	cbor_item_t *m;
	(void)state;
	/* mixed key types */
	m = dcbor_map();
	assert_int_equal(dcbor_put_u(m, 1, dcbor_uint(0), &e), 0);
	assert_int_equal(dcbor_put(m, "a", dcbor_uint(0), &e), 0);
	expect_enc_fail(m);
	/* duplicate keys */
	m = dcbor_map();
	assert_int_equal(dcbor_put(m, "a", dcbor_uint(0), &e), 0);
	assert_int_equal(dcbor_put(m, "a", dcbor_uint(1), &e), 0);
	expect_enc_fail(m);
	m = dcbor_map();
	assert_int_equal(dcbor_put_u(m, 7, dcbor_uint(0), &e), 0);
	assert_int_equal(dcbor_put_u(m, 7, dcbor_uint(0), &e), 0);
	expect_enc_fail(m);
	/* a negative integer key is neither uint nor tstr */
	m = dcbor_map();
	assert_true(cbor_map_add(m, (struct cbor_pair){.key = cbor_move(dcbor_int(-1)), .value = cbor_move(dcbor_uint(0))}));
	expect_enc_fail(m);
}

static void test_item_rejects(void **state)
{
	cbor_item_t *a;
	struct err e;
	(void)state;
	expect_enc_fail(cbor_build_float8(1.5));
	expect_enc_fail(cbor_build_float2(0.0f));
	expect_enc_fail(cbor_new_undef());
	expect_enc_fail(cbor_build_tag(1, cbor_move(dcbor_uint(0))));
	/* a float deep inside */
	a = dcbor_array();
	assert_int_equal(dcbor_push(a, dcbor_uint(1), &e), 0);
	assert_int_equal(dcbor_push(a, cbor_build_float4(2.0f), &e), 0);
	expect_enc_fail(a);
	/* invalid UTF-8 in a text string */
	expect_enc_fail(dcbor_textn("\xc3\x28", 2));
	expect_enc_fail(dcbor_textn("\xed\xa0\x80", 3));   /* a surrogate */
	expect_enc_fail(dcbor_textn("\xc0\xaf", 2));       /* overlong */
	expect_enc(dcbor_text("\xc3\xa9"), "62 c3 a9");
}

static void test_tagged(void **state)
{
	struct buf b = {0};
	struct err e;
	cbor_item_t *a = dcbor_array();
	(void)state;
	assert_int_equal(dcbor_push(a, dcbor_uint(1), &e), 0);
	assert_int_equal(dcbor_encode_tagged(18, a, &b, &e), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.p, "\xd2\x81\x01", 3);
	buf_free(&b);
	cbor_decref(&a);
}

static void test_indefinite_in_memory(void **state)
{
	struct err e;
	cbor_item_t *bs = cbor_new_indefinite_bytestring();
	cbor_item_t *ts = cbor_new_indefinite_string();
	cbor_item_t *a = dcbor_array();
	(void)state;
	assert_true(cbor_bytestring_add_chunk(bs, cbor_move(dcbor_bytes("\x01\x02", 2))));
	assert_true(cbor_bytestring_add_chunk(bs, cbor_move(dcbor_bytes("\x03", 1))));
	assert_true(cbor_string_add_chunk(ts, cbor_move(dcbor_text("ab"))));
	assert_true(cbor_string_add_chunk(ts, cbor_move(dcbor_text("c"))));
	assert_int_equal(dcbor_push(a, bs, &e), 0);
	assert_int_equal(dcbor_push(a, ts, &e), 0);
	assert_int_equal(dcbor_push(a, dcbor_map(), &e), 0);
	expect_enc(a, "83 43 01 02 03 63 61 62 63 a0");
}

static cbor_item_t *nested_arrays(int levels)
{
	struct err e;
	cbor_item_t *inner = dcbor_array();
	for (int i = 1; i < levels; i++) {
		cbor_item_t *outer = dcbor_array();
		assert_int_equal(dcbor_push(outer, inner, &e), 0);
		inner = outer;
	}
	return inner;
}

static void test_encode_depth(void **state)
{
	struct buf b = {0};
	struct err e;
	cbor_item_t *ok = nested_arrays(64);
	(void)state;
	assert_int_equal(dcbor_encode(ok, &b, &e), 0);
	assert_int_equal(b.len, 64);
	buf_free(&b);
	cbor_decref(&ok);
	expect_enc_fail(nested_arrays(65));
}

/* Strict decoding of hex must fail with the given code. */
static void expect_dec_fail(const char *hex, bool allow_tag, const char *code)
{
	uint8_t in[512];
	size_t n = unhex(hex, in, sizeof in), used = 0;
	cbor_item_t *it = NULL;
	struct err e;
	if (dcbor_decode_strict(in, n, allow_tag, &it, &used, &e) == 0) {
		cbor_decref(&it);
		fail_msg("decoded %s", hex);
	}
	assert_null(it);
	assert_string_equal(e.code, code);
}

static void expect_dec_ok(const char *hex, bool allow_tag, size_t want_used)
{
	uint8_t in[512];
	size_t n = unhex(hex, in, sizeof in), used = 0;
	cbor_item_t *it = NULL;
	struct err e;
	if (dcbor_decode_strict(in, n, allow_tag, &it, &used, &e) != 0)
		fail_msg("decoding %s: %s", hex, e.msg);
	assert_int_equal(used, want_used);
	cbor_decref(&it);
}

static void test_decode_strict(void **state)
{
	(void)state;
	expect_dec_ok("17", false, 1);
	expect_dec_ok("18 18", false, 2);
	expect_dec_ok("a2 01 02 03 04", false, 5);
	expect_dec_ok("a2 61 62 00 62 61 61 00", false, 8);
	expect_dec_ok("01 02", false, 1);   /* first item of a sequence */
	expect_dec_ok("d2 80", true, 2);
	expect_dec_ok("d2 84 40 a0 40 40", true, 6);   /* the shape of a COSE_Sign1 */
	expect_dec_ok("d8 18 01", true, 3);
	expect_dec_fail("d8 12 80", true, "cbor");     /* tag 18 in a longer head */
	/* non-shortest integers and lengths */
	expect_dec_fail("18 17", false, "cbor");
	expect_dec_fail("19 00 ff", false, "cbor");
	expect_dec_fail("1a 00 00 ff ff", false, "cbor");
	expect_dec_fail("1b 00 00 00 00 ff ff ff ff", false, "cbor");
	expect_dec_fail("38 00", false, "cbor");
	expect_dec_fail("58 01 00", false, "cbor");
	expect_dec_fail("98 01 00", false, "cbor");
	/* indefinite lengths */
	expect_dec_fail("5f 41 00 ff", false, "cbor");
	expect_dec_fail("7f 61 61 ff", false, "cbor");
	expect_dec_fail("9f 01 ff", false, "cbor");
	expect_dec_fail("bf 01 02 ff", false, "cbor");
	/* map order, duplicates, mixed keys */
	expect_dec_fail("a2 03 04 01 02", false, "cbor");
	expect_dec_fail("a2 62 61 61 00 61 62 00", false, "cbor");
	expect_dec_fail("a2 01 00 01 00", false, "cbor");
	expect_dec_fail("a2 01 00 61 61 00", false, "cbor");
	/* floats, undefined, simple values, tags */
	expect_dec_fail("f9 3c 00", false, "cbor");
	expect_dec_fail("fb 3f f8 00 00 00 00 00 00", false, "cbor");
	expect_dec_fail("f7", false, "cbor");
	expect_dec_fail("f8 14", false, "cbor");
	expect_dec_fail("d2 80", false, "cbor");
	expect_dec_fail("81 c1 00", true, "cbor");
	expect_dec_fail("d2 d2 80", true, "cbor");
	/* malformed */
	expect_dec_fail("1c", false, "cbor");
	expect_dec_fail("ff", false, "cbor");
	/* truncated: how a torn tail looks */
	expect_dec_fail("82 01", false, "truncated");
	expect_dec_fail("19 01", false, "truncated");
	expect_dec_fail("44 01 02", false, "truncated");
	expect_dec_fail("", false, "truncated");
	expect_dec_fail("d2", true, "truncated");
	/* a count larger than the data could hold is not preallocated */
	expect_dec_fail("9b 00 00 00 01 00 00 00 00", false, "truncated");
}

static void test_decode_depth(void **state)
{
	uint8_t in[70];
	cbor_item_t *it = NULL;
	size_t used;
	struct err e;
	(void)state;
	/* 64 nested arrays: 63 x [x] around one [] */
	memset(in, 0x81, 63);
	in[63] = 0x80;
	assert_int_equal(dcbor_decode_strict(in, 64, false, &it, &used, &e), 0);
	assert_int_equal(used, 64);
	cbor_decref(&it);
	/* 65: refused before libcbor builds anything */
	memset(in, 0x81, 64);
	in[64] = 0x80;
	assert_int_equal(dcbor_decode_strict(in, 65, false, &it, &used, &e), -1);
	assert_string_equal(e.code, "cbor");
	assert_non_null(strstr(e.msg, "nesting"));
}

static void test_builders_readers(void **state)
{
	struct err e;
	cbor_item_t *m = dcbor_map(), *n = dcbor_map(), *a = dcbor_array();
	uint64_t v = 0;
	char *s;
	(void)state;
	assert_int_equal(dcbor_put(m, "name", dcbor_text("root"), &e), 0);
	assert_int_equal(dcbor_put(m, "n", dcbor_uint(300), &e), 0);
	assert_int_equal(dcbor_put_u(n, 4, dcbor_bytes("\x01", 1), &e), 0);
	assert_true(dcbor_as_u64(dcbor_get(m, "n"), &v));
	assert_int_equal(v, 300);
	assert_false(dcbor_as_u64(dcbor_get(m, "name"), &v));
	assert_null(dcbor_get(m, "missing"));
	assert_null(dcbor_get_u(m, 4));
	assert_non_null(dcbor_get_u(n, 4));
	assert_null(dcbor_get(n, "x"));
	s = dcbor_strdup(dcbor_get(m, "name"));
	assert_string_equal(s, "root");
	free(s);
	assert_null(dcbor_strdup(dcbor_get(m, "n")));
	s = dcbor_strdup(dcbor_get(m, "missing"));
	assert_null(s);
	/* ownership: put on a non-map fails and still consumes value */
	assert_int_equal(dcbor_put(a, "x", dcbor_uint(1), &e), -1);
	assert_int_equal(dcbor_push(m, dcbor_uint(1), &e), -1);
	assert_int_equal(dcbor_push(a, m, &e), 0);
	assert_int_equal(dcbor_push(a, n, &e), 0);
	expect_enc(a, "82 a2 61 6e 19 01 2c 64 6e 61 6d 65 64 72 6f 6f 74 a1 04 41 01");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uint_boundaries),
		cmocka_unit_test(test_negint),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_key_order_text),
		cmocka_unit_test(test_key_order_uint),
		cmocka_unit_test(test_map_rejects),
		cmocka_unit_test(test_item_rejects),
		cmocka_unit_test(test_tagged),
		cmocka_unit_test(test_indefinite_in_memory),
		cmocka_unit_test(test_encode_depth),
		cmocka_unit_test(test_decode_strict),
		cmocka_unit_test(test_decode_depth),
		cmocka_unit_test(test_builders_readers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
