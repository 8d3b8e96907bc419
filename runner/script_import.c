/* script_import: an earlier ceremony's transcript that a transcript.import step
 * names (see script.h). It is read and verified once, while the script loads, so
 * that every reference to what it recorded is checked before anything touches a
 * token; a file that does not verify does not stop the load: the ceremony halts at
 * the import step, and its transcript says why. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "files.h"
#include "hash.h"
#include "script.h"
#include "step.h"
#include "transcript.h"
#include "words.h"
#include "x509_read.h"

/* A transcript of a long ceremony with its embedded script and certificates is
 * tens of kilobytes; a limit keeps a wrong file from filling memory. */
enum { IMPORT_MAX_BYTES = 64 << 20, IMPORT_MAX_ANCHORS = 16 };

static const char *const der_kinds[] = {"certificate", "csr", "crl", "public_key", NULL};

void script_imports_free(struct script_imports *im)
{
	if (!im)
		return;
	for (size_t i = 0; i < im->n; i++) {
		struct script_import *m = im->v[i];
		for (size_t k = 0; k < m->n_results; k++) {
			free(m->results[k].id);
			cbor_decref(&m->results[k].body);
			if (m->results[k].begin)
				cbor_decref(&m->results[k].begin);
		}
		if (m->genesis)
			cbor_decref(&m->genesis);
		if (m->last_begin)
			cbor_decref(&m->last_begin);
		free(m->results);
		free(m->anchors);
		free(m->kids);
		free(m->report);
		free(m->path);
		free(m->data);
		free(m);
	}
	free(im->v);
	free(im);
}

const struct script_import *script_import_of(const struct ceremony *c, const struct step *s)
{
	for (size_t i = 0; c->imports && i < c->imports->n; i++)
		if (c->imports->v[i]->step == s)
			return c->imports->v[i];
	return NULL;
}

const struct script_import *script_import_continued(const struct ceremony *c)
{
	return c->imports && c->imports->n ? c->imports->v[c->imports->n - 1] : NULL;
}

/* The values of a string or a list of strings at n, each checked by take. */
static int each_string(const struct ceremony *c, const struct step *s, const struct ynode *n, const char *what,
		       int (*take)(struct script_import *m, const char *v), struct script_import *m, struct err *e)
{
	const struct ynode *one = n;
	size_t count = n->kind == YN_SEQ ? n->n : 1;
	if (count > IMPORT_MAX_ANCHORS)
		return script_err(c, n, e, "step '%s': at most %d values for %s, found %zu", s->id, IMPORT_MAX_ANCHORS,
				  what, count);
	for (size_t i = 0; i < count; i++) {
		const char *v;
		if (n->kind == YN_SEQ)
			one = n->vals[i];
		if (ynode_want_str(c->doc, one, what, &v, e))
			return -1;
		if (take(m, v))
			return script_err(c, one, e, "step '%s': expected %s as the paper log has it, found '%s'", s->id,
					  what, v);
	}
	return 0;
}

static int take_anchor(struct script_import *m, const char *v)
{
	return ts_anchor_parse(v, &m->anchors[m->n_anchors]) ? (m->n_anchors++, 0) : -1;
}

static int take_kid(struct script_import *m, const char *v)
{
	return words_parse(v, m->kids[m->n_kids], 32) == 0 ? (m->n_kids++, 0) : -1;
}

static struct script_import_result *result_of(const struct script_import *m, const char *id)
{
	for (size_t i = 0; i < m->n_results; i++)
		if (!strcmp(m->results[i].id, id))
			return &m->results[i];
	return NULL;
}

/* Keeps genesis and, for each step id, its last step-result that passed or was
 * accepted as a deviation: what the earlier ceremony recorded as done. */
