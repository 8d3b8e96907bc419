#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "interp_int.h"
#include "signals.h"
#include "records.h"
#include "audit.h"
#include "dcbor.h"
#include "files.h"
#include "host.h"
#include "shamir.h"
#include "transcript.h"
#include "words.h"

const char *interp_runner_version(void)
{
	return "ceremony " CER_VERSION " (" CER_REVISION ")";
}

static bool is_common(const char *k)
{
	for (size_t i = 0; script_common_keys[i]; i++)
		if (!strcmp(script_common_keys[i], k))
			return true;
	return false;
}

/* YAML as written to a transcript value: plain decimal -> uint, plain true/false -> bool. */
static cbor_item_t *yaml_value(const struct ynode *n, struct err *e)
{
	cbor_item_t *v = NULL;
	if (n->kind == YN_SCALAR) {
		if (n->plain && (!strcmp(n->str, "true") || !strcmp(n->str, "false")))
			return dcbor_bool(n->str[0] == 't');
		if (n->plain && n->len > 0 && n->len < 20 && strspn(n->str, "0123456789") == n->len &&
		    (n->str[0] != '0' || n->len == 1))
			return dcbor_uint(strtoull(n->str, NULL, 10));
		return dcbor_text(n->str);
	}
	v = n->kind == YN_MAP ? dcbor_map() : dcbor_array();
	if (!v)
		return NULL;
	for (size_t i = 0; i < n->n; i++) {
		cbor_item_t *c = yaml_value(n->vals[i], e);
		if (!c || (n->kind == YN_MAP ? dcbor_put(v, n->keys[i]->str, c, e) : dcbor_push(v, c, e))) {
			cbor_decref(&v);
			return NULL;
		}
	}
	return v;
}

static cbor_item_t *step_params(struct interp *in, const struct step *s, struct err *e)
{
	cbor_item_t *p = dcbor_map();
	if (!p)
		goto oom;
	for (size_t i = 0; i < s->node->n; i++) {
		const char *k = s->node->keys[i]->str;
		if (is_common(k))
			continue;
		cbor_item_t *v = yaml_value(s->node->vals[i], e);
		if (!v || dcbor_put(p, k, v, e))
			goto oom;
	}
	if (s->token) {
		struct tokstate *t = interp_tokstate(in, s->token);
		if (t && dcbor_put(p, "token_label", dcbor_text(t->decl->label), e))
			goto oom;
	}
	/* An activation run again after a resume, out of the script's order: said in its
	 * record, so that a later resume does not take it for where the ceremony stood. */
	if (in->reactivating && dcbor_put(p, "again_after_resume", dcbor_bool(true), e))
		goto oom;
	return p;
oom:
	if (p)
		cbor_decref(&p);
	err_set(e, ERR_NOMEM, "out of memory");
	return NULL;
}

static int begin_record(struct interp *in, const struct step *s, uint64_t *seq, struct err *e)
{
	cbor_item_t *params = step_params(in, s, e);
	if (!params)
		return -1;
	struct rec_begin b = {.step_id = s->id, .index = s->index, .type = s->type->name, .params = params,
			      .role = s->performed_by};
	int rc = rec_append_begin(in->w, &b, seq, e);
	cbor_decref(&params);
	return rc;
}

/* Runs one attempt of a step: begin record, act, expectations, Actual, confirmations,
 * sign-offs, result record. *outcome is the step's; the return value is -1 only when
 * the transcript could not be written (the ceremony must stop). */
