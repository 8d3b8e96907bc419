/* chain.verify: a certificate chain (root first) validated by OpenSSL in strict mode,
 * then the CA profile checked certificate by certificate, as seed 004 §7 lists it:
 * extensions present and correct, key usage exactly keyCertSign + cRLSign, pathlen,
 * issuer/subject linkage, validity nesting, algorithm, and each CRL's signature and
 * issuer. Every check is recorded with its Expected and Actual; one that does not
 * hold fails the step.
 *
 *   chain:                      root first; each a certificate step or a map
 *     - root-cert
 *     - {cert: int-cert, profile: issuing-ca, pathlen: 0,
 *        crl_dp: [URI], ocsp: [URI], ca_issuers: [URI]}
 *   What a map does not say is taken from the step that made the certificate (its
 *   profile, pathlen and URIs), so the certificate is checked against its own script.
 *   crls: [root-crl, {crl: REF, issuer: CERT-STEP, revoked: 0}]   optional
 *   key_algorithm: ec-p384                   optional, every certificate's key
 *   signature_algorithm: ecdsa-with-SHA384   optional, every certificate and CRL
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "steps.h"
#include "pki.h"
#include "../runner/der.h"
#include "../runner/words.h"
#include "../runner/x509.h"

enum { MAX_CHAIN = 8, MAX_CRLS = 8, MAX_URIS = X509_MAX_LIST };
/* pathlen expectations besides a number */
enum { PATHLEN_ABSENT = -1, PATHLEN_ANY = -2 };

struct cv_cert {
	const struct step *step;
	const char *artifact;
	const char *profile;      /* root-ca, subordinate-ca or issuing-ca */
	long pathlen;             /* >= 0, PATHLEN_ABSENT or PATHLEN_ANY */
	/* URIs the certificate must carry, exactly these (none given: not checked) */
	const char *crl_dp[MAX_URIS], *ocsp[MAX_URIS], *ca_issuers[MAX_URIS];
	size_t n_crl_dp, n_ocsp, n_ca_issuers;
};

struct cv_crl {
	const struct step *step;
	const char *artifact;
	size_t issuer;            /* index into the chain, or MAX_CHAIN: found by name */
	long revoked;             /* entries expected, or -1: not checked */
};

/* One allocation (s->priv is freed with free()). */
struct cv_priv {
	struct cv_cert certs[MAX_CHAIN];
	size_t n;
	struct cv_crl crls[MAX_CRLS];
	size_t n_crls;
	const char *key_algorithm, *signature_algorithm;
};

static const char *const profiles[] = {"root-ca", "subordinate-ca", "issuing-ca", NULL};

static bool in_list(const char *const *l, const char *s)
{
	for (; l && *l; l++)
		if (!strcmp(*l, s))
			return true;
	return false;
}

/* A reference to an artifact of kind `want` ("certificate" or "crl"): "STEP" takes the
 * step's artifact of that name, "STEP.ARTIFACT" must name one (want or want_pem). */
static int kind_ref(const struct ceremony *c, const struct step *s, const struct ynode *n, const char *want,
		    const struct step **t, const char **art, struct err *e)
{
	char pem[32];
	if (script_ref(c, s, n, t, art, e))
		return -1;
	snprintf(pem, sizeof pem, "%s_pem", want);
	if (!strchr(n->str, '.') && in_list((*t)->type->artifacts, want))
		*art = want;
	if (strcmp(*art, want) && strcmp(*art, pem))
		return script_err(c, n, e, "step '%s': '%s' gives artifact '%s' of a %s step, not a %s", s->id, n->str, *art,
				  (*t)->type->name, want);
	return 0;
}

