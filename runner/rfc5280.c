/* rfc5280: a CA chain and its CRLs checked, every check reported (see rfc5280.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "der.h"
#include "ossl.h"
#include "rfc5280.h"
#include "words.h"

struct run {
	const struct rfc5280_chain *chain;
	rfc5280_report_fn report;
	void *ctx;
	unsigned failed;
};

static int check(struct run *x, const char *subject, const char *what, const char *expected, const char *actual,
		 bool held, struct err *e)
{
	if (!held)
		x->failed++;
	return x->report(x->ctx, subject, what, expected, actual, held, e);
}

static const char *octets_hex(const ASN1_OCTET_STRING *o, char *buf, size_t len)
{
	if (!o) {
		snprintf(buf, len, "(absent)");
		return buf;
	}
	return words_hex(ASN1_STRING_get0_data(o), (size_t)ASN1_STRING_length(o), buf, len);
}

/* The criticality of extension nid: 1 critical, 0 not, -1 absent, -2 more than once. */
static int ext_crit(const X509 *x, int nid)
{
	int at = X509_get_ext_by_NID(x, nid, -1);
	if (at < 0)
		return -1;
	if (X509_get_ext_by_NID(x, nid, at) >= 0)
		return -2;
	return X509_EXTENSION_get_critical(X509_get_ext(x, at)) ? 1 : 0;
}

static int check_basic_constraints(struct run *x, const char *id, const X509 *c, long want_pl, struct err *e)
{
	int crit = 0;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(c, NID_basic_constraints, &crit, NULL);
	char actual[128], expected[64], pl[32];
	long have_pl = RFC5280_PATHLEN_ABSENT;
	if (bc && bc->pathlen)
		have_pl = ASN1_INTEGER_get(bc->pathlen);
	if (!bc)
		snprintf(actual, sizeof actual, crit == -2 ? "present more than once" : "absent");
	else
		snprintf(actual, sizeof actual, "%sCA:%s", crit == 1 ? "critical, " : "", bc->ca ? "TRUE" : "FALSE");
	int rc = check(x, id, "basicConstraints", "critical, CA:TRUE", actual, bc && crit == 1 && bc->ca, e);
	if (!rc) {
		if (have_pl == RFC5280_PATHLEN_ABSENT)
			snprintf(pl, sizeof pl, "none");
		else
			snprintf(pl, sizeof pl, "%ld", have_pl);
		if (want_pl == RFC5280_PATHLEN_ANY)
			snprintf(expected, sizeof expected, "any");
		else if (want_pl == RFC5280_PATHLEN_ABSENT)
			snprintf(expected, sizeof expected, "none");
		else
			snprintf(expected, sizeof expected, "%ld", want_pl);
		rc = check(x, id, "pathlen", expected, pl, bc && (want_pl == RFC5280_PATHLEN_ANY || want_pl == have_pl), e);
	}
	BASIC_CONSTRAINTS_free(bc);
	return rc;
}

/* RFC 5280 §4.2.1.3 bit names, in bit order. */
static const char *const ku_names[] = {"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
				       "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"};

static int check_key_usage(struct run *x, const char *id, const X509 *c, struct err *e)
{
	int crit = 0;
	ASN1_BIT_STRING *ku = X509_get_ext_d2i(c, NID_key_usage, &crit, NULL);
	char actual[256];
	size_t used = 0;
	bool exact = ku != NULL;
	if (!ku) {
		snprintf(actual, sizeof actual, crit == -2 ? "present more than once" : "absent");
	} else {
		used = (size_t)snprintf(actual, sizeof actual, "%s", crit == 1 ? "critical" : "not critical");
		for (int b = 0; b < (int)(sizeof ku_names / sizeof ku_names[0]); b++) {
			bool set = ASN1_BIT_STRING_get_bit(ku, b) == 1;
			if (set && used < sizeof actual)
				used += (size_t)snprintf(actual + used, sizeof actual - used, ", %s", ku_names[b]);
			if (set != (b == 5 || b == 6))
				exact = false;
		}
		/* No bit beyond decipherOnly either. */
		for (int b = 9; b < ASN1_STRING_length(ku) * 8; b++)
			if (ASN1_BIT_STRING_get_bit(ku, b) == 1)
				exact = false;
	}
	int rc = check(x, id, "keyUsage", "critical, keyCertSign, cRLSign", actual, exact && crit == 1, e);
	ASN1_BIT_STRING_free(ku);
	return rc;
}

