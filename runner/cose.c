/* cose: COSE_Sign1 (RFC 9052 §4.2) signing and verification for transcript
 * records. Algorithms per RFC 9053 §2.1 (ECDSA), §2.2 (EdDSA) and RFC 8230 §2
 * (RSASSA-PSS).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "cose.h"
#include "ecdsa_sig.h"
#include "hash.h"

/* What each COSE alg means to OpenSSL. */
struct alg_info {
	int alg;
	const char *name;
	const char *md;       /* NULL: EdDSA signs the message itself (RFC 9053 §2.2, no prehash) */
	size_t coord;         /* ECDSA: bytes of r and of s (RFC 9053 §2.1); 0 otherwise */
	const char *group;    /* ECDSA curve, as OpenSSL names it */
	const char *keytype;  /* EVP_PKEY type name */
};

static const struct alg_info algs[] = {
	{COSE_ALG_ES256, "ES256", "SHA256", 32, "prime256v1", "EC"},
	{COSE_ALG_ES384, "ES384", "SHA384", 48, "secp384r1", "EC"},
	{COSE_ALG_ES512, "ES512", "SHA512", 66, "secp521r1", "EC"},
	{COSE_ALG_EDDSA, "EdDSA", NULL, 0, NULL, "ED25519"},
	{COSE_ALG_PS256, "PS256", "SHA256", 0, NULL, "RSA"},
};

/* RFC 8230 §2: PS256 uses SHA-256, MGF1 with SHA-256 and a salt as long as the hash. */
enum { PSS_SALT_LEN = 32, RSA_MIN_BITS = 2048 };

static const struct alg_info *alg_find(int alg)
{
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		if (algs[i].alg == alg)
			return &algs[i];
	}
	return NULL;
}

void cose_kid(const uint8_t *spki, size_t spki_len, uint8_t kid[32])
{
	hash_sha256(spki, spki_len, kid);
}

/* Sets PSS parameters on a signing or verifying context. */
static int pss_params(EVP_PKEY_CTX *pctx, struct err *e)
{
	if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, PSS_SALT_LEN) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) <= 0)
		return err_openssl(e, "setting RSASSA-PSS parameters");
	return 0;
}

/* --- the in-memory signer ------------------------------------------------- */

struct mem_impl {
	EVP_PKEY *pkey;
	const struct alg_info *ai;
};

static int mem_sign(struct cose_signer *s, const uint8_t *msg, size_t len, struct buf *sig, struct err *e)
{
	struct mem_impl *m = s->impl;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	int ret = -1;

	if (!ctx) {
		err_set(e, ERR_NOMEM, "out of memory (a signing context)");
		goto out;
	}
	if (EVP_DigestSignInit_ex(ctx, &pctx, m->ai->md, NULL, NULL, m->pkey, NULL) != 1) {
		err_openssl(e, "starting a signature");
		goto out;
	}
	if (m->ai->alg == COSE_ALG_PS256 && pss_params(pctx, e) != 0)
		goto out;
	/* One-shot: Ed25519 cannot be fed piecewise. */
	if (EVP_DigestSign(ctx, NULL, &raw_len, msg, len) != 1) {
		err_openssl(e, "sizing a signature");
		goto out;
	}
	raw = malloc(raw_len);
	if (!raw) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestSign(ctx, raw, &raw_len, msg, len) != 1) {
		err_openssl(e, "signing");
		goto out;
	}
	if (m->ai->coord)
		ret = ecdsa_sig_from_der(raw, raw_len, m->ai->coord, sig, e);
	else
		ret = buf_append(sig, raw, raw_len, e);
out:
	free(raw);
	EVP_MD_CTX_free(ctx);
	return ret;
}

static void mem_free(struct cose_signer *s)
{
	struct mem_impl *m = s->impl;
	if (!m)
		return;
	/* OpenSSL clears private key components (BN_clear_free, secure heap for
	 * ECX keys) when the last reference goes. */
	EVP_PKEY_free(m->pkey);
	OPENSSL_cleanse(m, sizeof *m);
	free(m);
	s->impl = NULL;
}