static int take_record(void *ctx, uint64_t seq, enum ts_kind kind, const cbor_item_t *body, struct err *e)
{
	struct script_import *m = ctx;
	uint64_t outcome = 1, begin = UINT64_MAX;
	if (kind == TS_GENESIS) {
		m->genesis = cbor_incref((cbor_item_t *)body);
		return 0;
	}
	if (kind == TS_STEP_BEGIN) {
		if (m->last_begin)
			cbor_decref(&m->last_begin);
		m->last_begin = cbor_incref((cbor_item_t *)body);
		m->last_begin_seq = seq;
		return 0;
	}
	/* A verified transcript's result names the step-begin just before it. */
	cbor_item_t *b = kind == TS_STEP_RESULT && dcbor_as_u64(dcbor_get_u(body, 1), &begin) &&
				 begin == m->last_begin_seq
			       ? m->last_begin
			       : NULL;
	if (kind != TS_STEP_RESULT || !dcbor_as_u64(dcbor_get_u(body, 2), &outcome) ||
	    (outcome != TS_PASSED && outcome != TS_DEVIATION))
		return 0;
	char *id = dcbor_strdup(dcbor_get_u(body, 0));
	if (!id)
		return err_set(e, ERR_NOMEM, "out of memory");
	struct script_import_result *r = result_of(m, id);
	if (r) {
		free(id);
		cbor_decref(&r->body);
		if (r->begin)
			cbor_decref(&r->begin);
		r->body = cbor_incref((cbor_item_t *)body);
		r->begin = b ? cbor_incref(b) : NULL;
		return 0;
	}
	struct script_import_result *nv = realloc(m->results, (m->n_results + 1) * sizeof *nv);
	if (!nv) {
		free(id);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	m->results = nv;
	m->results[m->n_results++] = (struct script_import_result){id, cbor_incref((cbor_item_t *)body),
								   b ? cbor_incref(b) : NULL};
	return 0;
}

int script_import_load(const struct ceremony *c, const struct step *s, const struct ynode *fnode,
		       const struct ynode *anchors, const struct ynode *kids, struct err *e)
{
	const struct ynode *f = fnode && fnode->kind == YN_MAP ? ynode_get(fnode, "file") : NULL;
	struct script_imports *all = c->imports;
	struct script_import *m = NULL, **nv;
	char found[YNODE_WHAT_MAX];
	const char *name;
	if (!f || fnode->n != 1)
		return script_err(c, fnode ? fnode : s->node, e, "expected 'transcript: {file: PATH}' (the earlier "
								  "ceremony's transcript) in step '%s', found %s", s->id,
				  fnode ? ynode_what(fnode, found, sizeof found) : "none");
	if (ynode_want_str(c->doc, f, "'file' (a path)", &name, e))
		return -1;
	if (!name[0])
		return script_err(c, f, e, "step '%s': an empty file name", s->id);
	if (!(nv = realloc(all->v, (all->n + 1) * sizeof *nv)))
		return err_set(e, ERR_NOMEM, "out of memory");
	all->v = nv;
	if (!(m = calloc(1, sizeof *m)) || !(m->path = script_path_of(c, name)) ||
	    !(m->anchors = calloc(IMPORT_MAX_ANCHORS, sizeof *m->anchors)) ||
	    !(m->kids = calloc(IMPORT_MAX_ANCHORS, sizeof *m->kids)) || !(m->report = calloc(1, sizeof *m->report))) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto fail;
	}
	m->step = s;
	m->name = name;
	all->v[all->n++] = m;   /* freed with the model from here on */
	if (anchors && each_string(c, s, anchors, "an anchor 'SEQ:HEAD'", take_anchor, m, e))
		return -1;
	if (kids && each_string(c, s, kids, "a signer kid (hex or PGP words)", take_kid, m, e))
		return -1;
	if ((c->source ? c->source->read(c->source->ctx, name, m->path, IMPORT_MAX_BYTES, &m->data, &m->len, e)
		       : files_read(m->path, IMPORT_MAX_BYTES, &m->data, &m->len, e)))
		return script_err(c, f, e, "step '%s': '%s': %s", s->id, name, e->msg);
	hash_sha256(m->data, m->len, m->sha256);
	struct ts_verify_opts o = {.anchors = m->anchors, .n_anchors = m->n_anchors,
				   .kids = (const uint8_t(*)[32])m->kids, .n_kids = m->n_kids};
	if (ts_verify(m->data, m->len, &o, m->report, e))
		return -1;
	if (m->report->verdict == TS_UNREADABLE)
		return script_err(c, f, e, "step '%s': '%s' is not a ceremony transcript: %s", s->id, name,
				  m->report->reason);
	m->usable = m->report->verdict == TS_VALID;
	if (!m->usable)
		return 0;
	if (ts_each_entry(m->data, m->report->whole_len, take_record, m, e))
		return -1;
	const cbor_item_t *cont = m->genesis ? dcbor_get_u(m->genesis, 7) : NULL;
	if (cont && cbor_isa_bytestring(cont) && cbor_bytestring_length(cont) == 32) {
		memcpy(m->continues, cbor_bytestring_handle(cont), 32);
		m->has_continues = true;
	}
	return 0;
fail:
	if (m) {
		free(m->report);
		free(m->kids);
		free(m->anchors);
		free(m->path);
		free(m);
	}
	return -1;
}