/* pathlen: a number, none (must be absent) or any (not checked). */
static int parse_pathlen(const struct ceremony *c, const struct ynode *n, long *out, struct err *e)
{
	uint64_t v;
	if (n->kind == YN_SCALAR && n->plain && !strcmp(n->str, "none")) {
		*out = PATHLEN_ABSENT;
		return 0;
	}
	if (n->kind == YN_SCALAR && n->plain && !strcmp(n->str, "any")) {
		*out = PATHLEN_ANY;
		return 0;
	}
	if (ynode_want_uint(c->doc, n, "'pathlen' (a number, none or any)", 0, 64, &v, e))
		return -1;
	*out = (long)v;
	return 0;
}

static long profile_pathlen(const char *profile)
{
	if (!strcmp(profile, "root-ca"))
		return PATHLEN_ABSENT;
	if (!strcmp(profile, "issuing-ca"))
		return 0;
	return PATHLEN_ANY;
}

/* A URI or a list of URIs. */
static int want_uris(const struct ceremony *c, const struct ynode *n, const char *what, const char **out, size_t *n_out,
		     struct err *e)
{
	const struct ynode *one = n;
	size_t count = n->kind == YN_SEQ ? n->n : 1;
	if (count == 0 || count > MAX_URIS)
		return script_err(c, n, e, "expected 1 to %d URIs for %s, found %zu", MAX_URIS, what, count);
	for (size_t i = 0; i < count; i++) {
		if (n->kind == YN_SEQ)
			one = n->vals[i];
		if (ynode_want_str(c->doc, one, what, &out[i], e))
			return -1;
		if (!strchr(out[i], ':'))
			return script_err(c, one, e, "expected a URI for %s, found '%s'", what, out[i]);
	}
	*n_out = count;
	return 0;
}

static int parse_cert(const struct ceremony *c, struct step *s, const struct ynode *n, size_t i, struct cv_cert *out,
		      struct err *e)
{
	static const char *const keys[] = {"cert", "profile", "pathlen", "crl_dp", "ocsp", "ca_issuers", NULL};
	const struct ynode *ref = n, *prof = NULL, *pl = NULL, *v;
	char what[128];
	if (n->kind == YN_MAP) {
		snprintf(what, sizeof what, "entry %zu of 'chain' of step '%s'", i + 1, s->id);
		if (ynode_only_keys(c->doc, n, keys, what, e))
			return -1;
		if (!(ref = ynode_get(n, "cert")))
			return script_err(c, n, e, "%s: missing 'cert' (the certificate step)", what);
		prof = ynode_get(n, "profile");
		pl = ynode_get(n, "pathlen");
		if ((v = ynode_get(n, "crl_dp")) && want_uris(c, v, "'crl_dp'", out->crl_dp, &out->n_crl_dp, e))
			return -1;
		if ((v = ynode_get(n, "ocsp")) && want_uris(c, v, "'ocsp'", out->ocsp, &out->n_ocsp, e))
			return -1;
		if ((v = ynode_get(n, "ca_issuers")) &&
		    want_uris(c, v, "'ca_issuers'", out->ca_issuers, &out->n_ca_issuers, e))
			return -1;
	}
	if (kind_ref(c, s, ref, "certificate", &out->step, &out->artifact, e))
		return -1;
	/* The certificate step's own parameters. */
	const struct x509_cert_spec *spec = step_makes_certificate(out->step) ? &step_x509_of(out->step)->cert : NULL;
	if (spec && !out->n_crl_dp && !ynode_get(n, "crl_dp")) {
		memcpy(out->crl_dp, spec->crl_dp, sizeof out->crl_dp);
		out->n_crl_dp = spec->n_crl_dp;
	}
	if (spec && !out->n_ocsp && !ynode_get(n, "ocsp")) {
		memcpy(out->ocsp, spec->ocsp, sizeof out->ocsp);
		out->n_ocsp = spec->n_ocsp;
	}
	if (spec && !out->n_ca_issuers && !ynode_get(n, "ca_issuers")) {
		memcpy(out->ca_issuers, spec->ca_issuers, sizeof out->ca_issuers);
		out->n_ca_issuers = spec->n_ca_issuers;
	}
	/* The profile: said here, else the one the certificate step was made with, else by place. */
	const struct ynode *made = ynode_get(out->step->node, "profile");
	if (spec && !prof) {
		out->profile = spec->profile <= X509_ISSUING_CA ? profiles[spec->profile] : "subordinate-ca";
	} else if (prof) {
		if (ynode_want_str(c->doc, prof, "'profile'", &out->profile, e))
			return -1;
		if (!in_list(profiles, out->profile))
			return script_err(c, prof, e, "unknown profile '%s' (expected root-ca, subordinate-ca or issuing-ca)",
					  out->profile);
	} else if (made && made->kind == YN_SCALAR && in_list(profiles, made->str)) {
		out->profile = made->str;
	} else {
		out->profile = i == 0 ? "root-ca" : "subordinate-ca";
	}
	if ((i == 0) != !strcmp(out->profile, "root-ca"))
		return script_err(c, prof ? prof : ref, e,
				  "step '%s': %s is profile %s, but a chain starts with its root-ca and has no other root",
				  s->id, out->step->id, out->profile);
	/* pathlen: said here, else the certificate step's own, else the profile's. */
	const struct ynode *made_pl = ynode_get(out->step->node, "pathlen");
	if (pl)
		return parse_pathlen(c, pl, &out->pathlen, e);
	if (spec) {
		out->pathlen = spec->pathlen < 0 ? PATHLEN_ABSENT : spec->pathlen;
		return 0;
	}
	if (made_pl && made_pl->kind == YN_SCALAR && made_pl->plain && parse_pathlen(c, made_pl, &out->pathlen, e) == 0)
		return 0;
	out->pathlen = profile_pathlen(out->profile);
	return 0;
}

