/* x509: certificates, requests and CRLs built and signed in a token (x509.h says how). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "der.h"
#include "ossl.h"
#include "x509.h"
#include "x509_read.h"

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
	default:
#if CER_HAVE_MLDSA
		/* A provider's key (ML-DSA in OpenSSL 3.5) has no legacy id: by its name. */
		if (EVP_PKEY_is_a(like, "ML-DSA-65"))
			k = EVP_PKEY_Q_keygen(NULL, NULL, "ML-DSA-65");
#endif
		break;
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
	const EVP_MD *md = x509_sigalg_md(sa);
	static const char prep[] = "preparing the algorithm identifiers", pss[] = "setting the RSASSA-PSS parameters";
	void *back = NULL;

	if (!(tmp = throwaway_key(k->pkey, e)))
		goto out;
	mctx = EVP_MD_CTX_new();
	if (ossl_ptr(mctx, e, prep) || ossl_rc(EVP_DigestSignInit(mctx, &pctx, md, NULL, tmp), e, prep))
		goto out;
	if (sa->padding == X509_PAD_PSS &&
	    (ossl_rc(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), e, pss) ||
	     ossl_rc(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), e, pss) ||
	     ossl_rc(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md), e, pss)))
		goto out;
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

bool x509_rdn_type_known(const char *type)
{
	return openssl_name_type(type) != NULL;
}

const char *x509_rdn_type_name(size_t i)
{
	return i < sizeof name_types / sizeof name_types[0] ? name_types[i].script : NULL;
}

int x509_rdn_check(const struct x509_rdn *r, struct err *e)
{
	X509_NAME *scratch = X509_NAME_new();
	int ret;
	if (!scratch)
		return err_openssl(e, "X509_NAME_new");
	ret = name_add(scratch, r, e);
	X509_NAME_free(scratch);
	return ret;
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
	return ossl_rc(X509_add1_ext_i2d(x, nid, value, critical, X509V3_ADD_DEFAULT), e, "adding an extension");
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
	if (ossl_rc(X509_PUBKEY_get0_param(NULL, &bits, &len, NULL, pk), e, "reading the public key"))
		return -1;
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
	if (ossl_ptr(os, e, "subjectKeyIdentifier") ||
	    ossl_rc(ASN1_OCTET_STRING_set(os, id, sizeof id), e, "subjectKeyIdentifier"))
		goto out;
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
		if (ossl_rc(ASN1_OCTET_STRING_set(akid->keyid, ASN1_STRING_get0_data(ski), ASN1_STRING_length(ski)), e,
			    "authorityKeyIdentifier"))
			goto fail_quiet;
	} else {
		if (key_identifier(X509_get_X509_PUBKEY(issuer), id, e) ||
		    ossl_rc(ASN1_OCTET_STRING_set(akid->keyid, id, sizeof id), e, "authorityKeyIdentifier"))
			goto fail_quiet;
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
	if (pathlen >= 0 && (ossl_ptr(bc->pathlen = ASN1_INTEGER_new(), e, "basicConstraints") ||
			     ossl_rc(ASN1_INTEGER_set(bc->pathlen, pathlen), e, "basicConstraints")))
		goto out;
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
	if (!ossl_ptr(ku, e, "keyUsage") && !ossl_rc(ASN1_BIT_STRING_set_bit(ku, 5, 1), e, "keyUsage") &&
	    !ossl_rc(ASN1_BIT_STRING_set_bit(ku, 6, 1), e, "keyUsage"))
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

bool x509_eku_name_known(const char *s)
{
	for (size_t i = 0; eku_names[i]; i++)
		if (!strcmp(eku_names[i], s))
			return true;
	return false;
}

bool x509_oid_valid(const char *dotted)
{
	ASN1_OBJECT *o = OBJ_txt2obj(dotted, 1);
	/* Not an OID is an answer, not a failure. */
	bool ok = o != NULL;
	ERR_clear_error();
	ASN1_OBJECT_free(o);
	return ok;
}

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
	static const char what[] = "setting the validity";
	int ret = 0;
	if (ossl_ptr(a, e, what) || ossl_ptr(b, e, what) || ossl_rc(X509_set1_notBefore(x, a), e, what) ||
	    ossl_rc(X509_set1_notAfter(x, b), e, what))
		ret = -1;
	ASN1_TIME_free(a);
	ASN1_TIME_free(b);
	return ret;
}