/* "STEP" and, after a dot, the rest (NULL when there is none) of text, into id. */
static const char *split_ref(const char *text, char *id, size_t cap)
{
	const char *dot = strchr(text, '.');
	size_t n = dot ? (size_t)(dot - text) : strlen(text);
	snprintf(id, cap, "%.*s", (int)(n < cap ? n : cap - 1), text);
	return dot ? dot + 1 : NULL;
}

/* The imported step id at n does not name a recorded step: say which ones there are. */
static int unknown_step(const struct ceremony *c, const struct ynode *n, const struct script_import *m,
			const char *id, struct err *e)
{
	struct ynode_near near;
	char list[512] = "";
	ynode_near_init(&near, id);
	for (size_t i = 0; i < m->n_results; i++) {
		ynode_near_add(&near, m->results[i].id);
		if (strlen(list) + strlen(m->results[i].id) + 3 < sizeof list)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? ", " : "",
				 m->results[i].id);
	}
	if (ynode_near_best(&near))
		return script_err(c, n, e, "the transcript step '%s' imports (%s) records no step '%s' that passed (did "
					   "you mean '%s'?)", m->step->id, m->name, id, ynode_near_best(&near));
	return script_err(c, n, e, "the transcript step '%s' imports (%s) records no step '%s' that passed; it has: %s",
			  m->step->id, m->name, id, list);
}

int script_import_ref(const struct ceremony *c, const struct step *from, const struct ynode *n, const struct step *imp,
		      const char *rest, const struct step **target, const char **artifact, struct err *e)
{
	const struct script_import *m = script_import_of(c, imp);
	char id[128], full[300];
	const char *art = split_ref(rest, id, sizeof id), *kind = art;
	const cbor_item_t *content = NULL;
	struct x509_obj o = {0};
	if (!m)
		return err_set(e, ERR_INTERNAL, "step '%s' imports nothing", imp->id);
	if (art) {
		bool known = false;
		for (size_t i = 0; der_kinds[i]; i++)
			known |= !strcmp(der_kinds[i], art);
		if (!known)
			return script_err(c, n, e, "reference '%s.%s' of step '%s': expected an artifact in DER (certificate, "
						   "csr, crl or public_key), found '%s'", imp->id, rest, from->id, art);
	}
	snprintf(full, sizeof full, "%s.%s", imp->id, id);
	if (m->usable) {
		const struct script_import_result *r = result_of(m, id);
		const cbor_item_t *arts = r ? dcbor_get_u(r->body, 6) : NULL;
		if (!r)
			return unknown_step(c, n, m, id, e);
		for (size_t i = 0; arts && i < cbor_array_size(arts) && !content; i++) {
			const cbor_item_t *a = cbor_array_handle(arts)[i], *an = dcbor_get_u(a, 0);
			for (size_t k = 0; der_kinds[k] && an; k++) {
				size_t l = strlen(der_kinds[k]);
				bool named = cbor_string_length(an) == l && !memcmp(cbor_string_handle(an), der_kinds[k], l);
				if (named && (!art || !strcmp(art, der_kinds[k])) && dcbor_get_u(a, 4)) {
					content = dcbor_get_u(a, 4);
					kind = der_kinds[k];
				}
			}
		}
		if (!content)
			return script_err(c, n, e, "reference '%s.%s' of step '%s': step '%s' of %s recorded no %s", imp->id,
					  rest, from->id, id, m->name, art ? art : "certificate, CSR, CRL or public key");
		/* Recorded by a verified transcript, still checked to be what it says. */
		if (x509_obj_parse(cbor_bytestring_handle(content), cbor_bytestring_length(content), &o, e))
			return script_err(c, n, e, "reference '%s.%s' of step '%s': %s", imp->id, rest, from->id, e->msg);
		x509_obj_free(&o);
	} else if (!kind) {
		kind = "certificate";   /* the run halts at the import: only the form is checked */
	}
	if (script_input_imported(c, m, full, kind, content ? cbor_bytestring_handle(content) : NULL,
				  content ? cbor_bytestring_length(content) : 0, n, target, e))
		return -1;
	*artifact = (*target)->type->artifacts[0];
	return 0;
}

