/* records: plain C records of a step's begin and result, checkpoints and the seal,
 * encoded here once (TRANSCRIPT.md "Entry"; schemas/transcript.cddl). */
#include <stdlib.h>
#include <string.h>
#include "records.h"
#include "dcbor.h"
#include "hash.h"

static int oom(struct err *e)
{
	return err_set(e, ERR_NOMEM, "out of memory");
}

/* Grows *arr (of *n elements of size sz) by one zeroed element; NULL when out of memory. */
static void *grow(void *arr, size_t *n, size_t sz, void **slot)
{
	unsigned char *a = realloc(arr, (*n + 1) * sz);
	if (!a)
		return NULL;
	memset(a + *n * sz, 0, sz);
	*slot = a + *n * sz;
	return a;
}

int rec_result_init(struct rec_result *r, struct err *e)
{
	memset(r, 0, sizeof *r);
	if (!(r->outputs = dcbor_map()))
		return oom(e);
	return 0;
}

static void signoff_free(struct rec_signoff *s)
{
	free(s->role);
	free(s->name);
	free(s->statement);
	buf_free(&s->cose);
	buf_free(&s->spki);
}

void rec_result_free(struct rec_result *r)
{
	if (!r)
		return;
	if (r->outputs)
		cbor_decref(&r->outputs);
	for (size_t i = 0; i < r->n_checks; i++) {
		free(r->checks[i].what);
		if (r->checks[i].expected)
			cbor_decref(&r->checks[i].expected);
		if (r->checks[i].actual)
			cbor_decref(&r->checks[i].actual);
	}
	free(r->checks);
	for (size_t i = 0; i < r->n_signoffs; i++)
		signoff_free(&r->signoffs[i]);
	free(r->signoffs);
	for (size_t i = 0; i < r->n_confirmations; i++)
		signoff_free(&r->confirmations[i]);
	free(r->confirmations);
	for (size_t i = 0; i < r->n_refusals; i++) {
		free(r->refusals[i].role);
		free(r->refusals[i].name);
		free(r->refusals[i].reason);
	}
	free(r->refusals);
	free(r->note);
	for (size_t i = 0; i < r->n_attempts; i++) {
		free(r->attempts[i].role);
		free(r->attempts[i].question);
		free(r->attempts[i].wrong);
	}
	free(r->attempts);
	for (size_t i = 0; i < r->n_artifacts; i++) {
		free(r->artifacts[i].name);
		free(r->artifacts[i].media_type);
	}
	free(r->artifacts);
	if (r->decision) {
		free(r->decision->question);
		free(r->decision->choice);
		free(r->decision->next);
		free(r->decision);
	}
	memset(r, 0, sizeof *r);
}

int rec_output(struct rec_result *r, const char *step_id, const char *name, cbor_item_t *value, struct err *e)
{
	if (dcbor_get(r->outputs, name)) {
		if (value)
			cbor_decref(&value);
		return err_set(e, ERR_INTERNAL, "step '%s' produced output '%s' twice", step_id, name);
	}
	return dcbor_put(r->outputs, name, value, e);
}

int rec_check(struct rec_result *r, const char *what, cbor_item_t *expected, cbor_item_t *actual, bool held,
	      struct err *e)
{
	void *slot;
	struct rec_check *a = grow(r->checks, &r->n_checks, sizeof *a, &slot);
	char *w = a ? strdup(what) : NULL;
	if (a)
		r->checks = a;
	if (!w || !expected || !actual) {
		free(w);
		if (expected)
			cbor_decref(&expected);
		if (actual)
			cbor_decref(&actual);
		return oom(e);
	}
	*(struct rec_check *)slot = (struct rec_check){w, expected, actual, held};
	r->n_checks++;
	return 0;
}

