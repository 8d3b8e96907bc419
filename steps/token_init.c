/* token.init: initialises the step's token with a generated SO PIN and user PIN
 * (locked memory, never shown) and splits the user PIN among the custodians present,
 * m of n, as the token's `activation: {quorum: M, of: ROLE}` says.
 *
 *   - id: init-hsm
 *     type: token.init
 *     token: hsm            # a token declared with an activation quorum
 *
 * In a rehearsal the token `rehearse` made is initialised again with the SO PIN it
 * holds (C_InitToken erases it); in a live ceremony only a blank token is initialised.
 * After the split the PIN is wiped: only a token.activate step with M shares logs in.
 */
#include "steps.h"
#include "../runner/dcbor.h"

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *tn = ynode_get(s->node, "token");
	const struct token_decl *t = tn ? script_token(c, tn->str) : NULL;
	if (t && !t->quorum)
		return script_err(c, tn, e,
				  "token '%s' has no 'activation: {quorum: M, of: ROLE}': token.init splits the user PIN "
				  "it generates among custodians, and needs the quorum to do so",
				  t->name);
	return 0;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct token_decl *t = script_token(r->cer, r->step->token);
	struct secret *pin = NULL;
	char purpose[SHAMIR_PURPOSE_MAX + 1];
	bool before = false;
	int ret = -1;

	if (!(pin = secret_new_pin(e)))
		goto out;
	/* The custodians hold their shares before the token gets the PIN: a split that
	 * fails (a custodian cannot confirm) leaves a blank token blank, never a token
	 * whose PIN nobody holds. */
	snprintf(purpose, sizeof purpose, "pin:%s", t->name);
	for (char *p = purpose; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (step_split_among(r, pin, t->quorum, t->quorum_role, purpose, e))
		goto out;
	if (step_init_token(r, pin, &before, e))
		goto out;
	step_show(r, "token '%s' initialised with label %s; its user PIN exists only as the %s' shares (%u needed)",
		  t->name, t->label, t->quorum_role, t->quorum);
	if (step_output(r, "token_label", dcbor_text(t->label), e) ||
	    step_output(r, "was_initialised", dcbor_bool(before), e))
		goto out;
	ret = 0;
out:
	/* The PIN leaves memory now: from here only M shares rebuild it. */
	secret_free(pin);
	return ret;
}

static const char *const outputs[] = {"token_label", "was_initialised", "split_id", "purpose", "threshold",
				      "count", "custodians", "subsets_checked", NULL};

static size_t questions(const struct ceremony *c, const struct step *s, struct step_question *out, size_t max)
{
	const struct token_decl *t = script_token(c, s->token);
	const struct role *ro = t ? script_role(c, t->quorum_role) : NULL;
	if (max < 2 || !ro)
		return 0;
	out[0] = (struct step_question){ro->name, "ready", ro->count, NULL};
	out[1] = (struct step_question){ro->name, "checksum", ro->count, NULL};
	return 2;
}

static const char *const asks[] = {"ready", "checksum", NULL};
const struct step_type step_token_init = {
	.name = "token.init",
	.summary = "initialises a token with generated PINs and splits the user PIN among custodians",
	.keys = (const char *const[]){NULL},
	.outputs = outputs,
	.asks = asks,
	.flags = STEP_USES_TOKEN | STEP_INITS_TOKEN | STEP_SPLITS,
	.questions = questions,
	.validate = validate,
	.execute = execute,
};
