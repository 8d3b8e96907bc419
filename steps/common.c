/* Helpers shared by step types: key references, the tier-validity warning. */
#include <string.h>
#include "steps.h"
#include "../runner/x509.h"

int step_keyref_parse(const struct ceremony *c, const struct step *s, const struct ynode *n, struct step_keyref *out,
		      struct err *e)
{
	static const char *const keys[] = {"token", "label", NULL};
	memset(out, 0, sizeof *out);
	if (n->kind == YN_SCALAR) {
		const struct step *k = script_step(c, n->str);
		if (!k || k->index >= s->index)
			return script_err(c, n, e, "step '%s': '%s' is not an earlier step (expected the id of a key.generate "
						   "step, or {token: NAME, label: LABEL})",
					  s->id, n->str);
		if (strcmp(k->type->name, "key.generate"))
			return script_err(c, n, e, "step '%s': '%s' is a %s step, not key.generate", s->id, n->str,
					  k->type->name);
		out->made_by = k;
		out->token = k->token;
		out->label = ynode_get(k->node, "label")->str;
		out->algorithm = ynode_get(k->node, "algorithm")->str;
		return 0;
	}
	char what[128];
	snprintf(what, sizeof what, "the key of step '%s'", s->id);
	if (ynode_want_map(c->doc, n, "a key: a key.generate step id or {token: NAME, label: LABEL}", e) ||
	    ynode_only_keys(c->doc, n, keys, what, e))
		return -1;
	const struct ynode *t = ynode_get(n, "token"), *l = ynode_get(n, "label");
	if (!t || !l)
		return script_err(c, n, e, "step '%s': a key on a token needs both 'token' and 'label'", s->id);
	if (ynode_want_str(c->doc, t, "'token'", &out->token, e) || ynode_want_str(c->doc, l, "'label'", &out->label, e))
		return -1;
	if (!script_token(c, out->token))
		return script_err(c, t, e, "step '%s': no token '%s' is declared", s->id, out->token);
	if (!out->label[0] || strlen(out->label) > 64)
		return script_err(c, l, e, "expected a key label of 1 to 64 bytes");
	return 0;
}

bool step_tier_warning(const struct ceremony *c, const struct step *s, char *buf, size_t len)
{
	const struct x509_step *p = s->priv;
	(void)c;
	if (!p)
		return false;
	const struct x509_validity *v = &p->cert.validity;
	int64_t seconds = v->days ? (int64_t)v->days * 86400 : v->not_after - v->not_before;
	return x509_tier_note(p->cert.profile, seconds, buf, len);
}
