/* Unit tests for runner/ecdsa_sig.c: r||s and DER Ecdsa-Sig-Value, checked against
 * signatures OpenSSL makes and verifies, for each curve; short integers padded;
 * wrong sizes refused.
 * Run: CMOCKA_MESSAGE_OUTPUT=TAP build/tests/test_ecdsa_sig
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <openssl/evp.h>

#include "runner/buf.h"
#include "runner/der.h"
#include "runner/ecdsa_sig.h"
#include "runner/err.h"

#define OK(call, e) do { \
	if ((call) != 0) fail_msg("%s failed: [%s] %s", #call, (e).code, (e).msg); \
} while (0)

/* OpenSSL signs (DER), the DER becomes r||s and back; the result is the same bytes
 * and verifies. */
static void round_trip(const char *curve, const char *md, size_t half)
{
	static const uint8_t msg[] = "message";
	struct err e = {0};
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[160];
	size_t der_len = sizeof der;
	struct buf rs = {0}, back = {0};
	assert_non_null(k);
	for (int i = 0; i < 20; i++) {
		der_len = sizeof der;
		assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, k, NULL), 1);
		assert_int_equal(EVP_DigestSign(ctx, der, &der_len, msg, sizeof msg), 1);
		OK(ecdsa_sig_from_der(der, der_len, half, &rs, &e), e);
		assert_int_equal(rs.len, 2 * half);
		OK(ecdsa_sig_to_der(rs.p, rs.len, half, &back, &e), e);
		assert_int_equal(back.len, der_len);
		assert_memory_equal(back.p, der, der_len);
		OK(der_check(back.p, back.len, &e), e);
		assert_int_equal(EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL, k, NULL), 1);
		assert_int_equal(EVP_DigestVerify(ctx, back.p, back.len, msg, sizeof msg), 1);
		buf_free(&rs);
		buf_free(&back);
	}
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
}

static void curves(void **state)
{
	(void)state;
	round_trip("P-256", "SHA256", 32);
	round_trip("P-384", "SHA384", 48);
	round_trip("P-521", "SHA512", 66);
}

/* Leading zeros of r and s are not in the DER INTEGERs (minimal, X.690 §8.3.2) but are
 * in r||s (each exactly half bytes). */
static void small_integers(void **state)
{
	struct err e = {0};
	uint8_t rs[64] = {0};
	struct buf der = {0}, back = {0};
	(void)state;
	rs[31] = 0x05;     /* r = 5 */
	rs[32] = 0x80;     /* s has its top bit set: a 00 in front in DER */
	rs[63] = 0x01;
	OK(ecdsa_sig_to_der(rs, sizeof rs, 32, &der, &e), e);
	assert_int_equal(der.p[0], 0x30);
	assert_memory_equal(der.p + 2, "\x02\x01\x05\x02\x21\x00\x80", 7);
	OK(der_check(der.p, der.len, &e), e);
	OK(ecdsa_sig_from_der(der.p, der.len, 32, &back, &e), e);
	assert_int_equal(back.len, sizeof rs);
	assert_memory_equal(back.p, rs, sizeof rs);
	buf_free(&der);
	buf_free(&back);
}

static void refused(void **state)
{
	struct err e = {0};
	uint8_t rs[96] = {1};
	struct buf out = {0};
	static const uint8_t not_der[] = {0x04, 0x02, 0x01, 0x01};
	(void)state;
	assert_int_equal(ecdsa_sig_to_der(rs, 63, 32, &out, &e), -1);
	assert_string_equal(e.code, "signature");
	assert_string_equal(e.msg, "ECDSA signature is 63 bytes, expected 64 (r || s)");
	assert_int_equal(ecdsa_sig_from_der(not_der, sizeof not_der, 32, &out, &e), -1);
	assert_string_equal(e.code, "crypto");
	/* An r of 48 bytes does not fit a P-256 half. */
	rs[0] = 0xff;
	OK(ecdsa_sig_to_der(rs, sizeof rs, 48, &out, &e), e);
	struct buf small = {0};
	assert_int_equal(ecdsa_sig_from_der(out.p, out.len, 32, &small, &e), -1);
	assert_non_null(strstr(e.msg, "longer than the curve"));
	assert_int_equal(small.len, 0);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(curves),
		cmocka_unit_test(small_integers),
		cmocka_unit_test(refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
