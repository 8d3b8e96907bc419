/* token.activate: logs the user in on a quorum-protected token from M custodian
 * shares. Each custodian present names themselves and types their share without
 * echo; the PIN is rebuilt in locked memory, used for C_Login through the
 * interpreter's session on the token, and wiped.
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
		    (strcmp(from->type->name, "token.init") && strcmp(from->type->name, "shares.split")))
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
		if (!strcmp(o->type->name, "token.init") && o->token && !strcmp(o->token, s->token))
			found = o->id;
	}
	return found;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct token_decl *t = script_token(r->cer, r->step->token);
	const char *from = split_step(r->cer, r->step), *role = t->quorum_role;
	const struct step_split *sp = from ? step_find_split(r, from) : NULL;
	struct shamir_share got[SHAMIR_MAX_SHARES];
	const char *who[SHAMIR_MAX_SHARES], *present[SHAMIR_MAX_SHARES];
	size_t k = 0, n_present = step_present(r, role, present, SHAMIR_MAX_SHARES);
	struct secret *typed = NULL, *pin = NULL;
	cbor_item_t *names = NULL;
	char hex[2 * SHAMIR_ID_LEN + 1];
	int ret = -1;

	memset(got, 0, sizeof got);
	if (!(typed = secret_new(1024, e)))
		goto out;
	while (k < t->quorum) {
		char q[256], *name = NULL;
		snprintf(q, sizeof q, "name of the %s giving share %zu of the %u needed (empty: no more %s)", role, k + 1,
			 t->quorum, role);
		if (step_ask(r, role, "custodian", q, &name, e))
			goto out;
		if (!name[0]) {
			free(name);
			break;
		}
		const char *person = NULL;
		for (size_t i = 0; i < n_present && i < SHAMIR_MAX_SHARES; i++)
			if (!strcmp(present[i], name))
				person = present[i];
		for (size_t i = 0; person && i < k; i++)
			if (!strcmp(who[i], person)) {
				err_set(e, "quorum", "%s has given a share already: a quorum counts distinct custodians", person);
				free(name);
				goto out;
			}
		if (!person) {
			err_set(e, "not-present", "'%s' is not present as %s and cannot give a share", name, role);
			free(name);
			goto out;
		}
		free(name);
		step_clear_screen(r);
		snprintf(q, sizeof q, "%s: type your share (not echoed)", person);
		if (step_ask_secret(r, role, "share", q, from, typed, e))
			goto out;
		if (typed->len == 0)
			break;
		int rc = shamir_share_parse((const char *)typed->p, typed->len, &got[k], e);
		secret_wipe(typed->p, typed->cap);
		step_clear_screen(r);
		if (rc) {
			err_wrap(e, "the share %s typed was refused", person);
			goto out;
		}
		who[k++] = person;
		const struct shamir_share *s = &got[k - 1];
		for (size_t i = 0; i + 1 < k; i++)
			if (got[i].index == s->index && !memcmp(got[i].split_id, s->split_id, SHAMIR_ID_LEN)) {
				err_set(e, "shares", "share #%u was given twice (by %s and %s): each share counts once", s->index,
					who[i], person);
				goto out;
			}
		if (sp && memcmp(s->split_id, sp->shares[0].split_id, SHAMIR_ID_LEN)) {
			err_set(e, "shares", "the share %s typed belongs to another split than the one step '%s' made for "
					     "token '%s'",
				person, from, t->name);
			goto out;
		}
		if (sp && s->index <= sp->count && sp->holders[s->index - 1] &&
		    strcmp(sp->holders[s->index - 1], person)) {
			err_set(e, "shares", "share #%u was given to %s, not to %s: each custodian types their own share",
				s->index, sp->holders[s->index - 1], person);
			goto out;
		}
	}
	if (k < t->quorum) {
		err_set(e, "quorum", "only %zu of the %u shares needed were given: token '%s' stays locked", k, t->quorum,
			t->name);
		goto out;
	}
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
	secret_free(typed);
	secret_free(pin);
	return ret;
}

static const char *const keys[] = {"split", NULL};
static const char *const outputs[] = {"split_id", "logged_in", "shares_given", "custodians", NULL};

const struct step_type step_token_activate = {
	.name = "token.activate",
	.summary = "logs in with M custodian shares combined in locked memory",
	.keys = keys,
	.outputs = outputs,
	.flags = STEP_USES_TOKEN,
	.validate = validate,
	.execute = execute,
};
