/* crl.create: a v2 CRL (RFC 5280 §5) of an issuer, signed in the token by the
 * issuer's key and verified before it is written: empty (seed 004 §7.7, the
 * signing-capability test) or revoking serials with reasons and dates. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "steps.h"
#include "../runner/words.h"
#include "x509_params.h"
#include "../runner/pem.h"
#include "../runner/x509_read.h"

/* RFC 5280 §5.3.1 CRLReason. unspecified (0) is left out on purpose (the extension
 * SHOULD be absent instead) and removeFromCRL (8) belongs to delta CRLs only. */
static const struct {
	const char *name;
	int code;
} reasons[] = {
	{"keyCompromise", 1}, {"cACompromise", 2}, {"affiliationChanged", 3}, {"superseded", 4},
	{"cessationOfOperation", 5}, {"certificateHold", 6}, {"privilegeWithdrawn", 9}, {"aACompromise", 10},
};

static int parse_time(const struct ceremony *c, const struct ynode *n, const char *what, int64_t *t, struct err *e)
{
	const char *s;
	if (ynode_want_str(c->doc, n, what, &s, e))
		return -1;
	if (x509_time_parse(s, t))
		return script_err(c, n, e, "expected %s as a UTC date and time such as \"2026-11-22T00:00:00Z\", found '%s'",
				  what, s);
	return 0;
}

