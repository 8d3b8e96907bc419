/* Unit tests for runner/token.c and runner/softhsm.c (and spki_from_token on each key made), against a real SoftHSM2
 * store made for the run (softhsm_store_new) and removed at the end.
 * Run: CMOCKA_MESSAGE_OUTPUT=TAP build/tests/test_token
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "runner/buf.h"
#include "runner/err.h"
#include "runner/secret.h"
#include "runner/softhsm.h"
#include "runner/spki.h"
#include "runner/token.h"

#define LABEL "ceremony-unit"
#define SO_PIN "so-pin-for-unit-tests"

static struct {
	struct softhsm_store *store;
	struct tok_module *m;
	struct secret *so, *user;
	CK_SLOT_ID slot;
} fx;

/* Fails the test with the err's code and message, which say more than "-1 != 0". */
#define OK(call, e) do { \
	if ((call) != 0) fail_msg("%s failed: [%s] %s", #call, (e).code, (e).msg); \
} while (0)

static int group_setup(void **state)
{
	struct err e = {0};
	struct secret *raw = NULL;
	static const char hex[] = "0123456789abcdef";
	char pin[33];
	int ret = -1;
	(void)state;

	/* The store first: SoftHSM reads SOFTHSM2_CONF in C_Initialize. */
	if (softhsm_store_new(NULL, &fx.store, &e) != 0 || tok_module_load(tok_default_module(), &fx.m, &e) != 0)
		goto out;
	fx.so = secret_new(64, &e);
	fx.user = fx.so ? secret_new(64, &e) : NULL;
	raw = fx.user ? secret_new(16, &e) : NULL;
	if (!raw)
		goto out;
	/* A generated user PIN, as token.init makes one: 16 random bytes in hex. */
	if (secret_random(raw, 16, &e) != 0)
		goto out;
	for (size_t i = 0; i < 16; i++) {
		pin[2 * i] = hex[raw->p[i] >> 4];
		pin[2 * i + 1] = hex[raw->p[i] & 15];
	}
	pin[32] = 0;
	if (secret_set(fx.user, pin, 32, &e) != 0 || secret_set(fx.so, SO_PIN, strlen(SO_PIN), &e) != 0)
		goto out;
	if (tok_find_free(fx.m, &fx.slot, &e) != 0 ||
	    tok_init_token(fx.m, fx.slot, LABEL, fx.so, fx.user, &e) != 0)
		goto out;
	ret = 0;
out:
	secret_wipe(pin, sizeof pin);
	secret_free(raw);
	if (ret != 0)
		fprintf(stderr, "# setup failed: [%s] %s\n", e.code, e.msg);
	return ret;
}

static int group_teardown(void **state)
{
	(void)state;
	tok_module_free(fx.m);
	secret_free(fx.so);
	secret_free(fx.user);
	softhsm_store_free(fx.store, false);
	return 0;
}

/* A R/W session on the test token, logged in as the user. */
static struct tok_session *user_session(void)
{
	struct tok_session *s = NULL;
	struct err e = {0};
	CK_SLOT_ID slot;
	OK(tok_find_label(fx.m, LABEL, &slot, &e), e);
	OK(tok_open(fx.m, slot, true, &s, &e), e);
	OK(tok_login(s, false, fx.user, &e), e);
	return s;
}

