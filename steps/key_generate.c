/* key.generate: a key pair made inside the token. The private key is created
 * sensitive and never extractable; the attributes are read back and each one is
 * a recorded check, so the transcript proves the key never left the token
 * (CKA_LOCAL: generated there; CKA_ALWAYS_SENSITIVE / CKA_NEVER_EXTRACTABLE: never
 * exposed, PKCS#11 3.0 §4.9). The algorithm is read back too (curve, modulus size,
 * parameter set), not assumed from the request. The public key is exported as SPKI
 * (DER and PEM).
 *
 * Algorithms: token.c's table (ec-p256, ec-p384, ec-p521, ed25519, rsa-3072,
 * rsa-4096, ml-dsa-65). The generation mechanism is declared through `needs`, so a
 * token without it stops the ceremony before any step acts.
 *
 * `backup: true` (seed 002 step 6, seed 004 §6) is the one exception, and the script
 * must say so: the key is still sensitive, but extractable under a trusted key only
 * (CKA_EXTRACTABLE and CKA_WRAP_WITH_TRUSTED true, tok_generate_ex TOK_GEN_BACKUP),
 * so key.backup can wrap it under the security officer's wrap key and nothing else
 * can. The checks then expect extractable true, never_extractable false and
 * wrap_with_trusted true; all three are recorded like the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "steps.h"
#include "../runner/pem.h"
#include "../runner/spki.h"
#include "../runner/words.h"
#include "backup.h"
#include "../runner/hash.h"

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *alg = ynode_get(s->node, "algorithm"), *label = ynode_get(s->node, "label");
	const char *a, *l;
	if (!alg)
		return script_err(c, s->node, e, "step '%s': missing 'algorithm' (one of %s)", s->id,
				  tok_algorithm_names());
	if (ynode_want_str(c->doc, alg, "'algorithm'", &a, e))
		return -1;
	if (!tok_algorithm_find(a))
		return script_err(c, alg, e, "unknown algorithm '%s' (expected one of %s)", a, tok_algorithm_names());
	if (!label)
		return script_err(c, s->node, e, "step '%s': missing 'label' (the key's CKA_LABEL)", s->id);
	const struct ynode *bk = ynode_get(s->node, "backup");
	bool backup;
	if (bk && ynode_want_bool(c->doc, bk, "'backup' (true: extractable only under a trusted wrap key)", &backup, e))
		return -1;
	if (ynode_want_str(c->doc, label, "'label'", &l, e))
		return -1;
	if (!l[0] || strlen(l) > 64)
		return script_err(c, label, e, "expected a label of 1 to 64 bytes, found %zu bytes", strlen(l));
	/* Two keys with one label on one token: the second would be refused in the room. */
	for (size_t i = 0; i < s->index; i++) {
		const struct step *o = &c->steps[i];
		if (o->type == s->type && o->token && s->token && !strcmp(o->token, s->token) &&
		    !strcmp(ynode_get(o->node, "label")->str, l))
			return script_err(c, label, e, "step '%s': step '%s' already makes a key labelled '%s' on token '%s'",
					  s->id, o->id, l, s->token);
	}
	return 0;
}

/* The generation mechanism, on the step's token. validate ran first, so the keys
 * are there and the algorithm is known. */
static size_t needs(const struct ceremony *c, const struct step *s, struct step_need *out, size_t max)
{
	const struct ynode *alg = ynode_get(s->node, "algorithm");
	CK_MECHANISM_TYPE gen;
	(void)c;
	if (!max || !alg || !s->token || !tok_algorithm_known(alg->str, &gen))
		return 0;
	out[0] = (struct step_need){.token = s->token, .algorithm = alg->str, .mech = gen};
	return 1;
}

