/* token.activate: logs the user in on a quorum-protected token from M custodian
 * shares. Each custodian present names themselves and types their share without
 * echo (step_collect_shares, steps/quorum.c); the PIN is rebuilt in locked memory,
 * used for C_Login through the interpreter's session on the token, and wiped.
 *
 *   - id: activate
 *     type: token.activate
 *     token: hsm
 *     split: init-hsm       # optional: the step of this run that made the split
 *
 * Refused, each with a message that names the problem and no secret: fewer than M
 * shares, a custodian not present or giving twice, a mistyped share (the group is
 * named), a share of another split, the same share twice, a share held by another
 * custodian (when the split was made in this run).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "steps.h"
#include "../runner/dcbor.h"
#include "../runner/words.h"

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *tn = ynode_get(s->node, "token"), *sp = ynode_get(s->node, "split");
	const struct token_decl *t = tn ? script_token(c, tn->str) : NULL;
	if (t && !t->quorum)
		return script_err(c, tn, e, "token '%s' has no 'activation: {quorum: M, of: ROLE}'; token.activate "
					    "logs in with M custodian shares", t->name);
	if (sp) {
		const struct step *from = sp->kind == YN_SCALAR ? script_step(c, sp->str) : NULL;
		if (!from || from->index >= s->index ||
		    !step_is(from, STEP_SPLITS))
			return script_err(c, sp, e, "expected 'split' to name a token.init or shares.split step before '%s'",
					  s->id);
	}
	return 0;
}

/* The split step: `split:`, else the last token.init of this token before the step. */
static const char *split_step(const struct ceremony *c, const struct step *s)
{
	const struct ynode *sp = ynode_get(s->node, "split");
	const char *found = sp ? sp->str : NULL;
	for (size_t i = 0; !found && i < s->index; i++) {
		const struct step *o = &c->steps[s->index - 1 - i];
		if (step_is(o, STEP_INITS_TOKEN) && o->token && !strcmp(o->token, s->token))
			found = o->id;
	}
	return found;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct token_decl *t = script_token(r->cer, r->step->token);
	const char *from = split_step(r->cer, r->step), *role = t->quorum_role;
	struct shamir_share got[SHAMIR_MAX_SHARES];
	const char *who[SHAMIR_MAX_SHARES];
	size_t k = 0;
	struct secret *pin = NULL;
	cbor_item_t *names = NULL;
	char hex[2 * SHAMIR_ID_LEN + 1], for_what[160], if_short[200];
	int ret = -1;

	memset(got, 0, sizeof got);
	snprintf(for_what, sizeof for_what, "token '%s'", t->name);
	snprintf(if_short, sizeof if_short, "token '%s' stays locked", t->name);
	if (step_collect_shares(r, role, t->quorum, from, for_what, if_short, got, who, &k, e))
		goto out;
	if (!(pin = secret_new(256, e)))
		goto out;
	if (shamir_combine(got, k, pin, e))
		goto out;
	if (step_login_with(r, t->name, pin, e)) {
		err_wrap(e, "the PIN rebuilt from %zu shares did not log in to token '%s'", k, t->name);
		goto out;
	}
	step_show(r, "token '%s' activated by %zu %s; the rebuilt PIN is wiped", t->name, k, role);
	words_hex(got[0].split_id, SHAMIR_ID_LEN, hex, sizeof hex);
	if (step_output(r, "split_id", dcbor_text(hex), e) || step_output(r, "logged_in", dcbor_bool(true), e))
		goto out;
	ret = 0;
out:
	/* What was given is recorded, success or not: names and a count, no share. */
	names = dcbor_array();
	for (size_t i = 0; names && i < k; i++)
		if (dcbor_push(names, dcbor_text(who[i]), e))
			ret = -1;
	if (!names || step_output(r, "shares_given", dcbor_uint(k), e) || step_output(r, "custodians", names, e))
		ret = -1;
	for (size_t i = 0; i < k; i++)
		shamir_share_clear(&got[i]);
	secret_free(pin);
	return ret;
}

static const char *const keys[] = {"split", NULL};
static const char *const outputs[] = {"split_id", "logged_in", "shares_given", "custodians", NULL};

static size_t questions(const struct ceremony *c, const struct step *s, struct step_question *out, size_t max)
{
	const struct token_decl *t = script_token(c, s->token);
	if (max < 2 || !t)
		return 0;
	out[0] = (struct step_question){t->quorum_role, "custodian", t->quorum, NULL};
	out[1] = (struct step_question){t->quorum_role, "share", t->quorum, NULL};
	return 2;
}

static const char *const asks[] = {"custodian", "share", NULL};
const struct step_type step_token_activate = {
	.name = "token.activate",
	.summary = "logs in with M custodian shares combined in locked memory",
	.keys = keys,
	.outputs = outputs,
	.asks = asks,
	.flags = STEP_USES_TOKEN | STEP_ACTIVATES_TOKEN,
	.questions = questions,
	.validate = validate,
	.execute = execute,
};
