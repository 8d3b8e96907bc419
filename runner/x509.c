/* x509: certificates, requests and CRLs signed in a token (x509.h says how). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "x509.h"
#include "der.h"
#include "words.h"

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

static const EVP_MD *md_of(enum x509_hash h)
{
	switch (h) {
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
		return err_set(e, ERR_X509, "%s certificates need OpenSSL 3.5 or later (this build has %s); "
					  "sign them with an EC, Ed25519 or RSA key here", alg, OPENSSL_VERSION_TEXT);
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
	if (tok_public_spki(s, k->pub, &k->spki, e))
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
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	int n, ret = -1;
	if (len != 2 * half)
		return err_set(e, ERR_X509, "the token's ECDSA signature has %zu bytes; r||s for this curve has %zu", len,
			       2 * half);
	r = BN_bin2bn(rs, (int)half, NULL);
	s = BN_bin2bn(rs + half, (int)half, NULL);
	sig = ECDSA_SIG_new();
	if (!r || !s || !sig || ECDSA_SIG_set0(sig, r, s) != 1) {
		err_openssl(e, "encoding the ECDSA signature");
		goto out;
	}
	r = s = NULL;   /* owned by sig */
	if ((n = i2d_ECDSA_SIG(sig, &der)) <= 0) {
		err_openssl(e, "encoding the ECDSA signature");
		goto out;
	}
	ret = buf_append(out, der, (size_t)n, e);
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	OPENSSL_free(der);
	return ret;
}

int x509_sign(const struct x509_key *k, const struct x509_sigalg *sa, const uint8_t *data, size_t len,
	      struct buf *sig, struct err *e)
{
	uint8_t md[EVP_MAX_MD_SIZE], di[sizeof di_sha512 + 64];
	unsigned mdlen = 0;
	struct buf raw = {0};
	const EVP_MD *h = md_of(sa->hash);
	enum kind kind = key_kind(k->algorithm, NULL);
	size_t start = sig->len;
	int ret = -1;

	if (kind != K_EC && kind != K_ED25519 && kind != K_RSA)
		return err_set(e, ERR_X509, "cannot sign with a key of algorithm '%s'", k->algorithm);
	if (kind != K_ED25519 && (!h || EVP_Digest(data, len, md, &mdlen, h, NULL) != 1))
		return err_openssl(e, "hashing the data to sign");
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
	int v = x509_verify_data(k->pkey, sa, sig->p + start, sig->len - start, data, len, e);
	if (v != 1) {
		if (v == 0)
			err_set(e, ERR_X509, "the token's signature does not verify with the exported public key");
		goto out;
	}
	ret = 0;
out:
	buf_free(&raw);
	return ret;
}

int x509_verify_data(EVP_PKEY *pub, const struct x509_sigalg *sa, const uint8_t *sig, size_t sig_len,
		     const uint8_t *data, size_t len, struct err *e)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ret = -1;
	if (!ctx)
		return err_openssl(e, "out of memory");
	if (EVP_DigestVerifyInit(ctx, &pctx, md_of(sa->hash), NULL, pub) != 1) {
		err_openssl(e, "cannot set up the signature check");
		goto out;
	}
	/* RFC 4055 §3.1 as x509_sign uses it: MGF1 with the same hash, salt = hash length. */
	if (sa->padding == X509_PAD_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md_of(sa->hash)) != 1)) {
		err_openssl(e, "cannot set up RSASSA-PSS");
		goto out;
	}
	/* Anything but 1 is "not valid": a malformed signature is as bad as a wrong one. */
	ret = EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1 ? 1 : 0;
	ERR_clear_error();
out:
	EVP_MD_CTX_free(ctx);
	return ret;
}

/* ------------------------------------------------------------------------- */
/* DER assembly and the sign-verify round. */

static int der_header(struct buf *b, uint8_t tag, size_t len, struct err *e)
{
	uint8_t h[10];
	size_t n = 0;
	h[n++] = tag;
	if (len < 0x80) {
		h[n++] = (uint8_t)len;
	} else {
		uint8_t tmp[8];
		size_t k = 0;
		for (size_t v = len; v; v >>= 8)
			tmp[k++] = (uint8_t)(v & 0xff);
		h[n++] = (uint8_t)(0x80 | k);
		while (k)
			h[n++] = tmp[--k];
	}
	return buf_append(b, h, n, e);
}

/* SEQUENCE { tbs, algorithm, BIT STRING signature } (RFC 5280 §4.1.1, §5.1.1; RFC 2986 §4.2). */
static int assemble(const uint8_t *tbs, size_t tbs_len, const uint8_t *alg, size_t alg_len, const struct buf *sig,
		    struct buf *out, struct err *e)
{
	struct buf bits = {0};
	static const uint8_t no_unused_bits = 0;
	int ret = -1;
	if (der_header(&bits, V_ASN1_BIT_STRING, sig->len + 1, e) || buf_append(&bits, &no_unused_bits, 1, e) ||
	    buf_append(&bits, sig->p, sig->len, e))
		goto out;
	if (der_header(out, V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, tbs_len + alg_len + bits.len, e) ||
	    buf_append(out, tbs, tbs_len, e) || buf_append(out, alg, alg_len, e) || buf_append(out, bits.p, bits.len, e))
		goto out;
	ret = 0;
out:
	buf_free(&bits);
	return ret;
}

/* An in-memory key of the signer's type, used once to have OpenSSL fill in the
 * AlgorithmIdentifiers; its signature is thrown away. RSA's identifiers do not
 * depend on the modulus, so 2048 bits (the smallest that fits PSS with SHA-512's
 * salt) keeps this cheap. */
static EVP_PKEY *throwaway_key(const EVP_PKEY *like, struct err *e)
{
	EVP_PKEY *k = NULL;
	switch (EVP_PKEY_get_base_id(like)) {
	case EVP_PKEY_EC: {
		char group[64];
		size_t gl = 0;
		if (EVP_PKEY_get_utf8_string_param(like, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &gl) == 1)
			k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
		break;
	}
	case EVP_PKEY_ED25519: k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
	case EVP_PKEY_RSA: k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048); break;
	default: break;
	}
	if (!k)
		err_openssl(e, "making the placeholder key for the algorithm identifiers");
	return k;
}

enum obj_kind { OBJ_CERT, OBJ_REQ, OBJ_CRL };
static const char *const obj_names[] = {"certificate", "certificate request", "CRL"};

/* Signs o in the token (x509.h steps 2-4) and appends the verified DER to out. */
static int token_sign_object(enum obj_kind kind, void *o, const struct x509_key *k, const struct x509_sigalg *sa,
			     struct buf *out, struct err *e)
{
	EVP_PKEY *tmp = NULL;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *tbs = NULL, *alg = NULL, *re = NULL;
	const X509_ALGOR *algor = NULL;
	const ASN1_BIT_STRING *unused = NULL;
	const unsigned char *p;
	struct buf sig = {0}, der = {0};
	int tbs_len = -1, alg_len = -1, re_len = -1, ok = 0, ret = -1;
	const EVP_MD *md = md_of(sa->hash);
	void *back = NULL;