static int parse_crl(const struct ceremony *c, struct step *s, const struct cv_priv *p, const struct ynode *n, size_t i,
		     struct cv_crl *out, struct err *e)
{
	static const char *const keys[] = {"crl", "issuer", "revoked", NULL};
	const struct ynode *ref = n, *iss = NULL, *rv = NULL;
	char what[128];
	out->issuer = MAX_CHAIN;
	out->revoked = -1;
	if (n->kind == YN_MAP) {
		snprintf(what, sizeof what, "entry %zu of 'crls' of step '%s'", i + 1, s->id);
		if (ynode_only_keys(c->doc, n, keys, what, e))
			return -1;
		if (!(ref = ynode_get(n, "crl")))
			return script_err(c, n, e, "%s: missing 'crl' (the crl.create step)", what);
		iss = ynode_get(n, "issuer");
		rv = ynode_get(n, "revoked");
	}
	if (kind_ref(c, s, ref, "crl", &out->step, &out->artifact, e))
		return -1;
	if (iss) {
		const char *id;
		if (ynode_want_str(c->doc, iss, "'issuer' (a certificate step of the chain)", &id, e))
			return -1;
		for (size_t k = 0; k < p->n; k++)
			if (!strcmp(p->certs[k].step->id, id))
				out->issuer = k;
		if (out->issuer == MAX_CHAIN)
			return script_err(c, iss, e, "step '%s': the CRL issuer '%s' is not a certificate of 'chain'", s->id, id);
	}
	if (rv) {
		uint64_t v;
		if (ynode_want_uint(c->doc, rv, "'revoked' (how many entries the CRL lists)", 0, 1000000, &v, e))
			return -1;
		out->revoked = (long)v;
	}
	return 0;
}

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *chain = ynode_get(s->node, "chain"), *crls = ynode_get(s->node, "crls"), *v;
	struct cv_priv *p;
	if (!chain)
		return script_err(c, s->node, e, "step '%s': missing 'chain' (the certificate steps, root first)", s->id);
	if (ynode_want_seq(c->doc, chain, "'chain' (certificate steps, root first)", e))
		return -1;
	if (chain->n == 0 || chain->n > MAX_CHAIN)
		return script_err(c, chain, e, "step '%s': expected 1 to %d certificates in 'chain', found %zu", s->id,
				  MAX_CHAIN, chain->n);
	if (crls && ynode_want_seq(c->doc, crls, "'crls' (crl.create steps)", e))
		return -1;
	if (crls && crls->n > MAX_CRLS)
		return script_err(c, crls, e, "step '%s': expected at most %d CRLs, found %zu", s->id, MAX_CRLS, crls->n);
	if (!(p = calloc(1, sizeof *p)))
		return err_set(e, ERR_NOMEM, "out of memory");
	s->priv = p;
	for (size_t i = 0; i < chain->n; i++) {
		if (parse_cert(c, s, chain->vals[i], i, &p->certs[i], e))
			return -1;
		for (size_t k = 0; k < i; k++)
			if (p->certs[k].step == p->certs[i].step)
				return script_err(c, chain->vals[i], e, "step '%s': certificate '%s' is twice in the chain", s->id,
						  p->certs[i].step->id);
		p->n++;
	}
	for (size_t i = 0; crls && i < crls->n; i++) {
		if (parse_crl(c, s, p, crls->vals[i], i, &p->crls[i], e))
			return -1;
		p->n_crls++;
	}
	if ((v = ynode_get(s->node, "key_algorithm")) &&
	    ynode_want_str(c->doc, v, "'key_algorithm' (e.g. ec-p384)", &p->key_algorithm, e))
		return -1;
	if ((v = ynode_get(s->node, "signature_algorithm")) &&
	    ynode_want_str(c->doc, v, "'signature_algorithm' (e.g. ecdsa-with-SHA384)", &p->signature_algorithm, e))
		return -1;
	return 0;
}