static int run_attempt(struct interp *in, struct step_run *r, enum ts_outcome *outcome, struct err *e)
{
	const struct step *s = r->step;
	struct err se = {.kind = ERR_NONE};
	bool held = true, failed = false;
	uint64_t begin_seq;
	uint8_t begin_hash[32];

	if (rec_result_init(&r->res, e))
		return -1;
	/* A resume settled what this step's interrupted attempt left: its result says how. */
	if (in->settled == s && in->resume_note[0]) {
		char note[ERR_MSG_MAX + 64];
		snprintf(note, sizeof note, "after the resume: %s", in->resume_note);
		if (rec_note(&r->res, note, e))
			return -1;
	}
	for (size_t k = 0; in->settled == s && k < in->n_settle_attempts; k++) {
		const struct settle_attempt *a = &in->settle_attempts[k];
		if (rec_attempt(&r->res, a->role, a->question, a->wrong, a->time_ms, e))
			return -1;
	}
	in->n_settle_attempts = 0;
	in->settled = NULL;
	in->step_runs[s->index]++;
	if (begin_record(in, s, &begin_seq, e))
		return -1;
	ts_writer_head(in->w, begin_hash);   /* SHA-256 of the step-begin record: signed sign-offs cover it */
	interp_forget_attendance(in, s->id);
	if (s->type->execute(r, &se) || interp_take_records(in, r, &se)) {
		failed = true;
	} else {
		if (interp_evaluate_expect(r, &held, &se))
			failed = true;
	}
	interp_show_actual(in, r);
	if (failed)
		prompt_show(in->o->prompt, PROMPT_WARN, "step '%s' failed: %s", s->id, se.msg);
	else if (!held)
		prompt_show(in->o->prompt, PROMPT_WARN, "step '%s': the Actual does not match the Expected", s->id);
	if (!failed && held) {
		if (interp_take_confirmations(in, r, &se) ||
		    (!r->res.n_refusals && interp_take_signoffs(in, r, begin_seq, begin_hash, &se))) {
			failed = true;
			prompt_show(in->o->prompt, PROMPT_WARN, "step '%s' failed: %s", s->id, se.msg);
		}
	}
	if (!failed && !held)
		err_set(&se, ERR_EXPECTATION, "the Actual of step '%s' does not match the Expected", s->id);
	if (!failed && held && r->res.n_refusals) {
		/* A refusal: a deviation the script allows for (recorded, the ceremony goes on),
		 * else a failure, and on_fail applies. */
		const struct rec_refusal *f = &r->res.refusals[0];
		char note[ERR_MSG_MAX];
		if (s->refusal_is_deviation) {
			snprintf(note, sizeof note,
				 "deviation: %s (%s) refused: %s; the script records a refusal of this step as a deviation",
				 f->name, f->role, f->reason);
			prompt_show(in->o->prompt, PROMPT_WARN, "step '%s': %s", s->id, note);
			if (rec_note(&r->res, note, e))
				return -1;
			*outcome = TS_DEVIATION;
			return rec_append_result(in->w, s->id, begin_seq, *outcome, &r->res, NULL, e);
		}
		err_set(&se, ERR_REFUSED, "%s (%s) refused step '%s': %s", f->name, f->role, s->id, f->reason);
		prompt_show(in->o->prompt, PROMPT_WARN, "step '%s' failed: %s", s->id, se.msg);
		failed = true;
	}
	*outcome = (!failed && held) ? TS_PASSED : in->o->prompt->aborting ? TS_ABORTED : TS_FAILED;
	return rec_append_result(in->w, s->id, begin_seq, *outcome, &r->res, *outcome == TS_PASSED ? NULL : &se, e);
}

static size_t step_index(const struct ceremony *c, const char *id)
{
	const struct step *s = script_step(c, id);
	return s ? s->index : c->n_steps;
}