	if (!(tmp = throwaway_key(k->pkey, e)))
		goto out;
	mctx = EVP_MD_CTX_new();
	if (!mctx || EVP_DigestSignInit(mctx, &pctx, md, NULL, tmp) != 1) {
		err_openssl(e, "preparing the algorithm identifiers");
		goto out;
	}
	if (sa->padding == X509_PAD_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1)) {
		err_openssl(e, "setting the RSASSA-PSS parameters");
		goto out;
	}
	switch (kind) {
	case OBJ_CERT:
		ok = X509_sign_ctx(o, mctx) > 0;
		tbs_len = ok ? i2d_re_X509_tbs(o, &tbs) : -1;
		X509_get0_signature(&unused, &algor, o);
		break;
	case OBJ_REQ:
		ok = X509_REQ_sign_ctx(o, mctx) > 0;
		tbs_len = ok ? i2d_re_X509_REQ_tbs(o, &tbs) : -1;
		X509_REQ_get0_signature(o, &unused, &algor);
		break;
	case OBJ_CRL:
		ok = X509_CRL_sign_ctx(o, mctx) > 0;
		tbs_len = ok ? i2d_re_X509_CRL_tbs(o, &tbs) : -1;
		X509_CRL_get0_signature(o, &unused, &algor);
		break;
	}
	if (!ok || tbs_len <= 0 || !algor || (alg_len = i2d_X509_ALGOR(algor, &alg)) <= 0) {
		err_openssl(e, "encoding the part to be signed");
		goto out;
	}
	if (x509_sign(k, sa, tbs, (size_t)tbs_len, &sig, e) || assemble(tbs, (size_t)tbs_len, alg, (size_t)alg_len, &sig, &der, e))
		goto out;

	/* Read back what will be written, as any relying party will. */
	p = der.p;
	switch (kind) {
	case OBJ_CERT: back = d2i_X509(NULL, &p, (long)der.len); break;
	case OBJ_REQ: back = d2i_X509_REQ(NULL, &p, (long)der.len); break;
	case OBJ_CRL: back = d2i_X509_CRL(NULL, &p, (long)der.len); break;
	}
	if (!back || p != der.p + der.len) {
		err_openssl(e, "the signed object does not parse back");
		goto out;
	}
	switch (kind) {
	case OBJ_CERT: re_len = i2d_X509(back, &re); break;
	case OBJ_REQ: re_len = i2d_X509_REQ(back, &re); break;
	case OBJ_CRL: re_len = i2d_X509_CRL(back, &re); break;
	}
	if (re_len < 0 || (size_t)re_len != der.len || memcmp(re, der.p, der.len)) {
		err_set(e, ERR_X509, "the signed %s does not re-encode to the same DER", obj_names[kind]);
		goto out;
	}
	/* Re-encoding cannot see what OpenSSL reads leniently and writes back as it found it
	 * (a BOOLEAN TRUE of 0x01): walk the bytes as the strictest relying party would. */
	if (der_check(der.p, der.len, e) != 0) {
		err_wrap(e, "the signed %s", obj_names[kind]);
		goto out;
	}
	switch (kind) {
	case OBJ_CERT: ok = X509_verify(back, k->pkey) == 1; break;
	case OBJ_REQ: ok = X509_REQ_verify(back, k->pkey) == 1; break;
	case OBJ_CRL: ok = X509_CRL_verify(back, k->pkey) == 1; break;
	}
	if (!ok) {
		err_openssl(e, "the token's signature does not verify with the exported public key");
		err_wrap(e, "%s", obj_names[kind]);
		goto out;
	}
	ret = buf_append(out, der.p, der.len, e);
out:
	switch (kind) {
	case OBJ_CERT: X509_free(back); break;
	case OBJ_REQ: X509_REQ_free(back); break;
	case OBJ_CRL: X509_CRL_free(back); break;
	}
	OPENSSL_free(tbs);
	OPENSSL_free(alg);
	OPENSSL_free(re);
	buf_free(&sig);
	buf_free(&der);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(tmp);
	return ret;
}

/* ------------------------------------------------------------------------- */
/* Names. */

/* What the script may write, and the name OpenSSL knows it by. */
static const struct {
	const char *script, *openssl;
} name_types[] = {
	{"C", "C"}, {"ST", "ST"}, {"L", "L"}, {"street", "street"}, {"O", "O"}, {"OU", "OU"}, {"CN", "CN"},
	{"serialNumber", "serialNumber"}, {"emailAddress", "emailAddress"}, {"DC", "DC"}, {"title", "title"},
	{"givenName", "GN"}, {"surname", "SN"}, {"organizationIdentifier", "organizationIdentifier"}, {"UID", "UID"},
	{"postalCode", "postalCode"}, {"dnQualifier", "dnQualifier"}, {"pseudonym", "pseudonym"},
};

static const char *openssl_name_type(const char *script)
{
	for (size_t i = 0; i < sizeof name_types / sizeof name_types[0]; i++)
		if (!strcmp(name_types[i].script, script))
			return name_types[i].openssl;
	return NULL;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Adds one attribute as its own RDN. DirectoryString attributes are UTF8String
 * (RFC 5280 §4.1.2.6: MUST for names made after 2003); countryName, serialNumber and
 * dnQualifier are PrintableString, emailAddress and DC IA5String, as their
 * definitions say (OpenSSL's string table carries those and the Appendix A bounds). */
static int name_add(X509_NAME *name, const struct x509_rdn *r, struct err *e)
{
	const char *type = openssl_name_type(r->type);
	int nid = type ? OBJ_txt2nid(type) : NID_undef;
	X509_NAME_ENTRY *ent;
	const ASN1_STRING_TABLE *tab;
	if (nid == NID_undef)
		return err_set(e, ERR_X509, "unknown subject attribute '%s'", r->type);
	tab = ASN1_STRING_TABLE_get(nid);
	if (!strcmp(r->type, "C") && !(strlen(r->value) == 2 && isupper((unsigned char)r->value[0]) &&
				       isupper((unsigned char)r->value[1])))
		return err_set(e, ERR_X509, "'C' is a two-letter ISO 3166 country code in capitals (e.g. US), found '%s'",
			       r->value);
	if (X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, (const unsigned char *)r->value, -1, -1, 0) != 1) {
		ERR_clear_error();
		size_t n = utf8_chars(r->value);
		if (tab && (tab->minsize > 0 || tab->maxsize > 0) &&
		    ((long)n < tab->minsize || (tab->maxsize > 0 && (long)n > tab->maxsize)))
			return err_set(e, ERR_X509, "'%s' must have %ld to %ld characters, found %zu: '%s' (RFC 5280 Appendix A)",
				       r->type, tab->minsize, tab->maxsize, n, r->value);
		return err_set(e, ERR_X509, "'%s' cannot hold '%s': its string type does not allow these characters", r->type,
			       r->value);
	}
	ent = X509_NAME_get_entry(name, X509_NAME_entry_count(name) - 1);
	int t = ASN1_STRING_type(X509_NAME_ENTRY_get_data(ent));
	bool fixed = tab && (tab->flags & STABLE_NO_MASK);
	if (!fixed && t != V_ASN1_UTF8STRING)
		return err_set(e, ERR_X509, "'%s' was not encoded as UTF8String (OpenSSL's string mask was changed)", r->type);
	return 0;
}

static int name_build(const struct x509_rdn *rdn, size_t n, X509_NAME **out, struct err *e)
{
	X509_NAME *name = X509_NAME_new();
	if (!name)
		return err_openssl(e, "X509_NAME_new");
	for (size_t i = 0; i < n; i++)
		if (name_add(name, &rdn[i], e)) {
			X509_NAME_free(name);
			return -1;
		}
	*out = name;
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Extensions. */

static int ext_add(X509 *x, int nid, void *value, int critical, struct err *e)
{
	if (X509_add1_ext_i2d(x, nid, value, critical, X509V3_ADD_DEFAULT) != 1)
		return err_openssl(e, "adding an extension");
	return 0;
}

static GENERAL_NAME *uri_name(const char *uri)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();
	if (!gn || !s || ASN1_STRING_set(s, uri, (int)strlen(uri)) != 1) {
		GENERAL_NAME_free(gn);
		ASN1_IA5STRING_free(s);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, GEN_URI, s);
	return gn;
}

/* RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bits. */
static int key_identifier(const X509_PUBKEY *pk, uint8_t id[SHA_DIGEST_LENGTH], struct err *e)
{
	const unsigned char *bits;
	int len;
	if (X509_PUBKEY_get0_param(NULL, &bits, &len, NULL, pk) != 1)
		return err_openssl(e, "reading the public key");
	SHA1(bits, (size_t)len, id);
	return 0;
}

static int add_ski(X509 *x, struct err *e)
{
	uint8_t id[SHA_DIGEST_LENGTH];
	ASN1_OCTET_STRING *os = NULL;
	int ret = -1;
	if (key_identifier(X509_get_X509_PUBKEY(x), id, e))
		return -1;
	os = ASN1_OCTET_STRING_new();
	if (!os || ASN1_OCTET_STRING_set(os, id, sizeof id) != 1) {
		err_openssl(e, "subjectKeyIdentifier");
		goto out;
	}
	/* §4.2.1.2: non-critical. */
	ret = ext_add(x, NID_subject_key_identifier, os, 0, e);
out:
	ASN1_OCTET_STRING_free(os);
	return ret;
}

/* §4.2.1.1 / §5.2.1: the keyIdentifier is the issuer's subjectKeyIdentifier (or, when
 * the issuer has none, computed from its key the same way). */
static AUTHORITY_KEYID *aki_of(X509 *issuer, struct err *e)
{
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(issuer);
	uint8_t id[SHA_DIGEST_LENGTH];
	if (!akid || !(akid->keyid = ASN1_OCTET_STRING_new()))
		goto fail;
	if (ski) {
		if (ASN1_OCTET_STRING_set(akid->keyid, ASN1_STRING_get0_data(ski), ASN1_STRING_length(ski)) != 1)
			goto fail;
	} else {
		if (key_identifier(X509_get_X509_PUBKEY(issuer), id, e))
			goto fail_quiet;
		if (ASN1_OCTET_STRING_set(akid->keyid, id, sizeof id) != 1)
			goto fail;
	}
	return akid;
fail:
	err_openssl(e, "authorityKeyIdentifier");
fail_quiet:
	AUTHORITY_KEYID_free(akid);
	return NULL;
}

static int add_basic_constraints(X509 *x, int pathlen, struct err *e)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	int ret = -1;
	if (!bc)
		return err_openssl(e, "basicConstraints");
	/* OpenSSL writes an ASN1_BOOLEAN's low byte as it is: 1 would be encoded 01 01 01,
	 * which DER forbids (X.690 §11.1: TRUE is 0xFF) and Go's crypto/x509,
	 * pyca/cryptography and BoringSSL refuse. der_check below would stop it anyway. */
	bc->ca = 0xFF;
	if (pathlen >= 0 && (!(bc->pathlen = ASN1_INTEGER_new()) || ASN1_INTEGER_set(bc->pathlen, pathlen) != 1)) {
		err_openssl(e, "basicConstraints");
		goto out;
	}
	/* §4.2.1.9: critical in CA certificates that sign certificates. */
	ret = ext_add(x, NID_basic_constraints, bc, 1, e);
out:
	BASIC_CONSTRAINTS_free(bc);
	return ret;
}

