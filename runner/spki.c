/* spki: public keys read from a token, as SubjectPublicKeyInfo DER (see spki.h).
 * Section numbers refer to PKCS#11 Base Specification 3.0 and Mechanisms 3.0. */
#include <stdio.h>
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include "ossl.h"
#include "spki.h"

#ifndef CKA_PUBLIC_KEY_INFO
#define CKA_PUBLIC_KEY_INFO 0x129UL
#endif

/* ML-DSA's SubjectPublicKeyInfo: the OID of each parameter set (RFC 9881) and the
 * size of its encoded public key (FIPS 204 Table 2). */
static const struct mldsa_row {
	CK_ULONG parameter_set;
	const char *oid;
	size_t public_len;
} mldsa_table[] = {
	{CKP_ML_DSA_65, "2.16.840.1.101.3.4.3.18", 1952},
};

/* The row of a parameter set this runner supports, and its name ("ML-DSA-65"). */
static const struct mldsa_row *mldsa_find(CK_ULONG parameter_set, const char **name)
{
	const struct tok_algorithm *a = tok_algorithm_of_parameter_set(parameter_set);
	for (size_t i = 0; a && i < sizeof mldsa_table / sizeof mldsa_table[0]; i++)
		if (mldsa_table[i].parameter_set == parameter_set) {
			*name = a->parameter_set;
			return &mldsa_table[i];
		}
	return NULL;
}

static int spki_of(EVP_PKEY *pkey, struct buf *out, struct err *e)
{
	unsigned char *der = NULL;
	int der_len = i2d_PUBKEY(pkey, &der), ret;
	if (der_len <= 0)
		return err_openssl(e, "encoding SubjectPublicKeyInfo");
	ret = buf_append(out, der, (size_t)der_len, e);
	OPENSSL_free(der);
	return ret;
}

/* The SPKI of a public key of type ("EC", "RSA") whose parameters bld holds;
 * what names the key in messages. */
static int spki_from_params(const char *type, OSSL_PARAM_BLD *bld, const char *what, struct buf *out, struct err *e)
{
	OSSL_PARAM *op = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	int ret = -1;
	if (!(op = OSSL_PARAM_BLD_to_param(bld)) || !(ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL))) {
		err_openssl(e, what);
		goto out;
	}
	if (ossl_rc(EVP_PKEY_fromdata_init(ctx), e, what) ||
	    ossl_rc(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, op), e, what))
		goto out;
	ret = spki_of(pkey, out, e);
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(op);
	return ret;
}

int spki_ec(const uint8_t *params, size_t params_len, const uint8_t *point, size_t point_len, struct buf *out,
	    struct err *e)
{
	EC_GROUP *g = NULL;
	EC_POINT *pt = NULL;
	ASN1_OCTET_STRING *os = NULL;
	unsigned char *enc = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	const unsigned char *p;
	const char *curve;
	size_t enc_len;
	int nid, ret = -1;

	p = params;
	g = d2i_ECPKParameters(NULL, &p, (long)params_len);
	if (!g || p != params + params_len) {
		err_openssl(e, "CKA_EC_PARAMS is not a DER-encoded curve");
		goto out;
	}
	nid = EC_GROUP_get_curve_name(g);
	curve = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
	if (!curve) {
		err_set(e, ERR_CRYPTO, "CKA_EC_PARAMS holds explicit curve parameters; only named curves are accepted");
		goto out;
	}
	pt = EC_POINT_new(g);
	if (!pt) {
		err_openssl(e, "EC_POINT_new");
		goto out;
	}
	/* §6.3.3: CKA_EC_POINT is the DER OCTET STRING holding the X9.62 point, but some
	 * modules return the bare point. The wrapped reading wins only if it holds a
	 * point on the curve, so a bare point that happens to parse as DER still works. */
	p = point;
	os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)point_len);
	if (!(os && p == point + point_len &&
	      EC_POINT_oct2point(g, pt, ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os), NULL) == 1)) {
		ERR_clear_error();
		if (ossl_rc(EC_POINT_oct2point(g, pt, point, point_len, NULL), e,
			    "CKA_EC_POINT is not a point on the key's curve")) {
			err_wrap(e, "%s", curve);
			goto out;
		}
	}
	if (EC_POINT_is_at_infinity(g, pt)) {
		err_set(e, ERR_CRYPTO, "CKA_EC_POINT is the point at infinity, not a public key");
		goto out;
	}
	enc_len = EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, NULL, 0, NULL);
	enc = enc_len ? OPENSSL_malloc(enc_len) : NULL;
	if (!enc || EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, enc, enc_len, NULL) != enc_len) {
		err_openssl(e, "encoding the EC point");
		goto out;
	}
	if (!(bld = OSSL_PARAM_BLD_new())) {
		err_openssl(e, "building EC key parameters");
		goto out;
	}
	if (ossl_rc(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0), e,
		    "building EC key parameters") ||
	    ossl_rc(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, enc, enc_len), e,
		    "building EC key parameters"))
		goto out;
	ret = spki_from_params("EC", bld, "making an EC public key from the token's point", out, e);
