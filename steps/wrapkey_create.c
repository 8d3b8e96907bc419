/* wrapkey.create: the trusted AES-256 wrap key that key.backup wraps under and
 * key.restore rebuilds (design in backup.h).
 *
 *   token: root
 *   label: backup-wrap-key
 *
 * The value comes from the token's RNG (C_GenerateRandom) into locked memory; the
 * security officer logs in (step_session_so) and creates the key with CKA_TRUSTED,
 * sensitive and never extractable (tok_wrapkey_create); the attributes are read back
 * as checks. The value is kept for the run (step_secret_keep, name "wrap_key"), for
 * the custodians' split and the restore, and wiped when the run ends. */
#include <stdio.h>
#include <string.h>
#include "backup.h"

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *label = ynode_get(s->node, "label");
	const char *l;
	if (!label)
		return script_err(c, s->node, e, "step '%s': missing 'label' (the wrap key's CKA_LABEL)", s->id);
	if (ynode_want_str(c->doc, label, "'label'", &l, e))
		return -1;
	if (!l[0] || strlen(l) > 64)
		return script_err(c, label, e, "expected a label of 1 to 64 bytes, found %zu bytes", strlen(l));
	return 0;
}

static size_t needs(const struct ceremony *c, const struct step *s, struct step_need *out, size_t max)
{
	(void)c;
	if (!max || !s->token)
		return 0;
	out[0] = (struct step_need){.token = s->token, .algorithm = "aes-256 key wrap", .mech = CKM_AES_KEY_WRAP_PAD};
	return 1;
}

static int execute(struct step_run *r, struct err *e)
{
	const char *label = ynode_get(r->step->node, "label")->str;
	struct tok_session *so = NULL;
	struct secret *value = NULL;
	CK_OBJECT_HANDLE h;
	bool all;
	int ret = -1;

	if (!(value = secret_new(TOK_WRAPKEY_LEN, e)) || step_session_so(r, r->step->token, &so, e))
		goto out;
	/* The token's RNG, straight into locked memory. */
	if (tok_random(so, value->p, TOK_WRAPKEY_LEN, e))
		goto out;
	value->len = TOK_WRAPKEY_LEN;
	if (tok_wrapkey_create(so, label, value, true, &h, e) || step_wrapkey_checks(r, so, h, "", &all, e))
		goto out;
	if (!all) {
		err_set(e, ERR_KEY_ATTRIBUTES, "the wrap key '%s' does not have the attributes it must have", label);
		goto out;
	}
	if (step_output(r, "label", dcbor_text(label), e) || step_output(r, "key_type", dcbor_text("AES"), e) ||
	    step_output(r, "value_len", dcbor_uint(TOK_WRAPKEY_LEN), e))
		goto out;
	step_show(r, "trusted AES-256 wrap key '%s' created by the security officer", label);
	ret = step_secret_keep(r, "wrap_key", value, e);
	value = NULL;
out:
	tok_close(so);
	secret_free(value);
	return ret;
}

static const char *const keys[] = {"label", NULL};
static const char *const outputs[] = {"label", "key_type", "value_len", "trusted", "sensitive", "extractable",
				      "wrap", "unwrap", "encrypt", "decrypt", NULL};

/* A resume: the wrap key an interrupted attempt made is destroyed before the step
 * runs again (its value is not one the custodians hold). */
static int interrupted(struct step_run *r, struct err *e)
{
	const char *label = ynode_get(r->step->node, "label")->str;
	return step_leftovers(r, r->step->token, &label, 1, e);
}

const struct step_type step_wrapkey_create = {
	.name = "wrapkey.create",
	.summary = "the security officer creates a trusted AES-256 wrap key from the token's RNG",
	.keys = keys,
	.outputs = outputs,
	.flags = STEP_USES_TOKEN | STEP_MAKES_WRAP_KEY | STEP_LOGS_IN_SO,
	.validate = validate,
	.execute = execute,
	.interrupted = interrupted,
	.needs = needs,
};
