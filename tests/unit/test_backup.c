/* Unit tests for the backup half of runner/token.c (wrap keys, C_WrapKey and
 * C_UnwrapKey with CKM_AES_KEY_WRAP_PAD), against two SoftHSM2 tokens in a store
 * made for the run: "source" holds the key, "target" receives the restore.
 * Run: CMOCKA_MESSAGE_OUTPUT=TAP build/tests/test_backup
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
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "runner/buf.h"
#include "runner/err.h"
#include "runner/secret.h"
#include "runner/shamir.h"
#include "runner/softhsm.h"
#include "runner/spki.h"
#include "runner/token.h"
#include "token_fixture.h"

#define SO_PIN "so-pin-backup-tests"
#define USER_PIN "user-pin-backup-tests"

static struct {
	struct token_fixture t;
	struct secret *wrap;
} fx;


static int group_setup(void **state)
{
	struct err e = {0};
	static const char *const labels[] = {"source", "target", NULL};
	(void)state;
	if (token_fixture_open(&fx.t, labels, SO_PIN, USER_PIN, NULL, &e) ||
	    !(fx.wrap = secret_new(TOK_WRAPKEY_LEN, &e)) || secret_random(fx.wrap, TOK_WRAPKEY_LEN, &e)) {
		fprintf(stderr, "# setup failed: [%s] %s\n", e.code, e.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	secret_free(fx.wrap);
	token_fixture_close(&fx.t);
	return 0;
}

static struct tok_session *session(const char *label, bool so)
{
	struct tok_session *s = NULL;
	struct err e = {0};
	CK_SLOT_ID slot;
	OK(tok_find_label(fx.t.m, label, &slot, &e), e);
	OK(tok_open(fx.t.m, slot, true, &s, &e), e);
	OK(tok_login(s, so, so ? fx.t.so : fx.t.user, &e), e);
	return s;
}

static bool attr(struct tok_session *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t)
{
	struct err e = {0};
	bool v = false;
	OK(tok_attr_bool(s, o, t, &v, &e), e);
	return v;
}

/* The security officer makes the trusted wrap key on a token from fx.wrap; the
 * same value on both tokens is what a restore from shares rebuilds. */
static CK_OBJECT_HANDLE trusted_wrapkey(const char *token)
{
	struct err e = {0};
	CK_OBJECT_HANDLE h;
	struct tok_session *s = session(token, true);
	OK(tok_wrapkey_create(s, "wrap", fx.wrap, true, &h, &e), e);
	assert_true(attr(s, h, CKA_TRUSTED));
	assert_true(attr(s, h, CKA_SENSITIVE));
	assert_false(attr(s, h, CKA_EXTRACTABLE));
	assert_false(attr(s, h, CKA_PRIVATE));
	assert_true(attr(s, h, CKA_WRAP));
	assert_true(attr(s, h, CKA_UNWRAP));
	tok_close(s);
	return h;
}

static void test_trusted_needs_so(void **state)
{
	struct err e = {0};
	CK_OBJECT_HANDLE h = 7;
	struct tok_session *s = session("source", false);
	(void)state;
	/* PKCS#11 3.0 §4.10: only the SO sets CKA_TRUSTED. */
	assert_int_equal(tok_wrapkey_create(s, "user-trusted", fx.wrap, true, &h, &e), -1);
	assert_int_equal(h, CK_INVALID_HANDLE);
	assert_non_null(strstr(e.msg, "user-trusted"));
	/* A short value is refused before the token sees it. */
	struct secret *shortv = secret_new(16, &e);
	assert_non_null(shortv);
	OK(secret_random(shortv, 16, &e), e);
	assert_int_equal(tok_wrapkey_create(s, "short", shortv, false, &h, &e), -1);
	assert_string_equal(e.code, "input");
	secret_free(shortv);
	tok_close(s);
}

static void sign_verify(struct tok_session *s, CK_OBJECT_HANDLE priv, const uint8_t *spki, size_t spki_len)
{
	struct err e = {0};
	struct buf sig = {0};
	uint8_t dig[48];
	const unsigned char *p = spki;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)spki_len);
	EVP_PKEY_CTX *ctx;
	ECDSA_SIG *es;
	unsigned char *der = NULL;
	int der_len;
	static const char msg[] = "certificate signing request";

	assert_non_null(pk);
	SHA384((const uint8_t *)msg, strlen(msg), dig);
	OK(tok_sign(s, priv, CKM_ECDSA, dig, sizeof dig, &sig, &e), e);
	assert_int_equal(sig.len, 96);
	es = ECDSA_SIG_new();
	assert_non_null(es);
	assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(sig.p, 48, NULL), BN_bin2bn(sig.p + 48, 48, NULL)), 1);
	der_len = i2d_ECDSA_SIG(es, &der);
	assert_true(der_len > 0);
	ctx = EVP_PKEY_CTX_new(pk, NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
	assert_int_equal(EVP_PKEY_verify(ctx, der, (size_t)der_len, dig, sizeof dig), 1);
	dig[0] ^= 1;
	assert_int_not_equal(EVP_PKEY_verify(ctx, der, (size_t)der_len, dig, sizeof dig), 1);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	buf_free(&sig);
}

