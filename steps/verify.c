/* verify: checks a sign step's signature in software, with OpenSSL and the exported
 * public key (not by the token), over text the script gives. `expect_valid: false`
 * is the tamper test of seed 001 ("verifying altered data must fail"): the step
 * passes when the result is the one the script expects.
 *
 *   signature: SIGN-STEP
 *   public_key: STEP | STEP.ARTIFACT     optional: a public key or a certificate;
 *                                        default: the exported public key of the
 *                                        sign step's key
 *   data: TAMPERED data
 *   expect_valid: false                  optional, default true
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include "steps.h"
#include "../runner/x509_read.h"
#include "sign.h"
#include "../runner/words.h"
#include "../runner/hash.h"

struct verify_priv {
	const struct step *sign;
	const struct step *key_step;   /* where the public key comes from */
	const char *key_artifact;
	const char *data;
	bool expect_valid;
};

static bool has_artifact(const struct step *t, const char *name)
{
	for (const char *const *a = t->type->artifacts; a && *a; a++)
		if (!strcmp(*a, name))
			return true;
	return false;
}

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *sig = ynode_get(s->node, "signature"), *pub = ynode_get(s->node, "public_key"),
			   *data = ynode_get(s->node, "data"), *ev = ynode_get(s->node, "expect_valid");
	const char *art;
	struct verify_priv *p;
	if (!sig)
		return script_err(c, s->node, e, "step '%s': missing 'signature' (the sign step)", s->id);
	if (!data)
		return script_err(c, s->node, e, "step '%s': missing 'data' (the text the signature is checked over)", s->id);
	if (!(p = calloc(1, sizeof *p)))
		return err_set(e, ERR_NOMEM, "out of memory");
	s->priv = p;
	p->expect_valid = true;
	if (script_ref(c, s, sig, &p->sign, &art, e))
		return -1;
	if (!step_is(p->sign, STEP_SIGNS))
		return script_err(c, sig, e, "step '%s': '%s' is a %s step, not a sign step", s->id, p->sign->id,
				  p->sign->type->name);
	if (ynode_want_str(c->doc, data, "'data' (text)", &p->data, e))
		return -1;
	if (ev && ynode_want_bool(c->doc, ev, "'expect_valid' (true or false)", &p->expect_valid, e))
		return -1;
	if (pub) {
		if (script_ref(c, s, pub, &p->key_step, &p->key_artifact, e))
			return -1;
		/* "STEP" alone: its public key, else its certificate. */
		if (pub->kind != YN_SCALAR || !strchr(pub->str, '.')) {
			if (has_artifact(p->key_step, "public_key"))
				p->key_artifact = "public_key";
			else if (has_artifact(p->key_step, "certificate"))
				p->key_artifact = "certificate";
		}
		return 0;
	}
	/* The key.generate step that made the key exported it; a key from an earlier
	 * ceremony is exported by the sign step itself. */
	const struct sign_priv *sp = sign_of(p->sign);
	p->key_step = sp && sp->key.made_by ? sp->key.made_by : p->sign;
	p->key_artifact = "public_key";
	return 0;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct verify_priv *p = r->step->priv;
	const struct sign_priv *sp = sign_of(p->sign);
	const uint8_t *sig, *kd;
	size_t sig_len, kl;
	struct x509_obj key = {0};
	struct x509_sigalg sa = sp->asked;
	char alg[64], hex[80], what[256];
	uint8_t sha[32];
	int ret = -1;

	if (step_find_artifact(r, p->sign->id, "signature", &sig, &sig_len, e) ||
	    step_find_artifact(r, p->key_step->id, p->key_artifact, &kd, &kl, e) || x509_obj_parse(kd, kl, &key, e))
		goto out;
	if ((key.kind != X509_OBJ_PUBKEY && key.kind != X509_OBJ_CERT) || !key.pub) {
		err_set(e, ERR_VERIFY, "%s.%s is not a public key or a certificate (it reads as %s)", p->key_step->id,
			p->key_artifact, x509_obj_kind_name(key.kind));
		goto out;
	}
	/* The algorithm the sign step used, its defaults filled for this key. */
	x509_pubkey_name(key.pub, alg, sizeof alg);
	if (x509_sigalg_resolve(alg, &sa, e))
		goto out;
	enum err_answer v = x509_verify_data(key.pub, &sa, sig, sig_len, (const uint8_t *)p->data, strlen(p->data), e);
	if (v == ERR_ANSWER_ERROR)
		goto out;
	bool valid = v == ERR_ANSWER_YES;
	step_show(r, "the signature of '%s' over the given data is %s (expected: %s)", p->sign->id,
		  valid ? "VALID" : "NOT VALID", p->expect_valid ? "valid" : "not valid");
	snprintf(what, sizeof what, "signature of %s over the data, checked with %s.%s (%s)", p->sign->id,
		 p->key_step->id, p->key_artifact, x509_sigalg_label(alg, &sa));
	if (step_output(r, "valid", dcbor_bool(valid), e) || step_output(r, "expect_valid", dcbor_bool(p->expect_valid), e) ||
	    step_output(r, "signature_algorithm", dcbor_text(x509_sigalg_label(alg, &sa)), e) ||
	    step_output(r, "data", dcbor_text(p->data), e))
		goto out;
	hash_sha256((const uint8_t *)p->data, strlen(p->data), sha);
	if (step_output(r, "data_sha256", dcbor_text(words_hex(sha, sizeof sha, hex, sizeof hex)), e))
		goto out;
	if (step_check(r, what, dcbor_text(p->expect_valid ? "valid" : "not valid"),
		       dcbor_text(valid ? "valid" : "not valid"), valid == p->expect_valid, e))
		goto out;
	if (valid != p->expect_valid) {
		err_set(e, ERR_VERIFY, "the signature of '%s' is %s, but the script expects it %s", p->sign->id,
			valid ? "valid" : "not valid", p->expect_valid ? "valid" : "to fail");
		goto out;
	}
	ret = 0;
out:
	x509_obj_free(&key);
	return ret;
}

static const char *const keys[] = {"signature", "public_key", "data", "expect_valid", NULL};
static const char *const outputs[] = {"valid", "expect_valid", "signature_algorithm", "data", "data_sha256", NULL};

const struct step_type step_verify = {
	.name = "verify",
	.summary = "checks a sign step's signature in software over given data; expect_valid: false is the tamper test",
	.keys = keys,
	.outputs = outputs,
	.validate = validate,
	.execute = execute,
};
