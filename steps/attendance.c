/* attendance: each participant's name and role, ID checked. Every role of the
 * script must be filled with its count of distinct people; with strict
 * separation nobody may hold two roles. Later sign-offs must come from people
 * recorded here. A name is recorded with its spacing folded; an empty one, or one
 * already present in the role, is asked again (a slip, not the end of the step). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "steps.h"
#include "../runner/fold.h"

/* Which name is already present (in role, or in any role when role is NULL) as name
 * is once case and spacing are forgiven (fold.h); NULL if none. Borrowed. */
static const char *present_as(const struct step_run *r, const char *role, const char *name)
{
	const char *names[64];
	for (size_t i = 0; i < r->cer->n_roles; i++) {
		const char *ro = r->cer->roles[i].name;
		if (role && strcmp(role, ro))
			continue;
		size_t n = step_present(r, ro, names, sizeof names / sizeof names[0]);
		for (size_t k = 0; k < n && k < sizeof names / sizeof names[0]; k++)
			if (fold_same(names[k], name))
				return names[k];
	}
	return NULL;
}

/* The name of role's person k of count, spacing folded ("  Ada  Alvarez " is "Ada
 * Alvarez"); *name malloc'ed. An empty name, or one already present in the role, is a
 * slip and asked again (PROMPT_ATTEMPTS in all): empty at the last is refused here,
 * a name given twice by step_attend. */
static int ask_name(struct step_run *r, const struct role *ro, unsigned k, char **name, struct err *e)
{
	char q[256];
	snprintf(q, sizeof q, "name of %s %u of %u", ro->name, k + 1, ro->count);
	for (unsigned attempt = 1;; attempt++) {
		char *typed = NULL;
		if (step_ask(r, ro->name, "name", q, &typed, e))
			return -1;
		*name = malloc(strlen(typed) + 1);
		if (!*name) {
			free(typed);
			return err_set(e, ERR_NOMEM, "out of memory");
		}
		(void)fold_space(typed, *name, strlen(typed) + 1);
		free(typed);
		const char *twice = (*name)[0] ? present_as(r, ro->name, *name) : NULL;
		if ((*name)[0] && !twice)
			return 0;
		bool again = twice ? step_slip(r, ro->name, "name", attempt, "'%s' is already present as %s: name %s %u of %u",
					       twice, ro->name, ro->name, k + 1, ro->count)
				   : step_slip(r, ro->name, "name", attempt, "an empty name for %s %u of %u", ro->name, k + 1,
					       ro->count);
		if (!again) {
			if (twice)
				return 0;
			free(*name);
			*name = NULL;
			return err_set(e, ERR_ATTENDANCE, "an empty name for %s %u", ro->name, k + 1);
		}
		free(*name);
		*name = NULL;
	}
}

static int execute(struct step_run *r, struct err *e)
{
	cbor_item_t *people = dcbor_array();
	unsigned total = 0;
	if (!people)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < r->cer->n_roles; i++) {
		const struct role *ro = &r->cer->roles[i];
		for (unsigned k = 0; k < ro->count; k++) {
			char q[256], *name = NULL;
			cbor_item_t *p = NULL;
			if (ask_name(r, ro, k, &name, e))
				goto fail;
			/* Present in another role already (allowed without strict separation):
			 * recorded as the attendance first spelled them. */
			const char *known = present_as(r, NULL, name);
			const char *as = known ? known : name;
			snprintf(q, sizeof q, "government-issued photo ID of %s checked? type yes", as);
			if (step_confirm(r, ro->name, "id_checked", q, e) || step_attend(r, as, ro->name, e)) {
				free(name);
				goto fail;
			}
			p = dcbor_map();
			int rc = !p || dcbor_put(p, "name", dcbor_text(as), e) || dcbor_put(p, "role", dcbor_text(ro->name), e) ||
				 dcbor_put(p, "id_checked", dcbor_bool(true), e);
			free(name);
			if (rc) {
				if (p)
					cbor_decref(&p);
				goto fail;
			}
			if (dcbor_push(people, p, e))
				goto fail;
			total++;
		}
	}
	if (step_output(r, "participants", people, e))
		return -1;
	return step_output(r, "present", dcbor_uint(total), e);
fail:
	cbor_decref(&people);
	return -1;
}

static const char *const outputs[] = {"present", "participants", NULL};

static size_t questions(const struct ceremony *c, const struct step *s, struct step_question *out, size_t max)
{
	(void)s;
	size_t n = 0;
	for (size_t i = 0; i < c->n_roles && n + 2 <= max; i++) {
		out[n++] = (struct step_question){c->roles[i].name, "name", c->roles[i].count, NULL};
		out[n++] = (struct step_question){c->roles[i].name, "id_checked", c->roles[i].count, NULL};
	}
	return n;
}

static const char *const asks[] = {"name", "id_checked", NULL};
const struct step_type step_attendance = {
	.name = "attendance",
	.summary = "records each participant's name and role, ID checked; enforces counts and separation",
	.keys = (const char *const[]){NULL},
	.outputs = outputs,
	.asks = asks,
	.questions = questions,
	.execute = execute,
	.flags = STEP_RECORDS_ATTENDANCE,
};
