/* decision: a question with named choices; each goes to a step id or halts the
 * ceremony. The choice and who made it are recorded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "steps.h"
#include "../runner/fold.h"

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *q = ynode_get(s->node, "question"), *ch = ynode_get(s->node, "choices");
	const char *text;
	if (!q)
		return script_err(c, s->node, e, "step '%s': missing 'question'", s->id);
	if (ynode_want_str(c->doc, q, "'question'", &text, e))
		return -1;
	if (!ch)
		return script_err(c, s->node, e, "step '%s': missing 'choices' (a map of choice to step id or halt)",
				  s->id);
	if (ynode_want_map(c->doc, ch, "'choices' (a map of choice to step id or halt)", e))
		return -1;
	if (ch->n < 2)
		return script_err(c, ch, e, "expected at least two choices, found %zu", ch->n);
	const struct ynode *oof = ynode_get(s->node, "only_on_fail");
	if (oof && ynode_want_bool(c->doc, oof, "'only_on_fail' (true or false)", &s->only_on_fail, e))
		return -1;
	for (size_t i = 0; i < ch->n; i++) {
		const char *to;
		if (ynode_want_str(c->doc, ch->vals[i], "a step id or halt", &to, e))
			return -1;
		if (strcmp(to, "halt") && !script_step(c, to))
			return script_err(c, ch->vals[i], e, "choice '%s' goes to step '%s', which is not in the script",
					  ch->keys[i]->str, to);
		/* An answer is matched with case and spacing forgiven (fold.h): two choices
		 * that differ only so could not be told apart. */
		for (size_t k = 0; k < i; k++)
			if (fold_same(ch->keys[k]->str, ch->keys[i]->str))
				return script_err(c, ch->keys[i], e,
						  "choice '%s' differs from choice '%s' only in case or spacing; an answer "
						  "could not tell them apart",
						  ch->keys[i]->str, ch->keys[k]->str);
	}
	return 0;
}

/* An on_fail decision that is not only_on_fail also runs, in order, when nothing
 * failed: asking the room what to do about a failure that did not happen. */
static bool warn(const struct ceremony *c, const struct step *s, char *buf, size_t len)
{
	if (s->only_on_fail)
		return false;
	for (size_t i = 0; i < c->n_steps; i++)
		if (c->steps[i].on_fail == ON_FAIL_DECISION && !strcmp(c->steps[i].on_fail_decision, s->id)) {
			snprintf(buf, len,
				 "decision '%s' is the on_fail decision of step '%s' but also runs in order when nothing "
				 "failed; add 'only_on_fail: true' to skip it then",
				 s->id, c->steps[i].id);
			return true;
		}
	return false;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct ynode *q = ynode_get(r->step->node, "question"), *ch = ynode_get(r->step->node, "choices");
	const char **names = calloc(ch->n + 1, sizeof *names);
	size_t k = 0;
	if (!names)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < ch->n; i++)
		names[i] = ch->keys[i]->str;
	/* A choice typed with another case or spacing is that choice ("Again" for
	 * "again"), recorded as the script spells it; anything else is asked again. */
	int rc = step_choose(r, step_role(r), "choice", q->str, names, &k, e);
	free(names);
	if (rc)
		return -1;
	const char *choice = ch->keys[k]->str;
	const struct ynode *to = ch->vals[k];
	/* Who decided is recorded by name when the role has someone present. */
	const char *role = step_role(r), *who = NULL;
	char by[256];
	if (role && step_person(r, role, "decided_by", &who, e)) {
		/* Nobody recorded in the role (a script without attendance): the role alone. */
		if (e->kind != ERR_NOT_PRESENT)
			return -1;
		who = NULL;
	}
	snprintf(by, sizeof by, "%s%s%s%s", who ? who : "", who ? " (" : "", role ? role : "-", who ? ")" : "");
	const char *next = strcmp(to->str, "halt") ? to->str : NULL;
	if (step_output(r, "choice", dcbor_text(choice), e) || step_output(r, "decided_by", dcbor_text(by), e) ||
	    step_decide(r, q->str, choice, next, e))
		return -1;
	if (!next)
		step_show(r, "the ceremony halts here, as decided");
	else
		step_show(r, "next: step '%s'", next);
	return 0;
}

static const char *const keys[] = {"question", "choices", "only_on_fail", NULL};
static const char *const outputs[] = {"choice", "decided_by", NULL};

static size_t questions(const struct ceremony *c, const struct step *s, struct step_question *out, size_t max)
{
	const struct ynode *ch = ynode_get(s->node, "choices");
	if (!max)
		return 0;
	out[0] = (struct step_question){script_acting_role(c, s), "choice", 1, ch->keys[0]->str};
	return 1;
}

static const char *const asks[] = {"choice", "decided_by", NULL};
const struct step_type step_decision = {
	.name = "decision",
	.summary = "a question with choices leading to step ids or a halt",
	.keys = keys,
	.outputs = outputs,
	.questions = questions,
	.validate = validate,
	.execute = execute,
	.warn = warn,
	.asks = asks,
	.flags = STEP_DECIDES,
};
