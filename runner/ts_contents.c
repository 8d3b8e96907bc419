/* ts_contents: the checks of what a transcript's records contain, and the story
 * an auditor reads first (see ts_contents.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hash.h"
#include "ts_contents.h"
#include "words.h"
#include "x509_read.h"

enum { MAX_ARTS = 4096, NAME_MAX_TEXT = 256 };

struct art {
	uint64_t seq;
	char step[NAME_MAX_TEXT], name[NAME_MAX_TEXT];
	uint8_t *data;
	size_t len;
	uint8_t sha[32];
};

struct walk {
	struct ts_report *r;
	struct art *v;
	size_t n;
	bool bad;
};

static void fail(struct walk *w, uint64_t seq, const char *fmt, ...) CER_PRINTF(3, 4);
static void fail(struct walk *w, uint64_t seq, const char *fmt, ...)
{
	va_list ap;
	if (w->bad)
		return;   /* the first is the one reported */
	w->bad = true;
	w->r->verdict = TS_INVALID;
	w->r->bad_seq = (int64_t)seq;
	va_start(ap, fmt);
	vsnprintf(w->r->reason, sizeof w->r->reason, fmt, ap);
	va_end(ap);
}

/* The latest artifact called name of step (or, an input a step embedded under the
 * reference's name, "file:PATH" or "IMPORT.STEP", called step), at or before seq. */
static const struct art *find(const struct walk *w, const char *step, const char *name)
{
	for (size_t i = w->n; i-- > 0;)
		if ((!strcmp(w->v[i].step, step) && !strcmp(w->v[i].name, name)) || !strcmp(w->v[i].name, step))
			return &w->v[i];
	return NULL;
}

/* A SHA-256 a step shows (hex) against the artifact it names. */
static void claim(struct walk *w, uint64_t seq, const char *step, const char *what, const char *shown, const struct art *a)
{
	char hex[65];
	if (!a || !shown[0])
		return;
	words_hex(a->sha, 32, hex, sizeof hex);
	if (strcmp(hex, shown)) {
		fail(w, seq, "step '%s' shows %s %s, but %s.%s hashes to %s", step, what, shown, a->step, a->name, hex);
		return;
	}
	w->r->fingerprints_checked++;
}

static int take(void *ctx, uint64_t seq, enum ts_kind kind, const cbor_item_t *body, struct err *e)
{
	struct walk *w = ctx;
	const cbor_item_t *arts = kind == TS_STEP_RESULT ? dcbor_get_u(body, 6) : NULL;
	char step[NAME_MAX_TEXT];
	if (kind != TS_STEP_RESULT)
		return 0;
	dcbor_text_into(dcbor_get_u(body, 0), step, sizeof step);
	size_t first = w->n;
	for (size_t i = 0; arts && i < cbor_array_size(arts); i++) {
		const cbor_item_t *a = cbor_array_handle(arts)[i], *content = dcbor_get_u(a, 4);
		char name[NAME_MAX_TEXT];
		if (!content)
			continue;   /* recorded by its hash only (a backup blob): nothing to check it with */
		dcbor_text_into(dcbor_get_u(a, 0), name, sizeof name);
		if (w->n == MAX_ARTS)
			return err_set(e, ERR_INPUT, "more than %d embedded artifacts", MAX_ARTS);
		struct art *nv = realloc(w->v, (w->n + 1) * sizeof *nv);
		if (!nv)
			return err_set(e, ERR_NOMEM, "out of memory");
		w->v = nv;
		struct art *x = &w->v[w->n];
		x->seq = seq;
		snprintf(x->step, sizeof x->step, "%s", step);
		snprintf(x->name, sizeof x->name, "%s", name);
		x->len = cbor_bytestring_length(content);
		if (!(x->data = malloc(x->len ? x->len : 1)))
			return err_set(e, ERR_NOMEM, "out of memory");
		memcpy(x->data, cbor_bytestring_handle(content), x->len);
		w->n++;
		/* Its size and hash are its record's: the record checks (transcript.c, an
		 * artifact's shape) refused the file otherwise, and only good records come here. */
		hash_sha256(x->data, x->len, x->sha);
		w->r->artifacts_checked++;
	}
	/* The SHA-256 values the step shows, against what they name. */
	const cbor_item_t *out = dcbor_get_u(body, 3);
	char ref[2 * NAME_MAX_TEXT], shown[80];
	dcbor_text_into(dcbor_get(out, "sha256"), shown, sizeof shown);
	dcbor_text_into(dcbor_get(out, "artifact"), ref, sizeof ref);
	if (ref[0]) {
		char *dot = strrchr(ref, '.');
		if (dot) {
			*dot = 0;
			claim(w, seq, step, "SHA-256", shown, find(w, ref, dot + 1));
		}
	} else {
		for (size_t i = first; i < w->n; i++)
			if (!strcmp(w->v[i].name, "certificate") || !strcmp(w->v[i].name, "crl") || !strcmp(w->v[i].name, "csr"))
				claim(w, seq, step, "SHA-256", shown, &w->v[i]);
	}
	dcbor_text_into(dcbor_get(out, "public_key_sha256"), shown, sizeof shown);
	for (size_t i = first; i < w->n; i++)
		if (!strcmp(w->v[i].name, "public_key"))
			claim(w, seq, step, "public_key_sha256", shown, &w->v[i]);
	return 0;
}