static int host_facts(const struct interp_opts *o, cbor_item_t **out, struct err *e)
{
	cbor_item_t *h = dcbor_map();
	struct utsname u;
	char name[256] = "";
	if (!h)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (gethostname(name, sizeof name - 1) == 0 && dcbor_put(h, "hostname", dcbor_text(name), e))
		goto fail;
	if (uname(&u) == 0 && (dcbor_put(h, "kernel", dcbor_text(u.release), e) ||
			       dcbor_put(h, "machine", dcbor_text(u.machine), e)))
		goto fail;
	char os[256];
	host_os(os, sizeof os);
	if (dcbor_put(h, "os", dcbor_text(os), e))
		goto fail;
	if (dcbor_put(h, "openssl", dcbor_text(OpenSSL_version(OPENSSL_VERSION)), e))
		goto fail;
	/* An auditor must see whether people answered in the room or a file did. */
	char prompts[1024];
	snprintf(prompts, sizeof prompts, "%s%s", o->answers_path ? "answers file " : "terminal",
		 o->answers_path ? o->answers_path : "");
	if (dcbor_put(h, "prompts", dcbor_text(prompts), e) ||
	    (o->module_path && dcbor_put(h, "pkcs11_module", dcbor_text(o->module_path), e)))
		goto fail;
	*out = h;
	return 0;
fail:
	cbor_decref(&h);
	return -1;
}

void interp_cleanup(struct interp *in)
{
	for (size_t i = 0; i < in->n_toks; i++) {
		tok_close(in->toks[i].sess);
		secret_free(in->toks[i].asked_pin);
		secret_free(in->toks[i].so_pin);
	}
	for (size_t i = 0; i < in->n_splits; i++) {
		for (size_t k = 0; k < in->splits[i].pub.count; k++)
			free(in->splits[i].holders[k]);
		free(in->splits[i].holders);
		shamir_shares_free(in->splits[i].shares, in->splits[i].pub.count);
	}
	free(in->splits);
	free(in->toks);
	for (size_t i = 0; i < in->n_secrets; i++) {
		secret_free(in->secrets[i].s);
		free(in->secrets[i].name);
	}
	free(in->secrets);
	free(in->step_runs);
	for (size_t i = 0; i < in->n_people; i++)
		free(in->people[i].name);
	free(in->people);
	for (size_t i = 0; i < in->n_arts; i++) {
		free(in->arts[i].name);
		free(in->arts[i].data);
	}
	free(in->arts);
	/* A token audit key no transcript names (the file could not be opened) is of no
	 * use to anyone: remove it. One that signed an unsealed transcript stays for a
	 * resume; a sealed transcript's was destroyed at the seal. */
	if (in->audit && !in->w && !in->audit_named) {
		struct err ignored;
		if (audit_key_destroy(in->audit, &ignored))
			prompt_show(in->o->prompt, PROMPT_WARN, "%s: remove it from the token by hand", ignored.msg);
	}
	ts_writer_close(in->w);
	/* The audit key is wiped once the seal is written: nobody can sign this transcript again. */
	audit_key_free(in->audit);
}

static int seal(struct interp *in, int status, const char *last_step, const char *reason, struct err *e)
{
	uint64_t seq;
	uint8_t head[32], before[32];
	ts_writer_head(in->w, before);
	if (rec_append_seal(in->w, (enum ts_seal_status)status, last_step, reason, &seq, e))
		return -1;
	ts_writer_head(in->w, head);
	static const char *const names[] = {"completed", "aborted", "halted"};
	prompt_show(in->o->prompt, PROMPT_HEADING, "Transcript sealed: %s", names[status]);
	/* The anchor pins every record up to the seal; the seal itself is signed by an
	 * audit key that is wiped now, so nobody can write another one. */
	interp_show_anchor(in, "seal for the paper log", seq, before);
	char hex[100];
	prompt_show(in->o->prompt, PROMPT_PLAIN, "head of the file (SHA-256 of the seal record): %s",
		    words_hex(head, 32, hex, sizeof hex));
	if (audit_in_token(in->audit)) {
		struct err de;
		/* The transcript is sealed whatever happens here; a key left behind could sign
		 * another seal, so say so loudly. */
		if (audit_key_destroy(in->audit, &de))
			prompt_show(in->o->prompt, PROMPT_WARN, "%s: remove it from the token by hand now", de.msg);
		else
			prompt_show(in->o->prompt, PROMPT_PLAIN, "the audit key was destroyed in its token (%s)",
				    audit_where(in->audit));
	}
	return 0;
}

