/* attendance: each participant's name and role, ID checked. Every role of the
 * script must be filled with its count of distinct people; with strict
 * separation nobody may hold two roles. Later sign-offs must come from people
 * recorded here. */
#include <stdio.h>
#include <stdlib.h>
#include "steps.h"

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
			snprintf(q, sizeof q, "name of %s %u of %u", ro->name, k + 1, ro->count);
			if (step_ask(r, ro->name, "name", q, &name, e))
				goto fail;
			if (!name[0]) {
				err_set(e, ERR_ATTENDANCE, "an empty name for %s %u", ro->name, k + 1);
				free(name);
				goto fail;
			}
			snprintf(q, sizeof q, "government-issued photo ID of %s checked? type yes", name);
			if (step_confirm(r, ro->name, "id_checked", q, e) || step_attend(r, name, ro->name, e)) {
				free(name);
				goto fail;
			}
			p = dcbor_map();
			int rc = !p || dcbor_put(p, "name", dcbor_text(name), e) || dcbor_put(p, "role", dcbor_text(ro->name), e) ||
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

const struct step_type step_attendance = {
	.name = "attendance",
	.summary = "records each participant's name and role, ID checked; enforces counts and separation",
	.keys = (const char *const[]){NULL},
	.outputs = outputs,
	.execute = execute,
	.flags = STEP_RECORDS_ATTENDANCE,
};