struct cose_signer *cose_signer_new_memory(int alg, struct err *e)
{
	const struct alg_info *ai = alg_find(alg);
	struct cose_signer *s = NULL, *ret = NULL;
	struct mem_impl *m = NULL;
	EVP_PKEY *pkey = NULL;
	unsigned char *spki = NULL;
	int spki_len;

	if (!ai) {
		err_set(e, ERR_CRYPTO, "unsupported COSE algorithm %d", alg);
		goto out;
	}
	if (ai->coord)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", ai->group);
	else if (alg == COSE_ALG_EDDSA)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)RSA_MIN_BITS);
	if (!pkey) {
		err_openssl(e, "generating the audit key");
		goto out;
	}
	spki_len = i2d_PUBKEY(pkey, &spki);
	if (spki_len <= 0) {
		err_openssl(e, "encoding the audit public key");
		goto out;
	}
	s = calloc(1, sizeof *s);
	m = calloc(1, sizeof *m);
	if (!s || !m || !(s->spki = malloc((size_t)spki_len))) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(s->spki, spki, (size_t)spki_len);
	s->spki_len = (size_t)spki_len;
	cose_kid(s->spki, s->spki_len, s->kid);
	s->alg = alg;
	s->sign = mem_sign;
	s->free = mem_free;
	m->pkey = pkey;
	m->ai = ai;
	s->impl = m;
	ret = s;
	s = NULL;
	m = NULL;
	pkey = NULL;
out:
	OPENSSL_free(spki);
	EVP_PKEY_free(pkey);
	free(m);
	if (s)
		free(s->spki);
	free(s);
	return ret;
}

struct cose_signer *cose_signer_new_memory_es256(struct err *e)
{
	return cose_signer_new_memory(COSE_ALG_ES256, e);
}

void cose_signer_free(struct cose_signer *s)
{
	if (!s)
		return;
	if (s->free)
		s->free(s);
	cose_key_free(&s->check);
	free(s->spki);
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}

/* --- encoding ------------------------------------------------------------- */

int cose_protected(int alg, const uint8_t kid[32], struct buf *out, struct err *e)
{
	cbor_item_t *m = dcbor_map();
	int ret = -1;

	if (!m) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* RFC 9052 §3.1: 1 alg, 3 content type, 4 kid. */
	if (dcbor_put_u(m, 1, dcbor_int(alg), e) != 0 || dcbor_put_u(m, 3, dcbor_text(COSE_CONTENT_TYPE), e) != 0 ||
	    dcbor_put_u(m, 4, dcbor_bytes(kid, 32), e) != 0)
		goto out;
	ret = dcbor_encode(m, out, e);
out:
	if (m)
		cbor_decref(&m);
	return ret;
}

int cose_sig_structure(const uint8_t *prot, size_t prot_len, const uint8_t *payload, size_t payload_len,
		       struct buf *out, struct err *e)
{
	cbor_item_t *a = dcbor_array();
	int ret = -1;

	if (!a) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* RFC 9052 §4.4: [context "Signature1", body_protected, external_aad, payload];
	 * the format has no external AAD, so it is the empty bstr. */
	if (dcbor_push(a, dcbor_text("Signature1"), e) != 0 || dcbor_push(a, dcbor_bytes(prot, prot_len), e) != 0 ||
	    dcbor_push(a, dcbor_bytes(NULL, 0), e) != 0 || dcbor_push(a, dcbor_bytes(payload, payload_len), e) != 0)
		goto out;
	ret = dcbor_encode(a, out, e);
out:
	if (a)
		cbor_decref(&a);
	return ret;
}

