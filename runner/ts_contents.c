/* ts_contents: the checks of what a transcript's records contain, and the story
 * an auditor reads first (see ts_contents.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hash.h"
#include "strmap.h"
#include "ts_contents.h"
#include "words.h"
#include "x509_read.h"

enum { NAME_MAX_TEXT = 256 };

/* The latest artifact of a (step, name), for the SHA-256 values later steps show:
 * kept by name, not by record, so the memory grows with the script's artifacts, not
 * with the transcript's length (a retried step replaces its own). */
struct named {
	char step[NAME_MAX_TEXT], name[NAME_MAX_TEXT];
	uint8_t sha[32];
	uint64_t order;           /* when it came: the latest wins */
};

/* A certificate, CRL or CSR, parsed. */
struct parsed {
	struct x509_obj o;
	char issuer[512], subject[512];
	uint64_t seq;
	char step[NAME_MAX_TEXT], name[NAME_MAX_TEXT];
	bool earlier;             /* an earlier transcript's certificate (opts->issuers) */
};

struct ts_contents {
	struct named *names;
	size_t n_names, cap_names;
	struct strmap by_pair;    /* "step\0name": its index in names */
	struct strmap by_name;    /* name: the index of the latest of that name */
	uint64_t order;
	struct parsed **certs;    /* every certificate: the issuers */
	size_t n_certs;
	struct parsed **waiting;  /* signed by an issuer not seen yet: checked at the end */
	size_t n_waiting;
	/* What the report gets once every record is good (ts_contents_finish). */
	uint64_t artifacts, verified, chained, unchained, unverifiable, fingerprints;
	bool bad;
	uint64_t bad_seq;
	char reason[ERR_MSG_MAX];
};

static void fail(struct ts_contents *c, uint64_t seq, const char *fmt, ...) CER_PRINTF(3, 4);
static void fail(struct ts_contents *c, uint64_t seq, const char *fmt, ...)
{
	va_list ap;
	if (c->bad && c->bad_seq <= seq)
		return;   /* the first bad record is the one reported */
	c->bad = true;
	c->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof c->reason, fmt, ap);
	va_end(ap);
}

static bool ends_pem(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && !strcmp(name + n - 4, "_pem");
}

/* The key of a (step, name): both, with the NUL between them. */
static size_t pair_key(char key[2 * NAME_MAX_TEXT], const char *step, const char *name)
{
	size_t a = strlen(step), b = strlen(name);
	memcpy(key, step, a + 1);
	memcpy(key + a + 1, name, b);
	return a + 1 + b;
}

static struct named *named_find(const struct ts_contents *c, const char *step, const char *name)
{
	char key[2 * NAME_MAX_TEXT];
	size_t i;
	if (strlen(step) >= NAME_MAX_TEXT || strlen(name) >= NAME_MAX_TEXT)
		return NULL;   /* longer than any kept (a reference's text may be) */
	return strmap_get(&c->by_pair, key, pair_key(key, step, name), &i) ? &c->names[i] : NULL;
}

/* The latest artifact called name of step or (an input a step embedded under the
 * reference's name, "file:PATH" or "IMPORT.STEP") called step. */
static const struct named *named_ref(const struct ts_contents *c, const char *step, const char *name)
{
	const struct named *pair = named_find(c, step, name), *input = NULL;
	size_t i;
	if (strmap_get(&c->by_name, step, strlen(step), &i))
		input = &c->names[i];
	if (!pair || (input && input->order > pair->order))
		return input;
	return pair;
}

static int named_put(struct ts_contents *c, const char *step, const char *name, const uint8_t sha[32], struct err *e)
{
	struct named *x = named_find(c, step, name);
	if (!x) {
		if (c->n_names == c->cap_names) {
			size_t cap = c->cap_names ? c->cap_names * 2 : 16;
			struct named *nv = realloc(c->names, cap * sizeof *nv);
			if (!nv)
				return err_set(e, ERR_NOMEM, "out of memory");
			c->names = nv;
			c->cap_names = cap;
		}
		x = &c->names[c->n_names];
		snprintf(x->step, sizeof x->step, "%s", step);
		snprintf(x->name, sizeof x->name, "%s", name);
		char key[2 * NAME_MAX_TEXT];
		if (strmap_put(&c->by_pair, key, pair_key(key, x->step, x->name), c->n_names, e))
			return -1;
		c->n_names++;
	}
	memcpy(x->sha, sha, 32);
	x->order = ++c->order;
	return strmap_put(&c->by_name, x->name, strlen(x->name), (size_t)(x - c->names), e);
}