static void test_backup_restore(void **state)
{
	struct err e = {0};
	struct tok_session *s;
	struct tok_keypair kp, plain;
	CK_OBJECT_HANDLE wrap, untrusted, restored, h;
	struct buf blob = {0}, spki = {0}, none = {0};
	(void)state;

	trusted_wrapkey("source");
	s = session("source", false);
	OK(tok_secret_key_find(s, "wrap", &wrap, &e), e);
	OK(tok_generate_ex(s, "ec-p384", "backup-key", TOK_GEN_BACKUP, &kp, &e), e);
	assert_true(attr(s, kp.priv, CKA_SENSITIVE));
	assert_true(attr(s, kp.priv, CKA_EXTRACTABLE));
	assert_true(attr(s, kp.priv, CKA_WRAP_WITH_TRUSTED));
	assert_true(attr(s, kp.priv, CKA_ALWAYS_SENSITIVE));
	assert_false(attr(s, kp.priv, CKA_NEVER_EXTRACTABLE));
	OK(spki_from_token(s, kp.pub, &spki, &e), e);

	/* An untrusted AES key (the user made it) cannot wrap a CKA_WRAP_WITH_TRUSTED key. */
	OK(tok_wrapkey_create(s, "untrusted", fx.wrap, false, &untrusted, &e), e);
	assert_false(attr(s, untrusted, CKA_TRUSTED));
	assert_int_equal(tok_wrap(s, untrusted, kp.priv, &none, &e), -1);
	assert_string_equal(e.code, "CKR_KEY_NOT_WRAPPABLE");
	assert_int_equal(none.len, 0);

	/* A key made without backup is never extractable, not even under the trusted key. */
	OK(tok_generate(s, "ec-p384", "plain-key", &plain, &e), e);
	assert_false(attr(s, plain.priv, CKA_EXTRACTABLE));
	assert_false(attr(s, plain.priv, CKA_WRAP_WITH_TRUSTED));
	assert_int_equal(tok_wrap(s, wrap, plain.priv, &none, &e), -1);
	assert_string_equal(e.code, "CKR_KEY_UNEXTRACTABLE");
	assert_int_equal(tok_wrap(s, untrusted, plain.priv, &none, &e), -1);
	assert_int_equal(none.len, 0);

	/* The trusted key wraps it; the blob is not the key's PKCS#8 in the clear. */
	OK(tok_wrap(s, wrap, kp.priv, &blob, &e), e);
	assert_true(blob.len > 48);   /* more than the 48-byte scalar: a PKCS#8 structure */
	assert_int_equal(blob.len % 8, 0);   /* RFC 5649: whole 64-bit blocks */
	tok_close(s);

	/* Restore into the other token: the SO re-creates the wrap key from the same value. */
	trusted_wrapkey("target");
	s = session("target", false);
	OK(tok_secret_key_find(s, "wrap", &wrap, &e), e);
	OK(tok_unwrap_private(s, wrap, blob.p, blob.len, CKK_EC, "restored", kp.id, sizeof kp.id, 0, &restored, &e), e);
	assert_true(attr(s, restored, CKA_SENSITIVE));
	assert_false(attr(s, restored, CKA_EXTRACTABLE));
	assert_true(attr(s, restored, CKA_SIGN));
	assert_false(attr(s, restored, CKA_DECRYPT));
	assert_false(attr(s, restored, CKA_LOCAL));   /* unwrapped, not generated here */
	sign_verify(s, restored, spki.p, spki.len);
	/* The restored key is not extractable: even the trusted key cannot wrap it. */
	assert_int_equal(tok_wrap(s, wrap, restored, &none, &e), -1);
	assert_string_equal(e.code, "CKR_KEY_UNEXTRACTABLE");

	/* A backup copy keeps the backup policy. */
	OK(tok_unwrap_private(s, wrap, blob.p, blob.len, CKK_EC, "copy", NULL, 0, TOK_GEN_BACKUP, &h, &e), e);
	assert_true(attr(s, h, CKA_EXTRACTABLE));
	assert_true(attr(s, h, CKA_WRAP_WITH_TRUSTED));
	/* One label, one key. */
	assert_int_equal(tok_unwrap_private(s, wrap, blob.p, blob.len, CKK_EC, "copy", NULL, 0, 0, &h, &e), -1);
	assert_string_equal(e.code, "token");
	/* A damaged blob restores nothing. */
	blob.p[blob.len / 2] ^= 0x40;
	assert_int_equal(tok_unwrap_private(s, wrap, blob.p, blob.len, CKK_EC, "damaged", NULL, 0, 0, &h, &e), -1);
	assert_int_equal(h, CK_INVALID_HANDLE);
	tok_close(s);
	buf_free(&blob);
	buf_free(&spki);
}