int cose_sign1(struct cose_signer *s, const uint8_t *payload, size_t payload_len, struct buf *out, struct err *e)
{
	struct buf prot = {0}, tbs = {0}, sig = {0};
	cbor_item_t *a = NULL;
	int ret = -1;

	if (cose_protected(s->alg, s->kid, &prot, e) != 0 ||
	    cose_sig_structure(prot.p, prot.len, payload, payload_len, &tbs, e) != 0)
		goto out;
	if (s->sign(s, tbs.p, tbs.len, &sig, e) != 0)
		goto out;
	a = dcbor_array();
	if (!a) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* RFC 9052 §4.2: COSE_Sign1 = [protected, unprotected, payload, signature],
	 * tagged 18 (§2) so the record identifies itself. */
	if (dcbor_push(a, dcbor_bytes(prot.p, prot.len), e) != 0 || dcbor_push(a, dcbor_map(), e) != 0 ||
	    dcbor_push(a, dcbor_bytes(payload, payload_len), e) != 0 || dcbor_push(a, dcbor_bytes(sig.p, sig.len), e) != 0)
		goto out;
	size_t start = out->len;
	if (dcbor_encode_tagged(18, a, out, e) != 0)
		goto out;
	/* Fail closed: the record must verify as a verifier will check it before anyone
	 * writes it. A signer can return a signature that does not verify (OpenSSL 3.0's
	 * ECDSA when an allocation fails inside it; a faulty token). */
	cbor_decref(&a);
	const uint8_t *pl;
	size_t used = 0, pl_len;
	int alg;
	if (dcbor_decode_strict(out->p + start, out->len - start, true, &a, &used, e) != 0 ||
	    cose_verify1_keyed(a, s->spki, s->spki_len, &s->check, &pl, &pl_len, &alg, e) != 0) {
		err_wrap(e, "the record just signed does not verify; it is not written");
		out->len = start;
		goto out;
	}
	ret = 0;
out:
	if (a)
		cbor_decref(&a);
	buf_free(&prot);
	buf_free(&tbs);
	buf_free(&sig);
	return ret;
}

/* --- verification --------------------------------------------------------- */

/* Borrowed view of a COSE_Sign1's parts. */
struct sign1 {
	const uint8_t *prot, *payload, *sig;
	size_t prot_len, payload_len, sig_len;
};

static bool definite_bstr(const cbor_item_t *it)
{
	return it && cbor_isa_bytestring(it) && cbor_bytestring_is_definite(it);
}

/* RFC 9052 §4.2 shape, with the format's empty unprotected header. */
static int sign1_parts(const cbor_item_t *record, struct sign1 *p, struct err *e)
{
	cbor_item_t *arr = NULL;
	cbor_item_t **it;
	int ret = -1;

	if (!record || !cbor_isa_tag(record) || cbor_tag_value(record) != 18) {
		err_set(e, ERR_COSE, "record is not a COSE_Sign1 (tag 18)");
		goto out;
	}
	arr = cbor_tag_item(record);   /* incref'd; the record keeps it alive after our decref */
	if (!cbor_isa_array(arr) || cbor_array_size(arr) != 4) {
		err_set(e, ERR_COSE, "COSE_Sign1 is not an array of 4");
		goto out;
	}
	it = cbor_array_handle(arr);
	if (!definite_bstr(it[0]) || !definite_bstr(it[2]) || !definite_bstr(it[3])) {
		err_set(e, ERR_COSE, "COSE_Sign1 protected, payload and signature must be byte strings");
		goto out;
	}
	if (!cbor_isa_map(it[1]) || cbor_map_size(it[1]) != 0) {
		err_set(e, ERR_COSE, "unprotected header is not the empty map");
		goto out;
	}
	p->prot = cbor_bytestring_handle(it[0]);
	p->prot_len = cbor_bytestring_length(it[0]);
	p->payload = cbor_bytestring_handle(it[2]);
	p->payload_len = cbor_bytestring_length(it[2]);
	p->sig = cbor_bytestring_handle(it[3]);
	p->sig_len = cbor_bytestring_length(it[3]);
	ret = 0;
out:
	if (arr)
		cbor_decref(&arr);
	return ret;
}