static void test_names(void **state)
{
	struct err e = {0};
	char words[256];
	(void)state;

	assert_string_equal(tok_rv_name(CKR_OK), "CKR_OK");
	assert_string_equal(tok_rv_name(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
	assert_string_equal(tok_rv_name(CKR_KEY_NOT_WRAPPABLE), "CKR_KEY_NOT_WRAPPABLE");
	assert_string_equal(tok_rv_name(0x7777), "CKR_0x00007777");
	assert_int_equal(err_p11(&e, CKR_PIN_LOCKED, "logging in"), -1);
	assert_string_equal(e.code, "CKR_PIN_LOCKED");
	assert_non_null(strstr(e.msg, "logging in: CKR_PIN_LOCKED (0xA4): "));
	assert_non_null(strstr(e.msg, "security officer"));
	assert_int_equal(err_p11(&e, CKR_BUFFER_TOO_SMALL, "x"), -1);
	assert_string_equal(e.msg, "x: CKR_BUFFER_TOO_SMALL (0x150)");
	assert_int_equal(err_p11(&e, CKR_VENDOR_DEFINED | 5, "x"), -1);
	assert_string_equal(e.code, "CKR_0x80000005");

	assert_string_equal(tok_mech_name(CKM_ECDSA), "CKM_ECDSA");
	assert_string_equal(tok_mech_name(CKM_EC_KEY_PAIR_GEN), "CKM_EC_KEY_PAIR_GEN");
	assert_string_equal(tok_mech_name(CKM_EDDSA), "CKM_EDDSA");
	assert_string_equal(tok_mech_name(CKM_RSA_PKCS_PSS), "CKM_RSA_PKCS_PSS");
	assert_string_equal(tok_mech_name(CKM_AES_KEY_WRAP_PAD), "CKM_AES_KEY_WRAP_PAD");
	assert_string_equal(tok_mech_name(CKM_SHA384), "CKM_SHA384");
	assert_null(tok_mech_name(0x7fff1234UL));
	assert_string_equal(tok_attr_name(CKA_NEVER_EXTRACTABLE), "CKA_NEVER_EXTRACTABLE");
	assert_string_equal(tok_attr_name(0x7fff0000UL), "CKA_0x7FFF0000");

	tok_flags_text(CKF_RNG | CKF_LOGIN_REQUIRED | CKF_TOKEN_INITIALIZED, words, sizeof words);
	assert_string_equal(words, "rng login-required token-initialized");
	tok_flags_text(0, words, sizeof words);
	assert_string_equal(words, "none");
	tok_flags_text(CKF_RNG | (1UL << 30), words, sizeof words);
	assert_string_equal(words, "rng 0x40000000");
	tok_flags_text(CKF_RNG | CKF_LOGIN_REQUIRED, words, 6);   /* truncates, stays terminated */
	assert_string_equal(words, "rng l");
	tok_mech_flags_text(CKF_SIGN | CKF_VERIFY | CKF_GENERATE_KEY_PAIR, words, sizeof words);
	assert_string_equal(words, "sign verify generate-key-pair");
	tok_slot_flags_text(CKF_TOKEN_PRESENT, words, sizeof words);
	assert_string_equal(words, "token-present");
}

static void test_module_load(void **state)
{
	struct err e = {0};
	struct tok_module *m = NULL, *again = NULL;
	struct tok_module_info mi;
	(void)state;

	assert_int_equal(access(tok_default_module(), R_OK), 0);
	assert_int_equal(tok_module_load("/nonexistent/libnothing.so", &m, &e), -1);
	assert_null(m);
	assert_string_equal(e.code, "module");
	assert_non_null(strstr(e.msg, "/nonexistent/libnothing.so"));
	/* A bare name is not searched for. */
	assert_int_equal(tok_module_load("libsofthsm2.so", &m, &e), -1);
	assert_string_equal(e.code, "module");
	assert_non_null(strstr(e.msg, "not a path"));
	/* A file that is not a shared object. */
	assert_int_equal(tok_module_load("/etc/hostname", &m, &e), -1);
	assert_string_equal(e.code, "module");

	/* Loading the module again shares the first load (one C_Initialize per process). */
	OK(tok_module_load(tok_default_module(), &again, &e), e);
	assert_ptr_equal(again, fx.m);
	tok_module_free(again);
	OK(tok_module_info(fx.m, &mi, &e), e);
	assert_string_equal(mi.manufacturer, "SoftHSM");
	assert_int_equal(mi.cryptoki_major, 2);
	assert_string_equal(tok_module_path(fx.m), tok_default_module());
	tok_module_free(NULL);
}

static void test_list(void **state)
{
	struct err e = {0};
	struct tok_info *v = NULL;
	size_t n = 0, ours = 0, blank = 0;
	(void)state;

	OK(tok_list(fx.m, &v, &n, &e), e);
	assert_true(n >= 2);   /* ours, and the free slot SoftHSM adds */
	for (size_t i = 0; i < n; i++) {
		if (!v[i].token_present)
			continue;
		if (!(v[i].token_flags & CKF_TOKEN_INITIALIZED)) {
			blank++;
			continue;
		}
		if (strcmp(v[i].label, LABEL) != 0)
			continue;
		ours++;
		assert_true(v[i].token_flags & CKF_USER_PIN_INITIALIZED);
		assert_true(v[i].token_flags & CKF_LOGIN_REQUIRED);
		assert_string_equal(v[i].manufacturer, "SoftHSM project");
		assert_string_equal(v[i].model, "SoftHSM v2");
		assert_true(strlen(v[i].serial) > 0);
		assert_null(strchr(v[i].serial, ' '));
		assert_true(v[i].slot_description[0] != 0);
		assert_int_equal(v[i].hw_major, 2);
	}
	assert_int_equal(ours, 1);
	assert_true(blank >= 1);
	free(v);
}

static void test_find(void **state)
{
	struct err e = {0};
	struct tok_info *v = NULL;
	size_t n = 0;
	CK_SLOT_ID by_label = 0, by_uri = 99999, other;
	char *uri = NULL;
	(void)state;

	OK(tok_find_label(fx.m, LABEL, &by_label, &e), e);
	OK(tok_list(fx.m, &v, &n, &e), e);
	for (size_t i = 0; i < n; i++)
		if (v[i].slot == by_label)
			uri = tok_uri(&v[i]);
	free(v);
	assert_non_null(uri);
	assert_non_null(strstr(uri, "pkcs11:"));
	assert_non_null(strstr(uri, "token=" LABEL));
	assert_non_null(strstr(uri, "manufacturer=SoftHSM%20project"));
	assert_non_null(strstr(uri, "serial="));
	OK(tok_find_uri(fx.m, uri, &by_uri, &e), e);
	assert_int_equal(by_uri, by_label);
	free(uri);
	OK(tok_find_uri(fx.m, "pkcs11:token=" LABEL, &by_uri, &e), e);
	assert_int_equal(by_uri, by_label);
	OK(tok_find_uri(fx.m, "pkcs11:token=" LABEL ";library-manufacturer=SoftHSM", &by_uri, &e), e);
	assert_int_equal(by_uri, by_label);

	/* Negative cases: each names the URI or label and says why. */
	assert_int_equal(tok_find_uri(fx.m, "pkcs11:token=no-such-token", &other, &e), -1);
	assert_string_equal(e.code, "token");
	assert_non_null(strstr(e.msg, "pkcs11:token=no-such-token"));
	assert_non_null(strstr(e.msg, "0 matches"));
	assert_int_equal(tok_find_uri(fx.m, "pkcs11:token=" LABEL ";library-manufacturer=Other", &other, &e), -1);
	assert_int_equal(tok_find_uri(fx.m, "not-a-uri", &other, &e), -1);
	assert_string_equal(e.code, "input");
	assert_non_null(strstr(e.msg, "not-a-uri"));
	assert_int_equal(tok_find_uri(fx.m, "pkcs11:token=%ZZ", &other, &e), -1);
	assert_string_equal(e.code, "input");
	assert_int_equal(tok_find_uri(fx.m, "pkcs11:token=" LABEL ";object=key", &other, &e), -1);
	assert_string_equal(e.code, "input");
	assert_int_equal(tok_find_uri(fx.m, "pkcs11:token=" LABEL "?pin-value=123456", &other, &e), -1);
	assert_string_equal(e.code, "input");
	assert_null(strstr(e.msg, "123456"));
	assert_int_equal(tok_find_label(fx.m, "no-such-token", &other, &e), -1);
	assert_string_equal(e.code, "token");
	assert_non_null(strstr(e.msg, "'no-such-token'"));
}

/* Runs after test_find: a second token makes a URI that names only the
 * manufacturer ambiguous, and that must be an error, not the first match. */
static void test_init_second_token(void **state)
{
	struct err e = {0};
	CK_SLOT_ID free_slot, slot;
	(void)state;

	OK(tok_find_free(fx.m, &free_slot, &e), e);
	assert_int_equal(tok_init_token(fx.m, free_slot, "this-label-is-longer-than-32-bytes!", fx.so, fx.user, &e), -1);
	assert_string_equal(e.code, "input");
	OK(tok_init_token(fx.m, free_slot, "second", fx.so, fx.user, &e), e);
	OK(tok_find_label(fx.m, "second", &slot, &e), e);
	assert_int_equal(tok_find_uri(fx.m, "pkcs11:manufacturer=SoftHSM%20project", &slot, &e), -1);
	assert_string_equal(e.code, "token");
	assert_non_null(strstr(e.msg, "2 tokens match 'pkcs11:manufacturer=SoftHSM%20project'"));
	OK(tok_find_uri(fx.m, "pkcs11:token=second", &slot, &e), e);
}

static void test_login(void **state)
{
	struct err e = {0};
	struct tok_session *s = NULL;
	struct secret *wrong = NULL;
	CK_SLOT_ID slot;
	(void)state;

	OK(tok_find_label(fx.m, LABEL, &slot, &e), e);
	wrong = secret_new(32, &e);
	assert_non_null(wrong);
	OK(secret_set(wrong, "not-the-pin", 11, &e), e);
	OK(tok_open(fx.m, slot, false, &s, &e), e);
	assert_int_equal(tok_session_slot(s), slot);
	assert_ptr_equal(tok_session_module(s), fx.m);
	assert_int_equal(tok_login(s, false, wrong, &e), -1);
	assert_string_equal(e.code, "CKR_PIN_INCORRECT");
	assert_non_null(strstr(e.msg, "C_Login(user): CKR_PIN_INCORRECT"));
	assert_null(strstr(e.msg, "not-the-pin"));
	assert_int_equal(tok_login(s, false, NULL, &e), -1);
	OK(tok_login(s, false, fx.user, &e), e);
	tok_close(s);
	tok_close(NULL);
	secret_free(wrong);
}

/* r||s (PKCS#11 §2.3.1 ECDSA signature) to the DER ECDSA-Sig-Value OpenSSL verifies. */
static int verify_raw_ecdsa(EVP_PKEY *pkey, const uint8_t *digest, size_t dlen, const uint8_t *sig, size_t slen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)(slen / 2), NULL), *s = BN_bin2bn(sig + slen / 2, (int)(slen / 2), NULL);
	unsigned char *der = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int der_len, ok = -1;

	if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL;
	der_len = i2d_ECDSA_SIG(es, &der);
	ctx = EVP_PKEY_CTX_new(pkey, NULL);
	if (der_len <= 0 || !ctx || EVP_PKEY_verify_init(ctx) != 1)
		goto out;
	ok = EVP_PKEY_verify(ctx, der, (size_t)der_len, digest, dlen);
out:
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_free(der);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return ok;
}