static int check_key_ids(struct run *x, const char *id, X509 *c, X509 *issuer, struct err *e)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(c);
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(c);
	char a[200], b[200];
	int ski_crit = ext_crit(c, NID_subject_key_identifier), aki_crit = ext_crit(c, NID_authority_key_identifier);
	/* RFC 5280 §4.2.1.2: present in every CA certificate, not critical. */
	snprintf(b, sizeof b, "%s%s", octets_hex(ski, a, sizeof a), ski_crit == 1 ? " (critical)" : "");
	if (check(x, id, "subjectKeyIdentifier", "present, not critical", b,
		  ski && ASN1_STRING_length(ski) > 0 && ski_crit == 0, e))
		return -1;
	if (issuer == c) {
		/* A root may carry an AKI; if it does it names its own key. */
		snprintf(b, sizeof b, "absent or %s", octets_hex(ski, a, sizeof a));
		return check(x, id, "authorityKeyIdentifier", b, octets_hex(aki, a, sizeof a),
			     !aki || (ski && !ASN1_OCTET_STRING_cmp(aki, ski)), e);
	}
	/* RFC 5280 §4.2.1.1: the issuer's SKI, not critical. */
	const ASN1_OCTET_STRING *issuer_ski = X509_get0_subject_key_id(issuer);
	snprintf(b, sizeof b, "%s%s", octets_hex(aki, a, sizeof a), aki_crit == 1 ? " (critical)" : "");
	return check(x, id, "authorityKeyIdentifier = issuer's subjectKeyIdentifier", octets_hex(issuer_ski, a, sizeof a),
		     b, aki && issuer_ski && !ASN1_OCTET_STRING_cmp(aki, issuer_ski) && aki_crit == 0, e);
}

/* Appends the URIs of a GENERAL_NAMES list to out ("a, b"), counting them. */
static void uris_of(const GENERAL_NAMES *names, char *out, size_t len, size_t *count)
{
	for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		if (g->type != GEN_URI)
			continue;
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s%.*s", used ? ", " : "", ASN1_STRING_length(g->d.uniformResourceIdentifier),
			 (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier));
		(*count)++;
	}
}

/* Exactly the expected URIs: each one present (as a whole item) and no other. */
static int check_uri_list(struct run *x, const char *id, const char *what, const char *const *want, size_t n_want,
			  const char *got, size_t n_got, struct err *e)
{
	char expected[1024] = "";
	bool held = n_got == n_want;
	for (size_t i = 0; i < n_want; i++) {
		size_t used = strlen(expected), wl = strlen(want[i]);
		snprintf(expected + used, sizeof expected - used, "%s%s", i ? ", " : "", want[i]);
		bool found = false;
		for (const char *p = got; (p = strstr(p, want[i])) != NULL; p += wl)
			if ((p == got || (p >= got + 2 && p[-2] == ',' && p[-1] == ' ')) && (p[wl] == 0 || p[wl] == ','))
				found = true;
		held = held && found;
	}
	return check(x, id, what, expected, n_got ? got : "(absent)", held, e);
}