static int parse_revoked_one(const struct ceremony *c, const struct step *s, const struct ynode *n, struct x509_step *p,
			     size_t i, struct err *e)
{
	static const char *const keys[] = {"serial", "certificate", "reason", "date", NULL};
	struct x509_revoked *rv = &p->crl.revoked[i];
	const struct ynode *sn = ynode_get(n, "serial"), *cert = ynode_get(n, "certificate"),
			   *reason = ynode_get(n, "reason"), *date = ynode_get(n, "date");
	const char *str;
	char what[64];
	snprintf(what, sizeof what, "revocation %zu of step '%s'", i + 1, s->id);
	if (ynode_want_map(c->doc, n, "a revocation {serial: HEX, reason: keyCompromise, date: ...}", e) ||
	    ynode_only_keys(c->doc, n, keys, what, e))
		return -1;
	if (!!sn == !!cert)
		return script_err(c, n, e, "%s: give either 'serial' (hex) or 'certificate' (a certificate step)", what);
	rv->reason = -1;
	if (sn) {
		if (ynode_want_str(c->doc, sn, "'serial'", &rv->serial_hex, e))
			return -1;
		if (x509_serial_parse(rv->serial_hex, rv->serial, &rv->serial_len))
			return script_err(c, sn, e, "%s: expected a certificate serial number in hex (positive, at most 20 "
						    "octets, RFC 5280 §4.1.2.2), found '%s'", what, rv->serial_hex);
	} else {
		const struct step *t;
		const char *art;
		if (script_ref(c, s, cert, &t, &art, e))
			return -1;
		/* A certificate from outside the run (a file, or one an imported transcript
		 * recorded: an emergency re-key revokes an earlier ceremony's intermediate)
		 * is checked against the issuer when the CRL is made (fill_serials). */
		bool outside = script_is_input(t) && !strcmp(art, "certificate");
		if (!outside && (!step_makes_certificate(t) || strcmp(art, "certificate")))
			return script_err(c, cert, e, "%s: expected the certificate of a cert.issue step, a certificate file or "
						      "one an imported transcript recorded", what);
		const struct x509_step *tp = outside ? NULL : step_x509_of(t);
		if (!outside && (!tp || !tp->issuer_step || strcmp(tp->issuer_step, p->issuer_step)))
			return script_err(c, cert, e, "%s: certificate '%s' was not issued by '%s', whose CRL this is", what,
					  t->id, p->issuer_step);
		p->revoked_cert_step[i] = t->id;
	}
	if (reason) {
		if (ynode_want_str(c->doc, reason, "'reason'", &str, e))
			return -1;
		for (size_t k = 0; k < sizeof reasons / sizeof reasons[0]; k++)
			if (!strcmp(reasons[k].name, str))
				rv->reason = reasons[k].code;
		if (!strcmp(str, "unspecified"))
			return script_err(c, reason, e, "%s: leave 'reason' out instead of 'unspecified' (RFC 5280 §5.3.1: the "
							"reasonCode SHOULD then be absent)", what);
		if (rv->reason < 0)
			return script_err(c, reason, e, "%s: unknown reason '%s' (expected keyCompromise, cACompromise, "
							"affiliationChanged, superseded, cessationOfOperation, certificateHold, "
							"privilegeWithdrawn or aACompromise)", what, str);
	}
	if (date) {
		if (parse_time(c, date, "'date'", &rv->date, e))
			return -1;
		int64_t limit = p->crl.this_update ? p->crl.this_update : (int64_t)time(NULL);
		if (rv->date > limit)
			return script_err(c, date, e, "%s: the revocation date is after the CRL's thisUpdate", what);
	}
	for (size_t k = 0; k < i; k++) {
		const struct x509_revoked *o = &p->crl.revoked[k];
		bool same = sn ? (o->serial_hex && o->serial_len == rv->serial_len && !memcmp(o->serial, rv->serial, rv->serial_len))
			       : (p->revoked_cert_step[k] && !strcmp(p->revoked_cert_step[k], p->revoked_cert_step[i]));
		if (same)
			return script_err(c, n, e, "%s: the same certificate is already revocation %zu", what, k + 1);
	}
	return 0;
}

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *sig = ynode_get(s->node, "signature"), *tu = ynode_get(s->node, "this_update"),
			   *nd = ynode_get(s->node, "next_update_days"), *nu = ynode_get(s->node, "next_update"),
			   *num = ynode_get(s->node, "crl_number"), *rev = ynode_get(s->node, "revoked");
	struct x509_step *p = calloc(1, sizeof *p);
	const struct x509_step *issuer_p;
	if (!p)
		return err_set(e, ERR_NOMEM, "out of memory");
	s->priv = p;
	if (step_issuer_parse(c, s, p, &issuer_p, e) || x509_params_sigalg(c->doc, sig, &p->sigalg, e))
		return -1;
	if (p->key_algorithm && x509_sigalg_resolve(p->key_algorithm, &p->sigalg, e))
		return script_err(c, sig ? sig : s->node, e, "step '%s': the issuer key: %s", s->id, e->msg);
	if (tu && parse_time(c, tu, "'this_update'", &p->crl.this_update, e))
		return -1;
	if (!!nd == !!nu)
		return script_err(c, nd ? nd : s->node, e, "step '%s': give either 'next_update_days: N' or 'next_update: "
							    "DATE'", s->id);
	if (nd && ynode_want_uint(c->doc, nd, "'next_update_days'", 1, 3660, &p->crl.next_update_days, e))
		return -1;
	if (nu) {
		if (parse_time(c, nu, "'next_update'", &p->crl.next_update, e))
			return -1;
		int64_t from = p->crl.this_update ? p->crl.this_update : (int64_t)time(NULL);
		if (p->crl.next_update <= from)
			return script_err(c, nu, e, "step '%s': next_update must come after thisUpdate (%s)", s->id,
					  tu ? tu->str : "the moment of signing");
	}
	/* RFC 5280 §5.2.3: a CRL issuer numbers its CRLs, strictly increasing. */
	if (!num)
		return script_err(c, s->node, e, "step '%s': missing 'crl_number' (this issuer's next CRL number, RFC "
						 "5280 §5.2.3)", s->id);
	if (ynode_want_uint(c->doc, num, "'crl_number'", 0, INT64_MAX, &p->crl.number, e))
		return -1;
	for (size_t i = 0; i < s->index; i++) {
		const struct step *t = &c->steps[i];
		const struct x509_step *tp = step_x509_of(t);
		if (!step_is(t, STEP_MAKES_CRL) || !tp || strcmp(tp->issuer_step, p->issuer_step))
			continue;
		if (tp->crl.number >= p->crl.number)
			return script_err(c, num, e, "step '%s': crl_number %llu must be greater than that of step '%s' (%llu) "
						     "for the same issuer", s->id, (unsigned long long)p->crl.number, t->id,
					  (unsigned long long)tp->crl.number);
	}
	if (rev) {
		if (ynode_want_seq(c->doc, rev, "'revoked' (a list of {serial: HEX, reason: NAME, date: DATE}; [] for none)", e))
			return -1;
		if (rev->n > X509_MAX_REVOKED)
			return script_err(c, rev, e, "step '%s': at most %d revocations in a ceremony CRL, found %zu", s->id,
					  X509_MAX_REVOKED, rev->n);
		for (size_t i = 0; i < rev->n; i++)
			if (parse_revoked_one(c, s, rev->vals[i], p, i, e))
				return -1;
		p->crl.n_revoked = rev->n;
	}
	return 0;
}