const char *script_expect_ref(const struct ynode *n)
{
	const struct ynode *v = n && n->kind == YN_MAP && n->n == 1 ? ynode_get(n, "same_as") : NULL;
	return v && v->kind == YN_SCALAR ? v->str : NULL;
}

/* The import step IMPORT of ref (the text before its first dot), or NULL. */
static const struct script_import *import_named(const struct ceremony *c, const char *ref, const char **rest)
{
	char id[128];
	*rest = split_ref(ref, id, sizeof id);
	const struct step *s = script_step(c, id);
	return s ? script_import_of(c, s) : NULL;
}

int script_import_check_value(const struct ceremony *c, const struct step *from, const struct ynode *n, struct err *e)
{
	const char *ref = script_expect_ref(n), *rest = NULL, *out;
	char id[128], found[YNODE_WHAT_MAX];
	if (!ref)
		return script_err(c, n, e, "expected a value or {same_as: IMPORT.STEP.OUTPUT} in 'expect' of step '%s', "
					   "found %s", from->id, ynode_what(n, found, sizeof found));
	const struct script_import *m = import_named(c, ref, &rest);
	if (!m || m->step->index >= from->index)
		return script_err(c, n, e, "'same_as: %s' of step '%s': expected IMPORT.STEP.OUTPUT, IMPORT an earlier "
					   "transcript.import step", ref, from->id);
	out = rest ? split_ref(rest, id, sizeof id) : NULL;
	if (!out || !out[0] || strchr(out, '.'))
		return script_err(c, n, e, "'same_as: %s' of step '%s': expected IMPORT.STEP.OUTPUT (three parts)", ref,
				  from->id);
	if (!m->usable)
		return 0;
	const struct script_import_result *r = result_of(m, id);
	if (!r)
		return unknown_step(c, n, m, id, e);
	if (!dcbor_get(dcbor_get_u(r->body, 3), out))
		return script_err(c, n, e, "'same_as: %s' of step '%s': step '%s' of %s recorded no output '%s'", ref,
				  from->id, id, m->name, out);
	return 0;
}

const struct script_import_result *script_import_result(const struct ceremony *c, const char *ref,
							const struct script_import **mp)
{
	const char *rest = NULL;
	char id[128];
	const struct script_import *m = import_named(c, ref, &rest);
	if (mp)
		*mp = m;
	if (!m || !m->usable || !rest)
		return NULL;
	split_ref(rest, id, sizeof id);
	return result_of(m, id);
}

const cbor_item_t *script_import_value(const struct ceremony *c, const char *ref)
{
	const char *rest = NULL, *out;
	char id[128];
	const struct script_import *m = import_named(c, ref, &rest);
	if (!m || !m->usable || !rest || !(out = split_ref(rest, id, sizeof id)))
		return NULL;
	const struct script_import_result *r = result_of(m, id);
	return r ? dcbor_get(dcbor_get_u(r->body, 3), out) : NULL;
}