static bool pubkey_equal(X509_PUBKEY *pk, const struct buf *spki)
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
	static const char building[] = "building the certificate";
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
	if (ossl_rc(X509_set_version(x, X509_VERSION_3), e, building) || ossl_rc(X509_set_serialNumber(x, serial), e, building) ||
	    ossl_rc(X509_set_subject_name(x, name), e, building) || ossl_rc(X509_set_issuer_name(x, name), e, building) ||
	    ossl_rc(X509_set_pubkey(x, key->pkey), e, building))
		goto out;
	if (!pubkey_equal(X509_get_X509_PUBKEY(x), &key->spki)) {
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
	if (!pubkey_equal(X509_get_X509_PUBKEY(issuer), &issuer_key->spki))
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
	int64_t inb = x509_asn1_time(X509_get0_notBefore(issuer)), ina = x509_asn1_time(X509_get0_notAfter(issuer));
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
	static const char building[] = "building the certificate";
	X509 *x = NULL, *ic = NULL;
	X509_REQ *req = NULL;
	X509_NAME *name = NULL;
	ASN1_INTEGER *serial = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	unsigned char *spki = NULL;
	struct buf req_spki = {0};
	int64_t nb, na;
	int n, ret = -1;

	if (!(req = x509_read_req(csr, csr_len, e)) || x509_req_verify(req, e))
		goto out;
	if (!(ic = x509_read_cert(issuer, issuer_len, "the issuer certificate", e)))
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
	if (ossl_ptr(x, e, building) || ossl_rc(X509_set_version(x, X509_VERSION_3), e, building) ||
	    ossl_rc(X509_set_serialNumber(x, serial), e, building) || ossl_rc(X509_set_subject_name(x, name), e, building) ||
	    ossl_rc(X509_set_issuer_name(x, X509_get_subject_name(ic)), e, building) ||
	    ossl_rc(X509_set_pubkey(x, X509_REQ_get0_pubkey(req)), e, building))
		goto out;
	/* The key certified is exactly the key requested, bit for bit. */
	if (!pubkey_equal(X509_get_X509_PUBKEY(x), &req_spki)) {
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
			if (!cert_has_ext(x, X509_EXTENSION_get_object(ex)) &&
			    ossl_rc(X509_add_ext(x, ex, -1), e, "copying a requested extension"))
				goto out;
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
	static const char building[] = "building the certificate request";
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
	if (ossl_rc(X509_REQ_set_version(r, 0), e, building) || ossl_rc(X509_REQ_set_subject_name(r, name), e, building) ||
	    ossl_rc(X509_REQ_set_pubkey(r, key->pkey), e, building))
		goto out;
	if (!pubkey_equal(X509_REQ_get_X509_PUBKEY(r), &key->spki)) {
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
	if (ossl_ptr(ai, e, "building the entry") || ossl_ptr(rd, e, "building the entry") ||
	    ossl_ptr(r, e, "building the entry") || ossl_rc(X509_REVOKED_set_serialNumber(r, ai), e, "building the entry") ||
	    ossl_rc(X509_REVOKED_set_revocationDate(r, rd), e, "building the entry"))
		goto out;
	/* §5.3.1: the reasonCode extension, non-critical; absent rather than unspecified. */
	if (reason >= 0 && (ossl_ptr(code = ASN1_ENUMERATED_new(), e, "reasonCode") ||
			    ossl_rc(ASN1_ENUMERATED_set(code, reason), e, "reasonCode") ||
			    ossl_rc(X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, code, 0, 0), e, "reasonCode")))
		goto out;
	for (int j = 0; have && j < sk_X509_REVOKED_num(have); j++)
		if (!ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(have, j)), ai)) {
			err_set(e, ERR_X509, "its serial number is listed twice");
			goto out;
		}
	if (ossl_rc(X509_CRL_add0_revoked(crl, r), e, "adding the entry"))
		goto out;
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
	if (!(ic = x509_read_cert(issuer, issuer_len, "the issuer certificate", e)))
		goto out;
	if (!pubkey_equal(X509_get_X509_PUBKEY(ic), &issuer_key->spki)) {
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
	if (ossl_ptr(tu, e, "building the CRL") || ossl_ptr(nu, e, "building the CRL") ||
	    ossl_rc(X509_CRL_set_version(crl, X509_CRL_VERSION_2), e, "building the CRL") ||
	    ossl_rc(X509_CRL_set_issuer_name(crl, X509_get_subject_name(ic)), e, "building the CRL") ||
	    ossl_rc(X509_CRL_set1_lastUpdate(crl, tu), e, "building the CRL") ||
	    ossl_rc(X509_CRL_set1_nextUpdate(crl, nu), e, "building the CRL"))
		goto out;
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
	if (ossl_rc(X509_CRL_sort(crl), e, "sorting the revoked certificates"))
		goto out;
	/* §5.2.3 cRLNumber and §5.2.1 authorityKeyIdentifier: both MUST, non-critical. */
	num = ASN1_INTEGER_new();
	if (ossl_ptr(num, e, "cRLNumber") || ossl_rc(ASN1_INTEGER_set_uint64(num, spec->number), e, "cRLNumber") ||
	    ossl_rc(X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0), e, "cRLNumber"))
		goto out;
	if (!(akid = aki_of(ic, e)) ||
	    ossl_rc(X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, 0), e, "authorityKeyIdentifier"))
		goto out;
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
