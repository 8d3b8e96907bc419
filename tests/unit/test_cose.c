/* Unit tests for runner/cose.c: the protected header and Sig_structure bytes
 * (known answers written out by hand from RFC 9052 §3.1 and §4.4), and
 * COSE_Sign1 signing and verification for every algorithm of the format. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "runner/cose.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;
	while (*s) {
		if (*s == ' ' || *s == '\n') {
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

/* { 1: -7, 3: "application/ceremony-entry+cbor", 4: h'000102...1f' }
 *   a3                      map(3)
 *   01 26                   1: -7 (negint 6)
 *   03 78 1f <31 bytes>     3: tstr(31)
 *   04 58 20 <32 bytes>     4: bstr(32) */
static const char prot_hex[] =
	"a3 01 26"
	" 03 78 1f 61 70 70 6c 69 63 61 74 69 6f 6e 2f 63 65 72 65 6d 6f 6e 79 2d 65 6e 74 72 79 2b 63 62 6f 72"
	" 04 58 20 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f";

/* [ "Signature1", protected (72 bytes), h'', h'a10102' ]
 *   84                      array(4)
 *   6a 5369676e617475726531 tstr(10) "Signature1"
 *   58 48 <prot>            bstr(72)
 *   40                      bstr(0): external_aad
 *   43 a1 01 02             bstr(3): payload */
static const char sig_structure_hex[] =
	"84 6a 53 69 67 6e 61 74 75 72 65 31"
	" 58 48 a3 01 26"
	" 03 78 1f 61 70 70 6c 69 63 61 74 69 6f 6e 2f 63 65 72 65 6d 6f 6e 79 2d 65 6e 74 72 79 2b 63 62 6f 72"
	" 04 58 20 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f"
	" 40"
	" 43 a1 01 02";

static void test_protected_kat(void **state)
{
	uint8_t kid[32], want[128];
	struct buf b = {0};
	struct err e;
	size_t n = unhex(prot_hex, want, sizeof want);
	(void)state;
	for (int i = 0; i < 32; i++)
		kid[i] = (uint8_t)i;
	assert_int_equal(n, 72);
	assert_int_equal(cose_protected(COSE_ALG_ES256, kid, &b, &e), 0);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.p, want, n);
	buf_free(&b);
}

static void test_sig_structure_kat(void **state)
{
	uint8_t prot[128], want[256];
	size_t plen = unhex(prot_hex, prot, sizeof prot);
	size_t n = unhex(sig_structure_hex, want, sizeof want);
	struct buf b = {0};
	struct err e;
	(void)state;
	assert_int_equal(cose_sig_structure(prot, plen, (const uint8_t *)"\xa1\x01\x02", 3, &b, &e), 0);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.p, want, n);
	buf_free(&b);
}

static cbor_item_t *decode_record(const struct buf *b)
{
	cbor_item_t *it = NULL;
	size_t used = 0;
	struct err e;
	if (dcbor_decode_strict(b->p, b->len, true, &it, &used, &e) != 0)
		fail_msg("decoding the record: %s", e.msg);
	assert_int_equal(used, b->len);
	return it;
}

static void round_trip(int alg, size_t sig_len)
{
	struct err e;
	struct cose_signer *s = cose_signer_new_memory(alg, &e);
	struct buf rec = {0};
	const uint8_t payload[] = {0xa1, 0x00, 0x01};
	const uint8_t *pl = NULL;
	size_t pl_len = 0, n;
	int got_alg = 0, peek_alg = 0;
	uint8_t kid[32];
	cbor_item_t *it, *arr;

	if (!s)
		fail_msg("signer for alg %d: %s", alg, e.msg);
	assert_int_equal(s->alg, alg);
	assert_int_equal(cose_sign1(s, payload, sizeof payload, &rec, &e), 0);
	assert_int_equal(rec.p[0], 0xd2);   /* tag 18 */
	it = decode_record(&rec);
	assert_int_equal(cose_verify1(it, s->spki, s->spki_len, &pl, &pl_len, &got_alg, &e), 0);
	assert_int_equal(got_alg, alg);
	assert_int_equal(pl_len, sizeof payload);
	assert_memory_equal(pl, payload, sizeof payload);
	assert_int_equal(cose_peek(it, &peek_alg, kid, &e), 0);
	assert_int_equal(peek_alg, alg);
	assert_memory_equal(kid, s->kid, 32);
	/* signature length: r || s for ECDSA, not DER */
	arr = cbor_tag_item(it);
	n = cbor_bytestring_length(cbor_array_handle(arr)[3]);
	assert_int_equal(n, sig_len);
	cbor_decref(&arr);
	cbor_decref(&it);
	buf_free(&rec);
	cose_signer_free(s);
}

static void test_round_trip_es256(void **state)
{
	(void)state;
	round_trip(COSE_ALG_ES256, 64);
}

