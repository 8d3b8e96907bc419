/* token.empty: the partition holds nothing but what is expected (seed 004 §4: "the
 * administrator confirms the partition is empty" before the root key is made). The
 * user is logged in, so private objects are seen too; every object is listed by
 * class and label, and the check is that none is there beyond `allow`.
 *
 *   - id: partition-empty
 *     type: token.empty
 *     token: root
 *     allow: [...]          optional: labels that may be there (e.g. a vendor's object)
 *
 * An object found fails the step (code "token"): a key on a partition said to be
 * new is evidence of tampering, and the script's on_fail decides (seed 004 §5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "steps.h"

enum { MAX_OBJECTS = 256 };

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *a = ynode_get(s->node, "allow");
	const char *l;
	if (!a)
		return 0;
	if (ynode_want_seq(c->doc, a, "'allow' (a list of labels)", e))
		return -1;
	for (size_t i = 0; i < a->n; i++)
		if (ynode_want_str(c->doc, a->vals[i], "a label", &l, e))
			return -1;
	return 0;
}

static bool allowed(const struct step *s, const char *label)
{
	const struct ynode *a = ynode_get(s->node, "allow");
	for (size_t i = 0; a && i < a->n; i++)
		if (!strcmp(a->vals[i]->str, label))
			return true;
	return false;
}

struct found {
	char what[200];
	bool allowed;
};

static int by_text(const void *a, const void *b)
{
	return strcmp(((const struct found *)a)->what, ((const struct found *)b)->what);
}

static int execute(struct step_run *r, struct err *e)
{
	struct tok_session *s;
	CK_OBJECT_HANDLE h[MAX_OBJECTS];
	size_t n = 0, extra = 0, used = 0;
	char found[ERR_MSG_MAX - 128] = "";
	struct found *f = NULL;
	cbor_item_t *list = NULL;
	int ret = -1;
	if (step_session(r, &s, e) || tok_find(s, (CK_OBJECT_CLASS)-1, NULL, h, MAX_OBJECTS, &n, e))
		return -1;
	if (n == MAX_OBJECTS)
		return err_set(e, ERR_TOKEN, "token '%s' holds %d objects or more: not a new partition", r->step->token,
			       MAX_OBJECTS);
	if (!(f = calloc(n ? n : 1, sizeof *f)) || !(list = dcbor_array())) {
		free(f);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct buf label = {0};
		CK_ULONG cls = (CK_ULONG)-1;
		struct err ignored;
		char l[128];
		if (tok_attr(s, h[i], CKA_LABEL, &label, &ignored) != 0)
			label.len = 0;
		step_label_text(label.p, label.len, l, sizeof l);
		buf_free(&label);
		if (tok_attr_ulong(s, h[i], CKA_CLASS, &cls, &ignored) != 0)
			cls = (CK_ULONG)-1;
		snprintf(f[i].what, sizeof f[i].what, "%s '%s'", step_class_name(cls), l);
		f[i].allowed = allowed(r->step, l);
	}
	/* In a stable order: the token's handle order is its own. */
	qsort(f, n, sizeof *f, by_text);
	for (size_t i = 0; i < n; i++) {
		if (!f[i].allowed) {
			extra++;
			if (used < sizeof found)
				used += (size_t)snprintf(found + used, sizeof found - used, "%s%s", used ? ", " : "", f[i].what);
		}
		if (dcbor_push(list, dcbor_text(f[i].what), e))
			goto out;
	}
	int rc = step_output(r, "objects", list, e);
	list = NULL;   /* taken, failing or not */
	if (rc || step_output(r, "count", dcbor_uint(n), e) || step_output(r, "empty", dcbor_bool(extra == 0), e) ||
	    step_check(r, "objects on the token besides those allowed", dcbor_uint(0), dcbor_uint(extra), extra == 0, e))
		goto out;
	if (extra) {
		err_set(e, ERR_TOKEN, "token '%s' is not empty: %zu object%s found (%s)", r->step->token, extra,
			extra == 1 ? "" : "s", found);
		goto out;
	}
	step_show(r, "token '%s' holds no object%s", r->step->token, n ? " but those allowed" : "");
	ret = 0;
out:
	if (list)
		cbor_decref(&list);
	free(f);
	return ret;
}

static const char *const keys[] = {"allow", NULL};
static const char *const outputs[] = {"objects", "count", "empty", NULL};

const struct step_type step_token_empty = {
	.name = "token.empty",
	.summary = "checks the token holds no object but those allowed (the partition is new)",
	.keys = keys,
	.outputs = outputs,
	.flags = STEP_USES_TOKEN | STEP_NEEDS_LOGIN,
	.validate = validate,
	.execute = execute,
};
