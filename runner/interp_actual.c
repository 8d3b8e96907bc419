/* interp_actual: Expected vs Actual: `expect` evaluated as recorded checks, the
 * Actual shown to the room, and the typed values a step records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp_int.h"
#include "dcbor.h"
#include "words.h"

/* What expectation i of step s wants, as text: the script's value, or for
 * {same_as: IMPORT.STEP.OUTPUT} what the imported transcript recorded (false when
 * it recorded nothing usable: the check cannot hold). */
static bool expected_text(const struct ceremony *c, const struct ynode *ex, size_t i, char *out, size_t cap)
{
	const char *ref = script_expect_ref(ex->vals[i]);
	if (!ref) {
		snprintf(out, cap, "%s", ex->vals[i]->str);
		return true;
	}
	const cbor_item_t *v = script_import_value(c, ref);
	if (!v) {
		snprintf(out, cap, "(nothing recorded as %s)", ref);
		return false;
	}
	dcbor_show(v, out, cap);
	return true;
}

/* Evaluates `expect` against the outputs: each is a recorded check. */
int interp_evaluate_expect(struct step_run *r, bool *all_held, struct err *e)
{
	const struct ynode *ex = r->step->expect;
	*all_held = true;
	if (!ex)
		return 0;
	for (size_t i = 0; i < ex->n; i++) {
		const char *key = ex->keys[i]->str, *ref = script_expect_ref(ex->vals[i]);
		char got[1024], want[1024], what[300];
		bool known = expected_text(r->cer, ex, i, want, sizeof want);
		dcbor_show(dcbor_get(r->res.outputs, key), got, sizeof got);
		bool held = known && dcbor_get(r->res.outputs, key) && !strcmp(got, want);
		if (!held)
			*all_held = false;
		snprintf(what, sizeof what, ref ? "%s (same as %s)" : "%s", key, ref);
		if (step_check(r, what, dcbor_text(want), dcbor_text(got), held, e))
			return -1;
	}
	return 0;
}

void interp_show_actual(struct interp *in, struct step_run *r)
{
	struct prompt *p = in->o->prompt;
	size_t n = cbor_map_size(r->res.outputs);
	struct cbor_pair *pairs = cbor_map_handle(r->res.outputs);
	const struct ynode *ex = r->step->expect;
	for (size_t i = 0; ex && i < ex->n; i++) {
		char got[1024], want[1024];
		bool known = expected_text(in->c, ex, i, want, sizeof want);
		dcbor_show(dcbor_get(r->res.outputs, ex->keys[i]->str), got, sizeof got);
		bool held = known && dcbor_get(r->res.outputs, ex->keys[i]->str) && !strcmp(got, want);
		prompt_show(p, held ? PROMPT_PLAIN : PROMPT_WARN, "%-22s Expected: %-20s Actual: %s  %s",
			    ex->keys[i]->str, want, got, held ? "[matches]" : "[MISMATCH]");
		if (script_expect_ref(ex->vals[i]))
			prompt_show(p, PROMPT_PLAIN, "%-22s (Expected: as recorded by %s)", "",
				    script_expect_ref(ex->vals[i]));
	}
	for (size_t i = 0; i < n; i++) {
		char key[128], val[8192];   /* shown whole: a token's 70 mechanisms too */
		dcbor_show(pairs[i].key, key, sizeof key);
		if (ex && ynode_get(ex, key))
			continue;
		dcbor_show(pairs[i].value, val, sizeof val);
		prompt_show(p, PROMPT_PLAIN, "%-22s Actual: %s", key, val);
	}
}

/* Whether answer is not what {same_as: REF}, the expectation of record field name,
 * says an earlier ceremony recorded (false when there is no such expectation). */
static bool differs_from_record(const struct step_run *r, const char *name, const char *answer)
{
	const struct ynode *ex = r->step->expect, *v = ex ? ynode_get(ex, name) : NULL;
	char want[1024];
	if (!v || !script_expect_ref(v))
		return false;
	for (size_t i = 0; i < ex->n; i++)
		if (ex->vals[i] == v && expected_text(r->cer, ex, i, want, sizeof want))
			return strcmp(want, answer) != 0;
	return false;
}

/* Typed values the script asks to record (a seal number, a safe location). */
int interp_take_records(struct interp *in, struct step_run *r, struct err *e)
{
	const char *role = interp_acting_role(in, r->step);
	for (size_t i = 0; i < r->step->n_record; i++) {
		const struct record_field *f = &r->step->record[i];
		char *answer = NULL;
		/* An empty value is a slip unless the script says the field is optional. */
		for (unsigned attempt = 1;; attempt++) {
			if (step_ask(r, role, f->name, f->prompt ? f->prompt : f->name, &answer, e))
				return -1;
			if (!f->optional && !answer[strspn(answer, " \t")]) {
				free(answer);
				answer = NULL;
				if (!step_slip(r, role, f->name, attempt, "an empty answer for '%s' is not recorded: type the value",
					       f->name))
					return err_set(e, ERR_INPUT, "step '%s': no value was given for '%s'", r->step->id, f->name);
				continue;
			}
			/* A value an earlier ceremony recorded (a seal number): a typo is asked again,
			 * never shown the right one; after the last try what was typed is recorded and
			 * the expectation that fails halts the ceremony as the script says. */
			if (!differs_from_record(r, f->name, answer) ||
			    !step_slip(r, role, f->name, attempt, "the %s typed is not the one %s recorded: check it and type it "
								  "again", f->name, script_expect_ref(ynode_get(r->step->expect, f->name))))
				break;
			free(answer);
			answer = NULL;
		}
		int rc = step_output(r, f->name, dcbor_text(answer), e);
		free(answer);
		if (rc)
			return -1;
	}
	return 0;
}