int rec_artifact(struct rec_result *r, const char *name, const char *media_type, const uint8_t *content, size_t size,
		 struct err *e)
{
	void *slot;
	struct rec_artifact *a = grow(r->artifacts, &r->n_artifacts, sizeof *a, &slot);
	if (!a)
		return oom(e);
	r->artifacts = a;
	struct rec_artifact *m = slot;
	m->name = strdup(name);
	m->media_type = strdup(media_type);
	if (!m->name || !m->media_type) {
		free(m->name);
		free(m->media_type);
		return oom(e);
	}
	hash_sha256(content, size, m->sha256);
	m->content = content;
	m->size = size;
	r->n_artifacts++;
	return 0;
}

int rec_signoff(struct rec_result *r, struct rec_signoff *so, struct err *e)
{
	void *slot;
	struct rec_signoff *a = grow(r->signoffs, &r->n_signoffs, sizeof *a, &slot);
	struct rec_signoff c = {0};
	if (a)
		r->signoffs = a;
	c.time_ms = so->time_ms;
	c.method = so->method;
	c.cose = so->cose;
	c.spki = so->spki;
	memset(&so->cose, 0, sizeof so->cose);
	memset(&so->spki, 0, sizeof so->spki);
	if (!a || !(c.role = strdup(so->role)) || !(c.name = strdup(so->name)) || !(c.statement = strdup(so->statement))) {
		signoff_free(&c);
		return oom(e);
	}
	*(struct rec_signoff *)slot = c;
	r->n_signoffs++;
	return 0;
}

int rec_confirmation(struct rec_result *r, const char *role, const char *name, const char *statement,
		     uint64_t time_ms, struct err *e)
{
	void *slot;
	struct rec_signoff *a = grow(r->confirmations, &r->n_confirmations, sizeof *a, &slot);
	struct rec_signoff c = {.time_ms = time_ms, .method = 0};
	if (a)
		r->confirmations = a;
	if (!a || !(c.role = strdup(role)) || !(c.name = strdup(name)) || !(c.statement = strdup(statement))) {
		signoff_free(&c);
		return oom(e);
	}
	*(struct rec_signoff *)slot = c;
	r->n_confirmations++;
	return 0;
}

int rec_attempt(struct rec_result *r, const char *role, const char *question, const char *wrong, uint64_t time_ms,
		struct err *e)
{
	void *slot;
	struct rec_attempt *a = grow(r->attempts, &r->n_attempts, sizeof *a, &slot);
	struct rec_attempt c = {.time_ms = time_ms};
	if (a)
		r->attempts = a;
	if (!a || !(c.role = strdup(role)) || !(c.question = strdup(question)) || !(c.wrong = strdup(wrong))) {
		free(c.role);
		free(c.question);
		free(c.wrong);
		return oom(e);
	}
	*(struct rec_attempt *)slot = c;
	r->n_attempts++;
	return 0;
}

int rec_refusal(struct rec_result *r, const char *role, const char *name, const char *reason, uint64_t time_ms,
		struct err *e)
{
	void *slot;
	struct rec_refusal *a = grow(r->refusals, &r->n_refusals, sizeof *a, &slot);
	struct rec_refusal c = {.time_ms = time_ms};
	if (a)
		r->refusals = a;
	if (!a || !(c.role = strdup(role)) || !(c.name = strdup(name)) || !(c.reason = strdup(reason))) {
		free(c.role);
		free(c.name);
		free(c.reason);
		return oom(e);
	}
	*(struct rec_refusal *)slot = c;
	r->n_refusals++;
	return 0;
}

int rec_note(struct rec_result *r, const char *note, struct err *e)
{
	char *n = NULL;
	if (r->note ? asprintf(&n, "%s; %s", r->note, note) < 0 : !(n = strdup(note)))
		return oom(e);
	free(r->note);
	r->note = n;
	return 0;
}

int rec_decide(struct rec_result *r, const char *question, const char *choice, const char *next, struct err *e)
{
	if (r->decision)
		return err_set(e, ERR_INTERNAL, "a step decided twice");
	struct rec_decision *d = calloc(1, sizeof *d);
	if (!d || !(d->question = strdup(question)) || !(d->choice = strdup(choice)) || (next && !(d->next = strdup(next)))) {
		if (d) {
			free(d->question);
			free(d->choice);
			free(d);
		}
		return oom(e);
	}
	r->decision = d;
	return 0;
}

