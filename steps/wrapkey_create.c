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

static const struct {
	CK_ATTRIBUTE_TYPE type;
	const char *name, *output;
	bool want;
} policy[] = {
	{CKA_TRUSTED, "CKA_TRUSTED", "trusted", true},
	{CKA_SENSITIVE, "CKA_SENSITIVE", "sensitive", true},
	{CKA_EXTRACTABLE, "CKA_EXTRACTABLE", "extractable", false},
	{CKA_WRAP, "CKA_WRAP", "wrap", true},
	{CKA_UNWRAP, "CKA_UNWRAP", "unwrap", true},
	{CKA_ENCRYPT, "CKA_ENCRYPT", "encrypt", false},
	{CKA_DECRYPT, "CKA_DECRYPT", "decrypt", false},
};

int wrapkey_checks(struct step_run *r, struct tok_session *s, CK_OBJECT_HANDLE h, const char *prefix, bool *all,
		   struct err *e)
{
	char what[96], out[96];
	*all = true;
	for (size_t i = 0; i < sizeof policy / sizeof policy[0]; i++) {
		bool v;
		if (tok_attr_bool(s, h, policy[i].type, &v, e))
			return -1;
		*all = *all && v == policy[i].want;
		snprintf(what, sizeof what, "%s%s", prefix, policy[i].name);
		snprintf(out, sizeof out, "%s%s", prefix, policy[i].output);
		if (step_check(r, what, dcbor_bool(policy[i].want), dcbor_bool(v), v == policy[i].want, e) ||
		    step_output(r, out, dcbor_bool(v), e))
			return -1;
	}
	return 0;
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
	if (tok_wrapkey_create(so, label, value, true, &h, e) || wrapkey_checks(r, so, h, "", &all, e))
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

const struct step_type step_wrapkey_create = {
	.name = "wrapkey.create",
	.summary = "the security officer creates a trusted AES-256 wrap key from the token's RNG",
	.keys = keys,
	.outputs = outputs,
	.flags = STEP_USES_TOKEN,
	.validate = validate,
	.execute = execute,
	.needs = needs,
};