/* A SHA-256 a step shows (hex) against the artifact it names. */
static void claim(struct ts_contents *c, uint64_t seq, const char *step, const char *what, const char *shown,
		  const struct named *a)
{
	char hex[65];
	if (!a || !shown[0])
		return;
	words_hex(a->sha, 32, hex, sizeof hex);
	if (strcmp(hex, shown)) {
		fail(c, seq, "step '%s' shows %s %s, but %s.%s hashes to %s", step, what, shown, a->step, a->name, hex);
		return;
	}
	c->fingerprints++;
}

static void parsed_free(struct parsed *p)
{
	if (p) {
		x509_obj_free(&p->o);
		free(p);
	}
}

static int push(struct parsed ***v, size_t *n, struct parsed *p, struct err *e)
{
	struct parsed **nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return err_set(e, ERR_NOMEM, "out of memory");
	*v = nv;
	nv[(*n)++] = p;
	return 0;
}

/* Signed by an issuer: a certificate of that subject whose key verifies it. At the
 * end (last) an object none verifies is judged; before, it waits for a later one. */
static int check_issued(struct ts_contents *c, struct parsed *x, bool last, struct err *e)
{
	struct err why = {.kind = ERR_NONE};
	bool any = false, cannot = false;
	for (size_t j = 0; j < c->n_certs; j++) {
		const struct parsed *is = c->certs[j];
		if (is == x || strcmp(is->subject, x->issuer))
			continue;
		any = true;
		enum err_answer a = x509_obj_signed_by(&x->o, is->o.pub, &why);
		if (a == ERR_ANSWER_YES) {
			c->verified++;
			c->chained++;
			return 1;
		}
		cannot |= a == ERR_ANSWER_ERROR;
	}
	if (!last)
		return push(&c->waiting, &c->n_waiting, x, e) ? -1 : 0;
	if (cannot)
		c->unverifiable++;
	else if (any)
		fail(c, x->seq, "the %s %s of step '%s' does not verify with the key of its issuer %s",
		     x509_obj_kind_name(x->o.kind), x->name, x->step, x->issuer);
	else
		c->unchained++;
	return 1;
}

/* A certificate, CRL or CSR the record embeds, against the key that must have
 * signed it: a request or a self-issued certificate its own, another its issuer's.
 * Takes p (kept as an issuer, waiting, or freed). */
static int check_signed(struct ts_contents *c, struct parsed *p, struct err *e)
{
	x509_obj_names(&p->o, p->issuer, sizeof p->issuer, p->subject, sizeof p->subject);
	if (p->o.kind == X509_OBJ_CERT && push(&c->certs, &c->n_certs, p, e)) {
		parsed_free(p);
		return -1;
	}
	bool kept = p->o.kind == X509_OBJ_CERT;
	if (p->o.kind == X509_OBJ_CSR || (p->o.kind == X509_OBJ_CERT && !strcmp(p->issuer, p->subject))) {
		struct err why = {.kind = ERR_NONE};
		enum err_answer a = x509_obj_signed_by(&p->o, p->o.kind == X509_OBJ_CSR ? NULL : p->o.pub, &why);
		if (a == ERR_ANSWER_NO)
			fail(c, p->seq, "the %s %s of step '%s' does not verify with its own key",
			     x509_obj_kind_name(p->o.kind), p->name, p->step);
		else if (a == ERR_ANSWER_YES)
			c->verified++;
		else
			c->unverifiable++;
		if (!kept)
			parsed_free(p);
		return 0;
	}
	int rc = check_issued(c, p, false, e);
	if (rc != 0 && !kept)
		parsed_free(p);   /* judged (1) or failed (-1); 0: it waits */
	return rc < 0 ? -1 : 0;
}