/* What the private key must be, read back from the token rather than assumed. */
static const struct {
	CK_ATTRIBUTE_TYPE type;
	const char *attribute, *output;
	bool want;
} policy[] = {
	{CKA_TOKEN, "CKA_TOKEN", "token", true},
	{CKA_PRIVATE, "CKA_PRIVATE", "private", true},
	{CKA_SENSITIVE, "CKA_SENSITIVE", "sensitive", true},
	{CKA_EXTRACTABLE, "CKA_EXTRACTABLE", "extractable", false},
	{CKA_SIGN, "CKA_SIGN", "sign", true},
	{CKA_DECRYPT, "CKA_DECRYPT", "decrypt", false},
	{CKA_DERIVE, "CKA_DERIVE", "derive", false},
	{CKA_UNWRAP, "CKA_UNWRAP", "unwrap", false},
	{CKA_SIGN_RECOVER, "CKA_SIGN_RECOVER", "sign_recover", false},
	{CKA_LOCAL, "CKA_LOCAL", "local", true},
	{CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE", "always_sensitive", true},
	{CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE", "never_extractable", true},
	{CKA_WRAP_WITH_TRUSTED, "CKA_WRAP_WITH_TRUSTED", "wrap_with_trusted", false},
};

/* A backup key differs in exactly these: it may leave the token, wrapped, under a
 * trusted key only. */
static bool policy_want(size_t i, bool backup)
{
	if (backup && (policy[i].type == CKA_EXTRACTABLE || policy[i].type == CKA_WRAP_WITH_TRUSTED))
		return true;
	if (backup && policy[i].type == CKA_NEVER_EXTRACTABLE)
		return false;
	return policy[i].want;
}

bool key_generate_backup(const struct step *s)
{
	const struct ynode *bk = step_is(s, STEP_MAKES_KEY) ? ynode_get(s->node, "backup") : NULL;
	return bk && bk->str && !strcmp(bk->str, "true");
}

/* Records each attribute of the policy as a check; *all is false if one does not hold. */
static int check_policy(struct step_run *r, struct tok_session *s, CK_OBJECT_HANDLE o, bool backup, bool *all,
			struct err *e)
{
	*all = true;
	for (size_t i = 0; i < sizeof policy / sizeof policy[0]; i++) {
		bool v, want = policy_want(i, backup);
		if (tok_attr_bool(s, o, policy[i].type, &v, e))
			return -1;
		if (v != want)
			*all = false;
		if (step_check(r, policy[i].attribute, dcbor_bool(want), dcbor_bool(v), v == want, e) ||
		    step_output(r, policy[i].output, dcbor_bool(v), e))
			return -1;
	}
	return 0;
}

/* The algorithm as the token describes the new pair (tok_key_find reads CKA_KEY_TYPE,
 * CKA_EC_PARAMS, CKA_MODULUS, CKA_PARAMETER_SET), recorded as a check against the
 * request; also proves the label now names exactly this one pair. Outputs what
 * the token says: key_type, and curve, modulus_bits or parameter_set. */
static int check_algorithm(struct step_run *r, struct tok_session *s, const char *alg, const char *label,
			   const struct tok_keypair *kp, bool *held, struct err *e)
{
	CK_OBJECT_HANDLE priv, pub;
	char got[32];
	const struct tok_algorithm *a;

	*held = false;
	if (tok_key_find(s, label, &priv, &pub, got, sizeof got, e))
		return -1;
	*held = !strcmp(got, alg) && priv == kp->priv && pub == kp->pub;
	if (step_check(r, "algorithm", dcbor_text(alg), dcbor_text(got), *held, e) ||
	    step_output(r, "algorithm", dcbor_text(got), e))
		return -1;
	a = tok_algorithm_find(got);
	if (!a)   /* e.g. "rsa-2048" from a token that ignored CKA_MODULUS_BITS: the check failed */
		return 0;
	if (step_output(r, "key_type", dcbor_text(a->key_type), e))
		return -1;
	if (a->curve && step_output(r, "curve", dcbor_text(a->curve), e))
		return -1;
	if (a->parameter_set && step_output(r, "parameter_set", dcbor_text(a->parameter_set), e))
		return -1;
	if (a->ckk == CKK_RSA) {
		CK_ULONG bits;
		struct buf ex = {0};
		uint64_t v = 0;
		int rc = tok_attr_ulong(s, kp->pub, CKA_MODULUS_BITS, &bits, e) ||
			 step_output(r, "modulus_bits", dcbor_uint(bits), e) || tok_attr(s, kp->pub, CKA_PUBLIC_EXPONENT, &ex, e);
		/* Big-endian (PKCS#11 Mechanisms 3.0 §2.1.2); an exponent wider than 64 bits is not one we asked for. */
		for (size_t i = 0; !rc && i < ex.len; i++)
			v = i < 8 ? v << 8 | ex.p[i] : UINT64_MAX;
		rc = rc || step_output(r, "public_exponent", dcbor_uint(v), e);
		buf_free(&ex);
		if (rc)
			return -1;
	}
	return 0;
}

/* The pair labelled label that an interrupted attempt made, with its CKA_ID. */
static int adopt(struct step_run *r, struct tok_session *s, const char *label, struct tok_keypair *kp, struct err *e)
{
	struct buf id = {0};
	char got[32];
	int rc = tok_key_find(s, label, &kp->priv, &kp->pub, got, sizeof got, e) || tok_attr(s, kp->priv, CKA_ID, &id, e);
	if (!rc && id.len != sizeof kp->id)
		rc = err_set(e, ERR_KEY_ATTRIBUTES, "the key pair '%s' kept at the resume has a CKA_ID of %zu bytes, not the "
						   "%zu this program gives", label, id.len, sizeof kp->id);
	if (!rc) {
		memcpy(kp->id, id.p, sizeof kp->id);
		rc = step_output(r, "kept_at_resume", dcbor_bool(true), e);
		step_show(r, "key pair '%s' (%s) made before the interruption and kept: checked as a new one", label, got);
	}
	buf_free(&id);
	return rc;
}

/* A resume: the interrupted attempt may have made the pair. The administrator keeps
 * it (the step takes it on and checks it) or destroys it (the step makes a new one). */
static int interrupted(struct step_run *r, struct err *e)
{
	static const char *const choices[] = {"keep", "destroy", NULL};
	const char *label = ynode_get(r->step->node, "label")->str;
	struct tok_session *s;
	CK_OBJECT_HANDLE h[8];
	size_t n = 0, k = 0;
	char q[512];
	if (step_session(r, &s, e) || tok_find(s, (CK_OBJECT_CLASS)-1, label, h, 8, &n, e))
		return -1;
	if (!n) {
		step_resume_said(r, "no object labelled '%s' is on token '%s': the interrupted attempt made no key, and "
				    "step '%s' makes it again", label, r->step->token, r->step->id);
		return 0;
	}
	step_warn(r, "%zu object%s labelled '%s' %s on token '%s': the interrupted attempt made the key pair", n,
		  n == 1 ? "" : "s", label, n == 1 ? "is" : "are", r->step->token);
	snprintf(q, sizeof q, "keep the key pair '%s' (the step takes it on and checks it as if it had just made it) or "
			      "destroy it (the step makes a new one)?", label);
	if (step_choose(r, step_resume_role(r), "open_key", q, choices, &k, e))
		return -1;
	if (k == 0) {
		step_adopt(r);
		step_resume_said(r, "the key pair '%s' on token '%s' that the interrupted attempt made was kept", label,
				 r->step->token);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (tok_destroy(s, h[i], e))
			return err_wrap(e, "destroying '%s' on token '%s'", label, r->step->token);
	step_resume_said(r, "the key pair '%s' on token '%s' that the interrupted attempt made was destroyed (%zu "
			    "objects); step '%s' makes a new one", label, r->step->token, n, r->step->id);
	return 0;
}

static int execute(struct step_run *r, struct err *e)
{
	const char *alg = ynode_get(r->step->node, "algorithm")->str;
	const char *label = ynode_get(r->step->node, "label")->str;
	struct tok_session *s;
	struct tok_keypair kp;
	struct buf spki = {0}, pem = {0};
	bool all, same;
	char hex[200], file[128];
	uint8_t sha[32];
	int ret = -1;

	bool backup = key_generate_backup(r->step);

	if (step_session(r, &s, e))
		return -1;
	if (step_adopting(r)) {
		/* A resume: the pair an interrupted attempt made, kept by the administrator,
		 * is checked below exactly as a new one would be. */
		if (adopt(r, s, label, &kp, e))
			return -1;
	} else {
		if (tok_generate_ex(s, alg, label, backup ? TOK_GEN_BACKUP : 0, &kp, e))
			return -1;
		step_show(r, "key pair '%s' (%s) generated in the token%s", label, alg,
			  backup ? "; sensitive, extractable only under a trusted wrap key (backup)" : "");
	}
	if (step_output(r, "label", dcbor_text(label), e) ||
	    step_output(r, "id", dcbor_text(words_hex(kp.id, sizeof kp.id, hex, sizeof hex)), e))
		goto out;
	if (check_algorithm(r, s, alg, label, &kp, &same, e) || check_policy(r, s, kp.priv, backup, &all, e))
		goto out;
	if (!same) {
		err_set(e, ERR_KEY_ATTRIBUTES, "the token made key '%s' with another algorithm than %s", label, alg);
		goto out;
	}
	if (!all) {
		err_set(e, ERR_KEY_ATTRIBUTES, "the private key '%s' does not have the attributes it must have", label);
		goto out;
	}
	/* The PEM of the SPKI DER as it is (RFC 7468 §13 "PUBLIC KEY"): no parse, so
	 * algorithms OpenSSL 3.0 does not know (ML-DSA) are written the same way. */
	if (spki_from_token(s, kp.pub, &spki, e) || pem_write("PUBLIC KEY", spki.p, spki.len, &pem, e))
		goto out;
	hash_sha256(spki.p, spki.len, sha);
	if (step_output(r, "public_key_sha256", dcbor_text(words_hex(sha, sizeof sha, hex, sizeof hex)), e))
		goto out;
	/* The public key in hex as the token holds it (seed 001: "show the public key"):
	 * CKA_EC_POINT, the DER OCTET STRING of the X9.62 point, for EC and EdDSA keys. */
	struct buf point = {0};
	struct err none;
	if (tok_attr(s, kp.pub, CKA_EC_POINT, &point, &none) == 0) {
		char *ph = malloc(2 * point.len + 1);
		int rc = !ph ? err_set(e, ERR_NOMEM, "out of memory")
			     : step_output(r, "ec_point", dcbor_text(words_hex(point.p, point.len, ph, 2 * point.len + 1)), e);
		free(ph);
		buf_free(&point);
		if (rc)
			goto out;
	}
	snprintf(file, sizeof file, "%s.spki.der", r->step->id);
	if (step_artifact(r, "public_key", file, "application/pkix-spki", spki.p, spki.len, e))
		goto out;
	snprintf(file, sizeof file, "%s.pub.pem", r->step->id);
	if (step_artifact(r, "public_key_pem", file, "application/x-pem-file", pem.p, pem.len, e))
		goto out;
	ret = 0;
out:
	buf_free(&spki);
	buf_free(&pem);
	return ret;
}

static const char *const keys[] = {"algorithm", "label", "backup", NULL};
static const char *const artifacts[] = {"public_key", "public_key_pem", NULL};
/* The attributes the policy fixes, for `check`: an expectation against them cannot hold. */
static const char *fixed_output(const struct step *s, const char *name, char *why, size_t len)
{
	bool backup = key_generate_backup(s);
	for (size_t i = 0; i < sizeof policy / sizeof policy[0]; i++)
		if (!strcmp(policy[i].output, name)) {
			bool want = policy_want(i, backup);
			snprintf(why, len, "%s makes the private key's %s %s", backup ? "'backup: true'" : "key.generate",
				 policy[i].attribute, want ? "true" : "false");
			return want ? "true" : "false";
		}
	return NULL;
}

static const char *const outputs[] = {
	"key_type", "curve", "modulus_bits", "public_exponent", "parameter_set", "algorithm", "label", "id",
	"token", "private", "sensitive", "extractable", "sign", "decrypt", "derive", "unwrap", "sign_recover", "local",
	"always_sensitive", "never_extractable", "wrap_with_trusted", "public_key_sha256", "ec_point", "kept_at_resume", NULL};

const struct step_type step_key_generate = {
	.name = "key.generate",
	.summary = "generates a key pair in the token; private key sensitive, never extractable",
	.keys = keys,
	.artifacts = artifacts,
	.outputs = outputs,
	.flags = STEP_USES_TOKEN | STEP_NEEDS_LOGIN | STEP_MAKES_KEY,
	.validate = validate,
	.execute = execute,
	.interrupted = interrupted,
	.fixed_output = fixed_output,
	.needs = needs,
};