/* The audit key: in memory, or made in the script's audit token (audit.h), logged in
 * with the binding's PIN or one typed now without echo. A resume passes the URI
 * genesis recorded for a token key (find_uri), to go on with that same key. */
int interp_open_audit(struct interp *in, const char *find_uri, struct err *e)
{
	const struct ceremony *c = in->c;
	struct tokstate *t = c->audit_token ? interp_tokstate(in, c->audit_token) : NULL;
	struct secret *asked = NULL;
	const struct secret *pin;
	int rc;
	if (!c->audit_token)
		return audit_key_memory(&in->audit, e);
	if (!t || !in->o->module)
		return err_set(e, ERR_TOKEN, "the audit token '%s' is not bound to a slot", c->audit_token);
	pin = t->b->user_pin;
	if (!pin) {
		struct prompt_q q = {.step = SCRIPT_GENESIS, .role = c->audit_role, .key = "pin",
				     .text = "user PIN of the audit key's token (not echoed)"};
		if (!(asked = secret_new(256, e)) || prompt_ask_secret(in->o->prompt, &q, asked, e)) {
			secret_free(asked);
			return -1;
		}
		pin = asked;
	}
	rc = find_uri ? audit_key_token_find(in->o->module, t->b->slot, find_uri, pin, &in->audit, e)
		      : audit_key_token(in->o->module, t->b->slot, t->decl->label, pin, &in->audit, e);
	secret_free(asked);
	return rc;
}

int interp_check_out(const char *out_dir, struct err *e)
{
	char path[PATH_MAX];
	struct stat st;
	if (snprintf(path, sizeof path, "%s/transcript.cts", out_dir) >= (int)sizeof path)
		return err_set(e, ERR_IO, "output path too long: '%s'", out_dir);
	/* An empty one is what a kill before genesis leaves: set aside when the run starts. */
	if (stat(path, &st) == 0 && !(S_ISREG(st.st_mode) && st.st_size == 0))
		return err_set(e, ERR_IO, "'%s' exists already: choose a new --out folder (transcripts are never overwritten), or "
				      "finish an interrupted one with `ceremony resume %s`",
			       path, path);
	if (stat(out_dir, &st) == 0 && (!S_ISDIR(st.st_mode) || access(out_dir, W_OK | X_OK) != 0))
		return err_set(e, ERR_IO, "'%s' is not a folder this program can write to", out_dir);
	return 0;
}

/* What every run needs before its first record: the tokens bound, the preflight
 * passed, the output folders made. path receives the transcript's path. */
int interp_open(struct interp *in, const struct ceremony *c, const struct interp_opts *o, char *path, size_t cap,
		struct err *e)
{
	in->c = c;
	in->o = o;
	if (snprintf(path, cap, "%s/transcript.cts", o->out_dir) >= (int)cap ||
	    snprintf(in->art_dir, sizeof in->art_dir, "%s/artifacts", o->out_dir) >= (int)sizeof in->art_dir)
		return err_set(e, ERR_IO, "output path too long: '%s'", o->out_dir);
	in->toks = calloc(c->n_tokens ? c->n_tokens : 1, sizeof *in->toks);
	in->step_runs = calloc(c->n_steps ? c->n_steps : 1, sizeof *in->step_runs);
	if (!in->toks || !in->step_runs)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < c->n_tokens; i++) {
		in->toks[in->n_toks].decl = &c->tokens[i];
		for (size_t j = 0; j < o->n_bindings; j++)
			if (!strcmp(o->bindings[j].name, c->tokens[i].name))
				in->toks[in->n_toks].b = &o->bindings[j];
		if (!in->toks[in->n_toks].b)
			return err_set(e, ERR_BINDING, "token '%s' of the script is not bound to a slot", c->tokens[i].name);
		in->n_toks++;
	}
	/* The files the script names were read when it loaded: steps take them as artifacts. */
	for (size_t i = 0; i < c->inputs->n; i++) {
		const struct script_input *f = c->inputs->v[i];
		if (!f->data)
			continue;   /* an import that did not verify: the run halts before any step uses it */
		if (interp_keep_artifact(in, &f->step, f->kind, f->data, f->len, NULL, e))
			return -1;
		in->arts[in->n_arts - 1].outside = true;
	}
	return interp_preflight(in, e) || files_mkdirs(o->out_dir, e) || files_mkdirs(in->art_dir, e) ? -1 : 0;
}