static int check_uris(struct run *x, const char *id, const X509 *c, const struct rfc5280_cert_want *want, struct err *e)
{
	char got[1024];
	size_t n;
	if (want->n_crl_dp) {
		STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(c, NID_crl_distribution_points, NULL, NULL);
		got[0] = 0;
		n = 0;
		for (int i = 0; dps && i < sk_DIST_POINT_num(dps); i++) {
			const DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
			if (dp->distpoint && dp->distpoint->type == 0)
				uris_of(dp->distpoint->name.fullname, got, sizeof got, &n);
		}
		CRL_DIST_POINTS_free(dps);
		if (check_uri_list(x, id, "cRLDistributionPoints", want->crl_dp, want->n_crl_dp, got, n, e))
			return -1;
	}
	const char *const *aia_want[2] = {want->ocsp, want->ca_issuers};
	const size_t aia_n[2] = {want->n_ocsp, want->n_ca_issuers};
	const int aia_nid[2] = {NID_ad_OCSP, NID_ad_ca_issuers};
	const char *aia_what[2] = {"authorityInfoAccess OCSP", "authorityInfoAccess caIssuers"};
	for (int k = 0; k < 2; k++) {
		if (!aia_n[k])
			continue;
		AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(c, NID_info_access, NULL, NULL);
		got[0] = 0;
		n = 0;
		for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
			ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
			if (OBJ_obj2nid(ad->method) != aia_nid[k])
				continue;
			GENERAL_NAMES *one = sk_GENERAL_NAME_new_null();
			if (one && sk_GENERAL_NAME_push(one, ad->location))
				uris_of(one, got, sizeof got, &n);
			sk_GENERAL_NAME_free(one);   /* the name itself belongs to aia */
		}
		AUTHORITY_INFO_ACCESS_free(aia);
		if (check_uri_list(x, id, aia_what[k], aia_want[k], aia_n[k], got, n, e))
			return -1;
	}
	return 0;
}

/* The signature's algorithm fits the signer's key type (an EC key signs with ECDSA...). */
static bool alg_fits_key(int sig_nid, EVP_PKEY *signer)
{
	int md = 0, pk = 0;
#ifdef NID_ML_DSA_65
	if (sig_nid == NID_ML_DSA_65)   /* the signature's OID is the key's own (RFC 9881 §2-3) */
		return signer && EVP_PKEY_is_a(signer, "ML-DSA-65");
#endif
	if (!signer || !OBJ_find_sigid_algs(sig_nid, &md, &pk))
		return false;
	int base = EVP_PKEY_get_base_id(signer);
	return pk == base || (base == EVP_PKEY_RSA && pk == EVP_PKEY_RSA_PSS) ||
	       (base == EVP_PKEY_ED25519 && sig_nid == NID_ED25519);
}

static int check_algorithm(struct run *x, const struct rfc5280_chain *p, const char *id, const X509 *c, EVP_PKEY *signer,
			   struct err *e)
{
	const X509_ALGOR *outer = NULL;
	char name[128], inner[128], keyname[64];
	X509_get0_signature(NULL, &outer, c);
	x509_alg_name(outer, name, sizeof name);
	x509_alg_name(X509_get0_tbs_sigalg(c), inner, sizeof inner);
	/* RFC 5280 §4.1.1.2: the outer algorithm must be the one inside the signed part. */
	if (check(x, id, "signatureAlgorithm = tbsCertificate.signature", inner, name,
		  !X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(c)), e))
		return -1;
	if (check(x, id, "signature algorithm fits the issuer's key", x509_pubkey_name(signer, keyname, sizeof keyname), name,
		  alg_fits_key(X509_get_signature_nid(c), signer), e))
		return -1;
	if (p->signature_algorithm &&
	    check(x, id, "signature algorithm", p->signature_algorithm, name, !strcmp(name, p->signature_algorithm), e))
		return -1;
	if (p->key_algorithm) {
		x509_pubkey_name(X509_get0_pubkey(c), keyname, sizeof keyname);
		if (check(x, id, "public key algorithm", p->key_algorithm, keyname, !strcmp(keyname, p->key_algorithm), e))
			return -1;
	}
	return 0;
}

/* Strict DER, as Go's crypto/x509 and pyca/cryptography read it: OpenSSL's own
 * validation forgives what they refuse (a BOOLEAN TRUE of 0x01). */
static int check_der(struct run *x, const char *id, const struct buf *der, struct err *e)
{
	struct err de = {.kind = ERR_NONE};
	bool held = der_check(der->p, der->len, &de) == 0;
	return check(x, id, "encoding", "DER (X.690 §11)", held ? "DER (X.690 §11)" : de.msg, held, e);
}

