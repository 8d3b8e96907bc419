/* csr.create: a PKCS#10 certification request (RFC 2986) for a key in the token,
 * signed there (proof of possession) and verified before it is written. It carries
 * the subject and the public key only: the extensions of the certificate are the
 * issuing step's profile, reviewed in its script, not a request's wishes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "steps.h"
#include "x509_params.h"
#include "../runner/pem.h"
#include "../runner/x509_read.h"

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *subj = ynode_get(s->node, "subject");
	struct x509_step *p;
	if (step_own_key_parse(c, s, &p, e))
		return -1;
	if (!subj)
		return script_err(c, s->node, e, "step '%s': missing 'subject' (a map such as {CN: Example Issuing CA, O: "
						 "Example Inc., C: US})", s->id);
	return x509_params_subject(c->doc, subj, p->cert.subject, &p->cert.n_subject, e);
}

static int execute(struct step_run *r, struct err *e)
{
	const struct x509_step *p = r->step->priv;
	struct x509_sigalg sa = p->sigalg;
	struct x509_key k = {0};
	struct x509_info in;
	struct tok_session *s;
	struct buf der = {0}, pem = {0};
	char file[128];
	int ret = -1;

	if (step_session_on(r, p->key_token, &s, e) || x509_key_open(s, p->key_label, p->key_algorithm, &sa, &k, e) ||
	    x509_csr_create(p->cert.subject, p->cert.n_subject, &k, &sa, &der, e) ||
	    x509_csr_verify(der.p, der.len, e) || x509_csr_info(der.p, der.len, &in, e) ||
	    pem_write("CERTIFICATE REQUEST", der.p, der.len, &pem, e))
		goto out;
	step_show(r, "certificate request for '%s' signed in the token and verified", in.subject);
	snprintf(file, sizeof file, "%s.csr.der", r->step->id);
	if (step_artifact(r, "csr", file, "application/pkcs10", der.p, der.len, e))
		goto out;
	snprintf(file, sizeof file, "%s.csr.pem", r->step->id);
	if (step_artifact(r, "csr_pem", file, "application/x-pem-file", pem.p, pem.len, e))
		goto out;
	if (step_output(r, "subject", dcbor_text(in.subject), e) ||
	    step_output(r, "signature_algorithm", dcbor_text(x509_sigalg_label(k.algorithm, &sa)), e) ||
	    step_output(r, "key_algorithm", dcbor_text(k.algorithm), e) ||
	    step_output(r, "public_key_sha256", dcbor_text(in.public_key_sha256), e) ||
	    step_output(r, "sha256", dcbor_text(in.sha256), e))
		goto out;
	ret = 0;
out:
	x509_key_free(&k);
	buf_free(&der);
	buf_free(&pem);
	return ret;
}

static const char *const keys[] = {"key", "subject", "signature", NULL};
static const char *const artifacts[] = {"csr", "csr_pem", NULL};
static const char *const outputs[] = {"subject", "signature_algorithm", "key_algorithm", "public_key_sha256", "sha256",
				      NULL};

const struct step_type step_csr_create = {
	.name = "csr.create",
	.summary = "a PKCS#10 request for a token key, signed in the token and verified",
	.keys = keys,
	.artifacts = artifacts,
	.outputs = outputs,
	.validate = validate,
	.execute = execute,
	.needs = step_signing_needs,
	.flags = STEP_MAKES_CSR,
};