static int input_fact(cbor_item_t *a, const char *name, const uint8_t sha256[32], size_t len, struct err *e)
{
	cbor_item_t *m = dcbor_map();
	if (!m)
		return err_set(e, ERR_NOMEM, "out of memory");
	return dcbor_put_u(m, 0, dcbor_text(name), e) || dcbor_put_u(m, 1, dcbor_bytes(sha256, 32), e) ||
			       dcbor_put_u(m, 2, dcbor_uint(len), e) || dcbor_push(a, m, e)
		       ? -1
		       : 0;
}

/* genesis 9: each file the script names, as read (name as written, SHA-256, size):
 * the certificates and requests, then the transcripts it imports. What an imported
 * transcript recorded is in that file, not an input of its own. */
static int input_facts(const struct ceremony *c, cbor_item_t **out, struct err *e)
{
	cbor_item_t *a = NULL;
	*out = NULL;
	if (!c->inputs->n && !c->imports->n)
		return 0;
	if (!(a = dcbor_array()))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < c->inputs->n; i++) {
		const struct script_input *f = c->inputs->v[i];
		if (!f->imported && input_fact(a, f->name, f->sha256, f->file_len, e))
			goto fail;
	}
	for (size_t i = 0; i < c->imports->n; i++) {
		const struct script_import *m = c->imports->v[i];
		if (input_fact(a, m->name, m->sha256, m->len, e))
			goto fail;
	}
	if (cbor_array_size(a) == 0) {
		cbor_decref(&a);
		return 0;
	}
	*out = a;
	return 0;
fail:
	cbor_decref(&a);
	return -1;
}

/* Where the ceremony goes after step s ended with outcome (attempt of attempts):
 * to step *i, attempt *attempt, returning true; or to its end, returning false with
 * end->final and end->reason set. The one place the control flow is decided, for a
 * run and for a resume reading it back from the records. */
bool interp_step_after(const struct interp *in, const struct step *s, enum ts_outcome outcome, unsigned attempt,
		       const char *next, bool halt, size_t *i, unsigned *next_attempt, struct run_end *end)
{
	const struct ceremony *c = in->c;
	unsigned attempts = 1 + (s->on_fail == ON_FAIL_RETRY ? s->retries : 0);
	*next_attempt = 1;
	end->last_step = s->id;
	if (outcome == TS_ABORTED) {
		/* No retry, no decision: the room asked to stop. */
		snprintf(end->reason, sizeof end->reason, "aborted in step '%s': %s", s->id,
			 in->o->prompt->abort_why[0] ? in->o->prompt->abort_why : "the room asked to stop");
		end->final = 1;
		return false;
	}
	if (outcome != TS_PASSED && outcome != TS_DEVIATION && outcome != TS_SKIPPED) {
		if (attempt < attempts) {
			*i = s->index;
			*next_attempt = attempt + 1;
			return true;
		}
		if (s->on_fail == ON_FAIL_DECISION) {
			*i = step_index(c, s->on_fail_decision);
			return true;
		}
		snprintf(end->reason, sizeof end->reason, "step '%s' failed", s->id);
		end->final = 1;
		return false;
	}
	if (halt) {
		end->final = 2;
		return false;
	}
	if (next) {
		*i = step_index(c, next);
	} else {
		/* In order, a step reached only by a failure is passed over. */
		for (*i = s->index + 1; *i < c->n_steps && c->steps[*i].only_on_fail; (*i)++)
			if (!in->rebuilding)
				prompt_show(in->o->prompt, PROMPT_PLAIN, "step '%s' runs only when a step fails: passed over",
				    c->steps[*i].id);
	}
	if (*i >= c->n_steps) {
		end->final = 0;
		return false;
	}
	return true;
}