/* A PEM twin (NAME_pem beside NAME in one step) holds its DER twin's bytes. */
static void check_twin(struct ts_contents *c, uint64_t seq, const char *step, const char *name,
		       const cbor_item_t *pem, const cbor_item_t *arts)
{
	size_t nl = strlen(name);
	for (size_t j = 0; j < cbor_array_size(arts); j++) {
		const cbor_item_t *a = cbor_array_handle(arts)[j], *n = dcbor_get_u(a, 0), *der = dcbor_get_u(a, 4);
		if (!der || cbor_string_length(n) != nl - 4 || memcmp(cbor_string_handle(n), name, nl - 4))
			continue;
		struct x509_obj o = {0};
		struct err none;
		bool same = x509_obj_parse(cbor_bytestring_handle(pem), cbor_bytestring_length(pem), &o, &none) == 0 &&
			    o.kind != X509_OBJ_UNKNOWN && o.der.len == cbor_bytestring_length(der) &&
			    !memcmp(o.der.p, cbor_bytestring_handle(der), o.der.len);
		x509_obj_free(&o);
		if (!same)
			fail(c, seq, "artifact %s of step '%s' is not the PEM of its %.*s", name, step, (int)(nl - 4), name);
	}
}

struct ts_contents *ts_contents_new(const struct ts_verify_opts *o, struct err *e)
{
	struct ts_contents *c = calloc(1, sizeof *c);
	if (!c) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	/* An earlier transcript's certificates (a chain): issuers, verified with that one. */
	for (size_t i = 0; o && i < o->n_issuers; i++) {
		struct parsed *p = calloc(1, sizeof *p);
		struct err none;
		if (!p) {
			err_set(e, ERR_NOMEM, "out of memory");
			ts_contents_free(c);
			return NULL;
		}
		if (x509_obj_parse(o->issuers[i].p, o->issuers[i].len, &p->o, &none) || p->o.kind != X509_OBJ_CERT) {
			parsed_free(p);
			continue;
		}
		p->earlier = true;
		x509_obj_names(&p->o, p->issuer, sizeof p->issuer, p->subject, sizeof p->subject);
		if (push(&c->certs, &c->n_certs, p, e)) {
			parsed_free(p);
			ts_contents_free(c);
			return NULL;
		}
	}
	return c;
}

int ts_contents_take(struct ts_contents *c, uint64_t seq, enum ts_kind kind, const cbor_item_t *body, struct err *e)
{
	const cbor_item_t *arts = kind == TS_STEP_RESULT ? dcbor_get_u(body, 6) : NULL;
	char step[NAME_MAX_TEXT];
	if (kind != TS_STEP_RESULT)
		return 0;
	dcbor_text_into(dcbor_get_u(body, 0), step, sizeof step);
	/* The SHA-256 values the step shows: a certificate's or a key's of this step, or
	 * (a fingerprint step) the artifact its `artifact` names. */
	const cbor_item_t *out = dcbor_get_u(body, 3);
	char ref[2 * NAME_MAX_TEXT], shown[80], key_shown[80];
	dcbor_text_into(dcbor_get(out, "sha256"), shown, sizeof shown);
	dcbor_text_into(dcbor_get(out, "artifact"), ref, sizeof ref);
	dcbor_text_into(dcbor_get(out, "public_key_sha256"), key_shown, sizeof key_shown);
	for (size_t i = 0; arts && i < cbor_array_size(arts); i++) {
		const cbor_item_t *a = cbor_array_handle(arts)[i], *content = dcbor_get_u(a, 4);
		char name[NAME_MAX_TEXT];
		if (!content)
			continue;   /* recorded by its hash only (a backup blob): nothing to check it with */
		dcbor_text_into(dcbor_get_u(a, 0), name, sizeof name);
		/* Its size and hash are its record's: the record checks (transcript.c, an
		 * artifact's shape) refused the file otherwise, and only good records come here. */
		struct named now = {.order = 0};
		snprintf(now.step, sizeof now.step, "%s", step);
		snprintf(now.name, sizeof now.name, "%s", name);
		memcpy(now.sha, cbor_bytestring_handle(dcbor_get_u(a, 1)), 32);
		c->artifacts++;
		if (!ref[0] && (!strcmp(name, "certificate") || !strcmp(name, "crl") || !strcmp(name, "csr")))
			claim(c, seq, step, "SHA-256", shown, &now);
		if (!strcmp(name, "public_key"))
			claim(c, seq, step, "public_key_sha256", key_shown, &now);
		if (named_put(c, step, name, now.sha, e))
			return -1;
		if (ends_pem(name)) {
			check_twin(c, seq, step, name, content, arts);
			continue;   /* its DER twin is checked */
		}
		struct parsed *p = calloc(1, sizeof *p);
		struct err none;
		if (!p)
			return err_set(e, ERR_NOMEM, "out of memory");
		if (x509_obj_parse(cbor_bytestring_handle(content), cbor_bytestring_length(content), &p->o, &none) ||
		    p->o.kind == X509_OBJ_UNKNOWN || p->o.kind == X509_OBJ_PUBKEY) {
			parsed_free(p);
			continue;
		}
		p->seq = seq;
		snprintf(p->step, sizeof p->step, "%s", step);
		snprintf(p->name, sizeof p->name, "%s", name);
		if (check_signed(c, p, e))
			return -1;
	}
	if (ref[0]) {
		char *dot = strrchr(ref, '.');
		if (dot) {
			*dot = 0;
			claim(c, seq, step, "SHA-256", shown, named_ref(c, ref, dot + 1));
		}
	}
	return 0;
}

