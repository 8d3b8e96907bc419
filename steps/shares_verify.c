/* shares.verify: proves that every m-subset of a split made earlier in this run
 * rebuilds the same secret (and the secret itself, when the run still holds it),
 * not only one subset, before the ceremony goes on.
 *
 *   - id: verify-shares
 *     type: shares.verify
 *     of: init-hsm          # a shares.split or token.init step before this one
 */
#include <string.h>
#include "steps.h"
#include "../runner/dcbor.h"

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *of = ynode_get(s->node, "of");
	if (!of || of->kind != YN_SCALAR)
		return script_err(c, of ? of : s->node, e, "step '%s' needs 'of': the shares.split or token.init step "
							   "whose split it verifies", s->id);
	const struct step *t = script_step(c, of->str);
	if (!t || t->index >= s->index)
		return script_err(c, of, e, "'%s' is not a step before '%s'", of->str, s->id);
	if (!step_is(t, STEP_SPLITS))
		return script_err(c, of, e, "step '%s' is a %s step; expected a shares.split or token.init step", of->str,
				  t->type->name);
	return 0;
}

static int execute(struct step_run *r, struct err *e)
{
	const char *of = ynode_get(r->step->node, "of")->str;
	const struct step_split *sp = step_find_split(r, of);
	unsigned long subsets = 0;
	if (!sp)
		return err_set(e, ERR_SHARES, "step '%s' made no split in this run", of);
	const struct secret *want = step_secret_find(r, of, "secret");
	/* A split of a secret another step kept (e.g. a wrap key): compared with it too. */
	const struct ynode *sec = ynode_get(script_step(r->cer, of)->node, "secret"),
			   *st = sec ? ynode_get(sec, "step") : NULL, *nm = sec ? ynode_get(sec, "name") : NULL;
	if (!want && st && nm && st->kind == YN_SCALAR && nm->kind == YN_SCALAR)
		want = step_secret_find(r, st->str, nm->str);
	int rc = step_split_verify(sp, want, &subsets, e);
	if (step_output(r, "subsets_checked", dcbor_uint(subsets), e) ||
	    step_output(r, "threshold", dcbor_uint(sp->threshold), e) || step_output(r, "count", dcbor_uint(sp->count), e))
		return -1;
	if (rc)
		return -1;
	step_show(r, "all %lu subsets of %u of the %u shares rebuild the secret", subsets, sp->threshold, sp->count);
	return step_output(r, "all_rebuild", dcbor_bool(true), e);
}

static const char *const keys[] = {"of", NULL};
static const char *const outputs[] = {"subsets_checked", "threshold", "count", "all_rebuild", NULL};

const struct step_type step_shares_verify = {
	.name = "shares.verify",
	.summary = "proves every m-subset of a split rebuilds the secret",
	.keys = keys,
	.outputs = outputs,
	.validate = validate,
	.execute = execute,
};