static int check_cert(struct run *x, const struct rfc5280_chain *p, size_t i, X509 *const *certs, struct err *e)
{
	const struct rfc5280_cert_want *w = p->certs[i].want;
	const char *id = p->certs[i].id;
	X509 *c = certs[i], *issuer = i ? certs[i - 1] : certs[0];
	const char *issuer_id = i ? p->certs[i - 1].id : id;
	char a[512], b[512], what[160];

	snprintf(a, sizeof a, "%ld", X509_get_version(c) + 1);
	if (check(x, id, "version", "3", a, X509_get_version(c) == X509_VERSION_3, e))
		return -1;
	/* Linkage: the issuer's subject is this certificate's issuer, byte for byte as names compare. */
	x509_name_text(X509_get_subject_name(issuer), a, sizeof a);
	x509_name_text(X509_get_issuer_name(c), b, sizeof b);
	snprintf(what, sizeof what, i ? "issuer = subject of %s" : "issuer = its own subject (self-issued)", issuer_id);
	if (check(x, id, what, a, b, !X509_NAME_cmp(X509_get_issuer_name(c), X509_get_subject_name(issuer)), e))
		return -1;
	EVP_PKEY *ik = X509_get0_pubkey(issuer);
	int v = ik ? X509_verify(c, ik) : -1;
	ERR_clear_error();
	snprintf(what, sizeof what, i ? "signature verifies with the key of %s" : "self-signature verifies", issuer_id);
	if (check(x, id, what, "valid", v == 1 ? "valid" : "invalid", v == 1, e))
		return -1;
	if (i) {
		char nb[40], na[40], inb[40], ina[40];
		x509_asn1_time_text(X509_get0_notBefore(c), nb, sizeof nb);
		x509_asn1_time_text(X509_get0_notAfter(c), na, sizeof na);
		x509_asn1_time_text(X509_get0_notBefore(issuer), inb, sizeof inb);
		x509_asn1_time_text(X509_get0_notAfter(issuer), ina, sizeof ina);
		snprintf(a, sizeof a, "within %s .. %s", inb, ina);
		snprintf(b, sizeof b, "%s .. %s", nb, na);
		snprintf(what, sizeof what, "validity within that of %s", issuer_id);
		if (check(x, id, what, a, b,
			  ASN1_TIME_compare(X509_get0_notBefore(c), X509_get0_notBefore(issuer)) >= 0 &&
				  ASN1_TIME_compare(X509_get0_notAfter(c), X509_get0_notAfter(issuer)) <= 0,
			  e))
			return -1;
	}
	if (check_basic_constraints(x, id, c, w->pathlen, e) || check_key_usage(x, id, c, e) ||
	    check_key_ids(x, id, c, issuer, e) || check_algorithm(x, p, id, c, ik, e) || check_uris(x, id, c, w, e))
		return -1;
	return 0;
}