out:
	OSSL_PARAM_BLD_free(bld);
	OPENSSL_free(enc);
	ASN1_OCTET_STRING_free(os);
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return ret;
}

int spki_ed25519(const uint8_t *params, size_t params_len, const uint8_t *point, size_t point_len, struct buf *out,
		 struct err *e)
{
	const struct tok_algorithm *a = tok_algorithm_of_ec_params(CKK_EC_EDWARDS, params, params_len);
	EVP_PKEY *pkey = NULL;
	int ret = -1;

	if (!a || strcmp(a->name, "ed25519")) {
		err_set(e, ERR_CRYPTO, "CKA_EC_PARAMS of the Edwards key names no curve this runner supports "
			"(only Ed25519: OID 1.3.101.112 or \"edwards25519\")");
		goto out;
	}
	/* Mechanisms 3.0 §2.3.5 and RFC 8032 §5.1.5: the public key is the 32-byte encoding of A. Modules
	 * return it bare or, like SoftHSM, in a DER OCTET STRING (04 20 ...); the two are
	 * told apart by length, so no bare key is mistaken for a wrapped one. */
	if (point_len == 34 && point[0] == 0x04 && point[1] == 32) {
		point += 2;
		point_len = 32;
	}
	if (point_len != 32) {
		err_set(e, ERR_CRYPTO, "CKA_EC_POINT of the Ed25519 key has %zu bytes; expected 32, or 34 in an OCTET STRING",
			point_len);
		goto out;
	}
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, point, point_len);
	if (!pkey) {
		err_openssl(e, "making an Ed25519 public key from the token's point");
		goto out;
	}
	ret = spki_of(pkey, out, e);
out:
	EVP_PKEY_free(pkey);
	return ret;
}

/* Mechanisms 3.0 §2.1.2: CKA_MODULUS and CKA_PUBLIC_EXPONENT are big-endian integers. */
int spki_rsa(const uint8_t *n, size_t n_len, const uint8_t *ex, size_t ex_len, struct buf *out, struct err *e)
{
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	int ret = -1;

	bn = BN_bin2bn(n, (int)n_len, NULL);
	be = BN_bin2bn(ex, (int)ex_len, NULL);
	if (!bn || !be) {
		err_openssl(e, "reading the RSA modulus and exponent");
		goto out;
	}
	/* An even or tiny exponent, or a modulus of a few bits, is not an RSA key. */
	if (BN_num_bits(bn) < 1024 || !BN_is_odd(bn) || !BN_is_odd(be) || BN_num_bits(be) < 2) {
		err_set(e, ERR_CRYPTO, "the token's RSA public key is not usable (modulus %d bits, exponent %d bits)",
			BN_num_bits(bn), BN_num_bits(be));
		goto out;
	}
	if (!(bld = OSSL_PARAM_BLD_new())) {
		err_openssl(e, "building RSA key parameters");
		goto out;
	}
	if (ossl_rc(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn), e, "building RSA key parameters") ||
	    ossl_rc(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be), e, "building RSA key parameters"))
		goto out;
	ret = spki_from_params("RSA", bld, "making an RSA public key from the token's modulus and exponent", out, e);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return ret;
}

int spki_mldsa(CK_ULONG parameter_set, const uint8_t *pk, size_t pk_len, struct buf *out, struct err *e)
{
	const char *name = NULL;
	const struct mldsa_row *r = mldsa_find(parameter_set, &name);
	X509_PUBKEY *xp = NULL;
	ASN1_OBJECT *oid = NULL;
	unsigned char *copy = NULL, *der = NULL;
	int der_len, ret = -1;

	if (!r) {
		err_set(e, ERR_CRYPTO, "ML-DSA parameter set 0x%lX is not supported (only ML-DSA-65)",
			(unsigned long)parameter_set);
		goto out;
	}
	if (pk_len != r->public_len) {
		err_set(e, ERR_CRYPTO, "the %s public key has %zu bytes; FIPS 204 says %zu", name, pk_len, r->public_len);
		goto out;
	}
	/* RFC 9881: AlgorithmIdentifier with the id-ml-dsa OID and parameters absent;
	 * subjectPublicKey is the raw pkEncode output. OpenSSL 3.0 has no ML-DSA, so the
	 * structure is built from the OID rather than from a key object. */
	xp = X509_PUBKEY_new();
	oid = OBJ_txt2obj(r->oid, 1);
	copy = OPENSSL_memdup(pk, pk_len);
	if (!xp || !oid || !copy) {
		err_openssl(e, "building the ML-DSA SubjectPublicKeyInfo");
		goto out;
	}
	if (ossl_rc(X509_PUBKEY_set0_param(xp, oid, V_ASN1_UNDEF, NULL, copy, (int)pk_len), e,
		    "building the ML-DSA SubjectPublicKeyInfo"))
		goto out;
	oid = NULL;
	copy = NULL;
	der_len = i2d_X509_PUBKEY(xp, &der);
	if (der_len <= 0) {
		err_openssl(e, "encoding SubjectPublicKeyInfo");
		goto out;
	}
	ret = buf_append(out, der, (size_t)der_len, e);
out:
	OPENSSL_free(der);
	OPENSSL_free(copy);
	ASN1_OBJECT_free(oid);
	X509_PUBKEY_free(xp);
	return ret;
}