static int add_key_usage(X509 *x, struct err *e)
{
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	int ret = -1;
	/* §4.2.1.3: keyCertSign (5) and cRLSign (6), and nothing else for a CA key
	 * that only certifies; SHOULD be critical. */
	if (!ku || ASN1_BIT_STRING_set_bit(ku, 5, 1) != 1 || ASN1_BIT_STRING_set_bit(ku, 6, 1) != 1)
		err_openssl(e, "keyUsage");
	else
		ret = ext_add(x, NID_key_usage, ku, 1, e);
	ASN1_BIT_STRING_free(ku);
	return ret;
}

static int add_crl_dp(X509 *x, const char *const *uris, size_t n, struct err *e)
{
	CRL_DIST_POINTS *dps = sk_DIST_POINT_new_null();
	DIST_POINT *dp = DIST_POINT_new();
	int ret = -1;
	/* §4.2.1.13: one DistributionPoint whose fullName lists every URI: several names
	 * in one point are several ways to fetch the same CRL. */
	if (!dps || !dp || !(dp->distpoint = DIST_POINT_NAME_new()) || !(dp->distpoint->name.fullname = GENERAL_NAMES_new()))
		goto fail;
	dp->distpoint->type = 0;
	for (size_t i = 0; i < n; i++) {
		GENERAL_NAME *gn = uri_name(uris[i]);
		if (!gn || !sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gn)) {
			GENERAL_NAME_free(gn);
			goto fail;
		}
	}
	if (!sk_DIST_POINT_push(dps, dp))
		goto fail;
	dp = NULL;
	ret = ext_add(x, NID_crl_distribution_points, dps, 0, e);
	goto out;
fail:
	err_openssl(e, "cRLDistributionPoints");
out:
	DIST_POINT_free(dp);
	CRL_DIST_POINTS_free(dps);
	return ret;
}

static int aia_push(AUTHORITY_INFO_ACCESS *aia, int method, const char *uri)
{
	ACCESS_DESCRIPTION *ad = ACCESS_DESCRIPTION_new();
	GENERAL_NAME *gn = uri_name(uri);
	if (!ad || !gn) {
		ACCESS_DESCRIPTION_free(ad);
		GENERAL_NAME_free(gn);
		return -1;
	}
	ASN1_OBJECT_free(ad->method);
	ad->method = OBJ_nid2obj(method);
	GENERAL_NAME_free(ad->location);
	ad->location = gn;
	if (!sk_ACCESS_DESCRIPTION_push(aia, ad)) {
		ACCESS_DESCRIPTION_free(ad);
		return -1;
	}
	return 0;
}

static int add_aia(X509 *x, const struct x509_cert_spec *s, struct err *e)
{
	AUTHORITY_INFO_ACCESS *aia = sk_ACCESS_DESCRIPTION_new_null();
	int ret = -1;
	if (!aia)
		goto fail;
	/* §4.2.2.1: id-ad-ocsp and id-ad-caIssuers, non-critical. */
	for (size_t i = 0; i < s->n_ocsp; i++)
		if (aia_push(aia, NID_ad_OCSP, s->ocsp[i]))
			goto fail;
	for (size_t i = 0; i < s->n_ca_issuers; i++)
		if (aia_push(aia, NID_ad_ca_issuers, s->ca_issuers[i]))
			goto fail;
	ret = ext_add(x, NID_info_access, aia, 0, e);
	goto out;
fail:
	err_openssl(e, "authorityInfoAccess");
out:
	AUTHORITY_INFO_ACCESS_free(aia);
	return ret;
}

static int add_policies(X509 *x, const char *const *oids, size_t n, struct err *e)
{
	CERTIFICATEPOLICIES *cp = sk_POLICYINFO_new_null();
	int ret = -1;
	if (!cp)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		POLICYINFO *pi = POLICYINFO_new();
		if (pi) {
			ASN1_OBJECT_free(pi->policyid);
			pi->policyid = OBJ_txt2obj(oids[i], 1);
		}
		if (!pi || !pi->policyid || !sk_POLICYINFO_push(cp, pi)) {
			POLICYINFO_free(pi);
			goto fail;
		}
	}
	/* §4.2.1.4: policy identifiers only (no qualifiers), non-critical. */
	ret = ext_add(x, NID_certificate_policies, cp, 0, e);
	goto out;
fail:
	err_openssl(e, "certificatePolicies");
out:
	CERTIFICATEPOLICIES_free(cp);
	return ret;
}

static const char *const eku_names[] = {"serverAuth", "clientAuth", "codeSigning", "emailProtection",
					"timeStamping", "OCSPSigning", NULL};

static ASN1_OBJECT *eku_object(const char *s)
{
	for (size_t i = 0; eku_names[i]; i++)
		if (!strcmp(eku_names[i], s))
			return OBJ_txt2obj(s, 0);
	return OBJ_txt2obj(s, 1);
}

static int add_eku(X509 *x, const char *const *names, size_t n, struct err *e)
{
	EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
	int ret = -1;
	if (!eku)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		ASN1_OBJECT *o = eku_object(names[i]);
		if (!o || !sk_ASN1_OBJECT_push(eku, o)) {
			ASN1_OBJECT_free(o);
			goto fail;
		}
	}
	/* §4.2.1.12: non-critical, so that it constrains without breaking relying
	 * parties that do not know a purpose. */
	ret = ext_add(x, NID_ext_key_usage, eku, 0, e);
	goto out;
fail:
	err_openssl(e, "extendedKeyUsage");
out:
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return ret;
}

/* The profile's extensions, in one fixed order. issuer NULL: self-signed (§4.2.1.1:
 * the AKI MAY be omitted there, and the root profile omits it). */
static int add_profile(X509 *x, const struct x509_cert_spec *s, X509 *issuer, struct err *e)
{
	int ret = -1;
	AUTHORITY_KEYID *akid = NULL;
	if (add_basic_constraints(x, s->pathlen, e) || add_key_usage(x, e) || add_ski(x, e))
		goto out;
	if (issuer) {
		if (!(akid = aki_of(issuer, e)) || ext_add(x, NID_authority_key_identifier, akid, 0, e))
			goto out;
	}
	if ((s->n_crl_dp && add_crl_dp(x, s->crl_dp, s->n_crl_dp, e)) || ((s->n_ocsp || s->n_ca_issuers) && add_aia(x, s, e)) ||
	    (s->n_policies && add_policies(x, s->policies, s->n_policies, e)) || (s->n_eku && add_eku(x, s->eku, s->n_eku, e)))
		goto out;
	ret = 0;
out:
	AUTHORITY_KEYID_free(akid);
	return ret;
}

/* ------------------------------------------------------------------------- */
/* Certificates. */

