/* token.inventory: the token holds exactly the keys an earlier ceremony recorded on
 * it — nothing added, nothing missing (seed 004 §5: before the root key signs again,
 * the Root CA HSM is what the root ceremony left).
 *
 *   - id: root-inventory
 *     type: token.inventory
 *     token: root
 *     of: root-ceremony       # a transcript.import step
 *     allow: [...]            # optional: labels that may be there besides
 *
 * The earlier ceremony's token is the one its genesis bound to the same label. What
 * it left there, by its records: each key.generate's key pair (label, CKA_ID, and
 * the SHA-256 of the public key's SubjectPublicKeyInfo), each key.backup copy sent
 * to it and each key.restore made on it and not cleared (private keys, label and
 * CKA_ID). The user
 * is logged in, so private objects are seen. Every object is described the same
 * way, both lists are recorded, and any difference fails the step (code "token"):
 * a key added or gone is evidence of tampering, and the script's on_fail decides.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "steps.h"
#include "../runner/dcbor.h"
#include "../runner/hash.h"
#include "../runner/spki.h"
#include "../runner/words.h"

enum { MAX_OBJECTS = 256, WHAT = 300 };

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *of = ynode_get(s->node, "of"), *a = ynode_get(s->node, "allow");
	const struct step *t = of && of->kind == YN_SCALAR ? script_step(c, of->str) : NULL;
	const char *l;
	if (!of)
		return script_err(c, s->node, e, "step '%s': missing 'of' (the transcript.import step whose ceremony left "
						 "the token's keys)", s->id);
	if (!t || t->index >= s->index || !step_is(t, STEP_IMPORTS))
		return script_err(c, of, e, "step '%s': expected 'of' to name a transcript.import step before it", s->id);
	if (a && ynode_want_seq(c->doc, a, "'allow' (a list of labels)", e))
		return -1;
	for (size_t i = 0; a && i < a->n; i++)
		if (ynode_want_str(c->doc, a->vals[i], "a label", &l, e))
			return -1;
	return 0;
}

struct list {
	char (*v)[WHAT];
	size_t n;
};

static int add(struct list *l, struct err *e, const char *fmt, ...) CER_PRINTF(3, 4);
static int add(struct list *l, struct err *e, const char *fmt, ...)
{
	va_list ap;
	if (l->n >= MAX_OBJECTS)
		return err_set(e, ERR_TOKEN, "more than %d objects", MAX_OBJECTS);
	va_start(ap, fmt);
	vsnprintf(l->v[l->n++], WHAT, fmt, ap);
	va_end(ap);
	return 0;
}

/* The earlier ceremony's name for the token labelled label: what its steps' begins
 * say (token, token_label: a token its own token.init labelled), else its genesis 10. */
static bool earlier_name(const struct script_import *m, const char *label, char *out, size_t cap)
{
	for (size_t i = 0; i < m->n_results; i++) {
		const cbor_item_t *par = m->results[i].begin ? dcbor_get_u(m->results[i].begin, 3) : NULL;
		if (par && dcbor_text_is(dcbor_get(par, "token_label"), label) && dcbor_get(par, "token")) {
			dcbor_text_into(dcbor_get(par, "token"), out, cap);
			return true;
		}
	}
	const cbor_item_t *toks = m->genesis ? dcbor_get_u(m->genesis, 10) : NULL;
	for (size_t i = 0; toks && cbor_isa_map(toks) && i < cbor_map_size(toks); i++) {
		const struct cbor_pair *p = &cbor_map_handle(toks)[i];
		if (dcbor_text_is(dcbor_get(p->value, "label"), label)) {
			dcbor_text_into(p->key, out, cap);
			return true;
		}
	}
	return false;
}

/* The result of step id in the import, or NULL. */
static const struct script_import_result *result(const struct script_import *m, const cbor_item_t *id)
{
	for (size_t i = 0; id && i < m->n_results; i++)
		if (dcbor_text_is(id, m->results[i].id))
			return &m->results[i];
	return NULL;
}