static void test_round_trip_others(void **state)
{
	(void)state;
	round_trip(COSE_ALG_ES384, 96);
	round_trip(COSE_ALG_ES512, 132);
	round_trip(COSE_ALG_EDDSA, 64);
	round_trip(COSE_ALG_PS256, 256);
}

static void test_kid(void **state)
{
	struct err e;
	struct cose_signer *s = cose_signer_new_memory_es256(&e);
	uint8_t kid[32];
	(void)state;
	assert_non_null(s);
	cose_kid(s->spki, s->spki_len, kid);
	assert_memory_equal(kid, s->kid, 32);
	/* SHA-256("abc"), FIPS 180-2 B.1 */
	cose_kid((const uint8_t *)"abc", 3, kid);
	assert_memory_equal(kid,
			    "\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde\x5d\xae\x22\x23"
			    "\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff\x61\xf2\x00\x15\xad",
			    32);
	cose_signer_free(s);
	cose_signer_free(NULL);
}

/* Flips bit 0 of the byte at offset off of the encoded record, then verifies. */
static int verify_flipped(struct cose_signer *s, const struct buf *rec, size_t off, struct err *e)
{
	struct buf copy = {0};
	cbor_item_t *it = NULL;
	size_t used;
	int rc = -1;
	assert_int_equal(buf_append(&copy, rec->p, rec->len, e), 0);
	copy.p[off] ^= 1;
	if (dcbor_decode_strict(copy.p, copy.len, true, &it, &used, e) == 0) {
		rc = cose_verify1(it, s->spki, s->spki_len, NULL, NULL, NULL, e);
		cbor_decref(&it);
	}
	buf_free(&copy);
	return rc;
}

static void test_tamper(void **state)
{
	struct err e;
	struct cose_signer *s = cose_signer_new_memory_es256(&e);
	struct buf rec = {0};
	const uint8_t payload[] = {0x63, 0x61, 0x62, 0x63};
	(void)state;
	assert_non_null(s);
	assert_int_equal(cose_sign1(s, payload, sizeof payload, &rec, &e), 0);
	/* last byte: inside s */
	assert_int_equal(verify_flipped(s, &rec, rec.len - 1, &e), -1);
	assert_string_equal(e.code, "signature");
	/* first signature byte: inside r (record ends with 58 40 r s) */
	assert_int_equal(verify_flipped(s, &rec, rec.len - 64, &e), -1);
	/* a payload byte */
	assert_int_equal(verify_flipped(s, &rec, rec.len - 64 - 2 - 2, &e), -1);
	/* a kid byte in the protected header */
	assert_int_equal(verify_flipped(s, &rec, 10 + 38, &e), -1);
	buf_free(&rec);
	cose_signer_free(s);
}

static void test_wrong_key(void **state)
{
	struct err e;
	struct cose_signer *s = cose_signer_new_memory_es256(&e);
	struct cose_signer *other = cose_signer_new_memory_es256(&e);
	struct cose_signer *ed = cose_signer_new_memory(COSE_ALG_EDDSA, &e);
	struct buf rec = {0};
	cbor_item_t *it;
	(void)state;
	assert_non_null(s);
	assert_non_null(other);
	assert_non_null(ed);
	assert_int_equal(cose_sign1(s, (const uint8_t *)"\x01", 1, &rec, &e), 0);
	it = decode_record(&rec);
	assert_int_equal(cose_verify1(it, other->spki, other->spki_len, NULL, NULL, NULL, &e), -1);
	assert_string_equal(e.code, "kid");
	assert_int_equal(cose_verify1(it, ed->spki, ed->spki_len, NULL, NULL, NULL, &e), -1);
	cbor_decref(&it);
	buf_free(&rec);
	cose_signer_free(s);
	cose_signer_free(other);
	cose_signer_free(ed);
}

/* Builds a COSE_Sign1 by hand with the given protected bytes and a signature
 * made over them by s (so only the header rule can reject it). */
static cbor_item_t *hand_record(struct cose_signer *s, const struct buf *prot, const uint8_t *sig_override,
				size_t sig_override_len)
{
	struct buf tbs = {0}, sig = {0}, rec = {0};
	struct err e;
	cbor_item_t *a = dcbor_array(), *it;
	assert_int_equal(cose_sig_structure(prot->p, prot->len, (const uint8_t *)"\x01", 1, &tbs, &e), 0);
	assert_int_equal(s->sign(s, tbs.p, tbs.len, &sig, &e), 0);
	if (sig_override) {
		sig.len = 0;
		assert_int_equal(buf_append(&sig, sig_override, sig_override_len, &e), 0);
	}
	assert_int_equal(dcbor_push(a, dcbor_bytes(prot->p, prot->len), &e), 0);
	assert_int_equal(dcbor_push(a, dcbor_map(), &e), 0);
	assert_int_equal(dcbor_push(a, dcbor_bytes("\x01", 1), &e), 0);
	assert_int_equal(dcbor_push(a, dcbor_bytes(sig.p, sig.len), &e), 0);
	assert_int_equal(dcbor_encode_tagged(18, a, &rec, &e), 0);
	it = decode_record(&rec);
	cbor_decref(&a);
	buf_free(&tbs);
	buf_free(&sig);
	buf_free(&rec);
	return it;
}