/* ---- execution ------------------------------------------------------------- */

struct ctx {
	struct step_run *r;
	bool all;              /* every check so far held */
	unsigned failed;
};

static int check(struct ctx *x, const char *subject, const char *what, const char *expected, const char *actual,
		 bool held, struct err *e)
{
	char name[256];
	snprintf(name, sizeof name, "%s: %s", subject, what);
	/* The room sees every check, not only the verdict. */
	if (held)
		step_show(x->r, "  ok    %s: %s", name, actual);
	else
		step_show(x->r, "  FAIL  %s: expected %s, found %s", name, expected, actual);
	if (!held) {
		x->all = false;
		x->failed++;
	}
	return step_check(x->r, name, dcbor_text(expected), dcbor_text(actual), held, e);
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

static int check_basic_constraints(struct ctx *x, const char *id, const X509 *c, long want_pl, struct err *e)
{
	int crit = 0;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(c, NID_basic_constraints, &crit, NULL);
	char actual[128], expected[64], pl[32];
	long have_pl = PATHLEN_ABSENT;
	if (bc && bc->pathlen)
		have_pl = ASN1_INTEGER_get(bc->pathlen);
	if (!bc)
		snprintf(actual, sizeof actual, crit == -2 ? "present more than once" : "absent");
	else
		snprintf(actual, sizeof actual, "%sCA:%s", crit == 1 ? "critical, " : "", bc->ca ? "TRUE" : "FALSE");
	int rc = check(x, id, "basicConstraints", "critical, CA:TRUE", actual, bc && crit == 1 && bc->ca, e);
	if (!rc) {
		if (have_pl == PATHLEN_ABSENT)
			snprintf(pl, sizeof pl, "none");
		else
			snprintf(pl, sizeof pl, "%ld", have_pl);
		if (want_pl == PATHLEN_ANY)
			snprintf(expected, sizeof expected, "any");
		else if (want_pl == PATHLEN_ABSENT)
			snprintf(expected, sizeof expected, "none");
		else
			snprintf(expected, sizeof expected, "%ld", want_pl);
		rc = check(x, id, "pathlen", expected, pl, bc && (want_pl == PATHLEN_ANY || want_pl == have_pl), e);
	}
	BASIC_CONSTRAINTS_free(bc);
	return rc;
}

/* RFC 5280 §4.2.1.3 bit names, in bit order. */
static const char *const ku_names[] = {"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
				       "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"};

static int check_key_usage(struct ctx *x, const char *id, const X509 *c, struct err *e)
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

static int check_key_ids(struct ctx *x, const char *id, X509 *c, X509 *issuer, struct err *e)
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
static int check_uri_list(struct ctx *x, const char *id, const char *what, const char *const *want, size_t n_want,
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

static int check_uris(struct ctx *x, const char *id, const X509 *c, const struct cv_cert *want, struct err *e)
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
	if (!signer || !OBJ_find_sigid_algs(sig_nid, &md, &pk))
		return false;
	int base = EVP_PKEY_get_base_id(signer);
	return pk == base || (base == EVP_PKEY_RSA && pk == EVP_PKEY_RSA_PSS) ||
	       (base == EVP_PKEY_ED25519 && sig_nid == NID_ED25519);
}

static int check_algorithm(struct ctx *x, const struct cv_priv *p, const char *id, const X509 *c, EVP_PKEY *signer,
			   struct err *e)
{
	const X509_ALGOR *outer = NULL;
	char name[128], inner[128], keyname[64];
	X509_get0_signature(NULL, &outer, c);
	pki_alg_name(outer, name, sizeof name);
	pki_alg_name(X509_get0_tbs_sigalg(c), inner, sizeof inner);
	/* RFC 5280 §4.1.1.2: the outer algorithm must be the one inside the signed part. */
	if (check(x, id, "signatureAlgorithm = tbsCertificate.signature", inner, name,
		  !X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(c)), e))
		return -1;
	if (check(x, id, "signature algorithm fits the issuer's key", pki_key_name(signer, keyname, sizeof keyname), name,
		  alg_fits_key(X509_get_signature_nid(c), signer), e))
		return -1;
	if (p->signature_algorithm &&
	    check(x, id, "signature algorithm", p->signature_algorithm, name, !strcmp(name, p->signature_algorithm), e))
		return -1;
	if (p->key_algorithm) {
		pki_key_name(X509_get0_pubkey(c), keyname, sizeof keyname);
		if (check(x, id, "public key algorithm", p->key_algorithm, keyname, !strcmp(keyname, p->key_algorithm), e))
			return -1;
	}
	return 0;
}

