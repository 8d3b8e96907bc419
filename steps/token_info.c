/* token.info: what token is this? Manufacturer, model, serial, firmware, flags and,
 * when asked, its mechanisms; `expect` can check any of them (e.g. firmware). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "steps.h"

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *m = ynode_get(s->node, "mechanisms");
	bool b;
	if (m && ynode_want_bool(c->doc, m, "'mechanisms' (true or false)", &b, e))
		return -1;
	return 0;
}

static int execute(struct step_run *r, struct err *e)
{
	struct tok_module *m;
	CK_SLOT_ID slot;
	struct tok_info info, *t = NULL;
	char v[64], flags[512];
	int ret = -1;

	if (step_token_slot(r, &m, &slot, e) || tok_slot_info(m, slot, &info, e))
		return -1;
	if (info.token_present)
		t = &info;
	if (!t) {
		err_set_p11(e, "CKR_TOKEN_NOT_PRESENT", "no token in slot %lu", (unsigned long)slot);
		goto out;
	}
	tok_flags_text(t->token_flags, flags, sizeof flags);
	if (step_output(r, "label", dcbor_text(t->label), e) ||
	    step_output(r, "manufacturer", dcbor_text(t->manufacturer), e) ||
	    step_output(r, "model", dcbor_text(t->model), e) || step_output(r, "serial", dcbor_text(t->serial), e))
		goto out;
	snprintf(v, sizeof v, "%u.%u", t->fw_major, t->fw_minor);
	if (step_output(r, "firmware", dcbor_text(v), e))
		goto out;
	snprintf(v, sizeof v, "%u.%u", t->hw_major, t->hw_minor);
	if (step_output(r, "hardware", dcbor_text(v), e) || step_output(r, "flags", dcbor_text(flags), e))
		goto out;
	const struct ynode *want = ynode_get(r->step->node, "mechanisms");
	if (want && !strcmp(want->str, "true")) {
		CK_MECHANISM_TYPE *mechs = NULL;
		size_t nm = 0;
		cbor_item_t *a = dcbor_array();
		if (!a || tok_mechanisms(m, slot, &mechs, &nm, e)) {
			if (a)
				cbor_decref(&a);
			goto out;
		}
		for (size_t i = 0; i < nm; i++) {
			const char *name = tok_mech_name(mechs[i]);
			char hex[32];
			snprintf(hex, sizeof hex, "0x%08lx", (unsigned long)mechs[i]);
			if (dcbor_push(a, dcbor_text(name ? name : hex), e)) {
				free(mechs);
				cbor_decref(&a);
				goto out;
			}
		}
		free(mechs);
		if (step_output(r, "mechanisms", a, e))
			goto out;
	}
	ret = 0;
out:
	return ret;
}

static const char *const keys[] = {"mechanisms", NULL};
static const char *const outputs[] = {"label", "manufacturer", "model", "serial", "firmware",
				      "hardware", "flags", "mechanisms", NULL};

const struct step_type step_token_info = {
	.name = "token.info",
	.summary = "records the token's manufacturer, model, serial, firmware, flags (and mechanisms)",
	.keys = keys,
	.outputs = outputs,
	.flags = STEP_USES_TOKEN,
	.validate = validate,
	.execute = execute,
};