/* RFC 5280 §4.1.2.2: positive, at most 20 octets; CA/Browser Forum BR §7.1: at least
 * 64 bits from a CSPRNG. 16 bytes from the token's RNG with the top byte set to
 * 01xxxxxx: 126 random bits, positive, always 16 octets, no leading zero to strip. */
static ASN1_INTEGER *serial_new(struct tok_session *s, struct err *e)
{
	uint8_t b[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	if (tok_random(s, b, sizeof b, e))
		return NULL;
	b[0] = (uint8_t)((b[0] & 0x3f) | 0x40);
	if (!(bn = BN_bin2bn(b, sizeof b, NULL)) || !(ai = BN_to_ASN1_INTEGER(bn, NULL)))
		err_openssl(e, "serial number");
	BN_free(bn);
	return ai;
}

static int set_times(X509 *x, int64_t nb, int64_t na, struct err *e)
{
	/* ASN1_TIME_set picks UTCTime through 2049 and GeneralizedTime from 2050 (§4.1.2.5). */
	ASN1_TIME *a = ASN1_TIME_set(NULL, (time_t)nb), *b = ASN1_TIME_set(NULL, (time_t)na);
	int ret = 0;
	if (!a || !b || X509_set1_notBefore(x, a) != 1 || X509_set1_notAfter(x, b) != 1)
		ret = err_openssl(e, "setting the validity");
	ASN1_TIME_free(a);
	ASN1_TIME_free(b);
	return ret;
}

static int64_t asn1_time_t(const ASN1_TIME *t)
{
	struct tm tm;
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static bool spki_equal(X509_PUBKEY *pk, const struct buf *spki)
{
	unsigned char *der = NULL;
	int n = i2d_X509_PUBKEY(pk, &der);
	bool eq = n > 0 && (size_t)n == spki->len && !memcmp(der, spki->p, spki->len);
	OPENSSL_free(der);
	return eq;
}

/* A certificate already expired when signed is a mistake in the script, not a
 * ceremony result: refused before the token signs anything. */
static int not_expired(int64_t not_after, int64_t now, struct err *e)
{
	if (not_after <= now)
		return err_set(e, ERR_X509, "the certificate's notAfter lies in the past: it would be expired when signed");
	return 0;
}

int x509_cert_self_signed(const struct x509_cert_spec *spec, const struct x509_key *key, const struct x509_sigalg *sa,
			  int64_t now, struct buf *der, struct err *e)
{
	X509 *x = X509_new();
	X509_NAME *name = NULL;
	ASN1_INTEGER *serial = NULL;
	int64_t nb, na;
	int ret = -1;

	if (!x) {
		err_openssl(e, "X509_new");
		goto out;
	}
	if (!spec->n_subject) {
		err_set(e, ERR_X509, "a self-signed certificate needs a subject (RFC 5280 §4.1.2.4: the issuer name is not empty)");
		goto out;
	}
	x509_validity_window(&spec->validity, now, &nb, &na);
	if (not_expired(na, now, e) || name_build(spec->subject, spec->n_subject, &name, e) ||
	    !(serial = serial_new(key->sess, e)))
		goto out;
	/* v3 (§4.1.2.1: extensions present). */
	if (X509_set_version(x, X509_VERSION_3) != 1 || X509_set_serialNumber(x, serial) != 1 ||
	    X509_set_subject_name(x, name) != 1 || X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key->pkey) != 1) {
		err_openssl(e, "building the certificate");
		goto out;
	}
	if (!spki_equal(X509_get_X509_PUBKEY(x), &key->spki)) {
		err_set(e, ERR_X509, "the certificate's public key does not encode as the token exported it");
		goto out;
	}
	if (set_times(x, nb, na, e) || add_profile(x, spec, NULL, e) || token_sign_object(OBJ_CERT, x, key, sa, der, e))
		goto out;
	ret = 0;
out:
	ASN1_INTEGER_free(serial);
	X509_NAME_free(name);
	X509_free(x);
	return ret;
}

static X509 *cert_parse(const uint8_t *der, size_t len, const char *what, struct err *e)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len) {
		X509_free(x);
		err_openssl(e, "not a DER certificate");
		err_wrap(e, "%s", what);
		return NULL;
	}
	return x;
}

static X509_REQ *req_parse(const uint8_t *data, size_t len, struct err *e)
{
	uint8_t *der = NULL;
	size_t der_len = 0;
	bool owned = false;
	X509_REQ *r = NULL;
	if (x509_der_of("CERTIFICATE REQUEST", data, len, &der, &der_len, &owned, e))
		return NULL;
	const unsigned char *p = der;
	r = d2i_X509_REQ(NULL, &p, (long)der_len);
	if (!r || p != der + der_len) {
		X509_REQ_free(r);
		r = NULL;
		err_openssl(e, "the certificate request is not a DER or PEM PKCS#10 request");
	}
	if (owned)
		free(der);
	return r;
}

/* RFC 2986 §3: the request is signed with the private key of the key it carries;
 * a request whose signature does not verify proves nothing about who asked. */
static int req_verify(X509_REQ *r, struct err *e)
{
	EVP_PKEY *k = X509_REQ_get0_pubkey(r);
	if (!k)
		return err_openssl(e, "the certificate request's public key cannot be read");
	if (X509_REQ_verify(r, k) != 1) {
		ERR_clear_error();
		return err_set(e, ERR_X509, "the certificate request's signature does not verify with its own public key: "
					  "it was altered or not signed by that key; nothing was signed");
	}
	return 0;
}

int x509_csr_verify(const uint8_t *data, size_t len, struct err *e)
{
	X509_REQ *r = req_parse(data, len, e);
	int ret = r ? req_verify(r, e) : -1;
	X509_REQ_free(r);
	return ret;
}

static bool cert_has_ext(X509 *x, const ASN1_OBJECT *o)
{
	return X509_get_ext_by_OBJ(x, o, -1) >= 0;
}

/* Checks that issuer (with issuer_key) may sign a CA certificate with pathlen and
 * the window nb..na. */
static int issuer_may_issue(X509 *issuer, const struct x509_key *issuer_key, int pathlen, int64_t nb, int64_t na,
			    struct err *e)
{
	char a[24], b[24];
	uint32_t flags = X509_get_extension_flags(issuer);
	long ipl;
	if (!spki_equal(X509_get_X509_PUBKEY(issuer), &issuer_key->spki))
		return err_set(e, ERR_X509, "the issuer key is not the key of the issuer certificate (their public keys differ)");
	/* §4.2.1.9 and §4.2.1.3: only a CA with keyCertSign signs certificates. */
	if (!(flags & EXFLAG_CA) || !(X509_get_key_usage(issuer) & KU_KEY_CERT_SIGN))
		return err_set(e, ERR_X509, "the issuer certificate is not a CA certificate with keyCertSign");
	ipl = X509_get_pathlen(issuer);
	if (ipl == 0)
		return err_set(e, ERR_X509, "the issuer's pathLenConstraint is 0: it may certify no CA below it (RFC 5280 "
					  "§4.2.1.9)");
	if (ipl > 0 && pathlen >= 0 && pathlen > ipl - 1)
		return err_set(e, ERR_X509, "pathlen %d does not fit below an issuer with pathlen %ld (at most %ld)", pathlen,
			       ipl, ipl - 1);
	int64_t inb = asn1_time_t(X509_get0_notBefore(issuer)), ina = asn1_time_t(X509_get0_notAfter(issuer));
	if (na > ina) {
		x509_time_format(na, a);
		x509_time_format(ina, b);
		return err_set(e, ERR_X509, "the certificate would be valid until %s, after its issuer expires (%s)", a, b);
	}
	if (nb < inb) {
		x509_time_format(nb, a);
		x509_time_format(inb, b);
		return err_set(e, ERR_X509, "the certificate would be valid from %s, before its issuer is (%s)", a, b);
	}
	return 0;
}

int x509_cert_issue(const struct x509_cert_spec *spec, const uint8_t *csr, size_t csr_len, const uint8_t *issuer,
		    size_t issuer_len, const struct x509_key *issuer_key, const struct x509_sigalg *sa, int64_t now,
		    struct buf *der, struct err *e)
{
	X509 *x = NULL, *ic = NULL;
	X509_REQ *req = NULL;
	X509_NAME *name = NULL;
	ASN1_INTEGER *serial = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	unsigned char *spki = NULL;
	struct buf req_spki = {0};
	int64_t nb, na;
	int n, ret = -1;