/* Decodes the protected header: exactly {1: alg, 3: content type, 4: kid}. */
static int parse_protected(const uint8_t *prot, size_t len, int *alg, uint8_t kid[32], struct err *e)
{
	cbor_item_t *m = NULL, *a, *ct, *k;
	size_t used = 0;
	uint64_t v;
	int ret = -1;

	if (dcbor_decode_strict(prot, len, false, &m, &used, e) != 0) {
		err_wrap(e, "protected header");
		goto out;
	}
	if (used != len) {
		err_set(e, ERR_COSE, "trailing bytes after the protected header");
		goto out;
	}
	if (!cbor_isa_map(m) || cbor_map_size(m) != 3) {
		err_set(e, ERR_COSE, "protected header is not a map of exactly {1, 3, 4}");
		goto out;
	}
	a = dcbor_get_u(m, 1);
	ct = dcbor_get_u(m, 3);
	k = dcbor_get_u(m, 4);
	/* Three entries, no duplicates (strict decode) and all three found: exactly {1,3,4}. */
	if (!a || !ct || !k) {
		err_set(e, ERR_COSE, "protected header is not a map of exactly {1, 3, 4}");
		goto out;
	}
	if (!cbor_isa_negint(a) || (v = cbor_get_int(a)) > 1000) {
		err_set(e, ERR_COSE, "protected header alg is not a listed algorithm");
		goto out;
	}
	*alg = -1 - (int)v;
	if (!alg_find(*alg)) {
		err_set(e, ERR_COSE, "algorithm %d is not on the list", *alg);
		goto out;
	}
	if (!cbor_isa_string(ct) || cbor_string_length(ct) != strlen(COSE_CONTENT_TYPE) ||
	    memcmp(cbor_string_handle(ct), COSE_CONTENT_TYPE, strlen(COSE_CONTENT_TYPE)) != 0) {
		err_set(e, ERR_COSE, "content type is not '%s'", COSE_CONTENT_TYPE);
		goto out;
	}
	if (!definite_bstr(k) || cbor_bytestring_length(k) != 32) {
		err_set(e, ERR_COSE, "kid is not a 32-byte byte string");
		goto out;
	}
	memcpy(kid, cbor_bytestring_handle(k), 32);
	ret = 0;
out:
	if (m)
		cbor_decref(&m);
	return ret;
}

int cose_peek(const cbor_item_t *record, int *alg, uint8_t kid[32], struct err *e)
{
	struct sign1 p;
	if (sign1_parts(record, &p, e) != 0)
		return -1;
	return parse_protected(p.prot, p.prot_len, alg, kid, e);
}

/* The key type alg needs, as the id OpenSSL loaded the key with: EVP_PKEY_is_a
 * looks the name up (allocating) and says false when that fails, which would
 * make a failed allocation a "wrong key" verdict. */
static int alg_key_id(const struct alg_info *ai)
{
	return ai->coord ? EVP_PKEY_EC : ai->alg == COSE_ALG_EDDSA ? EVP_PKEY_ED25519 : EVP_PKEY_RSA;
}