/* A PEM twin (NAME_pem beside NAME in one step) holds its DER twin's bytes. */
static void check_twins(struct walk *w)
{
	for (size_t i = 0; i < w->n && !w->bad; i++) {
		size_t nl = strlen(w->v[i].name);
		if (nl < 5 || strcmp(w->v[i].name + nl - 4, "_pem"))
			continue;
		for (size_t j = 0; j < w->n; j++) {
			if (j == i || w->v[j].seq != w->v[i].seq || strncmp(w->v[j].name, w->v[i].name, nl - 4) ||
			    w->v[j].name[nl - 4])
				continue;
			struct x509_obj o = {0};
			struct err none;
			bool same = x509_obj_parse(w->v[i].data, w->v[i].len, &o, &none) == 0 && o.kind != X509_OBJ_UNKNOWN &&
				    o.der.len == w->v[j].len && !memcmp(o.der.p, w->v[j].data, o.der.len);
			x509_obj_free(&o);
			if (!same)
				fail(w, w->v[i].seq, "artifact %s of step '%s' is not the PEM of its %s", w->v[i].name, w->v[i].step,
				     w->v[j].name);
		}
	}
}

struct parsed {
	struct x509_obj o;
	char issuer[512], subject[512];
	const struct art *from;   /* NULL: an earlier transcript's certificate */
};

/* Every certificate, CRL and CSR against the key that must have signed it. */
static int check_signatures(struct walk *w, const struct ts_verify_opts *opts, struct err *e)
{
	size_t extra = opts ? opts->n_issuers : 0, n = 0;
	struct parsed *p = calloc(w->n + extra + 1, sizeof *p);
	int ret = -1;
	if (!p)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < w->n + extra; i++) {
		const uint8_t *d = i < w->n ? w->v[i].data : opts->issuers[i - w->n].p;
		size_t l = i < w->n ? w->v[i].len : opts->issuers[i - w->n].len;
		struct err none;
		if (i < w->n && strlen(w->v[i].name) > 4 && !strcmp(w->v[i].name + strlen(w->v[i].name) - 4, "_pem"))
			continue;   /* its DER twin is checked */
		if (x509_obj_parse(d, l, &p[n].o, &none) || p[n].o.kind == X509_OBJ_UNKNOWN || p[n].o.kind == X509_OBJ_PUBKEY) {
			x509_obj_free(&p[n].o);
			continue;
		}
		if (i >= w->n && p[n].o.kind != X509_OBJ_CERT) {
			x509_obj_free(&p[n].o);
			continue;
		}
		p[n].from = i < w->n ? &w->v[i] : NULL;
		x509_obj_names(&p[n].o, p[n].issuer, sizeof p[n].issuer, p[n].subject, sizeof p[n].subject);
		n++;
	}
	for (size_t i = 0; i < n && !w->bad; i++) {
		const struct parsed *x = &p[i];
		struct err why = {.kind = ERR_NONE};
		if (!x->from)
			continue;   /* an earlier transcript's: verified with that one */
		enum err_answer a;
		if (x->o.kind == X509_OBJ_CSR || (x->o.kind == X509_OBJ_CERT && !strcmp(x->issuer, x->subject))) {
			/* A request, a self-issued certificate: its own key. */
			a = x509_obj_signed_by(&x->o, x->o.kind == X509_OBJ_CSR ? NULL : x->o.pub, &why);
			if (a == ERR_ANSWER_NO)
				fail(w, x->from->seq, "the %s %s of step '%s' does not verify with its own key",
				     x509_obj_kind_name(x->o.kind), x->from->name, x->from->step);
			else if (a == ERR_ANSWER_YES)
				w->r->x509_verified++;
			else
				w->r->x509_unverifiable++;
			continue;
		}
		/* Signed by an issuer: a certificate of that subject whose key verifies it. */
		bool any = false, found = false, cannot = false;
		for (size_t j = 0; j < n && !found; j++) {
			if (j == i || p[j].o.kind != X509_OBJ_CERT || strcmp(p[j].subject, x->issuer))
				continue;
			any = true;
			a = x509_obj_signed_by(&x->o, p[j].o.pub, &why);
			found = a == ERR_ANSWER_YES;
			cannot |= a == ERR_ANSWER_ERROR;
		}
		if (found) {
			w->r->x509_verified++;
			w->r->x509_chained++;
		} else if (cannot) {
			w->r->x509_unverifiable++;
		} else if (any) {
			fail(w, x->from->seq, "the %s %s of step '%s' does not verify with the key of its issuer %s",
			     x509_obj_kind_name(x->o.kind), x->from->name, x->from->step, x->issuer);
		} else {
			w->r->x509_unchained++;
		}
	}
	ret = 0;
	for (size_t i = 0; i < n; i++)
		x509_obj_free(&p[i].o);
	free(p);
	return ret;
}

