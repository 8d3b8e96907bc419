/* cert.self_signed: a root CA certificate (a trust anchor, RFC 5280 §6.1.1) for a key
 * in the token, signed by that key in the token and verified with the public key
 * the token exported before it is written (runner/x509.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "steps.h"
#include "x509_params.h"
#include "../runner/x509_read.h"

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *prof = ynode_get(s->node, "profile");
	struct x509_step *p;
	if (step_own_key_parse(c, s, &p, e))
		return -1;
	if (x509_params_cert(c->doc, s->node, s->id, true, &p->cert, e))
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
	struct buf der = {0};
	int ret = -1;

	if (step_session_on(r, p->key_token, &s, e) || x509_key_open(s, p->key_label, p->key_algorithm, &sa, &k, e) ||
	    x509_cert_self_signed(&p->cert, &k, &sa, (int64_t)time(NULL), &der, e) ||
	    x509_cert_info(der.p, der.len, &in, e))
		goto out;
	step_show(r, "certificate for '%s' signed in the token and verified with its public key", in.subject);
	if (step_certificate_result(r, p, k.algorithm, &sa, &der, e) ||
	    step_output(r, "key_algorithm", dcbor_text(k.algorithm), e))
		goto out;
	ret = 0;
out:
	x509_key_free(&k);
	buf_free(&der);
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
	.flags = STEP_MAKES_CERT,
};