/* Runs step r->step from attempt `attempt` until it passes, deviates, is aborted or
 * its attempts are used up; r keeps the last attempt's decision. -1 only when the
 * transcript cannot be written. */
static int run_step(struct interp *in, struct step_run *r, unsigned attempt, enum ts_outcome *outcome, struct err *e)
{
	const struct step *s = r->step;
	const struct ceremony *c = in->c;
	struct prompt *p = in->o->prompt;
	unsigned attempts = 1 + (s->on_fail == ON_FAIL_RETRY ? s->retries : 0);
	for (r->attempt = attempt; r->attempt <= attempts; r->attempt++) {
		prompt_show(p, PROMPT_HEADING, "Step %zu of %zu: %s - %s%s", s->index + 1, c->n_steps, s->id, s->title,
			    r->attempt > 1 ? " (again)" : "");
		if (s->say)
			prompt_show(p, PROMPT_SAY, "%s", s->say);
		if (s->performed_by)
			prompt_show(p, PROMPT_PLAIN, "performed by: %s", s->performed_by);
		rec_result_free(&r->res);
		r->next = NULL;
		r->halt = false;
		int rc = run_attempt(in, r, outcome, e);
		/* Whatever a resume's operator kept for this step was taken on or not: once. */
		in->adopt = NULL;
		if (rc) {
			rec_result_free(&r->res);
			return -1;
		}
		if (*outcome == TS_PASSED) {
			prompt_step_passed(p, s->id);
			break;
		}
		if (*outcome == TS_DEVIATION || *outcome == TS_ABORTED)
			break;
		if (r->attempt < attempts)
			prompt_show(p, PROMPT_WARN, "retrying step '%s' (%u of %u attempts used)", s->id, r->attempt, attempts);
	}
	return 0;
}

int interp_run_step(struct interp *in, const struct step *s, enum ts_outcome *outcome, struct err *e)
{
	struct step_run r = {.in = in, .cer = in->c, .step = s};
	in->runs++;
	int rc = run_step(in, &r, 1, outcome, e);
	rec_result_free(&r.res);
	return rc;
}

/* Runs the ceremony from step i, attempt `attempt`, to its end (end->final, reason
 * and last_step). -1 only when the transcript cannot be written (fail closed). */
int interp_run_steps(struct interp *in, size_t i, unsigned attempt, struct run_end *end, struct err *e)
{
	const struct ceremony *c = in->c;
	struct prompt *p = in->o->prompt;
	end->final = 0;
	end->reason[0] = 0;
	while (i < c->n_steps) {
		const struct step *s = &c->steps[i];
		struct step_run r = {.in = in, .cer = c, .step = s};
		enum ts_outcome outcome = TS_FAILED;
		unsigned attempts = 1 + (s->on_fail == ON_FAIL_RETRY ? s->retries : 0);
		if (++in->runs > MAX_STEP_RUNS) {
			snprintf(end->reason, sizeof end->reason, "more than %d steps run: the script's decisions loop",
				 MAX_STEP_RUNS);
			prompt_show(p, PROMPT_WARN, "%s", end->reason);
			end->final = 1;
			return 0;
		}
		const char *why = prompt_interrupted(p);
		if (why) {
			snprintf(end->reason, sizeof end->reason, "aborted before step '%s': %s", s->id, why);
			prompt_show(p, PROMPT_WARN, "%s", end->reason);
			end->final = 1;
			return 0;
		}
		end->last_step = s->id;
		if (run_step(in, &r, attempt, &outcome, e))
			return -1; /* the transcript cannot be written: fail closed, no seal */
		const char *next = r.next;
		bool halt = r.halt;
		rec_result_free(&r.res);
		/* The attempts are used up (or the step passed): no retry from here. */
		if (!interp_step_after(in, s, outcome, attempts, next, halt, &i, &attempt, end)) {
			if (outcome == TS_ABORTED)
				prompt_show(p, PROMPT_WARN, "%s", end->reason);
			return 0;
		}
	}
	end->final = 0;
	return 0;
}