/* Parses spki and checks it is a key the alg may use. */
static int load_key(const uint8_t *spki, size_t spki_len, const struct alg_info *ai, EVP_PKEY **out, struct err *e)
{
	const uint8_t *p = spki;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)spki_len);
	char group[64];
	int ret = -1;

	if (!k) {
		err_openssl(e, "parsing the signer's SubjectPublicKeyInfo");
		goto out;
	}
	if (p != spki + spki_len) {
		err_set(e, ERR_COSE, "trailing bytes after the signer's SubjectPublicKeyInfo");
		goto out;
	}
	if (EVP_PKEY_get_base_id(k) != alg_key_id(ai)) {
		err_set(e, ERR_COSE, "signer key is not a %s key as %s needs", ai->keytype, ai->name);
		goto out;
	}
	/* Failing to read the curve is OpenSSL's failure (an allocation), not the key's. */
	if (ai->group && EVP_PKEY_get_group_name(k, group, sizeof group, NULL) != 1) {
		err_openssl(e, "reading the curve of the signer's key");
		goto out;
	}
	if (ai->group && strcmp(group, ai->group) != 0) {
		err_set(e, ERR_COSE, "signer key is not on the curve %s needs (%s)", ai->name, ai->group);
		goto out;
	}
	/* RFC 8230 §2: keys smaller than 2048 bits must not be used. */
	if (ai->alg == COSE_ALG_PS256 && EVP_PKEY_get_bits(k) < RSA_MIN_BITS) {
		err_set(e, ERR_COSE, "RSA key of %d bits is below %d", EVP_PKEY_get_bits(k), RSA_MIN_BITS);
		goto out;
	}
	*out = k;
	k = NULL;
	ret = 0;
out:
	EVP_PKEY_free(k);
	return ret;
}

/* The kept key's verification context, made once: a prehashed alg (ECDSA, PSS)
 * verifies each record's digest with it, without fetching the digest and the
 * signature implementation again for every record (a tenth of the work a record's
 * check costs besides the signature itself). */
static int keyed_ctx(struct cose_key *k, const struct alg_info *ai, struct err *e)
{
	if (k->vctx)
		return 0;
	if (!(k->md = EVP_MD_fetch(NULL, ai->md, NULL)) || !(k->vctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->key, NULL)) ||
	    EVP_PKEY_verify_init(k->vctx) != 1 || EVP_PKEY_CTX_set_signature_md(k->vctx, k->md) != 1) {
		err_openssl(e, "starting signature verification");
		goto fail;
	}
	if (ai->alg == COSE_ALG_PS256 && pss_params(k->vctx, e) != 0)
		goto fail;
	return 0;
fail:
	EVP_PKEY_CTX_free(k->vctx);
	EVP_MD_free(k->md);
	k->vctx = NULL;
	k->md = NULL;
	return -1;
}

/* key, or (kept != NULL) kept's key and context, checks sig over msg. */
static int verify_sig(const struct alg_info *ai, EVP_PKEY *key, struct cose_key *kept, const uint8_t *msg,
		      size_t msg_len, const uint8_t *sig, size_t sig_len, struct err *e)
{
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	struct buf der = {0};
	int rc, ret = -1;

	if (ai->coord) {
		if (ecdsa_sig_to_der(sig, sig_len, ai->coord, &der, e) != 0)
			goto out;
		sig = der.p;
		sig_len = der.len;
	}
	/* The digest by hash.c, which cannot fail (an allocation failing in OpenSSL's
	 * would look like a bad signature); ES512's SHA-512 takes the general path. */
	bool prehash = kept && (ai->alg == COSE_ALG_ES256 || ai->alg == COSE_ALG_PS256 || ai->alg == COSE_ALG_ES384);
	if (prehash) {
		uint8_t dg[HASH_SHA384_LEN];
		size_t dg_len = ai->alg == COSE_ALG_ES384 ? HASH_SHA384_LEN : HASH_SHA256_LEN;
		if (keyed_ctx(kept, ai, e) != 0)
			goto out;
		if (ai->alg == COSE_ALG_ES384)
			hash_sha384(msg, msg_len, dg);
		else
			hash_sha256(msg, msg_len, dg);
		rc = EVP_PKEY_verify(kept->vctx, sig, sig_len, dg, dg_len);
	} else {
		if (!(ctx = EVP_MD_CTX_new())) {
			err_set(e, ERR_NOMEM, "out of memory (a verification context)");
			goto out;
		}
		if (EVP_DigestVerifyInit_ex(ctx, &pctx, ai->md, NULL, NULL, key, NULL) != 1) {
			err_openssl(e, "starting signature verification");
			goto out;
		}
		if (ai->alg == COSE_ALG_PS256 && pss_params(pctx, e) != 0)
			goto out;
		rc = EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len);
	}
	if (rc != 1) {
		/* A bad signature (0) is a verdict, not an OpenSSL failure: drop its queue.
		 * An error (-1, or 0 with an allocation failure queued) is no verdict. */
		unsigned long c;
		bool nomem = false;
		if (rc < 0) {
			err_openssl(e, "verifying a signature");
			goto out;
		}
		while ((c = ERR_get_error()) != 0)
			if (ERR_GET_REASON(c) == ERR_R_MALLOC_FAILURE)
				nomem = true;
		if (nomem)
			err_set(e, ERR_NOMEM, "out of memory verifying a signature");
		else
			err_set(e, ERR_SIGNATURE, "%s signature does not verify", ai->name);
		goto out;
	}
	ret = 0;