/* What the import's records say the earlier ceremony left on its token `name`. */
static int expected(const struct script_import *m, const char *name, struct list *l, struct err *e)
{
	char label[128], id[80], sha[80];
	for (size_t i = 0; i < m->n_results; i++) {
		const struct script_import_result *r = &m->results[i];
		const cbor_item_t *type = r->begin ? dcbor_get_u(r->begin, 2) : NULL, *par = r->begin ? dcbor_get_u(r->begin, 3) : NULL;
		const cbor_item_t *out = dcbor_get_u(r->body, 3);
		if (!type || !par)
			continue;
		if (dcbor_text_is(type, "key.generate") && dcbor_text_is(dcbor_get(par, "token"), name)) {
			dcbor_text_into(dcbor_get(out, "label"), label, sizeof label);
			dcbor_text_into(dcbor_get(out, "id"), id, sizeof id);
			dcbor_text_into(dcbor_get(out, "public_key_sha256"), sha, sizeof sha);
			if (add(l, e, "private key '%s' id %s", label, id) ||
			    add(l, e, "public key '%s' id %s spki-sha256 %s", label, id, sha))
				return -1;
		} else if (dcbor_text_is(type, "key.backup") && dcbor_text_is(dcbor_get(par, "to"), name)) {
			const struct script_import_result *k = result(m, dcbor_get(par, "key"));
			dcbor_text_into(dcbor_get(out, "key_label"), label, sizeof label);
			dcbor_text_into(k ? dcbor_get(dcbor_get_u(k->body, 3), "id") : NULL, id, sizeof id);
			if (add(l, e, "private key '%s' id %s", label, id))
				return -1;
		} else if (dcbor_text_is(type, "key.restore") && dcbor_text_is(dcbor_get(par, "token"), name) &&
			   !(dcbor_get(out, "cleared") && cbor_is_bool(dcbor_get(out, "cleared")) &&
			     cbor_get_bool(dcbor_get(out, "cleared")))) {   /* clear: true destroyed it */
			dcbor_text_into(dcbor_get(out, "label"), label, sizeof label);
			dcbor_text_into(dcbor_get(out, "id"), id, sizeof id);
			if (add(l, e, "private key '%s' id %s", label, id))
				return -1;
		}
	}
	return 0;
}

/* Each object on the token, described as expected() describes them. */
static int found(struct tok_session *s, const struct step *st, struct list *l, struct err *e)
{
	CK_OBJECT_HANDLE h[MAX_OBJECTS];
	size_t n = 0;
	const struct ynode *allow = ynode_get(st->node, "allow");
	if (tok_find(s, (CK_OBJECT_CLASS)-1, NULL, h, MAX_OBJECTS, &n, e))
		return -1;
	if (n == MAX_OBJECTS)
		return err_set(e, ERR_TOKEN, "the token holds %d objects or more", MAX_OBJECTS);
	for (size_t i = 0; i < n; i++) {
		struct buf label = {0}, id = {0}, spki = {0};
		CK_ULONG cls = (CK_ULONG)-1;
		struct err none;
		char lt[128], it[80], sha_hex[80];
		bool skip = false;
		if (tok_attr(s, h[i], CKA_LABEL, &label, &none))
			label.len = 0;
		if (tok_attr(s, h[i], CKA_ID, &id, &none))
			id.len = 0;
		if (tok_attr_ulong(s, h[i], CKA_CLASS, &cls, &none))
			cls = (CK_ULONG)-1;
		step_label_text(label.p, label.len, lt, sizeof lt);
		words_hex(id.p, id.len, it, sizeof it);
		for (size_t k = 0; allow && k < allow->n; k++)
			skip |= !strcmp(allow->vals[k]->str, lt);
		int rc = 0;
		if (skip) {
			rc = 0;
		} else if (cls == CKO_PUBLIC_KEY && spki_from_token(s, h[i], &spki, &none) == 0) {
			uint8_t sha[32];
			hash_sha256(spki.p, spki.len, sha);
			rc = add(l, e, "public key '%s' id %s spki-sha256 %s", lt, it, words_hex(sha, 32, sha_hex, sizeof sha_hex));
		} else if (cls == CKO_PRIVATE_KEY || cls == CKO_PUBLIC_KEY) {
			rc = add(l, e, "%s '%s' id %s", step_class_name(cls), lt, it);
		} else {
			rc = add(l, e, "%s '%s'", step_class_name(cls), lt);
		}
		buf_free(&label);
		buf_free(&id);
		buf_free(&spki);
		if (rc)
			return -1;
	}
	return 0;
}

