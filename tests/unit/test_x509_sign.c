/* Unit tests for runner/x509_sign.c: the choice of signature algorithm, keys loaded
 * from a real SoftHSM2 token, and signatures made in it, each checked by OpenSSL with
 * the exported key, and tampering refused.
 * Run: CMOCKA_MESSAGE_OUTPUT=TAP build/tests/test_x509_sign
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "runner/buf.h"
#include "runner/ossl.h"
#include "runner/err.h"
#include "runner/secret.h"
#include "runner/softhsm.h"
#include "runner/token.h"
#include "token_fixture.h"
#include "runner/x509_sign.h"

#define LABEL "x509-sign-unit"
#define SO_PIN "so-pin-for-x509-tests"
#define USER_PIN "user-pin-for-x509-tests"
#define DAY 86400

static struct {
	struct token_fixture t;
	struct tok_session *s;
	struct x509_key key;   /* made by test_wrong_hash_refused */
} fx;


static int group_setup(void **state)
{
	struct err e = {0};
	static const char *const labels[] = {LABEL, NULL};
	CK_SLOT_ID slot;
	(void)state;
	if (token_fixture_open(&fx.t, labels, SO_PIN, USER_PIN, &slot, &e) || tok_open(fx.t.m, slot, true, &fx.s, &e) ||
	    tok_login(fx.s, false, fx.t.user, &e)) {
		fprintf(stderr, "# setup failed: [%s] %s\n", e.code, e.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	x509_key_free(&fx.key);
	tok_close(fx.s);
	token_fixture_close(&fx.t);
	return 0;
}

/* A key pair generated in the test token and loaded for signing. */
static void make_key(const char *alg, const char *label, struct x509_key *k)
{
	struct err e = {0};
	struct tok_keypair kp;
	OK(tok_generate(fx.s, alg, label, &kp, &e), e);
	OK(x509_key_load(fx.s, label, k, &e), e);
	assert_string_equal(k->algorithm, alg);
}

static void test_sigalg(void **state)
{
	struct err e = {0};
	struct x509_sigalg sa;
	(void)state;

	sa = (struct x509_sigalg){0};
	OK(x509_sigalg_resolve("ec-p384", &sa, &e), e);
	assert_int_equal(sa.hash, X509_HASH_SHA384);
	assert_int_equal(x509_sigalg_mech("ec-p384", &sa), CKM_ECDSA);
	assert_string_equal(x509_sigalg_label("ec-p384", &sa), "ecdsa-with-SHA384");
	sa = (struct x509_sigalg){0};
	OK(x509_sigalg_resolve("ec-p256", &sa, &e), e);
	assert_int_equal(sa.hash, X509_HASH_SHA256);
	sa = (struct x509_sigalg){0};
	OK(x509_sigalg_resolve("ec-p521", &sa, &e), e);
	assert_int_equal(sa.hash, X509_HASH_SHA512);

	/* A hash weaker (or stronger) than the curve is refused, with the fix. */
	sa = (struct x509_sigalg){.hash = X509_HASH_SHA256};
	assert_int_equal(x509_sigalg_resolve("ec-p384", &sa, &e), -1);
	assert_string_equal(e.code, "x509");
	assert_non_null(strstr(e.msg, "sha256 does not fit an ec-p384 key"));
	assert_non_null(strstr(e.msg, "{hash: sha384}"));
	sa = (struct x509_sigalg){.hash = X509_HASH_SHA512};
	assert_int_equal(x509_sigalg_resolve("ec-p256", &sa, &e), -1);
	sa = (struct x509_sigalg){.padding = X509_PAD_PSS};
	assert_int_equal(x509_sigalg_resolve("ec-p256", &sa, &e), -1);

	sa = (struct x509_sigalg){0};
	OK(x509_sigalg_resolve("ed25519", &sa, &e), e);
	assert_int_equal(sa.hash, X509_HASH_NONE);
	assert_int_equal(x509_sigalg_mech("ed25519", &sa), CKM_EDDSA);
	sa = (struct x509_sigalg){.hash = X509_HASH_SHA512};
	assert_int_equal(x509_sigalg_resolve("ed25519", &sa, &e), -1);

	sa = (struct x509_sigalg){0};
	OK(x509_sigalg_resolve("rsa-3072", &sa, &e), e);
	assert_int_equal(sa.hash, X509_HASH_SHA256);
	assert_int_equal(sa.padding, X509_PAD_PKCS1);
	assert_int_equal(x509_sigalg_mech("rsa-3072", &sa), CKM_RSA_PKCS);
	assert_string_equal(x509_sigalg_label("rsa-3072", &sa), "sha256WithRSAEncryption");
	sa = (struct x509_sigalg){.hash = X509_HASH_SHA384, .padding = X509_PAD_PSS};
	OK(x509_sigalg_resolve("rsa-4096", &sa, &e), e);
	assert_int_equal(x509_sigalg_mech("rsa-4096", &sa), CKM_RSA_PKCS_PSS);

	sa = (struct x509_sigalg){0};
#if CER_HAVE_MLDSA
	/* OpenSSL 3.5: pure ML-DSA, no hash, no padding (RFC 9881). */
	OK(x509_sigalg_resolve("ml-dsa-65", &sa, &e), e);
	assert_int_equal(sa.hash, X509_HASH_NONE);
	assert_int_equal(x509_sigalg_mech("ml-dsa-65", &sa), CKM_ML_DSA);
	assert_string_equal(x509_sigalg_label("ml-dsa-65", &sa), "ML-DSA-65");
	sa = (struct x509_sigalg){.hash = X509_HASH_SHA512};
	assert_int_equal(x509_sigalg_resolve("ml-dsa-65", &sa, &e), -1);
	sa = (struct x509_sigalg){.padding = X509_PAD_PSS};
	assert_int_equal(x509_sigalg_resolve("ml-dsa-65", &sa, &e), -1);
#else
	assert_int_equal(x509_sigalg_resolve("ml-dsa-65", &sa, &e), -1);
	assert_non_null(strstr(e.msg, "OpenSSL 3.5"));
#endif
	assert_int_equal(x509_sigalg_resolve("dsa-1024", &sa, &e), -1);
}

static void test_wrong_hash_refused(void **state)
{
	struct err e = {0};
	struct x509_key k = {0};
	struct x509_sigalg sa = {.hash = X509_HASH_SHA256};
	(void)state;
	make_key("ec-p384", "root-key", &fx.key);
	/* At run time too: a key the script could not know (from a former ceremony). */
	assert_int_equal(x509_key_open(fx.s, "root-key", NULL, &sa, &k, &e), -1);
	assert_non_null(strstr(e.msg, "key 'root-key': hash sha256 does not fit an ec-p384 key"));
	assert_null(k.pkey);
	sa = (struct x509_sigalg){0};
	assert_int_equal(x509_key_open(fx.s, "root-key", "ec-p256", &sa, &k, &e), -1);
	assert_non_null(strstr(e.msg, "is ec-p384 on the token, but the script made it as ec-p256"));
	assert_int_equal(x509_key_open(fx.s, "no-such-key", NULL, &sa, &k, &e), -1);
}

/* Each algorithm and padding: the token signs, the signature verifies with the
 * exported key in OpenSSL, and not over other data or with a flipped bit. */
static void sign_one(const char *alg, const char *label, struct x509_sigalg sa, size_t sig_len)
{
	static const uint8_t data[] = "the to-be-signed part";
	struct err e = {0};
	struct x509_key k = {0};
	struct buf sig = {0};
	make_key(alg, label, &k);
	OK(x509_sigalg_resolve(k.algorithm, &sa, &e), e);
	OK(x509_sign(&k, &sa, data, sizeof data, &sig, &e), e);
	if (sig_len)
		assert_int_equal(sig.len, sig_len);
	assert_int_equal(x509_verify_data(k.pkey, &sa, sig.p, sig.len, data, sizeof data, &e), ERR_ANSWER_YES);
	assert_int_equal(x509_verify_data(k.pkey, &sa, sig.p, sig.len, data, sizeof data - 1, &e), ERR_ANSWER_NO);
	sig.p[sig.len - 1] ^= 1;
	assert_int_equal(x509_verify_data(k.pkey, &sa, sig.p, sig.len, data, sizeof data, &e), ERR_ANSWER_NO);
	/* The mechanism the step declares is the one used. */
	assert_int_not_equal(x509_sigalg_mech(k.algorithm, &sa), 0);
	buf_free(&sig);
	x509_key_free(&k);
	assert_null(k.pkey);
}

static void test_sign_each(void **state)
{
	(void)state;
	sign_one("ec-p256", "s-p256", (struct x509_sigalg){0}, 0);
	sign_one("ec-p521", "s-p521", (struct x509_sigalg){0}, 0);
	sign_one("ed25519", "s-ed", (struct x509_sigalg){0}, 64);
	sign_one("rsa-3072", "s-pkcs1", (struct x509_sigalg){.hash = X509_HASH_SHA512}, 384);
	sign_one("rsa-3072", "s-pss", (struct x509_sigalg){.padding = X509_PAD_PSS}, 384);
}

/* An ECDSA signature X.509 carries is DER (RFC 3279 §2.2.3), not the token's r||s. */
static void test_ecdsa_is_der(void **state)
{
	static const uint8_t data[] = "x";
	struct err e = {0};
	struct x509_key k = {0};
	struct x509_sigalg sa = {0};
	struct buf sig = {0};
	(void)state;
	make_key("ec-p384", "s-p384", &k);
	OK(x509_sigalg_resolve(k.algorithm, &sa, &e), e);
	OK(x509_sign(&k, &sa, data, sizeof data, &sig, &e), e);
	assert_int_equal(sig.p[0], 0x30);
	assert_int_equal(sig.p[1] + 2, (int)sig.len);
	assert_true(sig.len <= 2 + 2 * (2 + 49));
	buf_free(&sig);
	x509_key_free(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigalg),
		cmocka_unit_test(test_wrong_hash_refused),
		cmocka_unit_test(test_sign_each),
		cmocka_unit_test(test_ecdsa_is_der),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
