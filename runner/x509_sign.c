/* x509_sign: signatures made in a token as X.509 carries them (see x509_sign.h). */
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "ecdsa_sig.h"
#include "ossl.h"
#include "spki.h"
#include "x509_sign.h"

/* ------------------------------------------------------------------------- */
/* Key algorithms and signature algorithms. */

enum kind { K_UNKNOWN, K_EC, K_ED25519, K_RSA, K_MLDSA };

/* The kind of a key algorithm name, and for EC the one hash its curve takes. */
static enum kind key_kind(const char *alg, enum x509_hash *ec_hash)
{
	static const struct {
		const char *name;
		enum x509_hash hash;
	} curves[] = {{"ec-p256", X509_HASH_SHA256}, {"ec-p384", X509_HASH_SHA384}, {"ec-p521", X509_HASH_SHA512}};
	if (!alg)
		return K_UNKNOWN;
	for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++)
		if (!strcmp(alg, curves[i].name)) {
			if (ec_hash)
				*ec_hash = curves[i].hash;
			return K_EC;
		}
	if (!strcmp(alg, "ed25519"))
		return K_ED25519;
	if (!strncmp(alg, "rsa-", 4) && alg[4] && strspn(alg + 4, "0123456789") == strlen(alg + 4))
		return K_RSA;
	if (!strncmp(alg, "ml-dsa", 6))
		return K_MLDSA;
	return K_UNKNOWN;
}

const char *x509_hash_name(enum x509_hash h)
{
	switch (h) {
	case X509_HASH_SHA256: return "sha256";
	case X509_HASH_SHA384: return "sha384";
	case X509_HASH_SHA512: return "sha512";
	case X509_HASH_NONE: return "none";
	default: return "default";
	}
}