/* --- encoding: the only place outside the verifier that knows the key numbers --- */

/* Appends body as a record of kind and frees it (it is ours, failing or not). */
static int append(struct ts_writer *w, enum ts_kind kind, cbor_item_t *body, int built, uint64_t *seq, struct err *e)
{
	int rc = built ? -1 : ts_append(w, kind, body, seq, e);
	cbor_decref(&body);
	return rc;
}

int rec_append_begin(struct ts_writer *w, const struct rec_begin *b, uint64_t *seq, struct err *e)
{
	cbor_item_t *body = dcbor_map();
	if (!body)
		return oom(e);
	int rc = dcbor_put_u(body, 0, dcbor_text(b->step_id), e) || dcbor_put_u(body, 1, dcbor_uint(b->index), e) ||
		 dcbor_put_u(body, 2, dcbor_text(b->type), e) ||
		 dcbor_put_u(body, 3, cbor_incref((cbor_item_t *)b->params), e) ||
		 (b->role && dcbor_put_u(body, 4, dcbor_text(b->role), e));
	return append(w, TS_STEP_BEGIN, body, rc, seq, e);
}

/* signoff = { 0: role, 1: name, 2: statement, 3: time, 4: method, ? 5: COSE_Sign1, ? 6: SPKI } */
static cbor_item_t *signoff_item(const struct rec_signoff *s, struct err *e)
{
	cbor_item_t *m = dcbor_map();
	if (!m) {
		oom(e);
		return NULL;
	}
	if (dcbor_put_u(m, 0, dcbor_text(s->role), e) || dcbor_put_u(m, 1, dcbor_text(s->name), e) ||
	    dcbor_put_u(m, 2, dcbor_text(s->statement), e) || dcbor_put_u(m, 3, dcbor_uint(s->time_ms), e) ||
	    dcbor_put_u(m, 4, dcbor_uint(s->method), e) ||
	    (s->cose.len && dcbor_put_u(m, 5, dcbor_bytes(s->cose.p, s->cose.len), e)) ||
	    (s->spki.len && dcbor_put_u(m, 6, dcbor_bytes(s->spki.p, s->spki.len), e))) {
		cbor_decref(&m);
		return NULL;
	}
	return m;
}

static cbor_item_t *check_item(const struct rec_check *c, struct err *e)
{
	cbor_item_t *m = dcbor_map();
	if (!m) {
		oom(e);
		return NULL;
	}
	if (dcbor_put_u(m, 0, dcbor_text(c->what), e) || dcbor_put_u(m, 1, cbor_incref(c->expected), e) ||
	    dcbor_put_u(m, 2, cbor_incref(c->actual), e) || dcbor_put_u(m, 3, dcbor_bool(c->held), e)) {
		cbor_decref(&m);
		return NULL;
	}
	return m;
}

static cbor_item_t *artifact_item(const struct rec_artifact *a, struct err *e)
{
	cbor_item_t *m = dcbor_map();
	if (!m) {
		oom(e);
		return NULL;
	}
	if (dcbor_put_u(m, 0, dcbor_text(a->name), e) || dcbor_put_u(m, 1, dcbor_bytes(a->sha256, sizeof a->sha256), e) ||
	    dcbor_put_u(m, 2, dcbor_uint(a->size), e) || dcbor_put_u(m, 3, dcbor_text(a->media_type), e) ||
	    dcbor_put_u(m, 4, dcbor_bytes(a->content, a->size), e)) {
		cbor_decref(&m);
		return NULL;
	}
	return m;
}

