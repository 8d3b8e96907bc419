/* chain.verify: a certificate chain (root first) validated by OpenSSL in strict mode,
 * then the CA profile checked certificate by certificate, as seed 004 §7 lists it:
 * extensions present and correct, key usage exactly keyCertSign + cRLSign, pathlen,
 * issuer/subject linkage, validity nesting, algorithm, and each CRL's signature and
 * issuer (the checker is runner/rfc5280.h; this step says what to expect). Every
 * check is recorded with its Expected and Actual; one that does not hold fails the
 * step.
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
#include "steps.h"
#include "x509_params.h"
#include "../runner/rfc5280.h"
#include "../runner/x509_read.h"

enum { MAX_CHAIN = RFC5280_MAX_CHAIN, MAX_CRLS = RFC5280_MAX_CRLS, MAX_URIS = RFC5280_MAX_URIS };
enum { PATHLEN_ABSENT = RFC5280_PATHLEN_ABSENT, PATHLEN_ANY = RFC5280_PATHLEN_ANY };

struct cv_cert {
	const struct step *step;
	const char *artifact;
	const char *profile;      /* root-ca, subordinate-ca or issuing-ca */
	struct rfc5280_cert_want want;   /* pathlen and URIs */
};

struct cv_crl {
	const struct step *step;
	const char *artifact;
	struct rfc5280_crl_want want;    /* issuer and entries */
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
	if ((n->kind != YN_SCALAR || !strchr(n->str, '.')) && in_list((*t)->type->artifacts, want))
		*art = want;
	if (strcmp(*art, want) && strcmp(*art, pem))
		return script_err(c, n, e, "step '%s': '%s' gives artifact '%s' of a %s step, not a %s", s->id, (*t)->id,
				  *art, (*t)->type->name, want);
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
		if ((v = ynode_get(n, "crl_dp")) && want_uris(c, v, "'crl_dp'", out->want.crl_dp, &out->want.n_crl_dp, e))
			return -1;
		if ((v = ynode_get(n, "ocsp")) && want_uris(c, v, "'ocsp'", out->want.ocsp, &out->want.n_ocsp, e))
			return -1;
		if ((v = ynode_get(n, "ca_issuers")) &&
		    want_uris(c, v, "'ca_issuers'", out->want.ca_issuers, &out->want.n_ca_issuers, e))
			return -1;
	}
	if (kind_ref(c, s, ref, "certificate", &out->step, &out->artifact, e))
		return -1;
	/* The certificate step's own parameters. */
	const struct x509_cert_spec *spec = step_makes_certificate(out->step) ? &step_x509_of(out->step)->cert : NULL;
	if (spec && !out->want.n_crl_dp && !ynode_get(n, "crl_dp")) {
		memcpy(out->want.crl_dp, spec->crl_dp, sizeof out->want.crl_dp);
		out->want.n_crl_dp = spec->n_crl_dp;
	}
	if (spec && !out->want.n_ocsp && !ynode_get(n, "ocsp")) {
		memcpy(out->want.ocsp, spec->ocsp, sizeof out->want.ocsp);
		out->want.n_ocsp = spec->n_ocsp;
	}
	if (spec && !out->want.n_ca_issuers && !ynode_get(n, "ca_issuers")) {
		memcpy(out->want.ca_issuers, spec->ca_issuers, sizeof out->want.ca_issuers);
		out->want.n_ca_issuers = spec->n_ca_issuers;
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
		return parse_pathlen(c, pl, &out->want.pathlen, e);
	if (spec) {
		out->want.pathlen = spec->pathlen < 0 ? PATHLEN_ABSENT : spec->pathlen;
		return 0;
	}
	if (made_pl && made_pl->kind == YN_SCALAR && made_pl->plain && parse_pathlen(c, made_pl, &out->want.pathlen, e) == 0)
		return 0;
	out->want.pathlen = profile_pathlen(out->profile);
	return 0;
}

