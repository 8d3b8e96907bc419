/* shares.split: splits a secret the runner holds m-of-n among the custodians present
 * (Shamir over GF(2^8), runner/shamir.h), one share to each custodian.
 *
 *   - id: split-wrap
 *     type: shares.split
 *     secret: {random: 32}            # a fresh random secret of N bytes (kept for the run), or
 *     # secret: {step: STEP, name: NAME}   a secret an earlier step kept (e.g. a wrap key)
 *     threshold: 3
 *     custodian: custodian            # the role whose present members each get one share
 *     purpose: wrap:backup            # printed on every share
 *
 * Each custodian sees their share alone: the screen is cleared, they confirm the
 * others look away, the share is shown on the terminal (never the transcript, a log
 * or a file), they re-type its checksum, and the screen is cleared again. The
 * transcript gets the split id, threshold, count, purpose and who holds which index.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "steps.h"
#include "../runner/dcbor.h"

struct split_params {
	unsigned random_len;       /* > 0: a fresh random secret of this many bytes */
	const char *from_step, *from_name;
	unsigned threshold;
	const char *role;
	const char *purpose;
};

static int want_custodian_role(const struct ceremony *c, const struct ynode *n, const char **out, struct err *e)
{
	if (!n || n->kind != YN_SCALAR)
		return script_err(c, n, e, "expected the role of the custodians (a role declared in 'roles')");
	if (!script_role(c, n->str))
		return script_err(c, n, e, "undeclared role '%s'; expected a role declared in 'roles'", n->str);
	*out = n->str;
	return 0;
}

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	struct split_params *p = calloc(1, sizeof *p);
	const struct ynode *sec = ynode_get(s->node, "secret"), *th = ynode_get(s->node, "threshold"),
			   *cu = ynode_get(s->node, "custodian"), *pu = ynode_get(s->node, "purpose");
	uint64_t u;
	if (!p)
		return err_set(e, ERR_NOMEM, "out of memory");
	s->priv = p;
	if (!sec || sec->kind != YN_MAP)
		return script_err(c, sec ? sec : s->node, e,
				  "step '%s' needs 'secret': {random: N} (bytes) or {step: STEP, name: NAME}", s->id);
	if (ynode_get(sec, "random")) {
		if (ynode_want_uint(c->doc, ynode_get(sec, "random"), "'random' (bytes of the secret)", 1, 64, &u, e))
			return -1;
		p->random_len = (unsigned)u;
	} else {
		const struct ynode *st = ynode_get(sec, "step"), *nm = ynode_get(sec, "name");
		if (!st || !nm || st->kind != YN_SCALAR || nm->kind != YN_SCALAR)
			return script_err(c, sec, e, "expected 'secret': {random: N} or {step: STEP, name: NAME}");
		const struct step *from = script_step(c, st->str);
		if (!from || from->index >= s->index)
			return script_err(c, st, e, "'%s' is not a step before '%s'", st->str, s->id);
		p->from_step = st->str;
		p->from_name = nm->str;
	}
	if (!th)
		return script_err(c, s->node, e, "missing required key 'threshold' in step '%s'", s->id);
	if (ynode_want_uint(c->doc, th, "'threshold' (shares needed)", 2, 255, &u, e))
		return -1;
	p->threshold = (unsigned)u;
	if (!cu)
		return script_err(c, s->node, e, "missing required key 'custodian' in step '%s'", s->id);
	if (want_custodian_role(c, cu, &p->role, e))
		return -1;
	const struct role *ro = script_role(c, p->role);
	if (ro->count < p->threshold)
		return script_err(c, th, e, "a threshold of %u needs at least %u %s, the roster has %u", p->threshold,
				  p->threshold, p->role, ro->count);
	p->purpose = "secret";
	if (pu && ynode_want_str(c->doc, pu, "'purpose'", &p->purpose, e))
		return -1;
	if (strlen(p->purpose) > SHAMIR_PURPOSE_MAX || strspn(p->purpose, "abcdefghijklmnopqrstuvwxyz0123456789:._-") !=
								 strlen(p->purpose))
		return script_err(c, pu, e, "expected a purpose of 1 to %d characters a-z 0-9 : . _ -, found '%s'",
				  SHAMIR_PURPOSE_MAX, p->purpose);
	return 0;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct split_params *p = r->step->priv;
	struct secret *s = NULL;
	const struct secret *use;
	if (p->random_len) {
		if (!(s = secret_new(p->random_len, e)) || secret_random(s, p->random_len, e)) {
			secret_free(s);
			return -1;
		}
		/* Kept for the run, so a later step can use what the custodians now hold. */
		if (step_secret_keep(r, "secret", s, e))
			return -1;
		use = s;
	} else {
		use = step_secret_find(r, p->from_step, p->from_name);
		if (!use)
			return err_set(e, ERR_SHARES, "step '%s' kept no secret '%s' in this run", p->from_step, p->from_name);
	}
	return step_split_among(r, use, p->threshold, p->role, p->purpose, e);
}

static const char *const keys[] = {"secret", "threshold", "custodian", "purpose", NULL};
static const char *const outputs[] = {"split_id", "purpose", "threshold", "count", "custodians", "subsets_checked",
				      NULL};

static size_t questions(const struct ceremony *c, const struct step *s, struct step_question *out, size_t max)
{
	const struct split_params *p = s->priv;
	const struct role *ro = script_role(c, p->role);
	if (max < 2 || !ro)
		return 0;
	out[0] = (struct step_question){p->role, "ready", ro->count, NULL};
	out[1] = (struct step_question){p->role, "checksum", ro->count, NULL};
	return 2;
}

static const char *const asks[] = {"ready", "checksum", NULL};
const struct step_type step_shares_split = {
	.name = "shares.split",
	.summary = "splits a secret m-of-n among the custodians present, one share shown to each alone",
	.keys = keys,
	.outputs = outputs,
	.questions = questions,
	.validate = validate,
	.execute = execute,
	.asks = asks,
	.flags = STEP_SPLITS,
};