out:
	buf_free(&der);
	EVP_MD_CTX_free(ctx);
	return ret;
}

void cose_key_free(struct cose_key *k)
{
	if (!k)
		return;
	free(k->spki);
	EVP_PKEY_CTX_free(k->vctx);
	EVP_MD_free(k->md);
	EVP_PKEY_free(k->key);
	memset(k, 0, sizeof *k);
}

int cose_verify1(const cbor_item_t *record, const uint8_t *spki, size_t spki_len, const uint8_t **payload,
		 size_t *payload_len, int *alg, struct err *e)
{
	return cose_verify1_keyed(record, spki, spki_len, NULL, payload, payload_len, alg, e);
}

int cose_verify1_keyed(const cbor_item_t *record, const uint8_t *spki, size_t spki_len, struct cose_key *cache,
		       const uint8_t **payload, size_t *payload_len, int *alg, struct err *e)
{
	struct sign1 p;
	struct buf tbs = {0};
	const struct alg_info *ai;
	EVP_PKEY *key = NULL, *use;
	uint8_t kid[32], want[32];
	int a = 0, ret = -1;

	if (sign1_parts(record, &p, e) != 0 || parse_protected(p.prot, p.prot_len, &a, kid, e) != 0)
		goto out;
	ai = alg_find(a);
	bool same = cache && cache->spki && cache->spki_len == spki_len && !memcmp(cache->spki, spki, spki_len);
	if (cache && !same) {
		cose_key_free(cache);
		if (!(cache->spki = malloc(spki_len ? spki_len : 1))) {
			err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		memcpy(cache->spki, spki, spki_len);
		cache->spki_len = spki_len;
		cose_kid(spki, spki_len, cache->kid);
	}
	if (cache)
		memcpy(want, cache->kid, 32);
	else
		cose_kid(spki, spki_len, want);
	if (CRYPTO_memcmp(kid, want, 32) != 0) {
		err_set(e, ERR_KID, "kid does not match the signer's key");
		goto out;
	}
	/* The key as checked for this alg (type, curve, size): kept when it is the same. */
	if (cache && cache->key && cache->alg == a) {
		use = cache->key;
	} else {
		if (load_key(spki, spki_len, ai, &key, e) != 0)
			goto out;
		if (cache) {
			EVP_PKEY_CTX_free(cache->vctx);
			EVP_MD_free(cache->md);
			cache->vctx = NULL;
			cache->md = NULL;
			EVP_PKEY_free(cache->key);
			cache->key = key;
			cache->alg = a;
			key = NULL;
			use = cache->key;
		} else {
			use = key;
		}
	}
	if (cose_sig_structure(p.prot, p.prot_len, p.payload, p.payload_len, &tbs, e) != 0)
		goto out;
	if (verify_sig(ai, use, cache, tbs.p, tbs.len, p.sig, p.sig_len, e) != 0)
		goto out;
	if (payload)
		*payload = p.payload;
	if (payload_len)
		*payload_len = p.payload_len;
	if (alg)
		*alg = a;
	ret = 0;
out:
	EVP_PKEY_free(key);
	buf_free(&tbs);
	return ret;
}