/* An ML-DSA public key object: CKA_PUBLIC_KEY_INFO when the token fills it in (it
 * must name the key's parameter set), else CKA_VALUE (PKCS#11 3.2, ML-DSA public key objects). */
static int mldsa_public(struct tok_session *s, CK_OBJECT_HANDLE pub, struct buf *out, struct err *e)
{
	struct buf info = {0}, value = {0};
	CK_ULONG pset = 0;
	const struct mldsa_row *r;
	const char *name = NULL;
	struct err ignored;
	int ret = -1;

	if (tok_attr_ulong(s, pub, CKA_PARAMETER_SET, &pset, e) != 0)
		goto out;
	if (!(r = mldsa_find(pset, &name))) {
		err_set(e, ERR_TOKEN, "ML-DSA parameter set 0x%lX is not supported (only ML-DSA-65)", (unsigned long)pset);
		goto out;
	}
	if (tok_attr(s, pub, CKA_PUBLIC_KEY_INFO, &info, &ignored) == 0 && info.len) {
		const unsigned char *p = info.p;
		X509_PUBKEY *xp = d2i_X509_PUBKEY(NULL, &p, (long)info.len);
		ASN1_OBJECT *alg = NULL;
		char oid[64] = "";
		bool good = xp && p == info.p + info.len && X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, xp) == 1 &&
			    OBJ_obj2txt(oid, sizeof oid, alg, 1) > 0 && !strcmp(oid, r->oid);
		X509_PUBKEY_free(xp);
		/* A verdict, not a failure: the reason is in the message. */
		ERR_clear_error();
		if (!good) {
			err_set(e, ERR_TOKEN, "CKA_PUBLIC_KEY_INFO of the %s key is not a %s SubjectPublicKeyInfo (algorithm %s)",
				name, r->oid, oid[0] ? oid : "unreadable");
			goto out;
		}
		ret = buf_append(out, info.p, info.len, e);
		goto out;
	}
	if (tok_attr(s, pub, CKA_VALUE, &value, e) != 0)
		goto out;
	ret = spki_mldsa(pset, value.p, value.len, out, e);
out:
	buf_free(&info);
	buf_free(&value);
	return ret;
}

int spki_from_token(struct tok_session *s, CK_OBJECT_HANDLE pub, struct buf *out, struct err *e)
{
	struct buf a = {0}, b = {0};
	CK_ULONG kt = 0, cls = 0;
	int ret = -1;

	if (tok_attr_ulong(s, pub, CKA_CLASS, &cls, e) != 0 || tok_attr_ulong(s, pub, CKA_KEY_TYPE, &kt, e) != 0)
		goto out;
	/* A private RSA key shows its modulus too; still, only the public object is the
	 * public key a ceremony exports. */
	if (cls != CKO_PUBLIC_KEY) {
		err_set(e, ERR_TOKEN, "object %lu is not a public key (CKA_CLASS 0x%lX)", (unsigned long)pub,
			(unsigned long)cls);
		goto out;
	}
	switch (kt) {
	case CKK_EC:
		if (tok_attr(s, pub, CKA_EC_PARAMS, &a, e) == 0 && tok_attr(s, pub, CKA_EC_POINT, &b, e) == 0)
			ret = spki_ec(a.p, a.len, b.p, b.len, out, e);
		break;
	case CKK_EC_EDWARDS:
		if (tok_attr(s, pub, CKA_EC_PARAMS, &a, e) == 0 && tok_attr(s, pub, CKA_EC_POINT, &b, e) == 0)
			ret = spki_ed25519(a.p, a.len, b.p, b.len, out, e);
		break;
	case CKK_RSA:
		if (tok_attr(s, pub, CKA_MODULUS, &a, e) == 0 && tok_attr(s, pub, CKA_PUBLIC_EXPONENT, &b, e) == 0)
			ret = spki_rsa(a.p, a.len, b.p, b.len, out, e);
		break;
	case CKK_ML_DSA:
		ret = mldsa_public(s, pub, out, e);
		break;
	default:
		err_set(e, ERR_TOKEN, "object %lu has key type 0x%lX; this runner reads EC, Ed25519, RSA and ML-DSA keys",
			(unsigned long)pub, (unsigned long)kt);
		break;
	}
out:
	buf_free(&a);
	buf_free(&b);
	return ret;
}