static int parse_crl(const struct ceremony *c, struct step *s, const struct cv_priv *p, const struct ynode *n, size_t i,
		     struct cv_crl *out, struct err *e)
{
	static const char *const keys[] = {"crl", "issuer", "revoked", NULL};
	const struct ynode *ref = n, *iss = NULL, *rv = NULL;
	char what[128];
	out->want.issuer = RFC5280_ISSUER_BY_NAME;
	out->want.revoked = -1;
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
				out->want.issuer = k;
		if (out->want.issuer == RFC5280_ISSUER_BY_NAME)
			return script_err(c, iss, e, "step '%s': the CRL issuer '%s' is not a certificate of 'chain'", s->id, id);
	}
	if (rv) {
		uint64_t v;
		if (ynode_want_uint(c->doc, rv, "'revoked' (how many entries the CRL lists)", 0, 1000000, &v, e))
			return -1;
		out->want.revoked = (long)v;
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

/* Every check is shown to the room and recorded, not only the verdict. */
static int report(void *ctx, const char *subject, const char *what, const char *expected, const char *actual,
		  bool held, struct err *e)
{
	struct step_run *r = ctx;
	char name[256];
	snprintf(name, sizeof name, "%s: %s", subject, what);
	if (held)
		step_show(r, "  ok    %s: %s", name, actual);
	else
		step_show(r, "  FAIL  %s: expected %s, found %s", name, expected, actual);
	return step_check(r, name, dcbor_text(expected), dcbor_text(actual), held, e);
}

static int execute(struct step_run *r, struct err *e)
{
	const struct cv_priv *p = r->step->priv;
	struct x509_obj certs[MAX_CHAIN] = {{0}}, crls[MAX_CRLS] = {{0}};
	struct rfc5280_chain chain = {.n = p->n, .n_crls = p->n_crls, .key_algorithm = p->key_algorithm,
				      .signature_algorithm = p->signature_algorithm};
	struct rfc5280_result res;
	cbor_item_t *subjects = dcbor_array(), *entries = dcbor_array();
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
		if (step_find_artifact(r, w->step->id, w->artifact, &d, &l, e) || x509_obj_parse(d, l, &certs[i], e))
			goto out;
		if (certs[i].kind != X509_OBJ_CERT) {
			err_set(e, ERR_CHAIN, "%s.%s is not a certificate (it reads as %s)", w->step->id, w->artifact,
				x509_obj_kind_name(certs[i].kind));
			goto out;
		}
		chain.certs[i].id = w->step->id;
		chain.certs[i].obj = &certs[i];
		chain.certs[i].want = &w->want;
		if (dcbor_push(subjects, dcbor_text(x509_name_text(X509_get_subject_name(certs[i].cert), name, sizeof name)),
			       e))
			goto out;
	}
	for (size_t i = 0; i < p->n_crls; i++) {
		const uint8_t *d;
		size_t l;
		const struct cv_crl *w = &p->crls[i];
		if (step_find_artifact(r, w->step->id, w->artifact, &d, &l, e) || x509_obj_parse(d, l, &crls[i], e))
			goto out;
		if (crls[i].kind != X509_OBJ_CRL) {
			err_set(e, ERR_CHAIN, "%s.%s is not a CRL (it reads as %s)", w->step->id, w->artifact,
				x509_obj_kind_name(crls[i].kind));
			goto out;
		}
		chain.crls[i].id = w->step->id;
		chain.crls[i].obj = &crls[i];
		chain.crls[i].want = &w->want;
	}
	if (rfc5280_check(&chain, report, r, &res, e))
		goto out;
	for (size_t i = 0; i < p->n_crls; i++)
		if (dcbor_push(entries, dcbor_uint((uint64_t)res.crl_entries[i]), e))
			goto out;
	step_show(r, "chain of %zu certificate%s%s: %s; %u check%s did not hold", p->n, p->n == 1 ? "" : "s",
		  p->n_crls ? " with its CRLs" : "", res.valid ? "valid" : "NOT VALID", res.failed,
		  res.failed == 1 ? "" : "s");
	int rc = step_output(r, "chain_valid", dcbor_bool(res.valid), e) ||
		 step_output(r, "profile_ok", dcbor_bool(res.failed == 0), e) ||
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
	if (res.failed) {
		err_set(e, ERR_CHAIN, "%u check%s of the chain did not hold (see the checks)", res.failed,
			res.failed == 1 ? "" : "s");
		goto out;
	}
	ret = 0;
out:
	if (subjects)
		cbor_decref(&subjects);
	if (entries)
		cbor_decref(&entries);
	for (size_t i = 0; i < MAX_CHAIN; i++)
		x509_obj_free(&certs[i]);
	for (size_t i = 0; i < MAX_CRLS; i++)
		x509_obj_free(&crls[i]);
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