static int check_crl(struct run *x, const struct rfc5280_chain *p, size_t j, X509_CRL *crl, X509 *const *certs,
		     long *entries, struct err *e)
{
	const struct rfc5280_crl_want *w = p->crls[j].want;
	const char *id = p->crls[j].id;
	char a[512], b[512], what[160];
	size_t k = w->issuer;
	if (k == RFC5280_ISSUER_BY_NAME)
		for (size_t i = 0; i < p->n; i++)
			if (!X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(certs[i])))
				k = i;
	x509_name_text(X509_CRL_get_issuer(crl), b, sizeof b);
	if (k == RFC5280_ISSUER_BY_NAME)
		return check(x, id, "issuer is a certificate of the chain", "a subject of the chain", b, false, e);
	X509 *issuer = certs[k];
	const char *issuer_id = p->certs[k].id;
	x509_name_text(X509_get_subject_name(issuer), a, sizeof a);
	snprintf(what, sizeof what, "issuer = subject of %s", issuer_id);
	if (check(x, id, what, a, b, !X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)), e))
		return -1;
	int v = X509_CRL_verify(crl, X509_get0_pubkey(issuer));
	ERR_clear_error();
	snprintf(what, sizeof what, "signature verifies with the key of %s", issuer_id);
	if (check(x, id, what, "valid", v == 1 ? "valid" : "invalid", v == 1, e))
		return -1;
	/* RFC 5280 §5.1.2.1: v2 when extensions are present, which §5.2.1 and §5.2.3 require. */
	snprintf(a, sizeof a, "%ld", X509_CRL_get_version(crl) + 1);
	if (check(x, id, "version", "2", a, X509_CRL_get_version(crl) == X509_CRL_VERSION_2, e))
		return -1;
	int crit = 0;
	AUTHORITY_KEYID *aki = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit, NULL);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(issuer);
	octets_hex(aki ? aki->keyid : NULL, b, sizeof b);
	int rc = check(x, id, "authorityKeyIdentifier = issuer's subjectKeyIdentifier", octets_hex(ski, a, sizeof a), b,
		       aki && aki->keyid && ski && !ASN1_OCTET_STRING_cmp(aki->keyid, ski), e);
	AUTHORITY_KEYID_free(aki);
	if (rc)
		return -1;
	ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	snprintf(b, sizeof b, "(absent)");
	if (num) {
		BIGNUM *bn = ASN1_INTEGER_to_BN(num, NULL);
		char *dec = bn ? BN_bn2dec(bn) : NULL;
		if (dec)
			snprintf(b, sizeof b, "%s", dec);
		OPENSSL_free(dec);
		BN_free(bn);
	}
	/* RFC 5280 §5.2.3: a conforming CRL issuer includes a CRL number, not critical. */
	rc = check(x, id, "cRLNumber", "present, not critical", b, num && crit == 0, e);
	ASN1_INTEGER_free(num);
	if (rc)
		return -1;
	const ASN1_TIME *tu = X509_CRL_get0_lastUpdate(crl), *nu = X509_CRL_get0_nextUpdate(crl);
	char t1[40], t2[40];
	time_t now = time(NULL);
	snprintf(b, sizeof b, "%s .. %s", x509_asn1_time_text(tu, t1, sizeof t1), x509_asn1_time_text(nu, t2, sizeof t2));
	if (check(x, id, "thisUpdate <= now < nextUpdate", "current", b,
		  tu && nu && X509_cmp_time(tu, &now) < 0 && X509_cmp_time(nu, &now) > 0, e))
		return -1;
	const X509_ALGOR *alg = NULL;
	X509_CRL_get0_signature(crl, NULL, &alg);
	x509_alg_name(alg, b, sizeof b);
	if (check(x, id, "signature algorithm fits the issuer's key", x509_pubkey_name(X509_get0_pubkey(issuer), a, sizeof a),
		  b, alg_fits_key(X509_CRL_get_signature_nid(crl), X509_get0_pubkey(issuer)), e))
		return -1;
	if (p->signature_algorithm &&
	    check(x, id, "signature algorithm", p->signature_algorithm, b, !strcmp(b, p->signature_algorithm), e))
		return -1;
	STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(crl);
	long n = rev ? sk_X509_REVOKED_num(rev) : 0;
	snprintf(b, sizeof b, "%ld", n);
	if (w->revoked >= 0) {
		snprintf(a, sizeof a, "%ld", w->revoked);
		if (check(x, id, "revoked entries", a, b, n == w->revoked, e))
			return -1;
	}
	*entries = n;
	return 0;
}

/* OpenSSL's own validation: the root as the only trust anchor, the certificates
 * between as untrusted, the last as the target; strict X.509 and, with CRLs, a CRL
 * for every certificate of the chain (X509_V_FLAG_CRL_CHECK_ALL). */
