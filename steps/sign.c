/* sign: a test signature by a token key over text the script gives (seed 001's
 * integration test: "sign --label root-ca-key --data 'certificate signing
 * request'"). The token signs (x509_sign: the same code that signs certificates, so
 * the test exercises the ceremony's own signing path); the signature is an artifact
 * for a later verify step, which checks it in software.
 *
 *   key: KEY-STEP | {token: NAME, label: LABEL}
 *   data: certificate signing request      the UTF-8 bytes of the text, nothing added
 *   signature: {hash: sha384, padding: pss}   optional; defaults fit the key
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "steps.h"
#include "sign.h"
#include "../runner/words.h"
#include "../runner/hash.h"

enum { MAX_SIGN_DATA = 64 * 1024 };

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *key = ynode_get(s->node, "key"), *data = ynode_get(s->node, "data"),
			   *sig = ynode_get(s->node, "signature");
	struct sign_priv *p;
	if (!key)
		return script_err(c, s->node, e, "step '%s': missing 'key' (a key.generate step or {token, label})", s->id);
	if (!data)
		return script_err(c, s->node, e, "step '%s': missing 'data' (the text to sign)", s->id);
	if (!(p = calloc(1, sizeof *p)))
		return err_set(e, ERR_NOMEM, "out of memory");
	s->priv = p;
	if (step_keyref_parse(c, s, key, &p->key, e) || ynode_want_str(c->doc, data, "'data' (the text to sign)", &p->data, e))
		return -1;
	p->data_len = strlen(p->data);
	if (p->data_len == 0 || p->data_len > MAX_SIGN_DATA)
		return script_err(c, data, e, "expected 1 to %d bytes of text in 'data', found %zu", MAX_SIGN_DATA,
				  p->data_len);
	if (x509_params_sigalg(c->doc, sig, &p->asked, e))
		return -1;
	p->sigalg = p->asked;
	if (p->key.algorithm && x509_sigalg_resolve(p->key.algorithm, &p->sigalg, e))
		return script_err(c, sig ? sig : key, e, "step '%s': %s", s->id, e->msg);
	return 0;
}

static size_t needs(const struct ceremony *c, const struct step *s, struct step_need *out, size_t max)
{
	const struct sign_priv *p = s->priv;
	(void)c;
	if (!p || !p->key.algorithm || max < 1)
		return 0;
	out[0].token = p->key.token;
	out[0].algorithm = p->key.algorithm;
	out[0].mech = x509_sigalg_mech(p->key.algorithm, &p->sigalg);
	return out[0].mech ? 1 : 0;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct sign_priv *p = r->step->priv;
	struct tok_session *sess;
	struct x509_key k = {0};
	struct x509_sigalg sa = p->asked;
	struct buf sig = {0};
	uint8_t sha[32];
	char hex[2 * 1024 + 1], file[128];
	int ret = -1;

	/* The key must be what the script says it is; a key from an earlier ceremony is
	 * what the token says, and the signature algorithm is resolved for it. */
	if (step_session_on(r, p->key.token, &sess, e) || x509_key_open(sess, p->key.label, p->key.algorithm, &sa, &k, e))
		goto out;
	if (x509_sign(&k, &sa, (const uint8_t *)p->data, p->data_len, &sig, e))
		goto out;
	step_show(r, "signed %zu bytes with '%s' (%s, %s)", p->data_len, p->key.label, k.algorithm,
		  x509_sigalg_label(k.algorithm, &sa));
	hash_sha256((const uint8_t *)p->data, p->data_len, sha);
	if (step_output(r, "key_label", dcbor_text(p->key.label), e) ||
	    step_output(r, "key_algorithm", dcbor_text(k.algorithm), e) ||
	    step_output(r, "signature_algorithm", dcbor_text(x509_sigalg_label(k.algorithm, &sa)), e) ||
	    step_output(r, "data", dcbor_text(p->data), e) ||
	    step_output(r, "data_sha256", dcbor_text(words_hex(sha, sizeof sha, hex, sizeof hex)), e) ||
	    step_output(r, "signature_hex", dcbor_text(words_hex(sig.p, sig.len, hex, sizeof hex)), e))
		goto out;
	hash_sha256(k.spki.p, k.spki.len, sha);
	if (step_output(r, "public_key_sha256", dcbor_text(words_hex(sha, sizeof sha, hex, sizeof hex)), e))
		goto out;
	snprintf(file, sizeof file, "%s.sig", r->step->id);
	if (step_artifact(r, "signature", file, "application/octet-stream", sig.p, sig.len, e))
		goto out;
	/* A key the script did not make here has no exported public key yet: the token's
	 * is recorded, for the verify step and for the auditor. */
	if (!p->key.made_by) {
		snprintf(file, sizeof file, "%s.spki.der", r->step->id);
		if (step_artifact(r, "public_key", file, "application/pkix-spki", k.spki.p, k.spki.len, e))
			goto out;
	}
	ret = 0;
out:
	buf_free(&sig);
	x509_key_free(&k);
	return ret;
}

static const char *const keys[] = {"key", "data", "signature", NULL};
static const char *const artifacts[] = {"signature", "public_key", NULL};
static const char *const outputs[] = {"key_label", "key_algorithm", "signature_algorithm", "data", "data_sha256",
				      "signature_hex", "public_key_sha256", NULL};

const struct sign_priv *sign_of(const struct step *s)
{
	return step_is(s, STEP_SIGNS) ? s->priv : NULL;
}

const struct step_type step_sign = {
	.name = "sign",
	.summary = "a test signature by a token key over text the script gives",
	.keys = keys,
	.artifacts = artifacts,
	.outputs = outputs,
	.validate = validate,
	.execute = execute,
	.needs = needs,
	.flags = STEP_SIGNS,
};