	if (!(req = req_parse(csr, csr_len, e)) || req_verify(req, e))
		goto out;
	if (!(ic = cert_parse(issuer, issuer_len, "the issuer certificate", e)))
		goto out;
	x509_validity_window(&spec->validity, now, &nb, &na);
	if (not_expired(na, now, e) || issuer_may_issue(ic, issuer_key, spec->pathlen, nb, na, e))
		goto out;
	if (spec->n_subject) {
		if (name_build(spec->subject, spec->n_subject, &name, e))
			goto out;
	} else if (!(name = X509_NAME_dup(X509_REQ_get_subject_name(req)))) {
		err_openssl(e, "copying the request's subject");
		goto out;
	}
	/* §4.1.2.6: a CA's subject is not empty. */
	if (X509_NAME_entry_count(name) == 0) {
		err_set(e, ERR_X509, "the certificate request has an empty subject; a CA certificate needs one "
				  "(or give 'subject' in the step)");
		goto out;
	}
	if ((n = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(req), &spki)) <= 0 || buf_append(&req_spki, spki, (size_t)n, e)) {
		err_openssl(e, "reading the request's public key");
		goto out;
	}
	if (!(serial = serial_new(issuer_key->sess, e)))
		goto out;
	x = X509_new();
	if (!x || X509_set_version(x, X509_VERSION_3) != 1 || X509_set_serialNumber(x, serial) != 1 ||
	    X509_set_subject_name(x, name) != 1 || X509_set_issuer_name(x, X509_get_subject_name(ic)) != 1 ||
	    X509_set_pubkey(x, X509_REQ_get0_pubkey(req)) != 1) {
		err_openssl(e, "building the certificate");
		goto out;
	}
	/* The key certified is exactly the key requested, bit for bit. */
	if (!spki_equal(X509_get_X509_PUBKEY(x), &req_spki)) {
		err_set(e, ERR_X509, "the certificate's public key does not encode as the request's");
		goto out;
	}
	if (set_times(x, nb, na, e) || add_profile(x, spec, ic, e))
		goto out;
	/* The request's extensions are what its maker asked for, not what the script
	 * reviewed: taken only when the script says so, and never over the profile's. */
	if (spec->allow_csr_extensions && (exts = X509_REQ_get_extensions(req))) {
		for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
			X509_EXTENSION *ex = sk_X509_EXTENSION_value(exts, i);
			if (!cert_has_ext(x, X509_EXTENSION_get_object(ex)) && X509_add_ext(x, ex, -1) != 1) {
				err_openssl(e, "copying a requested extension");
				goto out;
			}
		}
	}
	if (token_sign_object(OBJ_CERT, x, issuer_key, sa, der, e))
		goto out;
	ret = 0;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	OPENSSL_free(spki);
	buf_free(&req_spki);
	ASN1_INTEGER_free(serial);
	X509_NAME_free(name);
	X509_REQ_free(req);
	X509_free(ic);
	X509_free(x);
	return ret;
}

int x509_csr_create(const struct x509_rdn *subject, size_t n_subject, const struct x509_key *key,
		    const struct x509_sigalg *sa, struct buf *der, struct err *e)
{
	X509_REQ *r = X509_REQ_new();
	X509_NAME *name = NULL;
	int ret = -1;
	if (!r) {
		err_openssl(e, "X509_REQ_new");
		goto out;
	}
	if (!n_subject) {
		err_set(e, ERR_X509, "a certificate request needs a subject");
		goto out;
	}
	if (name_build(subject, n_subject, &name, e))
		goto out;
	/* RFC 2986 §4.1: version 0 (v1). */
	if (X509_REQ_set_version(r, 0) != 1 || X509_REQ_set_subject_name(r, name) != 1 || X509_REQ_set_pubkey(r, key->pkey) != 1) {
		err_openssl(e, "building the certificate request");
		goto out;
	}
	if (!spki_equal(X509_REQ_get_X509_PUBKEY(r), &key->spki)) {
		err_set(e, ERR_X509, "the request's public key does not encode as the token exported it");
		goto out;
	}
	if (token_sign_object(OBJ_REQ, r, key, sa, der, e))
		goto out;
	ret = 0;
out:
	X509_NAME_free(name);
	X509_REQ_free(r);
	return ret;
}

/* ------------------------------------------------------------------------- */
/* CRLs. */

int x509_serial_parse(const char *hex, uint8_t out[20], size_t *len)
{
	char digits[2 * 20 + 2];
	size_t n = 0;
	for (const char *p = hex; *p; p++) {
		if (*p == ':' || *p == ' ')
			continue;
		if (!isxdigit((unsigned char)*p) || n >= sizeof digits - 1)
			return -1;
		digits[n++] = *p;
	}
	digits[n] = 0;
	/* Leading zeros are not part of the number (DER INTEGER is minimal). */
	size_t skip = 0;
	while (skip + 1 < n && digits[skip] == '0')
		skip++;
	const char *d = digits + skip;
	size_t dl = n - skip;
	if (dl == 0 || (dl == 1 && d[0] == '0'))
		return -1;
	/* §4.1.2.2: at most 20 octets as a positive INTEGER (so the top bit of 20 is clear). */
	size_t bytes = (dl + 1) / 2;
	if (bytes > 20 || (bytes == 20 && (dl % 2 == 0) && strchr("89abcdefABCDEF", d[0])))
		return -1;
	memset(out, 0, 20);
	for (size_t i = 0; i < dl; i++) {
		char c = d[dl - 1 - i];
		int v = isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
		out[bytes - 1 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
	}
	*len = bytes;
	return 0;
}

/* One revokedCertificates entry (RFC 5280 §5.1.2.6), refused when its serial is
 * already listed. */
static int add_revoked(X509_CRL *crl, const uint8_t *sn, size_t sn_len, int reason, int64_t date, struct err *e)
{
	BIGNUM *bn = BN_bin2bn(sn, (int)sn_len, NULL);
	ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	ASN1_TIME *rd = ASN1_TIME_set(NULL, (time_t)date);
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_ENUMERATED *code = NULL;
	STACK_OF(X509_REVOKED) *have = X509_CRL_get_REVOKED(crl);
	int ret = -1;
	if (!ai || !rd || !r || X509_REVOKED_set_serialNumber(r, ai) != 1 || X509_REVOKED_set_revocationDate(r, rd) != 1) {
		err_openssl(e, "building the entry");
		goto out;
	}
	/* §5.3.1: the reasonCode extension, non-critical; absent rather than unspecified. */
	if (reason >= 0 && (!(code = ASN1_ENUMERATED_new()) || ASN1_ENUMERATED_set(code, reason) != 1 ||
			    X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, code, 0, 0) != 1)) {
		err_openssl(e, "reasonCode");
		goto out;
	}
	for (int j = 0; have && j < sk_X509_REVOKED_num(have); j++)
		if (!ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(have, j)), ai)) {
			err_set(e, ERR_X509, "its serial number is listed twice");
			goto out;
		}
	if (X509_CRL_add0_revoked(crl, r) != 1) {
		err_openssl(e, "adding the entry");
		goto out;
	}
	r = NULL;   /* owned by crl */
	ret = 0;
out:
	ASN1_ENUMERATED_free(code);
	X509_REVOKED_free(r);
	ASN1_TIME_free(rd);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return ret;
}

int x509_crl_create(const struct x509_crl_spec *spec, const uint8_t *issuer, size_t issuer_len,
		    const struct x509_key *issuer_key, const struct x509_sigalg *sa, int64_t now, struct buf *der,
		    struct err *e)
{
	X509 *ic = NULL;
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *tu = NULL, *nu = NULL;
	ASN1_INTEGER *num = NULL;
	AUTHORITY_KEYID *akid = NULL;
	int64_t this_update = spec->this_update ? spec->this_update : now;
	int64_t next_update = spec->next_update_days ? this_update + (int64_t)spec->next_update_days * 86400 : spec->next_update;
	int ret = -1;

