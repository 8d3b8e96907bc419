/* Unit tests for runner/spki.c: SubjectPublicKeyInfo DER from a token's key
 * attributes, compared with what OpenSSL encodes for the same key; bad attributes
 * refused. (spki_from_token on real SoftHSM keys is exercised by test_token.)
 * Run: CMOCKA_MESSAGE_OUTPUT=TAP build/tests/test_spki
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "runner/buf.h"
#include "runner/err.h"
#include "runner/spki.h"

#define OK(call, e) do { \
	if ((call) != 0) fail_msg("%s failed: [%s] %s", #call, (e).code, (e).msg); \
} while (0)

/* spki_ed25519 on its own: bare and wrapped points, both CKA_EC_PARAMS forms. */
static void test_ed25519(void **state)
{
	static const uint8_t oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
	static const uint8_t name[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9'};
	static const uint8_t ed448[] = {0x06, 0x03, 0x2b, 0x65, 0x71};
	struct err e = {0};
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	uint8_t raw[32], wrapped[34];
	size_t raw_len = sizeof raw;
	unsigned char *want = NULL;
	int want_len;
	struct buf out = {0};
	(void)state;

	assert_non_null(key);
	assert_int_equal(EVP_PKEY_get_raw_public_key(key, raw, &raw_len), 1);
	assert_int_equal(raw_len, 32);
	want_len = i2d_PUBKEY(key, &want);
	assert_int_equal(want_len, 44);
	wrapped[0] = 0x04;
	wrapped[1] = 32;
	memcpy(wrapped + 2, raw, 32);

	OK(spki_ed25519(oid, sizeof oid, raw, sizeof raw, &out, &e), e);
	assert_int_equal(out.len, (size_t)want_len);
	assert_memory_equal(out.p, want, (size_t)want_len);
	buf_free(&out);
	OK(spki_ed25519(oid, sizeof oid, wrapped, sizeof wrapped, &out, &e), e);
	assert_memory_equal(out.p, want, (size_t)want_len);
	buf_free(&out);
	OK(spki_ed25519(name, sizeof name, wrapped, sizeof wrapped, &out, &e), e);
	assert_memory_equal(out.p, want, (size_t)want_len);
	buf_free(&out);

	assert_int_equal(spki_ed25519(ed448, sizeof ed448, raw, sizeof raw, &out, &e), -1);
	assert_string_equal(e.code, "crypto");
	assert_non_null(strstr(e.msg, "Ed25519"));
	assert_int_equal(spki_ed25519(oid, sizeof oid, raw, 31, &out, &e), -1);
	assert_non_null(strstr(e.msg, "31 bytes"));
	wrapped[1] = 31;   /* a wrapper that lies about its length */
	assert_int_equal(spki_ed25519(oid, sizeof oid, wrapped, sizeof wrapped, &out, &e), -1);
	assert_int_equal(out.len, 0);
	OPENSSL_free(want);
	EVP_PKEY_free(key);
}

/* spki_mldsa: RFC 9881's structure around the 1952-byte ML-DSA-65 key. */
static void test_mldsa(void **state)
{
	static const uint8_t head[] = {0x30, 0x82, 0x07, 0xb2, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48,
				       0x01, 0x65, 0x03, 0x04, 0x03, 0x12, 0x03, 0x82, 0x07, 0xa1, 0x00};
	struct err e = {0};
	struct buf out = {0};
	uint8_t pk[1952];
	(void)state;

	for (size_t i = 0; i < sizeof pk; i++)
		pk[i] = (uint8_t)(i * 7);
	OK(spki_mldsa(CKP_ML_DSA_65, pk, sizeof pk, &out, &e), e);
	assert_int_equal(out.len, sizeof head + sizeof pk);
	assert_memory_equal(out.p, head, sizeof head);
	assert_memory_equal(out.p + sizeof head, pk, sizeof pk);
	buf_free(&out);
	assert_int_equal(spki_mldsa(CKP_ML_DSA_65, pk, sizeof pk - 1, &out, &e), -1);
	assert_string_equal(e.code, "crypto");
	assert_non_null(strstr(e.msg, "1951 bytes"));
	assert_int_equal(spki_mldsa(CKP_ML_DSA_44, pk, 1312, &out, &e), -1);
	assert_non_null(strstr(e.msg, "not supported"));
	assert_int_equal(out.len, 0);
}

/* spki_ec on its own: the point raw, DER-wrapped, compressed; and bad input. */
static void test_ec(void **state)
{
	static const uint8_t p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	static const uint8_t p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
	struct err e = {0};
	EVP_PKEY *key = EVP_EC_gen("P-256");
	uint8_t pt[65], wrapped[67], comp[33], bad[65];
	size_t pt_len = 0;
	unsigned char *want = NULL;
	int want_len;
	struct buf out = {0};
	(void)state;

	assert_non_null(key);
	assert_int_equal(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt, &pt_len), 1);
	assert_int_equal(pt_len, 65);
	assert_int_equal(pt[0], 0x04);
	want_len = i2d_PUBKEY(key, &want);
	assert_true(want_len > 0);

	OK(spki_ec(p256, sizeof p256, pt, sizeof pt, &out, &e), e);
	assert_int_equal(out.len, (size_t)want_len);
	assert_memory_equal(out.p, want, (size_t)want_len);
	buf_free(&out);

	wrapped[0] = 0x04;   /* OCTET STRING, 65 bytes: what SoftHSM returns */
	wrapped[1] = 65;
	memcpy(wrapped + 2, pt, 65);
	OK(spki_ec(p256, sizeof p256, wrapped, sizeof wrapped, &out, &e), e);
	assert_memory_equal(out.p, want, (size_t)want_len);
	buf_free(&out);

	comp[0] = (uint8_t)(0x02 | (pt[64] & 1));   /* compressed form, re-encoded uncompressed */
	memcpy(comp + 1, pt + 1, 32);
	OK(spki_ec(p256, sizeof p256, comp, sizeof comp, &out, &e), e);
	assert_memory_equal(out.p, want, (size_t)want_len);
	buf_free(&out);

	memcpy(bad, pt, sizeof bad);   /* not on the curve */
	bad[64] ^= 1;
	assert_int_equal(spki_ec(p256, sizeof p256, bad, sizeof bad, &out, &e), -1);
	assert_string_equal(e.code, "crypto");
	assert_int_equal(spki_ec(p384, sizeof p384, pt, sizeof pt, &out, &e), -1);   /* wrong curve */
	assert_int_equal(spki_ec(p256, sizeof p256 - 1, pt, sizeof pt, &out, &e), -1); /* truncated OID */
	assert_int_equal(spki_ec(p256, sizeof p256, (const uint8_t *)"\x00", 1, &out, &e), -1); /* infinity */
	assert_int_equal(spki_ec(p256, sizeof p256, pt, 0, &out, &e), -1);
	assert_int_equal(out.len, 0);
	buf_free(&out);
	OPENSSL_free(want);
	EVP_PKEY_free(key);
}