/* Puts under key an array of n items made by one(i); nothing when n is 0. */
static int put_list(cbor_item_t *body, uint64_t key, size_t n, const void *arr, size_t sz,
		    cbor_item_t *(*one)(const void *, struct err *), struct err *e)
{
	if (!n)
		return 0;
	cbor_item_t *a = dcbor_array();
	if (!a)
		return oom(e);
	for (size_t i = 0; i < n; i++) {
		cbor_item_t *it = one((const unsigned char *)arr + i * sz, e);
		if (!it || dcbor_push(a, it, e)) {   /* dcbor_push takes it, failing or not */
			cbor_decref(&a);
			return -1;
		}
	}
	return dcbor_put_u(body, key, a, e);
}

static cbor_item_t *one_check(const void *p, struct err *e)
{
	return check_item(p, e);
}

static cbor_item_t *one_signoff(const void *p, struct err *e)
{
	return signoff_item(p, e);
}

/* attempt = { 0: role, 1: question, 2: what was wrong, 3: time } */
static cbor_item_t *one_attempt(const void *p, struct err *e)
{
	const struct rec_attempt *a = p;
	cbor_item_t *m = dcbor_map();
	if (!m) {
		oom(e);
		return NULL;
	}
	if (dcbor_put_u(m, 0, dcbor_text(a->role), e) || dcbor_put_u(m, 1, dcbor_text(a->question), e) ||
	    dcbor_put_u(m, 2, dcbor_text(a->wrong), e) || dcbor_put_u(m, 3, dcbor_uint(a->time_ms), e)) {
		cbor_decref(&m);
		return NULL;
	}
	return m;
}

/* refusal = { 0: role, 1: participant name, 2: reason, 3: time } */
static cbor_item_t *one_refusal(const void *p, struct err *e)
{
	const struct rec_refusal *a = p;
	cbor_item_t *m = dcbor_map();
	if (!m) {
		oom(e);
		return NULL;
	}
	if (dcbor_put_u(m, 0, dcbor_text(a->role), e) || dcbor_put_u(m, 1, dcbor_text(a->name), e) ||
	    dcbor_put_u(m, 2, dcbor_text(a->reason), e) || dcbor_put_u(m, 3, dcbor_uint(a->time_ms), e)) {
		cbor_decref(&m);
		return NULL;
	}
	return m;
}

static cbor_item_t *one_artifact(const void *p, struct err *e)
{
	return artifact_item(p, e);
}

int rec_append_result(struct ts_writer *w, const char *step_id, uint64_t begin_seq, enum ts_outcome outcome,
		      const struct rec_result *r, const struct err *error, struct err *e)
{
	cbor_item_t *body = dcbor_map();
	if (!body)
		return oom(e);
	int rc = dcbor_put_u(body, 0, dcbor_text(step_id), e) || dcbor_put_u(body, 1, dcbor_uint(begin_seq), e) ||
		 dcbor_put_u(body, 2, dcbor_uint(outcome), e) || dcbor_put_u(body, 3, cbor_incref(r->outputs), e) ||
		 put_list(body, 4, r->n_checks, r->checks, sizeof *r->checks, one_check, e) ||
		 put_list(body, 5, r->n_signoffs, r->signoffs, sizeof *r->signoffs, one_signoff, e) ||
		 put_list(body, 6, r->n_artifacts, r->artifacts, sizeof *r->artifacts, one_artifact, e) ||
		 put_list(body, 10, r->n_confirmations, r->confirmations, sizeof *r->confirmations, one_signoff, e) ||
		 put_list(body, 11, r->n_attempts, r->attempts, sizeof *r->attempts, one_attempt, e) ||
		 put_list(body, 12, r->n_refusals, r->refusals, sizeof *r->refusals, one_refusal, e) ||
		 (r->note && dcbor_put_u(body, 8, dcbor_text(r->note), e));
	if (!rc && r->decision) {
		cbor_item_t *d = dcbor_map();
		rc = !d ? oom(e)
			: dcbor_put_u(d, 0, dcbor_text(r->decision->question), e) ||
				  dcbor_put_u(d, 1, dcbor_text(r->decision->choice), e) ||
				  (r->decision->next && dcbor_put_u(d, 2, dcbor_text(r->decision->next), e));
		if (d)
			rc = rc ? (cbor_decref(&d), -1) : dcbor_put_u(body, 7, d, e);
	}
	if (!rc && error) {
		cbor_item_t *er = dcbor_map();
		rc = !er ? oom(e) : dcbor_put_u(er, 0, dcbor_text(error->code), e) || dcbor_put_u(er, 1, dcbor_text(error->msg), e);
		if (er)
			rc = rc ? (cbor_decref(&er), -1) : dcbor_put_u(body, 9, er, e);
	}
	return append(w, TS_STEP_RESULT, body, rc, NULL, e);
}

