/* manual: a human action read aloud. Values the script asks to record (record:)
 * are typed in by the interpreter, and the confirming roles confirm the Actual;
 * a step nobody confirms is confirmed as done by the acting role, so no manual
 * step passes without a person saying it happened. */
#include <stdio.h>
#include "steps.h"

static int execute(struct step_run *r, struct err *e)
{
	char q[256];
	if (r->step->n_confirm)
		return step_output(r, "done", dcbor_bool(true), e);
	snprintf(q, sizeof q, "type yes when '%s' is done", r->step->title);
	if (step_confirm(r, step_role(r), "done", q, e))
		return -1;
	return step_output(r, "done", dcbor_bool(true), e);
}

static const char *const outputs[] = {"done", NULL};
static const char *const asks[] = {"done", NULL};

/* Nobody confirms it: the acting role types "yes" when it is done. */
static size_t questions(const struct ceremony *c, const struct step *s, struct step_question *out, size_t max)
{
	if (s->n_confirm || max < 1)
		return 0;
	out[0] = (struct step_question){script_acting_role(c, s), "done", 1, "yes"};
	return 1;
}

const struct step_type step_manual = {
	.name = "manual",
	.summary = "a human action read aloud, confirmed as done; typed values recorded",
	.keys = (const char *const[]){NULL},
	.outputs = outputs,
	.asks = asks,
	.questions = questions,
	.execute = execute,
};