/* Ed25519 (RFC 8032) over the message itself. */
static int verify_ed25519(EVP_PKEY *pkey, const uint8_t *msg, size_t mlen, const uint8_t *sig, size_t slen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = -1;
	if (md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) == 1)
		ok = EVP_DigestVerify(md, sig, slen, msg, mlen);
	EVP_MD_CTX_free(md);
	return ok;
}

/* RSA over a SHA-256 digest: PSS (MGF1-SHA-256, salt 32) or PKCS#1 v1.5. */
static int verify_rsa(EVP_PKEY *pkey, bool pss, const uint8_t *digest, size_t dlen, const uint8_t *sig, size_t slen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
	int ok = -1;
	if (!ctx || EVP_PKEY_verify_init(ctx) != 1 || EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1)
		goto out;
	if (pss && (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1 || EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32) != 1))
		goto out;
	if (!pss && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)
		goto out;
	ok = EVP_PKEY_verify(ctx, sig, slen, digest, dlen);
out:
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static void check_bool(struct tok_session *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t, bool want)
{
	struct err e = {0};
	bool v = !want;
	OK(tok_attr_bool(s, o, t, &v, &e), e);
	if (v != want)
		fail_msg("%s is %s, expected %s", tok_attr_name(t), v ? "true" : "false", want ? "true" : "false");
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What each algorithm must turn into, as OpenSSL and the token see it. */
struct alg_case {
	const char *alg, *label;
	CK_KEY_TYPE ckk;
	int pkey_id;          /* EVP_PKEY_EC, EVP_PKEY_ED25519, EVP_PKEY_RSA */
	const char *group;    /* EC: OpenSSL's group name */
	int bits;             /* EVP_PKEY_get_bits */
	size_t sig_len;       /* signature bytes */
};

/* DigestInfo of SHA-256 (RFC 8017 §9.2 note 1): CKM_RSA_PKCS pads what it is given. */
static const uint8_t sha256_digest_info[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
					     0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

/* Signs with the token through tok_sign_ex and verifies with OpenSSL and the
 * exported key; then the same over altered input must fail. */
static void sign_and_verify(struct tok_session *s, const struct alg_case *c, CK_OBJECT_HANDLE priv, EVP_PKEY *pkey)
{
	static const uint8_t msg[] = "ceremony test message";
	struct err e = {0};
	struct buf sig = {0};
	uint8_t digest[SHA256_DIGEST_LENGTH], di[sizeof sha256_digest_info + SHA256_DIGEST_LENGTH];
	CK_MECHANISM_TYPE gen = 0, mechs[TOK_SIGN_MECHS_MAX] = {0};
	size_t n_sign = 0;

	SHA256(msg, sizeof msg - 1, digest);
	assert_true(tok_algorithm_mechanisms(c->alg, &gen, mechs, &n_sign));
	switch (c->ckk) {
	case CKK_EC: {
		CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
		assert_int_equal(n_sign, 1);
		assert_int_equal(mechs[0], CKM_ECDSA);
		OK(tok_sign_ex(s, priv, &m, digest, sizeof digest, &sig, &e), e);
		assert_int_equal(sig.len, c->sig_len);
		assert_int_equal(verify_raw_ecdsa(pkey, digest, sizeof digest, sig.p, sig.len), 1);
		digest[0] ^= 1;
		assert_int_not_equal(verify_raw_ecdsa(pkey, digest, sizeof digest, sig.p, sig.len), 1);
		break;
	}
	case CKK_EC_EDWARDS: {
		CK_MECHANISM m = {CKM_EDDSA, NULL, 0};   /* no CK_EDDSA_PARAMS: pure Ed25519 */
		uint8_t bad[sizeof msg - 1];
		assert_int_equal(mechs[0], CKM_EDDSA);
		OK(tok_sign_ex(s, priv, &m, msg, sizeof msg - 1, &sig, &e), e);
		assert_int_equal(sig.len, 64);
		assert_int_equal(verify_ed25519(pkey, msg, sizeof msg - 1, sig.p, sig.len), 1);
		memcpy(bad, msg, sizeof bad);
		bad[3] ^= 1;
		assert_int_not_equal(verify_ed25519(pkey, bad, sizeof bad, sig.p, sig.len), 1);
		break;
	}
	case CKK_RSA: {
		CK_RSA_PKCS_PSS_PARAMS pp = {CKM_SHA256, CKG_MGF1_SHA256, 32};
		CK_MECHANISM pss = {CKM_RSA_PKCS_PSS, &pp, sizeof pp}, v15 = {CKM_RSA_PKCS, NULL, 0};
		assert_int_equal(n_sign, 2);
		assert_int_equal(mechs[0], CKM_RSA_PKCS_PSS);
		assert_int_equal(mechs[1], CKM_RSA_PKCS);
		OK(tok_sign_ex(s, priv, &pss, digest, sizeof digest, &sig, &e), e);
		assert_int_equal(sig.len, c->sig_len);
		assert_int_equal(verify_rsa(pkey, true, digest, sizeof digest, sig.p, sig.len), 1);
		assert_int_not_equal(verify_rsa(pkey, false, digest, sizeof digest, sig.p, sig.len), 1);
		buf_free(&sig);
		/* PSS parameters that do not fit the input: a SHA-256 PSS over 20 bytes. */
		assert_int_equal(tok_sign_ex(s, priv, &pss, digest, 20, &sig, &e), -1);
		assert_int_equal(strncmp(e.code, "CKR_", 4), 0);
		assert_non_null(strstr(e.msg, "CKM_RSA_PKCS_PSS"));
		assert_int_equal(sig.len, 0);
		memcpy(di, sha256_digest_info, sizeof sha256_digest_info);
		memcpy(di + sizeof sha256_digest_info, digest, sizeof digest);
		OK(tok_sign_ex(s, priv, &v15, di, sizeof di, &sig, &e), e);
		assert_int_equal(sig.len, c->sig_len);
		assert_int_equal(verify_rsa(pkey, false, digest, sizeof digest, sig.p, sig.len), 1);
		digest[0] ^= 1;
		assert_int_not_equal(verify_rsa(pkey, false, digest, sizeof digest, sig.p, sig.len), 1);
		break;
	}
	default:
		fail_msg("no signing test for key type 0x%lx", (unsigned long)c->ckk);
	}
	buf_free(&sig);
	/* A mechanism of another key type is refused, and the session stays usable. */
	CK_MECHANISM wrong = {c->ckk == CKK_RSA ? CKM_ECDSA : CKM_RSA_PKCS, NULL, 0};
	assert_int_equal(tok_sign_ex(s, priv, &wrong, digest, sizeof digest, &sig, &e), -1);
	assert_int_equal(strncmp(e.code, "CKR_", 4), 0);
	assert_int_equal(sig.len, 0);
	if (c->ckk == CKK_EC) {
		OK(tok_sign(s, priv, CKM_ECDSA, digest, sizeof digest, &sig, &e), e);
		assert_int_equal(sig.len, c->sig_len);
	}
	buf_free(&sig);
}

static void generate_and_use(const struct alg_case *c)
{
	struct err e = {0};
	struct tok_session *s = user_session();
	struct tok_keypair kp;
	struct buf spki = {0}, val = {0};
	CK_ULONG u = 0;
	CK_OBJECT_HANDLE found[4], fpriv = 0, fpub = 0;
	size_t n = 0;
	char name[64], alg[32];
	size_t name_len = 0;
	const unsigned char *p;
	const struct tok_algorithm *row = tok_algorithm_find(c->alg);
	EVP_PKEY *pkey;
	double t0;

	assert_non_null(row);
	t0 = now();
	OK(tok_generate(s, c->alg, c->label, &kp, &e), e);
	fprintf(stderr, "# %s: C_GenerateKeyPair took %.3f s in SoftHSM\n", c->alg, now() - t0);

	/* The private key policy, read back (token.h; PKCS#11 §4.9 for LOCAL and the ALWAYS/NEVER pair). */
	check_bool(s, kp.priv, CKA_TOKEN, true);
	check_bool(s, kp.priv, CKA_PRIVATE, true);
	check_bool(s, kp.priv, CKA_SENSITIVE, true);
	check_bool(s, kp.priv, CKA_SIGN, true);
	check_bool(s, kp.priv, CKA_EXTRACTABLE, false);
	check_bool(s, kp.priv, CKA_DECRYPT, false);
	check_bool(s, kp.priv, CKA_DERIVE, false);
	check_bool(s, kp.priv, CKA_UNWRAP, false);
	check_bool(s, kp.priv, CKA_SIGN_RECOVER, false);
	check_bool(s, kp.priv, CKA_LOCAL, true);
	check_bool(s, kp.priv, CKA_ALWAYS_SENSITIVE, true);
	check_bool(s, kp.priv, CKA_NEVER_EXTRACTABLE, true);
	check_bool(s, kp.pub, CKA_TOKEN, true);
	check_bool(s, kp.pub, CKA_PRIVATE, false);
	check_bool(s, kp.pub, CKA_VERIFY, true);
	check_bool(s, kp.pub, CKA_ENCRYPT, false);
	check_bool(s, kp.pub, CKA_WRAP, false);
	OK(tok_attr_ulong(s, kp.priv, CKA_KEY_TYPE, &u, &e), e);
	assert_int_equal(u, c->ckk);
	assert_int_equal(row->ckk, c->ckk);
	OK(tok_attr_ulong(s, kp.pub, CKA_KEY_TYPE, &u, &e), e);
	assert_int_equal(u, c->ckk);
	OK(tok_attr_ulong(s, kp.priv, CKA_CLASS, &u, &e), e);
	assert_int_equal(u, CKO_PRIVATE_KEY);
	OK(tok_attr_ulong(s, kp.priv, CKA_KEY_GEN_MECHANISM, &u, &e), e);
	assert_int_equal(u, row->gen);
	/* The secret must not come out. */
	assert_int_equal(tok_attr(s, kp.priv, c->ckk == CKK_RSA ? CKA_PRIVATE_EXPONENT : CKA_VALUE, &val, &e), -1);
	assert_string_equal(e.code, "CKR_ATTRIBUTE_SENSITIVE");
	assert_int_equal(val.len, 0);
	/* A bool read of a non-bool attribute is refused, not truncated. */
	assert_int_equal(tok_attr_bool(s, kp.priv, CKA_LABEL, &(bool){false}, &e), -1);
	/* Both halves carry the label and the one 16-byte CKA_ID. */
	OK(tok_attr(s, kp.priv, CKA_ID, &val, &e), e);
	assert_int_equal(val.len, 16);
	assert_memory_equal(val.p, kp.id, 16);
	buf_free(&val);
	OK(tok_attr(s, kp.pub, CKA_ID, &val, &e), e);
	assert_memory_equal(val.p, kp.id, 16);
	buf_free(&val);
	OK(tok_attr(s, kp.pub, CKA_LABEL, &val, &e), e);
	assert_int_equal(val.len, strlen(c->label));
	assert_memory_equal(val.p, c->label, strlen(c->label));
	buf_free(&val);
	OK(tok_find(s, CKO_PRIVATE_KEY, c->label, found, 4, &n, &e), e);
	assert_int_equal(n, 1);
	assert_int_equal(found[0], kp.priv);
	OK(tok_find(s, (CK_OBJECT_CLASS)-1, c->label, found, 4, &n, &e), e);
	assert_int_equal(n, 2);
	OK(tok_find(s, (CK_OBJECT_CLASS)-1, c->label, found, 1, &n, &e), e);
	assert_int_equal(n, 1);
	if (c->ckk == CKK_RSA) {
		OK(tok_attr_ulong(s, kp.pub, CKA_MODULUS_BITS, &u, &e), e);
		assert_int_equal(u, row->modulus_bits);
		OK(tok_attr(s, kp.pub, CKA_PUBLIC_EXPONENT, &val, &e), e);
		assert_true(val.len >= 3);
		assert_memory_equal(val.p + val.len - 3, "\x01\x00\x01", 3);
		for (size_t i = 0; i + 3 < val.len; i++)
			assert_int_equal(val.p[i], 0);
		buf_free(&val);
	}
	if (c->ckk == CKK_EC_EDWARDS) {
		/* What SoftHSM 2.6.1 took: the RFC 8410 OID, the first form tok_generate offers. */
		OK(tok_attr(s, kp.pub, CKA_EC_PARAMS, &val, &e), e);
		assert_int_equal(val.len, 5);
		assert_memory_equal(val.p, "\x06\x03\x2b\x65\x70", 5);
		buf_free(&val);
	}

	/* The public key as SubjectPublicKeyInfo, of the right type and size. */
	OK(spki_from_token(s, kp.pub, &spki, &e), e);
	p = spki.p;
	pkey = d2i_PUBKEY(NULL, &p, (long)spki.len);
	assert_non_null(pkey);
	assert_ptr_equal(p, spki.p + spki.len);
	assert_int_equal(EVP_PKEY_get_base_id(pkey), c->pkey_id);
	assert_int_equal(EVP_PKEY_get_bits(pkey), c->bits);
	if (c->group) {
		assert_int_equal(EVP_PKEY_get_group_name(pkey, name, sizeof name, &name_len), 1);
		assert_string_equal(name, c->group);
	}
	/* The SPKI of the private key object is refused: it is no public key. */
	assert_int_equal(spki_from_token(s, kp.priv, &val, &e), -1);
	assert_string_equal(e.code, "token");
	assert_int_equal(val.len, 0);

	sign_and_verify(s, c, kp.priv, pkey);
	EVP_PKEY_free(pkey);

	/* Found again by label, with the algorithm read from the token. */
	OK(tok_key_find(s, c->label, &fpriv, &fpub, alg, sizeof alg, &e), e);
	assert_int_equal(fpriv, kp.priv);
	assert_int_equal(fpub, kp.pub);
	assert_string_equal(alg, c->alg);
	assert_int_equal(tok_key_find(s, c->label, &fpriv, &fpub, alg, 4, &e), -1);   /* no room for the name */
	assert_int_equal(fpriv, CK_INVALID_HANDLE);

	/* A second key under the same label is refused. */
	assert_int_equal(tok_generate(s, c->alg, c->label, &kp, &e), -1);
	assert_string_equal(e.code, "token");
	assert_non_null(strstr(e.msg, c->label));

	buf_free(&spki);
	tok_close(s);
}

static void test_generate_p256(void **state)
{
	static const struct alg_case c = {"ec-p256", "unit-key-p256", CKK_EC, EVP_PKEY_EC, "prime256v1", 256, 64};
	(void)state;
	generate_and_use(&c);
}

static void test_generate_p384(void **state)
{
	static const struct alg_case c = {"ec-p384", "unit-key-p384", CKK_EC, EVP_PKEY_EC, "secp384r1", 384, 96};
	(void)state;
	generate_and_use(&c);
}

static void test_generate_p521(void **state)
{
	static const struct alg_case c = {"ec-p521", "unit-key-p521", CKK_EC, EVP_PKEY_EC, "secp521r1", 521, 132};
	(void)state;
	generate_and_use(&c);
}

static void test_generate_ed25519(void **state)
{
	static const struct alg_case c = {"ed25519", "unit-key-ed25519", CKK_EC_EDWARDS, EVP_PKEY_ED25519, NULL, 256, 64};
	(void)state;
	generate_and_use(&c);
}

static void test_generate_rsa3072(void **state)
{
	static const struct alg_case c = {"rsa-3072", "unit-key-rsa3072", CKK_RSA, EVP_PKEY_RSA, NULL, 3072, 384};
	(void)state;
	generate_and_use(&c);
}

static void test_generate_rsa4096(void **state)
{
	static const struct alg_case c = {"rsa-4096", "unit-key-rsa4096", CKK_RSA, EVP_PKEY_RSA, NULL, 4096, 512};
	(void)state;
	generate_and_use(&c);
}

/* SoftHSM 2.6.1 speaks PKCS#11 2.40 and has no ML-DSA: generation fails with a
 * message naming the mechanism and the algorithm, and leaves nothing behind. */
static void test_generate_mldsa_missing(void **state)
{
	struct err e = {0};
	struct tok_session *s = user_session();
	struct tok_keypair kp;
	CK_OBJECT_HANDLE h[1], priv, pub;
	CK_MECHANISM_INFO mi;
	CK_MECHANISM_TYPE gen = 0, sign[TOK_SIGN_MECHS_MAX] = {0};
	size_t n = 9;
	char alg[32];
	const struct tok_algorithm *a = tok_algorithm_find("ml-dsa-65");
	(void)state;

	assert_non_null(a);
	assert_string_equal(a->key_type, "ML-DSA");
	assert_string_equal(a->parameter_set, "ML-DSA-65");
	assert_null(a->curve);
	assert_int_equal(a->ckk, 0x4a);   /* PKCS#11 3.2 values */
	assert_true(tok_algorithm_mechanisms("ml-dsa-65", &gen, sign, &n));
	assert_int_equal(gen, 0x1c);
	assert_int_equal(n, 1);
	assert_int_equal(sign[0], 0x1d);
	assert_int_equal(tok_mechanism_info(fx.m, tok_session_slot(s), CKM_ML_DSA_KEY_PAIR_GEN, &mi, &e), -1);
	assert_string_equal(e.code, "CKR_MECHANISM_INVALID");

	assert_int_equal(tok_generate(s, "ml-dsa-65", "unit-key-mldsa", &kp, &e), -1);
	assert_string_equal(e.code, "CKR_MECHANISM_INVALID");
	assert_non_null(strstr(e.msg, "ml-dsa-65"));
	assert_non_null(strstr(e.msg, "CKM_ML_DSA_KEY_PAIR_GEN"));
	assert_non_null(strstr(e.msg, "does not offer this mechanism"));
	OK(tok_find(s, (CK_OBJECT_CLASS)-1, "unit-key-mldsa", h, 1, &n, &e), e);
	assert_int_equal(n, 0);
	assert_int_equal(tok_key_find(s, "unit-key-mldsa", &priv, &pub, alg, sizeof alg, &e), -1);
	assert_string_equal(e.code, "token");
	assert_non_null(strstr(e.msg, "no private key labelled 'unit-key-mldsa'"));
	tok_close(s);
}

static void test_algorithms(void **state)
{
	static const char *const names[] = {"ec-p256", "ec-p384", "ec-p521", "ed25519", "rsa-3072", "rsa-4096", "ml-dsa-65"};
	static const CK_MECHANISM_TYPE gens[] = {CKM_EC_KEY_PAIR_GEN, CKM_EC_KEY_PAIR_GEN, CKM_EC_KEY_PAIR_GEN,
						 CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_RSA_PKCS_KEY_PAIR_GEN,
						 CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_ML_DSA_KEY_PAIR_GEN};
	char list[256];
	size_t count = 0;
	(void)state;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		CK_MECHANISM_TYPE gen = 0xffff;
		const struct tok_algorithm *a = tok_algorithm_find(names[i]);
		assert_non_null(a);
		assert_string_equal(a->name, names[i]);
		assert_true(tok_algorithm_known(names[i], &gen));
		assert_int_equal(gen, gens[i]);
		assert_true(a->n_sign >= 1 && a->n_sign <= TOK_SIGN_MECHS_MAX);
		assert_non_null(tok_mech_name(a->gen));
		for (size_t k = 0; k < a->n_sign; k++)
			assert_non_null(tok_mech_name(a->sign[k]));
		assert_non_null(strstr(tok_algorithm_names(), names[i]));
	}
	/* The list in messages is exactly the table. */
	snprintf(list, sizeof list, "%s", tok_algorithm_names());
	for (char *t = strtok(list, ", "); t; t = strtok(NULL, ", ")) {
		assert_non_null(tok_algorithm_find(t));
		count++;
	}
	assert_int_equal(count, sizeof names / sizeof names[0]);
	assert_string_equal(tok_algorithm_find("ec-p521")->curve, "P-521");
	assert_string_equal(tok_algorithm_find("ed25519")->key_type, "EdDSA");
	assert_int_equal(tok_algorithm_find("rsa-4096")->modulus_bits, 4096);
	assert_null(tok_algorithm_find("rsa-4096")->curve);
	assert_null(tok_algorithm_find("rsa-2048"));
	assert_null(tok_algorithm_find("EC-P256"));
	assert_null(tok_algorithm_find(NULL));
	assert_false(tok_algorithm_mechanisms("ed448", NULL, NULL, NULL));
	assert_true(tok_algorithm_mechanisms("ed25519", NULL, NULL, NULL));
	assert_string_equal(tok_mech_name(CKM_ML_DSA_KEY_PAIR_GEN), "CKM_ML_DSA_KEY_PAIR_GEN");
	assert_string_equal(tok_mech_name(CKM_ML_DSA), "CKM_ML_DSA");
	assert_string_equal(tok_mech_name(CKM_EC_EDWARDS_KEY_PAIR_GEN), "CKM_EC_EDWARDS_KEY_PAIR_GEN");
	assert_string_equal(tok_mech_name(CKM_RSA_PKCS_KEY_PAIR_GEN), "CKM_RSA_PKCS_KEY_PAIR_GEN");
	assert_string_equal(tok_mech_name(0x4029), "CKM_XEDDSA");
	assert_string_equal(tok_attr_name(CKA_PARAMETER_SET), "CKA_PARAMETER_SET");
}

static void test_generate_refused(void **state)
{
	struct err e = {0};
	struct tok_session *s = NULL;
	struct tok_keypair kp;
	CK_MECHANISM_TYPE mech = 0;
	CK_OBJECT_HANDLE priv = 1, pub = 1;
	CK_SLOT_ID slot;
	char alg[32];
	(void)state;

	assert_true(tok_algorithm_known("ec-p256", &mech));
	assert_int_equal(mech, CKM_EC_KEY_PAIR_GEN);
	assert_true(tok_algorithm_known("ec-p384", NULL));
	assert_false(tok_algorithm_known("rsa-1024", &mech));
	assert_false(tok_algorithm_known(NULL, &mech));

	s = user_session();
	assert_int_equal(tok_generate(s, "rsa-1024", "x", &kp, &e), -1);
	assert_string_equal(e.code, "input");
	assert_non_null(strstr(e.msg, "rsa-1024"));
	assert_non_null(strstr(e.msg, "ed25519"));   /* says what is known */
	assert_int_equal(tok_generate(s, "ec-p256", "", &kp, &e), -1);
	assert_string_equal(e.code, "input");
	assert_int_equal(tok_key_find(s, "", &priv, &pub, alg, sizeof alg, &e), -1);
	assert_string_equal(e.code, "input");
	assert_int_equal(tok_key_find(s, "no-such-key", &priv, &pub, alg, sizeof alg, &e), -1);
	assert_string_equal(e.code, "token");
	assert_non_null(strstr(e.msg, "'no-such-key'"));
	assert_int_equal(priv, CK_INVALID_HANDLE);
	assert_int_equal(pub, CK_INVALID_HANDLE);
	tok_close(s);

	/* Without login the token refuses to make a private token object, and private
	 * keys are not visible to tok_key_find. */
	OK(tok_find_label(fx.m, LABEL, &slot, &e), e);
	OK(tok_open(fx.m, slot, true, &s, &e), e);
	assert_int_equal(tok_generate(s, "ec-p256", "no-login", &kp, &e), -1);
	assert_int_equal(strncmp(e.code, "CKR_", 4), 0);
	assert_int_equal(tok_key_find(s, "unit-key-p256", &priv, &pub, alg, sizeof alg, &e), -1);
	assert_non_null(strstr(e.msg, "not logged in"));
	tok_close(s);
}

static void test_mechanisms(void **state)
{
	struct err e = {0};
	CK_MECHANISM_TYPE *v = NULL;
	CK_MECHANISM_INFO mi;
	size_t n = 0;
	bool ecdsa = false, gen = false;
	CK_SLOT_ID slot;
	(void)state;

	OK(tok_find_label(fx.m, LABEL, &slot, &e), e);
	OK(tok_mechanisms(fx.m, slot, &v, &n, &e), e);
	for (size_t i = 0; i < n; i++) {
		ecdsa |= v[i] == CKM_ECDSA;
		gen |= v[i] == CKM_EC_KEY_PAIR_GEN;
	}
	free(v);
	assert_true(ecdsa);
	assert_true(gen);
	OK(tok_mechanism_info(fx.m, slot, CKM_ECDSA, &mi, &e), e);
	assert_true(mi.flags & CKF_SIGN);
	assert_true(mi.ulMaxKeySize >= 384);
	OK(tok_mechanism_info(fx.m, slot, CKM_EC_KEY_PAIR_GEN, &mi, &e), e);
	assert_true(mi.flags & CKF_GENERATE_KEY_PAIR);
	assert_int_equal(tok_mechanism_info(fx.m, slot, 0x7fff1234UL, &mi, &e), -1);
	assert_string_equal(e.code, "CKR_MECHANISM_INVALID");
	assert_int_equal(tok_mechanisms(fx.m, 0xdeadbeefUL, &v, &n, &e), -1);
	assert_string_equal(e.code, "CKR_SLOT_ID_INVALID");
}

static void test_random(void **state)
{
	struct err e = {0};
	struct tok_session *s = NULL;
	uint8_t a[32] = {0}, b[32] = {0};
	CK_SLOT_ID slot;
	(void)state;

	OK(tok_find_label(fx.m, LABEL, &slot, &e), e);
	OK(tok_open(fx.m, slot, false, &s, &e), e);
	OK(tok_random(s, a, sizeof a, &e), e);
	OK(tok_random(s, b, sizeof b, &e), e);
	assert_memory_not_equal(a, b, sizeof a);
	tok_close(s);
}

static void test_store(void **state)
{
	struct err e = {0};
	struct softhsm_store *st = NULL;
	const char *tmp = getenv("TMPDIR");
	char parent[256], path[512], conf_before[512], line[512];
	const char *before = getenv("SOFTHSM2_CONF");
	struct stat sb;
	FILE *f;
	bool tokendir = false;
	(void)state;

	assert_non_null(before);
	snprintf(conf_before, sizeof conf_before, "%s", before);
	snprintf(path, sizeof path, "%s/softhsm2.conf", softhsm_store_dir(fx.store));
	assert_string_equal(conf_before, path);
	snprintf(parent, sizeof parent, "%s/ceremony-unit-parent.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(parent));

	/* A store under a given parent, removed on free; SOFTHSM2_CONF comes back. */
	OK(softhsm_store_new(parent, &st, &e), e);
	assert_int_equal(strncmp(softhsm_store_dir(st), parent, strlen(parent)), 0);
	assert_non_null(strstr(softhsm_store_dir(st), "/ceremony-tokens."));
	snprintf(path, sizeof path, "%s/softhsm2.conf", softhsm_store_dir(st));
	assert_string_equal(getenv("SOFTHSM2_CONF"), path);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		char want[600];
		snprintf(want, sizeof want, "directories.tokendir = %s/tokens\n", softhsm_store_dir(st));
		tokendir |= strcmp(line, want) == 0;
	}
	fclose(f);
	assert_true(tokendir);
	snprintf(path, sizeof path, "%s/tokens", softhsm_store_dir(st));
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	snprintf(path, sizeof path, "%s", softhsm_store_dir(st));
	softhsm_store_free(st, false);
	assert_int_equal(stat(path, &sb), -1);
	assert_string_equal(getenv("SOFTHSM2_CONF"), conf_before);

	/* keep: the store stays (and says where); we clean it by hand. */
	OK(softhsm_store_new(parent, &st, &e), e);
	snprintf(path, sizeof path, "%s", softhsm_store_dir(st));
	softhsm_store_free(st, true);
	assert_int_equal(stat(path, &sb), 0);
	assert_string_equal(getenv("SOFTHSM2_CONF"), conf_before);
	char sub[600];
	snprintf(sub, sizeof sub, "%s/softhsm2.conf", path);
	assert_int_equal(unlink(sub), 0);
	snprintf(sub, sizeof sub, "%s/tokens", path);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(path), 0);

	/* A parent that does not exist. */
	assert_int_equal(softhsm_store_new("/nonexistent/dir", &st, &e), -1);
	assert_null(st);
	assert_string_equal(e.code, "io");
	assert_int_equal(rmdir(parent), 0);
	softhsm_store_free(NULL, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_module_load),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_init_second_token),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_algorithms),
		cmocka_unit_test(test_generate_p256),
		cmocka_unit_test(test_generate_p384),
		cmocka_unit_test(test_generate_p521),
		cmocka_unit_test(test_generate_ed25519),
		cmocka_unit_test(test_generate_rsa3072),
		cmocka_unit_test(test_generate_rsa4096),
		cmocka_unit_test(test_generate_mldsa_missing),
		cmocka_unit_test(test_generate_refused),
		cmocka_unit_test(test_mechanisms),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_store),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
