/* cert.issue: a CA certificate for the subject and key of a certification request,
 * signed in the token by the issuer's key under a profile (subordinate-ca,
 * issuing-ca). The request's signature is verified first; its requested
 * extensions are ignored unless the script allows them (runner/x509.h).
 *
 * What can be checked before the ceremony is checked at load time: the issuer may
 * certify a CA at all (pathlen), the new pathlen fits below the issuer's, the issuer
 * key is the key the issuer certificate certifies, the hash fits the key, and the
 * validity ends before the issuer's. Seed 003's validity range for the tier is a
 * warning: the `warnings` output and a line shown in the room. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "steps.h"
#include "../runner/words.h"
#include "x509_params.h"
#include "../runner/x509_read.h"
#include "../runner/hash.h"

static int parse_csr(const struct ceremony *c, const struct step *s, const struct ynode *n, struct x509_step *p,
		     struct err *e)
{
	const struct step *t;
	const char *art;
	if (!n)
		return script_err(c, s->node, e, "step '%s': missing 'csr' (a csr.create step, or {file: PATH})", s->id);
	if (script_ref(c, s, n, &t, &art, e))
		return -1;
	if (strcmp(art, "csr")) {
		for (const char *const *a = t->type->artifacts; *a; a++)
			if (!strcmp(*a, "csr"))
				return script_err(c, n, e, "step '%s': 'csr' names artifact '%s' of step '%s'; expected its DER "
							   "request '%s.csr'", s->id, art, t->id, t->id);
		return script_err(c, n, e, "step '%s': '%s' is a %s step, which makes no request; expected a csr.create "
					   "step (or {file: PATH})", s->id, t->id, t->type->name);
	}
	p->csr_step = t->id;
	/* A request from a file ({file: PATH}, read when the script loads): its signature
	 * is verified now, so that a bad request stops `check`, not the room. */
	const struct script_input *in = script_input_of(t);
	if (in) {
		p->csr_file = in->name;
		if (x509_csr_verify(in->data, in->len, e))
			return script_err(c, n, e, "step '%s': request '%s': %s", s->id, in->name, e->msg);
		return 0;
	}
	if (step_is(t, STEP_MAKES_CSR) && step_x509_of(t)) {
		const struct x509_step *cp = step_x509_of(t);
		p->subject_token = cp->subject_token;
		p->subject_label = cp->subject_label;
		p->subject_algorithm = cp->subject_algorithm;
	}
	return 0;
}

/* A certificate issued after its issuer with as many days would outlive it by the
 * seconds between the two signatures: the child must end strictly sooner. */
static int check_inside(const struct ceremony *c, const struct step *s, const struct x509_step *p,
			const struct x509_step *ip, struct err *e)
{
	const struct x509_validity *v = &p->cert.validity, *iv = &ip->cert.validity;
	const struct ynode *n = ynode_get(s->node, "validity_days");
	int64_t now = (int64_t)time(NULL), nb, na, inb, ina;
	char a[24], b[24];
	if (!n)
		n = ynode_get(s->node, "not_after");
	if (v->days && iv->days) {
		if (v->days >= iv->days)
			return script_err(c, n, e, "step '%s': validity_days %llu is not shorter than the %llu days of issuer "
						   "'%s': the certificate would outlive its issuer", s->id,
					  (unsigned long long)v->days, (unsigned long long)iv->days, p->issuer_step);
		return 0;
	}
	/* Dates on either side: compare the windows as if both were signed now. */
	x509_validity_window(v, now, &nb, &na);
	x509_validity_window(iv, now, &inb, &ina);
	if (na > ina) {
		x509_time_format(na, a);
		x509_time_format(ina, b);
		return script_err(c, n, e, "step '%s': the certificate would be valid until %s, after its issuer '%s' "
					   "(until %s)", s->id, a, p->issuer_step, b);
	}
	if (nb < inb) {
		x509_time_format(nb, a);
		x509_time_format(inb, b);
		n = ynode_get(s->node, "not_before") ? ynode_get(s->node, "not_before") : n;
		return script_err(c, n, e, "step '%s': the certificate would be valid from %s, before its issuer '%s' "
					   "(from %s)", s->id, a, p->issuer_step, b);
	}
	return 0;
}

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *sig = ynode_get(s->node, "signature"), *prof = ynode_get(s->node, "profile"),
			   *pl = ynode_get(s->node, "pathlen");
	const struct x509_step *ip = NULL;
	struct x509_step *p = calloc(1, sizeof *p);
	if (!p)
		return err_set(e, ERR_NOMEM, "out of memory");
	s->priv = p;
	if (step_issuer_parse(c, s, p, &ip, e) || parse_csr(c, s, ynode_get(s->node, "csr"), p, e))
		return -1;
	if (x509_params_sigalg(c->doc, sig, &p->sigalg, e))
		return -1;
	if (p->key_algorithm && x509_sigalg_resolve(p->key_algorithm, &p->sigalg, e))
		return script_err(c, sig ? sig : s->node, e, "step '%s': the issuer key: %s", s->id, e->msg);
	if (x509_params_cert(c->doc, s->node, s->id, false, &p->cert, e))
		return -1;
	if (p->cert.profile == X509_ROOT_CA)
		return script_err(c, prof, e, "step '%s': profile root-ca is for cert.self_signed; an issued CA is "
					      "subordinate-ca or issuing-ca", s->id);
	/* An issuer from a file ({file: PATH}, an earlier ceremony's root): what it allows
	 * is in the certificate, which chain.verify checks the issued one against. */
	if (!ip)
		return 0;
	/* RFC 5280 §4.2.1.9: pathLenConstraint counts the CAs that may follow. */
	if (ip->cert.pathlen == 0)
		return script_err(c, ynode_get(s->node, "issuer"), e, "step '%s': issuer '%s' has pathlen 0 (profile %s) and "
					  "may certify no CA", s->id, p->issuer_step, x509_profile_name(ip->cert.profile));
	if (ip->cert.pathlen > 0 && p->cert.pathlen > ip->cert.pathlen - 1)
		return script_err(c, pl ? pl : prof, e, "step '%s': pathlen %d does not fit below issuer '%s' (pathlen %d: at "
							"most %d here)", s->id, p->cert.pathlen, p->issuer_step,
				  ip->cert.pathlen, ip->cert.pathlen - 1);
	return check_inside(c, s, p, ip, e);
}