/* spki_rsa: a modulus and exponent as the token gives them; a toy key refused. */
static void test_rsa(void **state)
{
	struct err e = {0};
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	BIGNUM *n = NULL, *x = NULL;
	uint8_t nb[256], xb[3];
	unsigned char *want = NULL;
	int want_len;
	struct buf out = {0};
	(void)state;

	assert_non_null(key);
	assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &x), 1);
	assert_int_equal(BN_bn2binpad(n, nb, sizeof nb), (int)sizeof nb);
	assert_int_equal(BN_bn2binpad(x, xb, sizeof xb), (int)sizeof xb);
	want_len = i2d_PUBKEY(key, &want);
	assert_true(want_len > 0);
	OK(spki_rsa(nb, sizeof nb, xb, sizeof xb, &out, &e), e);
	assert_int_equal(out.len, (size_t)want_len);
	assert_memory_equal(out.p, want, (size_t)want_len);
	buf_free(&out);
	/* 512 bits, and an even exponent: no RSA key a ceremony signs with. */
	assert_int_equal(spki_rsa(nb, 64, xb, sizeof xb, &out, &e), -1);
	assert_string_equal(e.code, "crypto");
	assert_non_null(strstr(e.msg, "not usable (modulus 512 bits"));
	uint8_t even[3] = {0x01, 0x00, 0x00};
	assert_int_equal(spki_rsa(nb, sizeof nb, even, sizeof even, &out, &e), -1);
	assert_int_equal(out.len, 0);
	OPENSSL_free(want);
	BN_free(n);
	BN_free(x);
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ec),
		cmocka_unit_test(test_ed25519),
		cmocka_unit_test(test_rsa),
		cmocka_unit_test(test_mldsa),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