	if (!crl) {
		err_openssl(e, "X509_CRL_new");
		goto out;
	}
	if (!(ic = cert_parse(issuer, issuer_len, "the issuer certificate", e)))
		goto out;
	if (!spki_equal(X509_get_X509_PUBKEY(ic), &issuer_key->spki)) {
		err_set(e, ERR_X509, "the issuer key is not the key of the issuer certificate (their public keys differ)");
		goto out;
	}
	/* §4.2.1.3: the key that signs CRLs has cRLSign. */
	if (!(X509_get_key_usage(ic) & KU_CRL_SIGN)) {
		err_set(e, ERR_X509, "the issuer certificate's keyUsage has no cRLSign");
		goto out;
	}
	if (next_update <= this_update) {
		err_set(e, ERR_X509, "nextUpdate must come after thisUpdate");
		goto out;
	}
	tu = ASN1_TIME_set(NULL, (time_t)this_update);
	nu = ASN1_TIME_set(NULL, (time_t)next_update);
	/* §5.1.2.1: v2, since the CRL has extensions. */
	if (!tu || !nu || X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ic)) != 1 || X509_CRL_set1_lastUpdate(crl, tu) != 1 ||
	    X509_CRL_set1_nextUpdate(crl, nu) != 1) {
		err_openssl(e, "building the CRL");
		goto out;
	}
	for (size_t i = 0; i < spec->n_revoked; i++) {
		const struct x509_revoked *rv = &spec->revoked[i];
		uint8_t sn[20];
		size_t sn_len = rv->serial_len;
		int64_t date = rv->date ? rv->date : this_update;
		if (rv->serial_hex) {
			if (x509_serial_parse(rv->serial_hex, sn, &sn_len)) {
				err_set(e, ERR_X509, "'%s' is not a certificate serial number in hex", rv->serial_hex);
				goto out;
			}
		} else {
			memcpy(sn, rv->serial, sizeof sn);
		}
		if (date > this_update) {
			err_set(e, ERR_X509, "revocation %zu is dated after thisUpdate", i + 1);
			goto out;
		}
		if (add_revoked(crl, sn, sn_len, rv->reason, date, e)) {
			err_wrap(e, "revocation %zu", i + 1);
			goto out;
		}
	}
	if (X509_CRL_sort(crl) != 1) {
		err_openssl(e, "sorting the revoked certificates");
		goto out;
	}
	/* §5.2.3 cRLNumber and §5.2.1 authorityKeyIdentifier: both MUST, non-critical. */
	num = ASN1_INTEGER_new();
	if (!num || ASN1_INTEGER_set_uint64(num, spec->number) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1) {
		err_openssl(e, "cRLNumber");
		goto out;
	}
	if (!(akid = aki_of(ic, e)))
		goto out;
	if (X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, 0) != 1) {
		err_openssl(e, "authorityKeyIdentifier");
		goto out;
	}
	if (token_sign_object(OBJ_CRL, crl, issuer_key, sa, der, e))
		goto out;
	ret = 0;
out:
	AUTHORITY_KEYID_free(akid);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	X509_free(ic);
	X509_CRL_free(crl);
	return ret;
}

/* ------------------------------------------------------------------------- */
/* Reading back. */

static void hex_of(const ASN1_STRING *s, char *out, size_t cap)
{
	out[0] = 0;
	if (s)
		words_hex(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), out, cap);
}

const char *x509_name_text(const X509_NAME *n, char *out, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;
	out[0] = 0;
	/* RFC 2253 order and escaping, but UTF-8 shown as is rather than as \XX. */
	if (!b || X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
		BIO_free(b);
		ERR_clear_error();
		return out;
	}
	len = BIO_get_mem_data(b, &data);
	snprintf(out, cap, "%.*s", (int)len, data);
	BIO_free(b);
	return out;
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
	uint8_t h[32];
	SHA256(p, n, h);
	words_hex(h, sizeof h, out, 65);
}

static void pubkey_hex(X509_PUBKEY *pk, char out[65])
{
	unsigned char *der = NULL;
	int n = i2d_X509_PUBKEY(pk, &der);
	out[0] = 0;
	if (n > 0)
		sha256_hex(der, (size_t)n, out);
	OPENSSL_free(der);
}

int x509_cert_info(const uint8_t *der, size_t len, struct x509_info *o, struct err *e)
{
	X509 *x = cert_parse(der, len, "certificate", e);
	BIGNUM *bn = NULL;
	char *hex = NULL;
	if (!x)
		return -1;
	memset(o, 0, sizeof *o);
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) && (hex = BN_bn2hex(bn)))
		snprintf(o->serial, sizeof o->serial, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	x509_name_text(X509_get_subject_name(x), o->subject, sizeof o->subject);
	x509_name_text(X509_get_issuer_name(x), o->issuer, sizeof o->issuer);
	o->t_not_before = asn1_time_t(X509_get0_notBefore(x));
	o->t_not_after = asn1_time_t(X509_get0_notAfter(x));
	x509_time_format(o->t_not_before, o->not_before);
	x509_time_format(o->t_not_after, o->not_after);
	hex_of(X509_get0_subject_key_id(x), o->ski, sizeof o->ski);
	hex_of(X509_get0_authority_key_id(x), o->aki, sizeof o->aki);
	o->ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
	o->pathlen = o->ca ? (int)X509_get_pathlen(x) : -1;
	sha256_hex(der, len, o->sha256);
	pubkey_hex(X509_get_X509_PUBKEY(x), o->public_key_sha256);
	X509_free(x);
	ERR_clear_error();
	return 0;
}

int x509_csr_info(const uint8_t *der, size_t len, struct x509_info *o, struct err *e)
{
	X509_REQ *r = req_parse(der, len, e);
	if (!r)
		return -1;
	memset(o, 0, sizeof *o);
	o->pathlen = -1;
	x509_name_text(X509_REQ_get_subject_name(r), o->subject, sizeof o->subject);
	sha256_hex(der, len, o->sha256);
	pubkey_hex(X509_REQ_get_X509_PUBKEY(r), o->public_key_sha256);
	X509_REQ_free(r);
	return 0;
}

int x509_crl_info(const uint8_t *der, size_t len, struct x509_info *o, struct err *e)
{
	const unsigned char *p = der;
	X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)len);
	ASN1_INTEGER *num = NULL;
	AUTHORITY_KEYID *akid = NULL;
	BIGNUM *bn = NULL;
	char *dec = NULL;
	if (!c || p != der + len) {
		X509_CRL_free(c);
		return err_openssl(e, "not a DER CRL");
	}
	memset(o, 0, sizeof *o);
	o->pathlen = -1;
	x509_name_text(X509_CRL_get_issuer(c), o->issuer, sizeof o->issuer);
	o->t_not_before = asn1_time_t(X509_CRL_get0_lastUpdate(c));
	o->t_not_after = asn1_time_t(X509_CRL_get0_nextUpdate(c));
	x509_time_format(o->t_not_before, o->not_before);
	x509_time_format(o->t_not_after, o->not_after);
	if ((num = X509_CRL_get_ext_d2i(c, NID_crl_number, NULL, NULL)) && (bn = ASN1_INTEGER_to_BN(num, NULL)) &&
	    (dec = BN_bn2dec(bn)))
		snprintf(o->number, sizeof o->number, "%s", dec);
	if ((akid = X509_CRL_get_ext_d2i(c, NID_authority_key_identifier, NULL, NULL)))
		hex_of(akid->keyid, o->aki, sizeof o->aki);
	STACK_OF(X509_REVOKED) *rv = X509_CRL_get_REVOKED(c);
	o->n_revoked = rv ? (size_t)sk_X509_REVOKED_num(rv) : 0;
	sha256_hex(der, len, o->sha256);
	OPENSSL_free(dec);
	BN_free(bn);
	ASN1_INTEGER_free(num);
	AUTHORITY_KEYID_free(akid);
	X509_CRL_free(c);
	ERR_clear_error();
	return 0;
}

int x509_pem(const char *type, const uint8_t *der, size_t len, struct buf *out, struct err *e)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int ret = -1;
	if (!b || PEM_write_bio(b, type, "", der, (long)len) <= 0) {
		err_openssl(e, "encoding PEM");
		goto out;
	}
	n = BIO_get_mem_data(b, &data);
	ret = buf_append(out, data, (size_t)n, e);
out:
	BIO_free(b);
	return ret;
}

