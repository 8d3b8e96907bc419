/* interp_people: attendance, and who acts for a role. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp_int.h"
#include "fold.h"

/* The role that answers for a step when the script names none. */
const char *interp_acting_role(const struct interp *in, const struct step *s)
{
	return script_acting_role(in->c, s);
}

const char *step_role(const struct step_run *r)
{
	return interp_acting_role(r->in, r->step);
}

int step_person(struct step_run *r, const char *role, const char *key, const char **name, struct err *e)
{
	return interp_person(r->in, r, role, key, name, e);
}

/* Picks who acts for role: the one present, or asks which one (under key) when several are. */
int interp_person(struct interp *in, struct step_run *r, const char *role, const char *key, const char **name,
		      struct err *e)
{
	size_t count = 0, last = 0;
	for (size_t i = 0; i < in->n_people; i++)
		if (!strcmp(in->people[i].role, role)) {
			count++;
			last = i;
		}
	if (count == 0)
		return err_set(e, ERR_NOT_PRESENT, "step '%s': nobody is present as %s (attendance must record a %s first)",
			       r->step->id, role, role);
	if (count == 1) {
		*name = in->people[last].name;
		return 0;
	}
	char q[256];
	snprintf(q, sizeof q, "name of the %s (%s)", role, key);
	/* "ada  alvarez" is Ada Alvarez (fold.h); the name recorded is the attendance's. */
	for (unsigned attempt = 1;; attempt++) {
		char *who = NULL, names[512];
		size_t used = 0;
		if (step_ask(r, role, key, q, &who, e))
			return -1;
		names[0] = 0;
		for (size_t i = 0; i < in->n_people; i++) {
			if (strcmp(in->people[i].role, role))
				continue;
			if (fold_same(in->people[i].name, who)) {
				*name = in->people[i].name;
				free(who);
				return 0;
			}
			if (used < sizeof names)
				used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "",
							 in->people[i].name);
		}
		if (!step_slip(r, role, key, attempt, "'%s' is not present as %s: present are %s", who, role, names)) {
			err_set(e, ERR_NOT_PRESENT, "step '%s': '%s' is not present as %s and cannot act for that role",
				r->step->id, who, role);
			free(who);
			return -1;
		}
		free(who);
	}
}

int step_attend(struct step_run *r, const char *name, const char *role, struct err *e)
{
	struct interp *in = r->in;
	const struct role *ro = script_role(in->c, role);
	if (!ro)
		return err_set(e, ERR_ATTENDANCE, "no role '%s' in the script", role);
	/* One person typed twice with another case or spacing is still one person: the
	 * same folding as when they are named later (fold.h). */
	for (size_t i = 0; i < in->n_people; i++) {
		if (!fold_same(in->people[i].name, name))
			continue;
		if (!strcmp(in->people[i].role, role))
			return err_set(e, ERR_ATTENDANCE, "'%s' is already present as %s", in->people[i].name, role);
		if (in->c->separation_strict)
			return err_set(e, ERR_SEPARATION,
				       "'%s' is already present as %s and cannot also be %s: the script requires "
				       "separation of duties (nobody in two roles)",
				       in->people[i].name, in->people[i].role, role);
	}
	return interp_add_person(in, name, ro->name, r->step->id, e);
}

int interp_add_person(struct interp *in, const char *name, const char *role, const char *step_id, struct err *e)
{
	const struct role *ro = script_role(in->c, role);
	const struct step *s = script_step(in->c, step_id);
	if (!ro || !s)
		return err_set(e, ERR_ATTENDANCE, "no role '%s' or step '%s' in the script", role, step_id);
	struct participant *np = realloc(in->people, (in->n_people + 1) * sizeof *np);
	if (!np)
		return err_set(e, ERR_NOMEM, "out of memory");
	in->people = np;
	in->people[in->n_people].name = strdup(name);
	if (!in->people[in->n_people].name)
		return err_set(e, ERR_NOMEM, "out of memory");
	/* Borrowed from the script, as a run records them. */
	in->people[in->n_people].role = ro->name;
	in->people[in->n_people].step_id = s->id;
	in->n_people++;
	return 0;
}

/* A new attempt of an attendance step starts from nobody it recorded before. */
void interp_forget_attendance(struct interp *in, const char *step_id)
{
	size_t k = 0;
	for (size_t i = 0; i < in->n_people; i++) {
		if (!strcmp(in->people[i].step_id, step_id))
			free(in->people[i].name);
		else
			in->people[k++] = in->people[i];
	}
	in->n_people = k;
}

size_t step_present(const struct step_run *r, const char *role, const char **names, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < r->in->n_people; i++)
		if (!strcmp(r->in->people[i].role, role)) {
			if (k < max)
				names[k] = r->in->people[i].name;
			k++;
		}
	return k;
}