static void test_protected_rules(void **state)
{
	struct err e;
	struct cose_signer *s = cose_signer_new_memory_es256(&e);
	struct buf prot = {0};
	cbor_item_t *m, *it;
	uint8_t zeros[63] = {0};
	(void)state;
	assert_non_null(s);

	/* a fourth key in the protected header */
	m = dcbor_map();
	assert_int_equal(dcbor_put_u(m, 1, dcbor_int(COSE_ALG_ES256), &e), 0);
	assert_int_equal(dcbor_put_u(m, 3, dcbor_text(COSE_CONTENT_TYPE), &e), 0);
	assert_int_equal(dcbor_put_u(m, 4, dcbor_bytes(s->kid, 32), &e), 0);
	assert_int_equal(dcbor_put_u(m, 5, dcbor_uint(0), &e), 0);
	assert_int_equal(dcbor_encode(m, &prot, &e), 0);
	cbor_decref(&m);
	it = hand_record(s, &prot, NULL, 0);
	assert_int_equal(cose_verify1(it, s->spki, s->spki_len, NULL, NULL, NULL, &e), -1);
	cbor_decref(&it);
	prot.len = 0;

	/* an alg not on the list (-257, RS256) */
	m = dcbor_map();
	assert_int_equal(dcbor_put_u(m, 1, dcbor_int(-257), &e), 0);
	assert_int_equal(dcbor_put_u(m, 3, dcbor_text(COSE_CONTENT_TYPE), &e), 0);
	assert_int_equal(dcbor_put_u(m, 4, dcbor_bytes(s->kid, 32), &e), 0);
	assert_int_equal(dcbor_encode(m, &prot, &e), 0);
	cbor_decref(&m);
	it = hand_record(s, &prot, NULL, 0);
	assert_int_equal(cose_verify1(it, s->spki, s->spki_len, NULL, NULL, NULL, &e), -1);
	cbor_decref(&it);
	prot.len = 0;

	/* another content type */
	m = dcbor_map();
	assert_int_equal(dcbor_put_u(m, 1, dcbor_int(COSE_ALG_ES256), &e), 0);
	assert_int_equal(dcbor_put_u(m, 3, dcbor_text("application/cbor"), &e), 0);
	assert_int_equal(dcbor_put_u(m, 4, dcbor_bytes(s->kid, 32), &e), 0);
	assert_int_equal(dcbor_encode(m, &prot, &e), 0);
	cbor_decref(&m);
	it = hand_record(s, &prot, NULL, 0);
	assert_int_equal(cose_verify1(it, s->spki, s->spki_len, NULL, NULL, NULL, &e), -1);
	cbor_decref(&it);
	prot.len = 0;

	/* the right header, a well-formed record, but a 63-byte ECDSA signature */
	assert_int_equal(cose_protected(s->alg, s->kid, &prot, &e), 0);
	it = hand_record(s, &prot, zeros, sizeof zeros);
	assert_int_equal(cose_verify1(it, s->spki, s->spki_len, NULL, NULL, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "r || s"));
	cbor_decref(&it);
	/* and the control: the same construction with the real signature verifies */
	it = hand_record(s, &prot, NULL, 0);
	assert_int_equal(cose_verify1(it, s->spki, s->spki_len, NULL, NULL, NULL, &e), 0);
	cbor_decref(&it);

	buf_free(&prot);
	cose_signer_free(s);
}

static void test_not_sign1(void **state)
{
	struct err e;
	struct cose_signer *s = cose_signer_new_memory_es256(&e);
	cbor_item_t *a = dcbor_array(), *t;
	int alg;
	uint8_t kid[32];
	(void)state;
	assert_non_null(s);
	assert_int_equal(cose_verify1(a, s->spki, s->spki_len, NULL, NULL, NULL, &e), -1);
	t = cbor_build_tag(17, a);
	assert_int_equal(cose_verify1(t, s->spki, s->spki_len, NULL, NULL, NULL, &e), -1);
	assert_int_equal(cose_peek(t, &alg, kid, &e), -1);
	cbor_decref(&t);
	cbor_decref(&a);
	assert_null(cose_signer_new_memory(-999, &e));
	cose_signer_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protected_kat),
		cmocka_unit_test(test_sig_structure_kat),
		cmocka_unit_test(test_round_trip_es256),
		cmocka_unit_test(test_round_trip_others),
		cmocka_unit_test(test_kid),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_protected_rules),
		cmocka_unit_test(test_not_sign1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