int x509_der_of(const char *type, const uint8_t *data, size_t len, uint8_t **der, size_t *der_len, bool *owned,
		struct err *e)
{
	static const char begin[] = "-----BEGIN ";
	size_t skip = 0;
	while (skip < len && isspace(data[skip]))
		skip++;
	*owned = false;
	if (len - skip < sizeof begin - 1 || memcmp(data + skip, begin, sizeof begin - 1)) {
		*der = (uint8_t *)data;
		*der_len = len;
		return 0;
	}
	BIO *b = BIO_new_mem_buf(data, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *d = NULL;
	long dl = 0;
	int ret = -1;
	if (!b || PEM_read_bio(b, &name, &header, &d, &dl) != 1) {
		err_openssl(e, "reading PEM");
		goto out;
	}
	/* Older tools label requests "NEW CERTIFICATE REQUEST" (RFC 7468 §7). */
	if (strcmp(name, type) && !(!strcmp(type, "CERTIFICATE REQUEST") && !strcmp(name, "NEW CERTIFICATE REQUEST"))) {
		err_set(e, ERR_X509, "expected PEM '%s', found '%s'", type, name);
		goto out;
	}
	if (!(*der = malloc(dl ? (size_t)dl : 1))) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*der, d, (size_t)dl);
	*der_len = (size_t)dl;
	*owned = true;
	ret = 0;
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(d);
	BIO_free(b);
	return ret;
}

/* ------------------------------------------------------------------------- */
/* Time. */

int x509_time_parse(const char *s, int64_t *t)
{
	struct tm tm = {0}, back;
	int y, mo, d, h, mi, se;
	char z;
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	if (strlen(s) != sizeof shape - 1)
		return -1;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return -1;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &z) != 7 || y < 1950)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	time_t v = timegm(&tm);
	/* timegm normalises 2026-02-30 to March: a date that does not come back is not a date. */
	if (!gmtime_r(&v, &back) || back.tm_year != tm.tm_year || back.tm_mon != mo - 1 || back.tm_mday != d ||
	    back.tm_hour != h || back.tm_min != mi || back.tm_sec != se)
		return -1;
	*t = (int64_t)v;
	return 0;
}

void x509_time_format(int64_t t, char out[24])
{
	struct tm tm;
	time_t v = (time_t)t;
	if (!gmtime_r(&v, &tm) || !strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 24, "?");
}

/* ------------------------------------------------------------------------- */
/* Load-time checks. */

void x509_validity_window(const struct x509_validity *v, int64_t now, int64_t *nb, int64_t *na)
{
	if (v->days) {
		*nb = now;
		*na = now + (int64_t)v->days * 86400;
	} else {
		*nb = v->not_before;
		*na = v->not_after;
	}
}

const char *x509_profile_name(enum x509_profile p)
{
	switch (p) {
	case X509_ROOT_CA: return "root-ca";
	case X509_SUBORDINATE_CA: return "subordinate-ca";
	default: return "issuing-ca";
	}
}

const char *x509_pathlen_problem(enum x509_profile p, int pathlen)
{
	switch (p) {
	case X509_ISSUING_CA:
		return pathlen == 0 ? NULL : "an issuing CA certifies end entities only: its pathlen must be 0 (RFC 5280 §4.2.1.9)";
	case X509_SUBORDINATE_CA:
		return pathlen >= 1 ? NULL : "a subordinate CA certifies issuing CAs: its pathlen must be at least 1 "
					     "(use profile issuing-ca for a CA that signs end entities only)";
	default:
		return pathlen != 0 ? NULL : "a root CA with pathlen 0 could certify no CA below it; leave pathlen out or "
					     "give at least 1";
	}
}

bool x509_tier_note(enum x509_profile p, int64_t seconds, char *buf, size_t len)
{
	/* Seed 003: "Root 10-20 years -> Sub 5-10 years -> Issuance 1-3 years". */
	static const int lo[] = {10, 5, 1}, hi[] = {20, 10, 3};
	static const char *const tier[] = {"a root CA", "a subordinate CA", "an issuing CA"};
	int64_t days = seconds / 86400;
	int i = p == X509_ROOT_CA ? 0 : p == X509_SUBORDINATE_CA ? 1 : 2;
	if (days >= (int64_t)lo[i] * 365 && days <= (int64_t)hi[i] * 366)
		return false;
	int64_t tenths = (days * 40 + 730) / 1461;   /* days / 365.25, in tenths of a year */
	snprintf(buf, len, "validity of %lld days (%lld.%lld years) is outside the range for %s (%d to %d years)",
		 (long long)days, (long long)(tenths / 10), (long long)(tenths % 10), tier[i], lo[i], hi[i]);
	return true;
}

/* ------------------------------------------------------------------------- */
/* Script parameters. */

int x509_parse_subject(const struct ydoc *d, const struct ynode *n, struct x509_rdn *out, size_t *n_out, struct err *e)
{
	X509_NAME *scratch = X509_NAME_new();
	size_t k = 0;
	int ret = -1;
	if (!scratch)
		return err_openssl(e, "X509_NAME_new");
	if (ynode_want_map(d, n, "'subject' (a map such as {CN: Example Root CA, O: Example Inc., C: US})", e))
		goto out;
	if (!n->n) {
		ydoc_err(d, n, e, "expected at least one attribute in 'subject', found an empty map");
		goto out;
	}
	for (size_t i = 0; i < n->n; i++) {
		const char *type = n->keys[i]->str;
		const struct ynode *v = n->vals[i];
		if (!openssl_name_type(type)) {
			struct ynode_near near;
			char list[400] = "";
			ynode_near_init(&near, type);
			for (size_t j = 0; j < sizeof name_types / sizeof name_types[0]; j++) {
				ynode_near_add(&near, name_types[j].script);
				size_t used = strlen(list);
				snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", name_types[j].script);
			}
			if (ynode_near_best(&near))
				ydoc_err(d, n->keys[i], e, "unknown subject attribute '%s' (did you mean '%s'?)", type,
					 ynode_near_best(&near));
			else
				ydoc_err(d, n->keys[i], e, "unknown subject attribute '%s'; expected one of: %s", type, list);
			goto out;
		}
		size_t count = v->kind == YN_SEQ ? v->n : 1;
		for (size_t j = 0; j < count; j++) {
			const struct ynode *one = v->kind == YN_SEQ ? v->vals[j] : v;
			char what[80];
			snprintf(what, sizeof what, "subject attribute '%s'", type);
			if (k >= X509_MAX_RDN) {
				ydoc_err(d, one, e, "too many subject attributes: at most %d", X509_MAX_RDN);
				goto out;
			}
			if (ynode_want_str(d, one, what, &out[k].value, e))
				goto out;
			out[k].type = type;
			/* Built now, so that a bad value is reported at its line, not in the room. */
			if (name_add(scratch, &out[k], e)) {
				ydoc_err(d, one, e, "%s", e->msg);
				goto out;
			}
			k++;
		}
		if (!count) {
			ydoc_err(d, v, e, "expected at least one value for subject attribute '%s'", type);
			goto out;
		}
	}
	*n_out = k;
	ret = 0;
out:
	X509_NAME_free(scratch);
	return ret;
}

int x509_parse_sigalg(const struct ydoc *d, const struct ynode *n, struct x509_sigalg *sa, struct err *e)
{
	static const char *const keys[] = {"hash", "padding", NULL};
	const struct ynode *h, *p;
	const char *s;
	memset(sa, 0, sizeof *sa);
	if (!n)
		return 0;
	if (ynode_want_map(d, n, "'signature' (a map such as {hash: sha384})", e) ||
	    ynode_only_keys(d, n, keys, "'signature'", e))
		return -1;
	if ((h = ynode_get(n, "hash"))) {
		if (ynode_want_str(d, h, "'hash'", &s, e))
			return -1;
		if (!strcmp(s, "sha256"))
			sa->hash = X509_HASH_SHA256;
		else if (!strcmp(s, "sha384"))
			sa->hash = X509_HASH_SHA384;
		else if (!strcmp(s, "sha512"))
			sa->hash = X509_HASH_SHA512;
		else
			return ydoc_err(d, h, e, "expected hash sha256, sha384 or sha512, found '%s'", s);
	}
	if ((p = ynode_get(n, "padding"))) {
		if (ynode_want_str(d, p, "'padding'", &s, e))
			return -1;
		if (!strcmp(s, "pss"))
			sa->padding = X509_PAD_PSS;
		else if (!strcmp(s, "pkcs1"))
			sa->padding = X509_PAD_PKCS1;
		else
			return ydoc_err(d, p, e, "expected padding pss or pkcs1 (RSA keys only), found '%s'", s);
	}
	return 0;
}

