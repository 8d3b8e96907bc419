/* cert.self_signed: a root CA certificate (a trust anchor, RFC 5280 §6.1.1) for a key
 * in the token, signed by that key in the token and verified with the public key
 * the token exported before it is written (runner/x509.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "steps.h"
#include "../runner/x509.h"

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *key = ynode_get(s->node, "key"), *sig = ynode_get(s->node, "signature"),
			   *prof = ynode_get(s->node, "profile");
	struct step_keyref kr;
	struct x509_step *p = calloc(1, sizeof *p);
	if (!p)
		return err_set(e, "nomem", "out of memory");
	s->priv = p;
	if (!key)
		return script_err(c, s->node, e, "step '%s': missing 'key' (a key.generate step, or {token: NAME, label: LABEL})",
				  s->id);
	if (step_keyref_parse(c, s, key, &kr, e))
		return -1;
	p->key_token = p->subject_token = kr.token;
	p->key_label = p->subject_label = kr.label;
	p->key_algorithm = p->subject_algorithm = kr.algorithm;
	if (x509_parse_sigalg(c->doc, sig, &p->sigalg, e))
		return -1;
	if (kr.algorithm && x509_sigalg_resolve(kr.algorithm, &p->sigalg, e))
		return script_err(c, sig ? sig : key, e, "step '%s': %s", s->id, e->msg);
	if (x509_parse_cert_spec(c->doc, s->node, s->id, true, &p->cert, e))
		return -1;
	if (p->cert.profile != X509_ROOT_CA)
		return script_err(c, prof, e, "step '%s': a self-signed certificate is a root: profile root-ca (issue %s "
					      "certificates with cert.issue)", s->id, x509_profile_name(p->cert.profile));
	return 0;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct x509_step *p = r->step->priv;
	struct x509_sigalg sa = p->sigalg;
	struct x509_key k = {0};
	struct x509_info in;
	struct tok_session *s;
	struct buf der = {0}, pem = {0};
	char file[128], note[256];
	int ret = -1;

	if (step_session_on(r, p->key_token, &s, e) || x509_key_open(s, p->key_label, p->key_algorithm, &sa, &k, e) ||
	    x509_cert_self_signed(&p->cert, &k, &sa, (int64_t)time(NULL), &der, e) ||
	    x509_cert_info(der.p, der.len, &in, e) || x509_pem("CERTIFICATE", der.p, der.len, &pem, e))
		goto out;
	step_show(r, "certificate for '%s' signed in the token and verified with its public key", in.subject);
	bool warn = x509_tier_note(p->cert.profile, in.t_not_after - in.t_not_before, note, sizeof note);
	if (warn)
		step_show(r, "warning: %s", note);
	snprintf(file, sizeof file, "%s.crt.der", r->step->id);
	if (step_artifact(r, "certificate", file, "application/pkix-cert", der.p, der.len, e))
		goto out;
	snprintf(file, sizeof file, "%s.crt.pem", r->step->id);
	if (step_artifact(r, "certificate_pem", file, "application/x-pem-file", pem.p, pem.len, e))
		goto out;
	if (step_output(r, "serial", dcbor_text(in.serial), e) || step_output(r, "subject", dcbor_text(in.subject), e) ||
	    step_output(r, "issuer", dcbor_text(in.issuer), e) || step_output(r, "not_before", dcbor_text(in.not_before), e) ||
	    step_output(r, "not_after", dcbor_text(in.not_after), e) ||
	    step_output(r, "validity_days", dcbor_uint((uint64_t)(in.t_not_after - in.t_not_before) / 86400), e) ||
	    step_output(r, "profile", dcbor_text(x509_profile_name(p->cert.profile)), e) ||
	    step_output(r, "pathlen", in.pathlen >= 0 ? dcbor_uint((uint64_t)in.pathlen) : dcbor_text("none"), e) ||
	    step_output(r, "signature_algorithm", dcbor_text(x509_sigalg_label(k.algorithm, &sa)), e) ||
	    step_output(r, "key_algorithm", dcbor_text(k.algorithm), e) || step_output(r, "ski", dcbor_text(in.ski), e) ||
	    step_output(r, "public_key_sha256", dcbor_text(in.public_key_sha256), e) ||
	    step_output(r, "sha256", dcbor_text(in.sha256), e) || step_output(r, "warnings", dcbor_text(warn ? note : "none"), e))
		goto out;
	ret = 0;
out:
	x509_key_free(&k);
	buf_free(&der);
	buf_free(&pem);
	return ret;
}

static const char *const keys[] = {"key", "subject", "profile", "validity_days", "not_before", "not_after", "pathlen",
				   "crl_distribution_points", "authority_info_access", "certificate_policies",
				   "extended_key_usage", "signature", NULL};
static const char *const artifacts[] = {"certificate", "certificate_pem", NULL};
static const char *const outputs[] = {"serial", "subject", "issuer", "not_before", "not_after", "validity_days", "profile",
				      "pathlen", "signature_algorithm", "key_algorithm", "ski", "public_key_sha256", "sha256",
				      "warnings", NULL};

const struct step_type step_cert_self_signed = {
	.name = "cert.self_signed",
	.summary = "a root CA certificate signed in the token by its own key, verified before it is written",
	.keys = keys,
	.artifacts = artifacts,
	.outputs = outputs,
	.validate = validate,
	.warn = step_tier_warning,
	.execute = execute,
	.needs = step_signing_needs,
};