void interp_say_resumable(struct interp *in, const char *path)
{
	prompt_show(in->o->prompt, PROMPT_WARN,
		    "the ceremony stopped with its transcript unsealed: every record written is durable, and no step "
		    "acted without its step-begin record. Once the cause is fixed (a full disk, a dead medium), "
		    "finish it with: ceremony resume %s%s",
		    path, in->o->rehearsal ? "" : " --bind FILE");
}

int interp_seal(struct interp *in, const struct run_end *end, int *status, struct err *e)
{
	if (seal(in, end->final, end->last_step, end->reason[0] ? end->reason : NULL, e))
		return -1;
	*status = end->final;
	return 0;
}

int interp_run(const struct ceremony *c, const struct interp_opts *o, int *status, struct err *e)
{
	struct interp in = {0};
	struct run_end end = {0};
	char path[PATH_MAX];
	cbor_item_t *host = NULL, *tokens = NULL, *inputs = NULL;
	int rc = -1;
	*status = 1;
	/* From here Ctrl-C, SIGTERM and SIGHUP seal the transcript aborted (signals.h). */
	signals_install();

	if (interp_check_out(o->out_dir, e) || interp_open(&in, c, o, path, sizeof path, e))
		goto out;
	if (interp_open_audit(&in, NULL, e) || host_facts(o, &host, e) || interp_token_facts(&in, &tokens, e) ||
	    input_facts(c, &inputs, e))
		goto out;
	/* The earlier ceremony this one builds on: the head of its last import, verified. */
	const struct script_import *continued = script_import_continued(c);
	struct ts_genesis g = {
		.title = c->title,
		.script = c->doc->bytes,
		.script_len = c->doc->len,
		.rehearsal = o->rehearsal,
		.runner = interp_runner_version(),
		.signer_where = audit_where(in.audit),
		.host = host,
		.tokens = tokens,
		.inputs = inputs,
		.continues = continued && continued->usable ? continued->report->head : NULL,
	};
	/* A transcript killed before its genesis was written is empty: nothing of a
	 * ceremony happened, and it is moved aside (never deleted) for this one. */
	if (files_set_aside_empty(path, e) || ts_writer_open(path, audit_signer(in.audit), &g, &in.w, e))
		goto out;

	struct prompt *p = o->prompt;
	prompt_show(p, PROMPT_HEADING, "%s%s", c->title, o->rehearsal ? " (REHEARSAL)" : "");
	prompt_show(p, PROMPT_PLAIN, "transcript: %s", path);
	interp_show_kid(&in, "audit key id", audit_signer(in.audit)->kid);
	if (audit_in_token(in.audit))
		prompt_show(p, PROMPT_PLAIN, "audit key in the token: %s", audit_where(in.audit));

	if (interp_run_steps(&in, 0, 1, &end, e) || interp_seal(&in, &end, status, e))
		goto out;
	rc = 0;
out:
	if (rc && in.w) {
		interp_say_resumable(&in, path);
		*status = INTERP_UNSEALED;
	}
	if (host)
		cbor_decref(&host);
	if (tokens)
		cbor_decref(&tokens);
	if (inputs)
		cbor_decref(&inputs);
	interp_cleanup(&in);
	return rc;
}
