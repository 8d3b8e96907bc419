/* checklist: items confirmed one by one (pre-ceremony checks, material destruction). */
#include <stdio.h>
#include "steps.h"

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *items = ynode_get(s->node, "items");
	if (!items)
		return script_err(c, s->node, e, "step '%s': missing 'items' (the list of checks to confirm)", s->id);
	if (items->kind != YN_SEQ || items->n == 0)
		return script_err(c, items, e, "step '%s': expected 'items' to be a non-empty list of text", s->id);
	for (size_t i = 0; i < items->n; i++)
		if (items->vals[i]->kind != YN_SCALAR || items->vals[i]->len == 0)
			return script_err(c, items->vals[i], e, "expected a checklist item (text)");
	return 0;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct ynode *items = ynode_get(r->step->node, "items");
	cbor_item_t *done = dcbor_array();
	if (!done)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < items->n; i++) {
		char q[1024];
		snprintf(q, sizeof q, "item %zu of %zu: %s (type yes when checked)", i + 1, items->n,
			 items->vals[i]->str);
		if (step_confirm(r, step_role(r), "items", q, e) || dcbor_push(done, dcbor_text(items->vals[i]->str), e)) {
			cbor_decref(&done);
			return -1;
		}
	}
	return step_output(r, "items_checked", dcbor_uint(items->n), e) || step_output(r, "items", done, e);
}

static const char *const keys[] = {"items", NULL};
static const char *const outputs[] = {"items_checked", "items", NULL};

static size_t questions(const struct ceremony *c, const struct step *s, struct step_question *out, size_t max)
{
	const struct ynode *items = ynode_get(s->node, "items");
	if (!max)
		return 0;
	out[0] = (struct step_question){script_acting_role(c, s), "items", (unsigned)items->n, NULL};
	return 1;
}

static const char *const asks[] = {"items", NULL};
const struct step_type step_checklist = {
	.name = "checklist",
	.summary = "items confirmed one by one",
	.keys = keys,
	.outputs = outputs,
	.asks = asks,
	.questions = questions,
	.validate = validate,
	.execute = execute,
};