const EVP_MD *x509_sigalg_md(const struct x509_sigalg *sa)
{
	switch (sa->hash) {
	case X509_HASH_SHA256: return EVP_sha256();
	case X509_HASH_SHA384: return EVP_sha384();
	case X509_HASH_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

int x509_sigalg_resolve(const char *alg, struct x509_sigalg *sa, struct err *e)
{
	enum x509_hash curve_hash = X509_HASH_DEFAULT;
	switch (key_kind(alg, &curve_hash)) {
	case K_EC:
		if (sa->padding != X509_PAD_DEFAULT)
			return err_set(e, ERR_X509, "'padding' is for RSA keys; an %s key signs with ECDSA", alg);
		/* One hash per curve, so that the hash is as strong as the curve (CA/Browser
		 * Forum Baseline Requirements §7.1.3.2.2; RFC 5480 §4). */
		if (sa->hash == X509_HASH_DEFAULT)
			sa->hash = curve_hash;
		if (sa->hash != curve_hash)
			return err_set(e, ERR_X509,
				       "hash %s does not fit an %s key: ECDSA with this curve takes %s "
				       "(write signature: {hash: %s}, or leave the hash out)",
				       x509_hash_name(sa->hash), alg, x509_hash_name(curve_hash), x509_hash_name(curve_hash));
		return 0;
	case K_ED25519:
		if (sa->padding != X509_PAD_DEFAULT)
			return err_set(e, ERR_X509, "'padding' is for RSA keys; an ed25519 key signs with EdDSA");
		/* PureEdDSA hashes the message itself (RFC 8032 §5.1; RFC 8410 §3). */
		if (sa->hash != X509_HASH_DEFAULT && sa->hash != X509_HASH_NONE)
			return err_set(e, ERR_X509, "an ed25519 key takes no hash (Ed25519 hashes the data itself, RFC 8410); "
						  "remove 'hash'");
		sa->hash = X509_HASH_NONE;
		return 0;
	case K_RSA:
		if (sa->hash == X509_HASH_NONE)
			return err_set(e, ERR_X509, "an RSA key needs a hash: sha256, sha384 or sha512");
		if (sa->hash == X509_HASH_DEFAULT)
			sa->hash = X509_HASH_SHA256;
		if (sa->padding == X509_PAD_DEFAULT)
			sa->padding = X509_PAD_PKCS1;
		return 0;
	case K_MLDSA:
#if CER_HAVE_MLDSA
		/* Pure ML-DSA signs the message itself (FIPS 204 §5.2; RFC 9881 §3: no
		 * parameters, no pre-hash). */
		if (sa->padding != X509_PAD_DEFAULT)
			return err_set(e, ERR_X509, "'padding' is for RSA keys; an %s key signs with ML-DSA", alg);
		if (sa->hash != X509_HASH_DEFAULT && sa->hash != X509_HASH_NONE)
			return err_set(e, ERR_X509, "an %s key takes no hash (pure ML-DSA signs the data itself, RFC 9881); "
						  "remove 'hash'", alg);
		sa->hash = X509_HASH_NONE;
		return 0;
#else
		return err_set(e, ERR_X509, "%s certificates need OpenSSL 3.5 or later (this build has %s); "
					  "sign them with an EC, Ed25519 or RSA key here", alg, OPENSSL_VERSION_TEXT);
#endif
	default:
		return err_set(e, ERR_X509, "unknown key algorithm '%s' (expected ec-p256, ec-p384, ec-p521, ed25519 or "
					  "rsa-BITS)", alg ? alg : "");
	}
}

CK_MECHANISM_TYPE x509_sigalg_mech(const char *alg, const struct x509_sigalg *sa)
{
	switch (key_kind(alg, NULL)) {
	case K_EC: return CKM_ECDSA;
	case K_ED25519: return CKM_EDDSA;
	case K_RSA: return sa->padding == X509_PAD_PSS ? CKM_RSA_PKCS_PSS : CKM_RSA_PKCS;
	case K_MLDSA: return CKM_ML_DSA;
	default: return 0;
	}
}

const char *x509_sigalg_label(const char *alg, const struct x509_sigalg *sa)
{
	static const char *const ecdsa[] = {"ecdsa-with-SHA256", "ecdsa-with-SHA384", "ecdsa-with-SHA512"};
	static const char *const pkcs1[] = {"sha256WithRSAEncryption", "sha384WithRSAEncryption",
					    "sha512WithRSAEncryption"};
	static const char *const pss[] = {"RSASSA-PSS-SHA256", "RSASSA-PSS-SHA384", "RSASSA-PSS-SHA512"};
	int i = sa->hash == X509_HASH_SHA256 ? 0 : sa->hash == X509_HASH_SHA384 ? 1 : sa->hash == X509_HASH_SHA512 ? 2 : -1;
	switch (key_kind(alg, NULL)) {
	case K_EC: return i < 0 ? "ecdsa" : ecdsa[i];
	case K_ED25519: return "Ed25519";
	case K_MLDSA: return !strcmp(alg, "ml-dsa-65") ? "ML-DSA-65" : "ML-DSA";
	case K_RSA:
		if (i < 0)
			return "rsa";
		return sa->padding == X509_PAD_PSS ? pss[i] : pkcs1[i];
	default: return "unknown";
	}
}

/* ------------------------------------------------------------------------- */
/* Keys in a token. */

void x509_key_free(struct x509_key *k)
{
	if (!k)
		return;
	buf_free(&k->spki);
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof *k);
}

/* The exported public key must be of the kind and size the token says the key is. */
static int key_agrees(const struct x509_key *k, struct err *e)
{
	enum kind kind = key_kind(k->algorithm, NULL);
	int id = EVP_PKEY_get_base_id(k->pkey), bits = EVP_PKEY_get_bits(k->pkey);
	bool ok = false;
	switch (kind) {
	case K_EC: {
		char group[64];
		size_t gl = 0;
		const char *want = !strcmp(k->algorithm, "ec-p256") ? "prime256v1" :
				   !strcmp(k->algorithm, "ec-p384") ? "secp384r1" : "secp521r1";
		ok = id == EVP_PKEY_EC &&
		     EVP_PKEY_get_utf8_string_param(k->pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &gl) == 1 &&
		     !strcmp(group, want);
		break;
	}
	case K_ED25519: ok = id == EVP_PKEY_ED25519; break;
	case K_RSA: ok = id == EVP_PKEY_RSA && bits == atoi(k->algorithm + 4); break;
	case K_MLDSA: ok = !strcmp(k->algorithm, "ml-dsa-65") && EVP_PKEY_is_a(k->pkey, "ML-DSA-65"); break;
	default: break;
	}
	ERR_clear_error();
	if (!ok)
		return err_set(e, ERR_X509, "the token's public key does not match its private key's algorithm %s",
			       k->algorithm);
	return 0;
}

int x509_key_load(struct tok_session *s, const char *label, struct x509_key *k, struct err *e)
{
	const unsigned char *p;
	memset(k, 0, sizeof *k);
	k->sess = s;
	if (tok_key_find(s, label, &k->priv, &k->pub, k->algorithm, sizeof k->algorithm, e))
		goto fail;
	/* The signature is checked with the public key as the token holds it, never with
	 * anything derived from the signature itself. */
	if (!k->pub) {
		err_set(e, ERR_X509, "the token holds no public key labelled '%s' to check signatures with", label);
		goto fail;
	}
	if (spki_from_token(s, k->pub, &k->spki, e))
		goto fail;
	p = k->spki.p;
	k->pkey = d2i_PUBKEY(NULL, &p, (long)k->spki.len);
	if (!k->pkey || p != k->spki.p + k->spki.len) {
		err_openssl(e, "the token's public key is not a valid SubjectPublicKeyInfo");
		goto fail;
	}
	if (key_agrees(k, e))
		goto fail;
	return 0;
fail:
	err_wrap(e, "key '%s'", label);
	x509_key_free(k);
	return -1;
}

int x509_key_open(struct tok_session *s, const char *label, const char *script_alg, struct x509_sigalg *sa,
		  struct x509_key *k, struct err *e)
{
	if (x509_key_load(s, label, k, e))
		return -1;
	if (script_alg && strcmp(script_alg, k->algorithm)) {
		err_set(e, ERR_X509, "key '%s' is %s on the token, but the script made it as %s", label, k->algorithm,
			script_alg);
		goto fail;
	}
	if (x509_sigalg_resolve(k->algorithm, sa, e)) {
		err_wrap(e, "key '%s'", label);
		goto fail;
	}
	return 0;
fail:
	x509_key_free(k);
	return -1;
}

/* ------------------------------------------------------------------------- */
/* Signing in the token. */

/* RFC 8017 §9.2 note 1: DER of DigestInfo up to the digest bytes. */
static const uint8_t di_sha256[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
				    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
static const uint8_t di_sha384[] = {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
				    0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30};
static const uint8_t di_sha512[] = {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
				    0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40};

/* r||s (PKCS#11 3.0 §2.3.1: each half the length of the group order) to DER
 * Ecdsa-Sig-Value (RFC 3279 §2.2.3), which X.509 carries. */
static int ecdsa_der(const EVP_PKEY *pkey, const uint8_t *rs, size_t len, struct buf *out, struct err *e)
{
	size_t half = ((size_t)EVP_PKEY_get_bits(pkey) + 7) / 8;
	if (len != 2 * half)
		return err_set(e, ERR_X509, "the token's ECDSA signature has %zu bytes; r||s for this curve has %zu", len,
			       2 * half);
	return ecdsa_sig_to_der(rs, len, half, out, e);
}

int x509_sign(const struct x509_key *k, const struct x509_sigalg *sa, const uint8_t *data, size_t len,
	      struct buf *sig, struct err *e)
{
	uint8_t md[EVP_MAX_MD_SIZE], di[sizeof di_sha512 + 64];
	unsigned mdlen = 0;
	struct buf raw = {0};
	const EVP_MD *h = x509_sigalg_md(sa);
	enum kind kind = key_kind(k->algorithm, NULL);
	size_t start = sig->len;
	int ret = -1;

	if (kind != K_EC && kind != K_ED25519 && kind != K_RSA && !(CER_HAVE_MLDSA && kind == K_MLDSA))
		return err_set(e, ERR_X509, "cannot sign with a key of algorithm '%s'", k->algorithm);
	if (kind != K_ED25519 && kind != K_MLDSA) {
		if (!h)
			return err_openssl(e, "hashing the data to sign");
		if (ossl_rc(EVP_Digest(data, len, md, &mdlen, h, NULL), e, "hashing the data to sign"))
			return -1;
	}
	switch (kind) {
	case K_EC: {
		/* CKM_ECDSA signs a hash computed outside the token (PKCS#11 3.0 §2.3.6). */
		CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
		if (tok_sign_ex(k->sess, k->priv, &m, md, mdlen, &raw, e) || ecdsa_der(k->pkey, raw.p, raw.len, sig, e))
			goto out;
		break;
	}
	case K_ED25519: {
		/* CKM_EDDSA without parameters is PureEdDSA over the whole message (§2.3.14). */
		CK_MECHANISM m = {CKM_EDDSA, NULL, 0};
		if (tok_sign_ex(k->sess, k->priv, &m, data, len, sig, e))
			goto out;
		break;
	}
	case K_MLDSA: {
		/* CKM_ML_DSA without parameters: pure ML-DSA over the message, empty context
		 * (PKCS#11 3.2 §6.67.5; RFC 9881 §3). */
		CK_MECHANISM m = {CKM_ML_DSA, NULL, 0};
		if (tok_sign_ex(k->sess, k->priv, &m, data, len, sig, e))
			goto out;
		break;
	}
	case K_RSA:
		if (sa->padding == X509_PAD_PSS) {
			/* The parameters the AlgorithmIdentifier states: MGF1 with the same hash and a
			 * salt as long as the hash (RFC 4055 §3.1, RFC 8017 §9.1). */
			CK_RSA_PKCS_PSS_PARAMS pp = {
				.hashAlg = sa->hash == X509_HASH_SHA256 ? CKM_SHA256 :
					   sa->hash == X509_HASH_SHA384 ? CKM_SHA384 : CKM_SHA512,
				.mgf = sa->hash == X509_HASH_SHA256 ? CKG_MGF1_SHA256 :
				       sa->hash == X509_HASH_SHA384 ? CKG_MGF1_SHA384 : CKG_MGF1_SHA512,
				.sLen = mdlen,
			};
			CK_MECHANISM m = {CKM_RSA_PKCS_PSS, &pp, sizeof pp};
			if (tok_sign_ex(k->sess, k->priv, &m, md, mdlen, sig, e))
				goto out;
		} else {
			/* CKM_RSA_PKCS pads what it is given: give it DigestInfo (RFC 8017 §9.2). */
			const uint8_t *prefix = sa->hash == X509_HASH_SHA256 ? di_sha256 :
						sa->hash == X509_HASH_SHA384 ? di_sha384 : di_sha512;
			CK_MECHANISM m = {CKM_RSA_PKCS, NULL, 0};
			memcpy(di, prefix, sizeof di_sha256);
			memcpy(di + sizeof di_sha256, md, mdlen);
			if (tok_sign_ex(k->sess, k->priv, &m, di, sizeof di_sha256 + mdlen, sig, e))
				goto out;
		}
		break;
	default:
		err_set(e, ERR_X509, "cannot sign with a key of algorithm '%s'", k->algorithm);
		goto out;
	}
	/* Nothing the token signed leaves here unchecked against the exported public key. */
	enum err_answer v = x509_verify_data(k->pkey, sa, sig->p + start, sig->len - start, data, len, e);
	if (v != ERR_ANSWER_YES) {
		if (v == ERR_ANSWER_NO)
			err_set(e, ERR_X509, "the token's signature does not verify with the exported public key");
		goto out;
	}
	ret = 0;
out:
	buf_free(&raw);
	return ret;
}

enum err_answer x509_verify_data(EVP_PKEY *pub, const struct x509_sigalg *sa, const uint8_t *sig, size_t sig_len,
				 const uint8_t *data, size_t len, struct err *e)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	enum err_answer ret = ERR_ANSWER_ERROR;
	if (!ctx) {
		err_set(e, ERR_NOMEM, "out of memory");
		return ERR_ANSWER_ERROR;
	}
	if (ossl_rc(EVP_DigestVerifyInit(ctx, &pctx, x509_sigalg_md(sa), NULL, pub), e, "cannot set up the signature check"))
		goto out;
	/* RFC 4055 §3.1 as x509_sign uses it: MGF1 with the same hash, salt = hash length. */
	if (sa->padding == X509_PAD_PSS &&
	    (ossl_rc(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), e, "cannot set up RSASSA-PSS") ||
	     ossl_rc(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), e, "cannot set up RSASSA-PSS") ||
	     ossl_rc(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, x509_sigalg_md(sa)), e, "cannot set up RSASSA-PSS")))
		goto out;
	/* Anything but 1 is "not valid": a malformed signature is as bad as a wrong one. */
	ret = EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1 ? ERR_ANSWER_YES : ERR_ANSWER_NO;
	ERR_clear_error();
out:
	EVP_MD_CTX_free(ctx);
	return ret;
}