int rec_append_resume(struct ts_writer *w, const struct rec_resume *rr, uint64_t *seq, struct err *e)
{
	cbor_item_t *body = dcbor_map(), *sg = NULL;
	if (!body)
		return oom(e);
	int rc = dcbor_put_u(body, 0, dcbor_uint(rr->last_good), e) || dcbor_put_u(body, 1, dcbor_uint(rr->discarded), e) ||
		 dcbor_put_u(body, 2, dcbor_bytes(rr->discarded_sha256, 32), e) ||
		 dcbor_put_u(body, 3, dcbor_text(rr->reason), e) ||
		 put_list(body, 5, rr->n_signoffs, rr->signoffs, sizeof *rr->signoffs, one_signoff, e);
	if (!rc && rr->new_signer)
		rc = !(sg = ts_signer_map(rr->new_signer, rr->new_signer_where, e)) || dcbor_put_u(body, 4, sg, e);
	return append(w, TS_RESUME, body, rc, seq, e);
}

int rec_append_checkpoint(struct ts_writer *w, const char *label, uint64_t *seq, struct err *e)
{
	cbor_item_t *body = dcbor_map();
	if (!body)
		return oom(e);
	int rc = dcbor_put_u(body, 0, dcbor_text(label), e);
	return append(w, TS_CHECKPOINT, body, rc, seq, e);
}

int rec_append_seal(struct ts_writer *w, enum ts_seal_status status, const char *last_step, const char *reason,
		    uint64_t *seq, struct err *e)
{
	cbor_item_t *body = dcbor_map(), *sum = dcbor_map();
	uint64_t n[5], total;
	if (!body || !sum) {
		if (body)
			cbor_decref(&body);
		if (sum)
			cbor_decref(&sum);
		return oom(e);
	}
	/* The counts of the step-results the writer wrote, which a verifier recounts
	 * (TRANSCRIPT.md seal): a retried step has a result for every attempt. */
	ts_writer_outcomes(w, n);
	total = n[TS_PASSED] + n[TS_FAILED] + n[TS_SKIPPED] + n[TS_ABORTED] + n[TS_DEVIATION];
	int rc = dcbor_put_u(body, 1, sum, e) || dcbor_put_u(body, 0, dcbor_uint((uint64_t)status), e) ||
		 dcbor_put(sum, "steps_run", dcbor_uint(total), e) || dcbor_put(sum, "passed", dcbor_uint(n[TS_PASSED]), e) ||
		 dcbor_put(sum, "failed", dcbor_uint(n[TS_FAILED]), e) ||
		 (n[TS_SKIPPED] && dcbor_put(sum, "skipped", dcbor_uint(n[TS_SKIPPED]), e)) ||
		 (n[TS_ABORTED] && dcbor_put(sum, "aborted", dcbor_uint(n[TS_ABORTED]), e)) ||
		 (n[TS_DEVIATION] && dcbor_put(sum, "deviation", dcbor_uint(n[TS_DEVIATION]), e)) ||
		 (last_step && dcbor_put(sum, "last_step", dcbor_text(last_step), e)) ||
		 (reason && dcbor_put(sum, "reason", dcbor_text(reason), e));
	return append(w, TS_SEAL, body, rc, seq, e);
}