int ts_contents_check(const uint8_t *data, size_t len, const struct ts_verify_opts *o, struct ts_report *r,
		      struct err *e)
{
	struct walk w = {.r = r};
	int ret = -1;
	r->artifacts_checked = r->x509_verified = r->x509_chained = r->x509_unchained = r->x509_unverifiable =
		r->fingerprints_checked = 0;
	if (ts_each_entry(data, len, take, &w, e))
		goto out;
	check_twins(&w);
	if (!w.bad && check_signatures(&w, o, e))
		goto out;
	ret = 0;
out:
	for (size_t i = 0; i < w.n; i++)
		free(w.v[i].data);
	free(w.v);
	return ret;
}

/* --- the story ---------------------------------------------------------------- */

struct story_walk {
	struct ts_story *s;
	struct seen {
		char step[64];
		unsigned runs;
	} *seen;
	size_t n_seen;
};

static void line(struct ts_story *s, uint64_t seq, const char *step, const char *fmt, ...) CER_PRINTF(4, 5);
static void line(struct ts_story *s, uint64_t seq, const char *step, const char *fmt, ...)
{
	va_list ap;
	s->total++;
	if (s->n == sizeof s->lines / sizeof s->lines[0])
		return;
	struct ts_story_line *l = &s->lines[s->n++];
	l->seq = seq;
	snprintf(l->step, sizeof l->step, "%s", step);
	va_start(ap, fmt);
	vsnprintf(l->what, sizeof l->what, fmt, ap);
	va_end(ap);
}