static int openssl_validate(struct run *x, const struct rfc5280_chain *p, X509 *const *certs, X509_CRL *const *crls,
			    bool *valid, struct err *e)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	unsigned long flags = X509_V_FLAG_X509_STRICT | X509_V_FLAG_CHECK_SS_SIGNATURE;
	char what[160], actual[512];
	int ret = -1;
	*valid = false;
	if (ossl_ptr(st, e, "cannot set up the certificate store") || ossl_ptr(ctx, e, "cannot set up the certificate store") ||
	    ossl_ptr(untrusted, e, "cannot set up the certificate store") ||
	    ossl_rc(X509_STORE_add_cert(st, certs[0]), e, "cannot set up the certificate store"))
		goto out;
	for (size_t i = 1; i + 1 < p->n; i++)
		if (!sk_X509_push(untrusted, certs[i])) {
			err_openssl(e, "out of memory");
			goto out;
		}
	for (size_t i = 0; i < p->n_crls; i++)
		if (ossl_rc(X509_STORE_add_crl(st, crls[i]), e, "cannot add a CRL to the store"))
			goto out;
	if (p->n_crls)
		flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
	X509_STORE_set_flags(st, flags);
	if (ossl_rc(X509_STORE_CTX_init(ctx, st, certs[p->n - 1], untrusted), e, "cannot set up the chain validation"))
		goto out;
	int ok = X509_verify_cert(ctx);
	int err = X509_STORE_CTX_get_error(ctx);
	ERR_clear_error();
	STACK_OF(X509) *built = X509_STORE_CTX_get0_chain(ctx);
	/* The chain OpenSSL built must be the one the script names, in that order. */
	bool same = ok == 1 && built && (size_t)sk_X509_num(built) == p->n;
	for (size_t i = 0; same && i < p->n; i++)
		same = !X509_cmp(sk_X509_value(built, (int)(p->n - 1 - i)), certs[i]);
	if (ok == 1)
		snprintf(actual, sizeof actual, "ok");
	else
		snprintf(actual, sizeof actual, "%s (at depth %d)", X509_verify_cert_error_string(err),
			 X509_STORE_CTX_get_error_depth(ctx));
	snprintf(what, sizeof what, "OpenSSL validation, X509_V_FLAG_X509_STRICT%s",
		 p->n_crls ? " + CRL_CHECK_ALL" : "");
	if (check(x, p->certs[p->n - 1].id, what, "ok", actual, ok == 1, e))
		goto out;
	if (ok == 1 && check(x, p->certs[p->n - 1].id, "chain built by OpenSSL is the chain named", "same", same ? "same" : "different", same, e))
		goto out;
	*valid = ok == 1 && same;
	ret = 0;
out:
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return ret;
}

int rfc5280_check(const struct rfc5280_chain *p, rfc5280_report_fn report, void *ctx, struct rfc5280_result *out,
		  struct err *e)
{
	struct run x = {.chain = p, .report = report, .ctx = ctx};
	X509 *certs[RFC5280_MAX_CHAIN] = {0};
	X509_CRL *crls[RFC5280_MAX_CRLS] = {0};

	memset(out, 0, sizeof *out);
	if (p->n == 0 || p->n > RFC5280_MAX_CHAIN || p->n_crls > RFC5280_MAX_CRLS)
		return err_set(e, ERR_INTERNAL, "rfc5280_check: %zu certificates and %zu CRLs", p->n, p->n_crls);
	for (size_t i = 0; i < p->n; i++)
		certs[i] = p->certs[i].obj->cert;
	for (size_t i = 0; i < p->n_crls; i++)
		crls[i] = p->crls[i].obj->crl;
	if (openssl_validate(&x, p, certs, crls, &out->valid, e))
		return -1;
	for (size_t i = 0; i < p->n; i++)
		if (check_der(&x, p->certs[i].id, &p->certs[i].obj->der, e) || check_cert(&x, p, i, certs, e))
			return -1;
	for (size_t i = 0; i < p->n_crls; i++)
		if (check_der(&x, p->crls[i].id, &p->crls[i].obj->der, e) ||
		    check_crl(&x, p, i, crls[i], certs, &out->crl_entries[i], e))
			return -1;
	out->failed = x.failed;
	return 0;
}