static int execute(struct step_run *r, struct err *e)
{
	const struct x509_step *p = r->step->priv;
	struct x509_sigalg sa = p->sigalg;
	struct x509_key k = {0};
	struct x509_info in;
	struct tok_session *s;
	struct buf der = {0};
	const uint8_t *issuer, *csr;
	uint8_t sha[32];
	size_t issuer_len, csr_len;
	char file[128], hex[65];
	int ret = -1;

	if (step_find_artifact(r, p->issuer_step, "certificate", &issuer, &issuer_len, e))
		goto out;
	if (step_find_artifact(r, p->csr_step, "csr", &csr, &csr_len, e))
		goto out;
	/* Which request was presented is recorded even when it is refused. */
	hash_sha256(csr, csr_len, sha);
	if (step_output(r, "csr_sha256", dcbor_text(words_hex(sha, sizeof sha, hex, sizeof hex)), e))
		goto out;
	if (step_session_on(r, p->key_token, &s, e) || x509_key_open(s, p->key_label, p->key_algorithm, &sa, &k, e) ||
	    x509_cert_issue(&p->cert, csr, csr_len, issuer, issuer_len, &k, &sa, (int64_t)time(NULL), &der, e) ||
	    x509_cert_info(der.p, der.len, &in, e))
		goto out;
	step_show(r, "certificate for '%s' signed in the token by '%s' and verified", in.subject, in.issuer);
	if (step_certificate_result(r, p, k.algorithm, &sa, &der, e))
		goto out;
	if (p->csr_file) {
		snprintf(file, sizeof file, "%s.request", r->step->id);
		if (step_artifact(r, "csr_input", file, "application/pkcs10", csr, csr_len, e))
			goto out;
	}
	ret = 0;
out:
	x509_key_free(&k);
	buf_free(&der);
	return ret;
}

static const char *const keys[] = {"issuer", "issuer_key", "csr", "subject", "profile", "validity_days", "not_before",
				   "not_after", "pathlen", "crl_distribution_points", "authority_info_access",
				   "certificate_policies", "extended_key_usage", "allow_csr_extensions", "signature", NULL};
static const char *const artifacts[] = {"certificate", "certificate_pem", "csr_input", NULL};
static const char *const outputs[] = {"csr_sha256", "serial", "subject", "issuer", "not_before", "not_after",
				      "validity_days", "profile", "pathlen", "signature_algorithm", "ski", "aki",
				      "public_key_sha256", "sha256", "warnings", NULL};

const struct step_type step_cert_issue = {
	.name = "cert.issue",
	.summary = "a CA certificate for a verified request, signed in the token by the issuer's key under a profile",
	.keys = keys,
	.artifacts = artifacts,
	.outputs = outputs,
	.validate = validate,
	.warn = step_tier_warning,
	.execute = execute,
	.needs = step_signing_needs,
	.flags = STEP_MAKES_CERT,
};