static int tell(void *ctx, uint64_t seq, enum ts_kind kind, const cbor_item_t *body, struct err *e)
{
	struct story_walk *sw = ctx;
	struct ts_story *s = sw->s;
	char step[64], a[256], b[256], c[256];
	uint64_t outcome = 0;
	if (kind != TS_STEP_RESULT)
		return 0;
	dcbor_text_into(dcbor_get_u(body, 0), step, sizeof step);
	(void)dcbor_as_u64(dcbor_get_u(body, 2), &outcome);
	size_t k = 0;
	while (k < sw->n_seen && strcmp(sw->seen[k].step, step))
		k++;
	if (k == sw->n_seen) {
		struct seen *nv = realloc(sw->seen, (sw->n_seen + 1) * sizeof *nv);
		if (!nv)
			return err_set(e, ERR_NOMEM, "out of memory");
		sw->seen = nv;
		snprintf(nv[k].step, sizeof nv[k].step, "%s", step);
		nv[k].runs = 0;
		sw->n_seen++;
	}
	if (++sw->seen[k].runs == 2) {
		s->retried++;
		line(s, seq, step, "run again (a retry, a decision going back, or a resume)");
	}
	const cbor_item_t *err = dcbor_get_u(body, 9), *note = dcbor_get_u(body, 8), *dec = dcbor_get_u(body, 7);
	dcbor_text_into(err ? dcbor_get_u(err, 1) : NULL, a, sizeof a);
	dcbor_text_into(note, b, sizeof b);
	if (outcome == TS_FAILED || outcome == TS_ABORTED) {
		s->failed++;
		line(s, seq, step, "%s%s%s%s%s", outcome == TS_FAILED ? "FAILED" : "ABORTED", a[0] ? ": " : "", a,
		     b[0] ? "; note: " : "", b);
	} else if (outcome == TS_DEVIATION) {
		s->deviations++;
		line(s, seq, step, "DEVIATION accepted%s%s", b[0] ? ": " : "", b);
	}
	if (dec) {
		s->decisions++;
		dcbor_text_into(dcbor_get_u(dec, 1), a, sizeof a);
		dcbor_text_into(dcbor_get_u(dec, 2), b, sizeof b);
		line(s, seq, step, "decision: %s%s%s", a, b[0] ? " -> " : " -> halt", b);
	}
	const cbor_item_t *ref = dcbor_get_u(body, 12), *att = dcbor_get_u(body, 11);
	for (size_t i = 0; ref && i < cbor_array_size(ref); i++) {
		const cbor_item_t *x = cbor_array_handle(ref)[i];
		dcbor_text_into(dcbor_get_u(x, 1), a, sizeof a);
		dcbor_text_into(dcbor_get_u(x, 0), b, sizeof b);
		dcbor_text_into(dcbor_get_u(x, 2), c, sizeof c);
		s->refusals++;
		line(s, seq, step, "%s (%s) refused: %s", a, b, c);
	}
	s->slips += att ? cbor_array_size(att) : 0;
	return 0;
}

int ts_story_read(const uint8_t *data, size_t len, struct ts_story *s, struct err *e)
{
	struct story_walk sw = {.s = s};
	memset(s, 0, sizeof *s);
	int rc = ts_each_entry(data, len, tell, &sw, e);
	free(sw.seen);
	return rc;
}

/* --- for a chain of transcripts ---------------------------------------------- */

struct certs {
	struct buf *v;
	size_t n;
};

static int take_cert(void *ctx, uint64_t seq, enum ts_kind kind, const cbor_item_t *body, struct err *e)
{
	struct certs *c = ctx;
	const cbor_item_t *arts = kind == TS_STEP_RESULT ? dcbor_get_u(body, 6) : NULL;
	(void)seq;
	for (size_t i = 0; arts && i < cbor_array_size(arts); i++) {
		const cbor_item_t *content = dcbor_get_u(cbor_array_handle(arts)[i], 4);
		struct x509_obj o = {0};
		struct err none;
		if (!content || x509_obj_parse(cbor_bytestring_handle(content), cbor_bytestring_length(content), &o, &none) ||
		    o.kind != X509_OBJ_CERT || o.was_pem) {
			x509_obj_free(&o);
			continue;
		}
		struct buf *nv = realloc(c->v, (c->n + 1) * sizeof *nv);
		if (!nv) {
			x509_obj_free(&o);
			return err_set(e, ERR_NOMEM, "out of memory");
		}
		c->v = nv;
		c->v[c->n++] = o.der;   /* moved */
		o.der = (struct buf){0};
		x509_obj_free(&o);
	}
	return 0;
}

int ts_certificates(const uint8_t *data, size_t len, struct buf **out, size_t *n, struct err *e)
{
	struct certs c = {*out, *n};
	int rc = ts_each_entry(data, len, take_cert, &c, e);
	*out = c.v;
	*n = c.n;
	return rc;
}

int ts_continues(const uint8_t *data, size_t len, uint8_t head[32], struct err *e)
{
	cbor_item_t *g = ts_genesis_body(data, len, e);
	if (!g)
		return -1;
	const cbor_item_t *h = dcbor_get_u(g, 7);
	int found = h && cbor_isa_bytestring(h) && cbor_bytestring_length(h) == 32;
	if (found)
		memcpy(head, cbor_bytestring_handle(h), 32);
	cbor_decref(&g);
	return found;
}