static int parse_time_key(const struct ydoc *d, const struct ynode *n, const char *what, int64_t *t, struct err *e)
{
	const char *s;
	if (ynode_want_str(d, n, what, &s, e))
		return -1;
	if (x509_time_parse(s, t))
		return ydoc_err(d, n, e, "expected %s as a UTC date and time such as \"2026-11-22T00:00:00Z\", found '%s'",
				what, s);
	return 0;
}

/* A list of strings (or one string), each checked by ok(). */
static int parse_list(const struct ydoc *d, const struct ynode *n, const char *what, const char **out, size_t *n_out,
		      const char *(*bad)(const char *), struct err *e)
{
	size_t count = n->kind == YN_SEQ ? n->n : 1;
	if (n->kind == YN_MAP)
		return ydoc_err(d, n, e, "expected %s as a list, found a map", what);
	if (count == 0)
		return ydoc_err(d, n, e, "expected at least one item in %s, found an empty list", what);
	if (count > X509_MAX_LIST)
		return ydoc_err(d, n, e, "expected at most %d items in %s, found %zu", X509_MAX_LIST, what, count);
	for (size_t i = 0; i < count; i++) {
		const struct ynode *one = n->kind == YN_SEQ ? n->vals[i] : n;
		const char *why;
		if (ynode_want_str(d, one, what, &out[i], e))
			return -1;
		if ((why = bad(out[i])))
			return ydoc_err(d, one, e, "%s in %s: '%s'", why, what, out[i]);
	}
	*n_out = count;
	return 0;
}

/* §4.2.1.13 and §4.2.2.1: a URI with a scheme; IA5String, so ASCII without blanks. */
static const char *bad_uri(const char *s)
{
	const char *p = s;
	if (!isalpha((unsigned char)*p))
		return "expected a URI such as http://crl.example.com/root.crl";
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (strncmp(p, "://", 3) || !p[3])
		return "expected a URI with a scheme and a host, such as http://crl.example.com/root.crl";
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return "a URI is ASCII without blanks (IA5String)";
	return NULL;
}

static const char *bad_oid(const char *s)
{
	ASN1_OBJECT *o;
	if (strspn(s, "0123456789.") != strlen(s) || !strchr(s, '.'))
		return "expected a dotted OID such as 2.23.140.1.2.1 (anyPolicy is 2.5.29.32.0)";
	o = OBJ_txt2obj(s, 1);
	ERR_clear_error();
	if (!o)
		return "not a valid OID";
	ASN1_OBJECT_free(o);
	return NULL;
}

static const char *bad_eku(const char *s)
{
	for (size_t i = 0; eku_names[i]; i++)
		if (!strcmp(eku_names[i], s))
			return NULL;
	if (strspn(s, "0123456789.") == strlen(s))
		return bad_oid(s);
	return "expected serverAuth, clientAuth, codeSigning, emailProtection, timeStamping, OCSPSigning or a dotted OID";
}

static int parse_validity(const struct ydoc *d, const struct ynode *step, const char *id, struct x509_validity *v,
			  struct err *e)
{
	const struct ynode *days = ynode_get(step, "validity_days"), *nb = ynode_get(step, "not_before"),
			   *na = ynode_get(step, "not_after");
	memset(v, 0, sizeof *v);
	if (days && (nb || na))
		return ydoc_err(d, nb ? nb : na, e, "step '%s': give either 'validity_days' or 'not_before' and 'not_after', "
						    "not both", id);
	if (days)
		/* 100 years is far beyond any CA; the bound keeps the arithmetic in range. */
		return ynode_want_uint(d, days, "'validity_days'", 1, 36525, &v->days, e);
	if (!nb || !na)
		return ydoc_err(d, nb ? nb : na ? na : step, e,
				"step '%s': missing validity: 'validity_days: N', or both 'not_before' and 'not_after'", id);
	if (parse_time_key(d, nb, "'not_before'", &v->not_before, e) || parse_time_key(d, na, "'not_after'", &v->not_after, e))
		return -1;
	if (v->not_after <= v->not_before)
		return ydoc_err(d, na, e, "'not_after' must come after 'not_before'");
	if (v->not_after <= (int64_t)time(NULL))
		return ydoc_err(d, na, e, "'not_after' is in the past: the certificate would be expired when signed");
	return 0;
}

int x509_parse_cert_spec(const struct ydoc *d, const struct ynode *step, const char *id, bool self_signed,
			 struct x509_cert_spec *spec, struct err *e)
{
	const struct ynode *n;
	const char *s;
	memset(spec, 0, sizeof *spec);
	spec->pathlen = -1;
	if ((n = ynode_get(step, "profile"))) {
		if (ynode_want_str(d, n, "'profile'", &s, e))
			return -1;
		if (!strcmp(s, "root-ca"))
			spec->profile = X509_ROOT_CA;
		else if (!strcmp(s, "subordinate-ca"))
			spec->profile = X509_SUBORDINATE_CA;
		else if (!strcmp(s, "issuing-ca"))
			spec->profile = X509_ISSUING_CA;
		else
			return ydoc_err(d, n, e, "unknown profile '%s' (expected root-ca, subordinate-ca or issuing-ca)", s);
	} else if (!self_signed) {
		/* An issued CA's tier is a deliberate choice: the script says it. */
		return ydoc_err(d, step, e, "step '%s': missing 'profile' (subordinate-ca or issuing-ca)", id);
	}
	/* Defaults per tier: a subordinate certifies issuing CAs (1), an issuing CA only
	 * end entities (0), a root is left unconstrained. */
	spec->pathlen = spec->profile == X509_SUBORDINATE_CA ? 1 : spec->profile == X509_ISSUING_CA ? 0 : -1;
	if ((n = ynode_get(step, "pathlen"))) {
		uint64_t v;
		const char *why;
		if (ynode_want_uint(d, n, "'pathlen'", 0, 16, &v, e))
			return -1;
		spec->pathlen = (int)v;
		if ((why = x509_pathlen_problem(spec->profile, spec->pathlen)))
			return ydoc_err(d, n, e, "step '%s': pathlen %d does not fit profile %s: %s", id, spec->pathlen,
					x509_profile_name(spec->profile), why);
	}
	if ((n = ynode_get(step, "subject"))) {
		if (x509_parse_subject(d, n, spec->subject, &spec->n_subject, e))
			return -1;
	} else if (self_signed) {
		return ydoc_err(d, step, e, "step '%s': missing 'subject' (a map such as {CN: Example Root CA, O: Example "
					    "Inc., C: US})", id);
	}
	if (parse_validity(d, step, id, &spec->validity, e))
		return -1;
	if ((n = ynode_get(step, "crl_distribution_points")) &&
	    parse_list(d, n, "'crl_distribution_points'", spec->crl_dp, &spec->n_crl_dp, bad_uri, e))
		return -1;
	if ((n = ynode_get(step, "authority_info_access"))) {
		static const char *const keys[] = {"ocsp", "ca_issuers", NULL};
		const struct ynode *o, *ci;
		if (ynode_want_map(d, n, "'authority_info_access' (a map {ocsp: [URI], ca_issuers: [URI]})", e) ||
		    ynode_only_keys(d, n, keys, "'authority_info_access'", e))
			return -1;
		if ((o = ynode_get(n, "ocsp")) && parse_list(d, o, "'ocsp'", spec->ocsp, &spec->n_ocsp, bad_uri, e))
			return -1;
		if ((ci = ynode_get(n, "ca_issuers")) &&
		    parse_list(d, ci, "'ca_issuers'", spec->ca_issuers, &spec->n_ca_issuers, bad_uri, e))
			return -1;
		if (!o && !ci)
			return ydoc_err(d, n, e, "expected 'ocsp' or 'ca_issuers' in 'authority_info_access'");
	}
	if ((n = ynode_get(step, "certificate_policies")) &&
	    parse_list(d, n, "'certificate_policies'", spec->policies, &spec->n_policies, bad_oid, e))
		return -1;
	if ((n = ynode_get(step, "extended_key_usage")) &&
	    parse_list(d, n, "'extended_key_usage'", spec->eku, &spec->n_eku, bad_eku, e))
		return -1;
	if ((n = ynode_get(step, "allow_csr_extensions"))) {
		if (self_signed)
			return ydoc_err(d, n, e, "'allow_csr_extensions' is for cert.issue");
		if (ynode_want_bool(d, n, "'allow_csr_extensions'", &spec->allow_csr_extensions, e))
			return -1;
	}
	return 0;
}