static void test_wrong_wrapkey(void **state)
{
	struct err e = {0};
	struct tok_session *s = session("source", false);
	struct tok_keypair kp;
	CK_OBJECT_HANDLE wrap, other, h;
	struct buf blob = {0};
	struct secret *v = secret_new(TOK_WRAPKEY_LEN, &e);
	(void)state;
	assert_non_null(v);
	OK(secret_random(v, TOK_WRAPKEY_LEN, &e), e);
	OK(tok_secret_key_find(s, "wrap", &wrap, &e), e);
	OK(tok_generate_ex(s, "ec-p256", "backup-2", TOK_GEN_BACKUP, &kp, &e), e);
	OK(tok_wrap(s, wrap, kp.priv, &blob, &e), e);
	/* A blob unwrapped under another value (a wrong rebuild of the wrap key) fails. */
	OK(tok_wrapkey_create(s, "other", v, false, &other, &e), e);
	assert_int_equal(tok_unwrap_private(s, other, blob.p, blob.len, CKK_EC, "x", NULL, 0, 0, &h, &e), -1);
	assert_int_equal(h, CK_INVALID_HANDLE);
	/* present, absent, and a search that cannot be made: three answers, never two */
	assert_int_equal(tok_secret_key_present(s, "other", &h, &e), ERR_ANSWER_YES);
	assert_int_equal(h, other);
	OK(tok_destroy(s, other, &e), e);
	assert_int_equal(tok_secret_key_find(s, "other", &h, &e), -1);
	assert_int_equal(tok_secret_key_present(s, "other", &h, &e), ERR_ANSWER_NO);
	assert_int_equal(h, CK_INVALID_HANDLE);
	assert_int_equal(tok_secret_key_present(s, "", &h, &e), ERR_ANSWER_ERROR);
	secret_free(v);
	buf_free(&blob);
	tok_close(s);
}

/* The wrap key's value split 3-of-5 among custodians: two shares rebuild nothing, so
 * nothing can be unwrapped; three rebuild the key the blob was wrapped under. */
static void test_restore_from_shares(void **state)
{
	struct err e = {0};
	struct tok_session *s;
	struct tok_keypair kp;
	struct shamir_share *sh = NULL;
	struct secret *got = secret_new(TOK_WRAPKEY_LEN, &e);
	CK_OBJECT_HANDLE wrap, h;
	struct buf blob = {0}, spki = {0};
	(void)state;
	assert_non_null(got);

	s = session("source", false);
	OK(tok_secret_key_find(s, "wrap", &wrap, &e), e);
	OK(tok_generate_ex(s, "ec-p384", "backup-3", TOK_GEN_BACKUP, &kp, &e), e);
	OK(spki_from_token(s, kp.pub, &spki, &e), e);
	OK(tok_wrap(s, wrap, kp.priv, &blob, &e), e);
	tok_close(s);

	OK(shamir_split(fx.wrap, 3, 5, "wrap:backup", &sh, &e), e);
	/* Fewer than m: refused, and the buffer holds no key. */
	assert_int_equal(shamir_combine(sh, 2, got, &e), -1);
	assert_string_equal(e.code, "shares");
	assert_true(got->len != TOK_WRAPKEY_LEN || memcmp(got->p, fx.wrap->p, TOK_WRAPKEY_LEN) != 0);
	s = session("target", true);
	assert_int_equal(tok_wrapkey_create(s, "wrap-from-2", got, true, &h, &e), -1);
	tok_close(s);
	s = session("target", false);
	assert_int_equal(tok_secret_key_find(s, "wrap-from-2", &h, &e), -1);
	tok_close(s);

	/* Any m of them (here 2, 4, 5) rebuild it; the SO makes the key; the blob unwraps. */
	struct shamir_share pick[3] = {sh[1], sh[3], sh[4]};
	OK(shamir_combine(pick, 3, got, &e), e);
	assert_int_equal(got->len, TOK_WRAPKEY_LEN);
	assert_memory_equal(got->p, fx.wrap->p, TOK_WRAPKEY_LEN);
	s = session("target", true);
	OK(tok_wrapkey_create(s, "wrap-from-3", got, true, &h, &e), e);
	tok_close(s);
	secret_free(got);
	s = session("target", false);
	OK(tok_secret_key_find(s, "wrap-from-3", &wrap, &e), e);
	OK(tok_unwrap_private(s, wrap, blob.p, blob.len, CKK_EC, "restored-3", NULL, 0, 0, &h, &e), e);
	sign_verify(s, h, spki.p, spki.len);
	tok_close(s);
	shamir_shares_free(sh, 5);
	buf_free(&blob);
	buf_free(&spki);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trusted_needs_so),
		cmocka_unit_test(test_backup_restore),
		cmocka_unit_test(test_wrong_wrapkey),
		cmocka_unit_test(test_restore_from_shares),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