static int by_text(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static int as_array(const struct list *l, cbor_item_t **out, struct err *e)
{
	if (!(*out = dcbor_array()))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < l->n; i++)
		if (dcbor_push(*out, dcbor_text(l->v[i]), e))
			return -1;
	return 0;
}

/* Whether l holds text (each entry counts once: a, b against a, a is a difference). */
static bool take(struct list *l, bool *used, const char *text)
{
	for (size_t i = 0; i < l->n; i++)
		if (!used[i] && !strcmp(l->v[i], text))
			return used[i] = true;
	return false;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct script_import *m = script_import_of(r->cer, script_step(r->cer, ynode_get(r->step->node, "of")->str));
	const struct token_decl *t = script_token(r->cer, r->step->token);
	struct list want = {calloc(MAX_OBJECTS, WHAT), 0}, got = {calloc(MAX_OBJECTS, WHAT), 0};
	bool used[MAX_OBJECTS] = {false};
	struct tok_session *s;
	cbor_item_t *a = NULL;
	char name[128], diff[ERR_MSG_MAX - 200] = "";
	size_t missing = 0, extra = 0, dl = 0;
	int ret = -1;
	if (!want.v || !got.v) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (!m->usable) {
		err_set(e, ERR_IMPORT, "%s did not verify: there is no record of what it left on token '%s'", m->name, t->name);
		goto out;
	}
	if (!earlier_name(m, t->label, name, sizeof name)) {
		err_set(e, ERR_TOKEN, "the ceremony of %s bound no token labelled %s", m->name, t->label);
		goto out;
	}
	if (expected(m, name, &want, e) || step_session(r, &s, e) || found(s, r->step, &got, e))
		goto out;
	qsort(want.v, want.n, WHAT, by_text);
	qsort(got.v, got.n, WHAT, by_text);
	if (step_output(r, "earlier_token", dcbor_text(name), e) || as_array(&want, &a, e) ||
	    step_output(r, "expected", a, e) || as_array(&got, &a, e) || step_output(r, "found", a, e))
		goto out;
	for (size_t i = 0; i < want.n; i++)
		if (!take(&got, used, want.v[i])) {
			missing++;
			dl += (size_t)snprintf(diff + dl, dl < sizeof diff ? sizeof diff - dl : 0, "%smissing: %s",
					       dl ? "; " : "", want.v[i]);
		}
	for (size_t i = 0; i < got.n; i++)
		if (!used[i]) {
			extra++;
			dl += (size_t)snprintf(diff + dl, dl < sizeof diff ? sizeof diff - dl : 0, "%snot recorded: %s",
					       dl ? "; " : "", got.v[i]);
		}
	if (step_output(r, "objects", dcbor_uint(got.n), e) || step_output(r, "missing", dcbor_uint(missing), e) ||
	    step_output(r, "not_recorded", dcbor_uint(extra), e) ||
	    step_check(r, "the token holds what the earlier ceremony recorded", dcbor_text("the same"),
		       dcbor_text(missing || extra ? diff : "the same"), !missing && !extra, e))
		goto out;
	step_show(r, "token '%s': %zu object%s, as %s recorded them%s", t->name, got.n, got.n == 1 ? "" : "s", m->name,
		  missing || extra ? ": NOT" : "");
	if (missing || extra) {
		err_set(e, ERR_TOKEN, "token '%s' is not as the earlier ceremony left it: %s", t->name, diff);
		goto out;
	}
	ret = 0;
out:
	free(want.v);
	free(got.v);
	return ret;
}

static const char *const keys[] = {"of", "allow", NULL};
static const char *const outputs[] = {"earlier_token", "expected", "found", "objects", "missing", "not_recorded", NULL};

const struct step_type step_token_inventory = {
	.name = "token.inventory",
	.summary = "the token holds exactly the keys an imported transcript recorded on it",
	.keys = keys,
	.outputs = outputs,
	.flags = STEP_USES_TOKEN | STEP_NEEDS_LOGIN,
	.validate = validate,
	.execute = execute,
};