/* Strict DER, as Go's crypto/x509 and pyca/cryptography read it: OpenSSL's own
 * validation forgives what they refuse (a BOOLEAN TRUE of 0x01). */
static int check_der(struct ctx *x, const char *id, const struct buf *der, struct err *e)
{
	struct err de = {.kind = ERR_NONE};
	bool held = der_check(der->p, der->len, &de) == 0;
	return check(x, id, "encoding", "DER (X.690 §11)", held ? "DER (X.690 §11)" : de.msg, held, e);
}

static int check_cert(struct ctx *x, const struct cv_priv *p, size_t i, X509 *const *certs, struct err *e)
{
	const struct cv_cert *w = &p->certs[i];
	const char *id = w->step->id;
	X509 *c = certs[i], *issuer = i ? certs[i - 1] : certs[0];
	const char *issuer_id = i ? p->certs[i - 1].step->id : id;
	char a[512], b[512], what[160];

	snprintf(a, sizeof a, "%ld", X509_get_version(c) + 1);
	if (check(x, id, "version", "3", a, X509_get_version(c) == X509_VERSION_3, e))
		return -1;
	/* Linkage: the issuer's subject is this certificate's issuer, byte for byte as names compare. */
	pki_name_text(X509_get_subject_name(issuer), a, sizeof a);
	pki_name_text(X509_get_issuer_name(c), b, sizeof b);
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
		pki_time_text(X509_get0_notBefore(c), nb, sizeof nb);
		pki_time_text(X509_get0_notAfter(c), na, sizeof na);
		pki_time_text(X509_get0_notBefore(issuer), inb, sizeof inb);
		pki_time_text(X509_get0_notAfter(issuer), ina, sizeof ina);
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

static int check_crl(struct ctx *x, const struct cv_priv *p, const struct cv_crl *w, X509_CRL *crl,
		     X509 *const *certs, cbor_item_t *entries, struct err *e)
{
	const char *id = w->step->id;
	char a[512], b[512], what[160];
	size_t k = w->issuer;
	if (k == MAX_CHAIN)
		for (size_t i = 0; i < p->n; i++)
			if (!X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(certs[i])))
				k = i;
	pki_name_text(X509_CRL_get_issuer(crl), b, sizeof b);
	if (k == MAX_CHAIN)
		return check(x, id, "issuer is a certificate of the chain", "a subject of the chain", b, false, e);
	X509 *issuer = certs[k];
	const char *issuer_id = p->certs[k].step->id;
	pki_name_text(X509_get_subject_name(issuer), a, sizeof a);
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
	snprintf(b, sizeof b, "%s .. %s", pki_time_text(tu, t1, sizeof t1), pki_time_text(nu, t2, sizeof t2));
	if (check(x, id, "thisUpdate <= now < nextUpdate", "current", b,
		  tu && nu && X509_cmp_time(tu, &now) < 0 && X509_cmp_time(nu, &now) > 0, e))
		return -1;
	const X509_ALGOR *alg = NULL;
	X509_CRL_get0_signature(crl, NULL, &alg);
	pki_alg_name(alg, b, sizeof b);
	if (check(x, id, "signature algorithm fits the issuer's key", pki_key_name(X509_get0_pubkey(issuer), a, sizeof a),
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
	return dcbor_push(entries, dcbor_uint((uint64_t)n), e);
}

/* OpenSSL's own validation: the root as the only trust anchor, the certificates
 * between as untrusted, the last as the target; strict X.509 and, with CRLs, a CRL
 * for every certificate of the chain (X509_V_FLAG_CRL_CHECK_ALL). */
static int openssl_validate(struct ctx *x, const struct cv_priv *p, X509 *const *certs, X509_CRL *const *crls,
			    bool *valid, struct err *e)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	unsigned long flags = X509_V_FLAG_X509_STRICT | X509_V_FLAG_CHECK_SS_SIGNATURE;
	char what[160], actual[512];
	int ret = -1;
	*valid = false;
	if (!st || !ctx || !untrusted || X509_STORE_add_cert(st, certs[0]) != 1) {
		err_openssl(e, "cannot set up the certificate store");
		goto out;
	}
	for (size_t i = 1; i + 1 < p->n; i++)
		if (!sk_X509_push(untrusted, certs[i])) {
			err_openssl(e, "out of memory");
			goto out;
		}
	for (size_t i = 0; i < p->n_crls; i++)
		if (X509_STORE_add_crl(st, crls[i]) != 1) {
			err_openssl(e, "cannot add a CRL to the store");
			goto out;
		}
	if (p->n_crls)
		flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
	X509_STORE_set_flags(st, flags);
	if (X509_STORE_CTX_init(ctx, st, certs[p->n - 1], untrusted) != 1) {
		err_openssl(e, "cannot set up the chain validation");
		goto out;
	}
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
	if (check(x, p->certs[p->n - 1].step->id, what, "ok", actual, ok == 1, e))
		goto out;
	if (ok == 1 && check(x, p->certs[p->n - 1].step->id, "chain built by OpenSSL is the chain named", "same", same ? "same" : "different", same, e))
		goto out;
	*valid = ok == 1 && same;
	ret = 0;
out:
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return ret;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct cv_priv *p = r->step->priv;
	struct pki_obj certs[MAX_CHAIN] = {{0}}, crls[MAX_CRLS] = {{0}};
	X509 *x509s[MAX_CHAIN] = {0};
	X509_CRL *x509crls[MAX_CRLS] = {0};
	struct ctx x = {.r = r, .all = true};
	cbor_item_t *subjects = dcbor_array(), *entries = dcbor_array();
	bool valid = false;
	char name[512];
	int ret = -1;

	if (!subjects || !entries) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p->n; i++) {
		const uint8_t *d;
		size_t l;
		const struct cv_cert *w = &p->certs[i];
		if (step_find_artifact(r, w->step->id, w->artifact, &d, &l, e) || pki_parse(d, l, &certs[i], e))
			goto out;
		if (certs[i].kind != PKI_CERT) {
			err_set(e, ERR_CHAIN, "%s.%s is not a certificate (it reads as %s)", w->step->id, w->artifact,
				pki_kind_name(certs[i].kind));
			goto out;
		}
		x509s[i] = certs[i].cert;
		if (dcbor_push(subjects, dcbor_text(pki_name_text(X509_get_subject_name(x509s[i]), name, sizeof name)), e))
			goto out;
	}
	for (size_t i = 0; i < p->n_crls; i++) {
		const uint8_t *d;
		size_t l;
		const struct cv_crl *w = &p->crls[i];
		if (step_find_artifact(r, w->step->id, w->artifact, &d, &l, e) || pki_parse(d, l, &crls[i], e))
			goto out;
		if (crls[i].kind != PKI_CRL) {
			err_set(e, ERR_CHAIN, "%s.%s is not a CRL (it reads as %s)", w->step->id, w->artifact,
				pki_kind_name(crls[i].kind));
			goto out;
		}
		x509crls[i] = crls[i].crl;
	}
	if (openssl_validate(&x, p, x509s, x509crls, &valid, e))
		goto out;
	for (size_t i = 0; i < p->n; i++)
		if (check_der(&x, p->certs[i].step->id, &certs[i].der, e) || check_cert(&x, p, i, x509s, e))
			goto out;
	for (size_t i = 0; i < p->n_crls; i++)
		if (check_der(&x, p->crls[i].step->id, &crls[i].der, e) ||
		    check_crl(&x, p, &p->crls[i], x509crls[i], x509s, entries, e))
			goto out;
	step_show(r, "chain of %zu certificate%s%s: %s; %u check%s did not hold", p->n, p->n == 1 ? "" : "s",
		  p->n_crls ? " with its CRLs" : "", valid ? "valid" : "NOT VALID", x.failed, x.failed == 1 ? "" : "s");
	int rc = step_output(r, "chain_valid", dcbor_bool(valid), e) ||
		 step_output(r, "profile_ok", dcbor_bool(x.all), e) ||
		 step_output(r, "depth", dcbor_uint(p->n - 1), e) || step_output(r, "subjects", subjects, e);
	subjects = NULL;
	if (rc)
		goto out;
	if (p->n_crls) {
		rc = step_output(r, "crl_entries", entries, e);
		entries = NULL;
		if (rc)
			goto out;
	}
	if (!x.all) {
		err_set(e, ERR_CHAIN, "%u check%s of the chain did not hold (see the checks)", x.failed,
			x.failed == 1 ? "" : "s");
		goto out;
	}
	ret = 0;
out:
	if (subjects)
		cbor_decref(&subjects);
	if (entries)
		cbor_decref(&entries);
	for (size_t i = 0; i < MAX_CHAIN; i++)
		pki_obj_free(&certs[i]);
	for (size_t i = 0; i < MAX_CRLS; i++)
		pki_obj_free(&crls[i]);
	return ret;
}

static const char *const keys[] = {"chain", "crls", "key_algorithm", "signature_algorithm", NULL};
static const char *const outputs[] = {"chain_valid", "profile_ok", "depth", "subjects", "crl_entries", NULL};

const struct step_type step_chain_verify = {
	.name = "chain.verify",
	.summary = "validates a certificate chain (OpenSSL, strict) and checks the CA profile of every certificate and CRL",
	.keys = keys,
	.outputs = outputs,
	.validate = validate,
	.execute = execute,
};