int ts_contents_finish(struct ts_contents *c, struct ts_report *r, struct err *e)
{
	/* What waited for an issuer: every certificate is known now. */
	for (size_t i = 0; i < c->n_waiting; i++)
		if (check_issued(c, c->waiting[i], true, e) < 0)
			return -1;
	r->artifacts_checked = c->artifacts;
	r->x509_verified = c->verified;
	r->x509_chained = c->chained;
	r->x509_unchained = c->unchained;
	r->x509_unverifiable = c->unverifiable;
	r->fingerprints_checked = c->fingerprints;
	if (c->bad) {
		r->verdict = TS_INVALID;
		r->bad_seq = (int64_t)c->bad_seq;
		snprintf(r->reason, sizeof r->reason, "%s", c->reason);
	}
	return 0;
}

void ts_contents_free(struct ts_contents *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_waiting; i++)
		if (c->waiting[i]->o.kind != X509_OBJ_CERT)
			parsed_free(c->waiting[i]);   /* a waiting certificate is freed with the issuers */
	for (size_t i = 0; i < c->n_certs; i++)
		parsed_free(c->certs[i]);
	free(c->waiting);
	free(c->certs);
	free(c->names);
	strmap_free(&c->by_pair);
	strmap_free(&c->by_name);
	free(c);
}

/* --- the story ---------------------------------------------------------------- */

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

int ts_story_take(void *ctx, uint64_t seq, enum ts_kind kind, const cbor_item_t *body, struct err *e)
{
	struct ts_story *s = ctx;
	char step[64], a[256], b[256], c[256];
	uint64_t outcome = 0;
	if (kind != TS_STEP_RESULT)
		return 0;
	dcbor_text_into(dcbor_get_u(body, 0), step, sizeof step);
	(void)dcbor_as_u64(dcbor_get_u(body, 2), &outcome);
	size_t runs = 0;
	(void)strmap_get(&s->runs, step, strlen(step), &runs);
	if (strmap_put(&s->runs, step, strlen(step), ++runs, e))
		return -1;
	if (runs == 2) {
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

void ts_story_free(struct ts_story *s)
{
	strmap_free(&s->runs);
}

/* --- for a chain of transcripts ---------------------------------------------- */

int ts_certs_take(void *ctx, uint64_t seq, enum ts_kind kind, const cbor_item_t *body, struct err *e)
{
	struct ts_certs *c = ctx;
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

int ts_continues_of(const cbor_item_t *genesis, uint8_t head[32])
{
	const cbor_item_t *h = dcbor_get_u(genesis, 7);
	int found = h && cbor_isa_bytestring(h) && cbor_bytestring_length(h) == 32;
	if (found)
		memcpy(head, cbor_bytestring_handle(h), 32);
	return found;
}