/* The serials of certificates made in this run, read from the certificates. */
static int fill_serials(struct step_run *r, const struct x509_step *p, const uint8_t *issuer, size_t issuer_len,
			struct x509_crl_spec *spec, struct err *e)
{
	struct x509_info is, in;
	if (x509_cert_info(issuer, issuer_len, &is, e))
		return -1;
	for (size_t i = 0; i < spec->n_revoked; i++) {
		const uint8_t *d;
		size_t l;
		if (!p->revoked_cert_step[i])
			continue;
		if (step_find_artifact(r, p->revoked_cert_step[i], "certificate", &d, &l, e) || x509_cert_info(d, l, &in, e))
			return -1;
		if (strcmp(in.issuer, is.subject))
			return err_set(e, ERR_X509, "certificate '%s' was issued by '%s', not by this CRL's issuer '%s'",
				       p->revoked_cert_step[i], in.issuer, is.subject);
		if (x509_serial_parse(in.serial, spec->revoked[i].serial, &spec->revoked[i].serial_len))
			return err_set(e, ERR_X509, "certificate '%s' has serial '%s', which cannot be listed",
				       p->revoked_cert_step[i], in.serial);
		spec->revoked[i].serial_hex = NULL;
	}
	return 0;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct x509_step *p = r->step->priv;
	struct x509_crl_spec *spec = malloc(sizeof *spec);
	struct x509_sigalg sa = p->sigalg;
	struct x509_key k = {0};
	struct x509_info in;
	struct tok_session *s;
	struct buf der = {0}, pem = {0};
	const uint8_t *issuer;
	size_t issuer_len;
	cbor_item_t *serials = NULL;
	char file[128];
	int ret = -1;

	if (!spec)
		return err_set(e, ERR_NOMEM, "out of memory");
	*spec = p->crl;
	if (step_find_artifact(r, p->issuer_step, "certificate", &issuer, &issuer_len, e) ||
	    fill_serials(r, p, issuer, issuer_len, spec, e))
		goto out;
	if (step_session_on(r, p->key_token, &s, e) || x509_key_open(s, p->key_label, p->key_algorithm, &sa, &k, e) ||
	    x509_crl_create(spec, issuer, issuer_len, &k, &sa, (int64_t)time(NULL), &der, e) ||
	    x509_crl_info(der.p, der.len, &in, e) || pem_write("X509 CRL", der.p, der.len, &pem, e))
		goto out;
	step_show(r, "CRL %s of '%s' (%zu revoked) signed in the token and verified", in.number, in.issuer, in.n_revoked);
	snprintf(file, sizeof file, "%s.crl.der", r->step->id);
	if (step_artifact(r, "crl", file, "application/pkix-crl", der.p, der.len, e))
		goto out;
	snprintf(file, sizeof file, "%s.crl.pem", r->step->id);
	if (step_artifact(r, "crl_pem", file, "application/x-pem-file", pem.p, pem.len, e))
		goto out;
	if (!(serials = dcbor_array())) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < spec->n_revoked; i++) {
		char hex[2 * 20 + 1];
		/* Upper case, as OpenSSL and the certificate steps show serials. */
		words_hex(spec->revoked[i].serial, spec->revoked[i].serial_len, hex, sizeof hex);
		for (char *h = hex; *h; h++)
			*h = (char)(*h >= 'a' && *h <= 'f' ? *h - 'a' + 'A' : *h);
		if (dcbor_push(serials, dcbor_text(hex), e))
			goto out;
	}
	/* step_output takes the array, even when it fails. */
	cbor_item_t *list = serials;
	serials = NULL;
	if (step_output(r, "revoked_serials", list, e) || step_output(r, "issuer", dcbor_text(in.issuer), e) ||
	    step_output(r, "this_update", dcbor_text(in.not_before), e) ||
	    step_output(r, "next_update", dcbor_text(in.not_after), e) || step_output(r, "crl_number", dcbor_text(in.number), e) ||
	    step_output(r, "revoked", dcbor_uint(in.n_revoked), e) ||
	    step_output(r, "signature_algorithm", dcbor_text(x509_sigalg_label(k.algorithm, &sa)), e) ||
	    step_output(r, "aki", dcbor_text(in.aki), e) || step_output(r, "sha256", dcbor_text(in.sha256), e))
		goto out;
	ret = 0;
out:
	if (serials)
		cbor_decref(&serials);
	free(spec);
	x509_key_free(&k);
	buf_free(&der);
	buf_free(&pem);
	return ret;
}

static const char *const keys[] = {"issuer", "issuer_key", "this_update", "next_update_days", "next_update", "crl_number",
				   "revoked", "signature", NULL};
static const char *const artifacts[] = {"crl", "crl_pem", NULL};
static const char *const outputs[] = {"issuer", "this_update", "next_update", "crl_number", "revoked", "revoked_serials",
				      "signature_algorithm", "aki", "sha256", NULL};

const struct step_type step_crl_create = {
	.name = "crl.create",
	.summary = "a CRL of an issuer (empty, or revoking serials with reasons), signed in the token and verified",
	.keys = keys,
	.artifacts = artifacts,
	.outputs = outputs,
	.validate = validate,
	.execute = execute,
	.needs = step_signing_needs,
	.flags = STEP_MAKES_CRL,
};
