/* interp_resume: going on with an interrupted ceremony (`ceremony resume`;
 * TRANSCRIPT.md "resume").
 *
 * The records are the state: who attended, what was made (artifacts are embedded),
 * which steps ran and how they ended, where the script goes next (the same
 * interp_step_after a run uses). What only the crashed process held is gone — its
 * token sessions, a value kept in memory; a rehearsal's keepsafe (keepsafe.h)
 * brings back what its room would still hold. The step left open (begun, no
 * result) may have acted: its type's `interrupted` hook settles what it left with
 * the administrator, or the administrator decides whether it runs again. Nothing
 * is written before the administrator and the witness have signed the resume off:
 * then the torn tail is moved to its side file, and the resume record is written,
 * signed by the audit key that lives in a token or by a new one shown for the paper
 * log. Tokens an activation had logged in are activated again, the open step is
 * settled, and the ceremony goes on to its seal. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp_int.h"
#include "audit.h"
#include "dcbor.h"
#include "files.h"
#include "hash.h"
#include "keepsafe.h"
#include "records.h"
#include "signals.h"
#include "words.h"

/* Where the records say the ceremony is. */
struct rebuild {
	struct interp *in;
	size_t i;                    /* next step, when !ended */
	unsigned attempt;
	bool ended;                  /* the last result ended it: only the seal is missing */
	struct run_end end;
	const struct step *open;     /* begun with no result */
	uint64_t open_seq;
	unsigned open_attempt;
	const struct step *again;    /* an activation an earlier resume ran again, begun */
};

static int take_artifacts(struct interp *in, const struct step *s, const cbor_item_t *arts, struct err *e)
{
	for (size_t k = 0; arts && k < cbor_array_size(arts); k++) {
		const cbor_item_t *a = cbor_array_handle(arts)[k], *name = dcbor_get_u(a, 0), *content = dcbor_get_u(a, 4);
		if (!content)
			continue;   /* recorded by hash only: nothing a later step can read */
		char *nm = dcbor_strdup(name);
		int rc = !nm ? err_set(e, ERR_NOMEM, "out of memory")
			     : interp_keep_artifact(in, s, nm, cbor_bytestring_handle(content),
						    cbor_bytestring_length(content), NULL, e);
		free(nm);
		if (rc)
			return -1;
	}
	return 0;
}

static int take_attendance(struct interp *in, const struct step *s, const cbor_item_t *outputs, struct err *e)
{
	const cbor_item_t *people = dcbor_get(outputs, "participants");
	interp_forget_attendance(in, s->id);
	for (size_t k = 0; people && cbor_isa_array(people) && k < cbor_array_size(people); k++) {
		const cbor_item_t *p = cbor_array_handle(people)[k];
		char *name = dcbor_strdup(dcbor_get(p, "name")), *role = dcbor_strdup(dcbor_get(p, "role"));
		int rc = !name || !role ? err_set(e, ERR_TRANSCRIPT, "step '%s': a participant without name or role", s->id)
					: interp_add_person(in, name, role, s->id, e);
		free(name);
		free(role);
		if (rc)
			return -1;
	}
	return 0;
}

static int take_entry(void *ctx, uint64_t seq, enum ts_kind kind, const cbor_item_t *body, struct err *e)
{
	struct rebuild *rb = ctx;
	struct interp *in = rb->in;
	if (kind != TS_STEP_BEGIN && kind != TS_STEP_RESULT)
		return 0;   /* genesis, checkpoints, earlier resumes: nothing to take back */
	char *id = dcbor_strdup(dcbor_get_u(body, 0));
	const struct step *s = id ? script_step(in->c, id) : NULL;
	if (!s) {
		err_set(e, ERR_TRANSCRIPT, "record %" PRIu64 " names step '%s', which the transcript's script does not have",
			seq, id ? id : "?");
		free(id);
		return -1;
	}
	free(id);
	const cbor_item_t *params = kind == TS_STEP_BEGIN ? dcbor_get_u(body, 3) : NULL;
	const cbor_item_t *again = params ? dcbor_get(params, "again_after_resume") : NULL;
	if (kind == TS_STEP_BEGIN && again && cbor_is_bool(again) && cbor_get_bool(again)) {
		/* Out of the script's order: it logs a token in, and changes nothing of where
		 * the ceremony stood (the open step stays open). */
		in->step_runs[s->index]++;
		rb->again = s;
		return 0;
	}
	if (kind == TS_STEP_RESULT && rb->again == s) {
		uint64_t o = 1;
		(void)dcbor_as_u64(dcbor_get_u(body, 2), &o);
		struct tokstate *tt = s->token ? interp_tokstate(in, s->token) : NULL;
		if (tt && (o == TS_PASSED || o == TS_DEVIATION))
			tt->activated_by = s;
		rb->again = NULL;
		return 0;
	}
	rb->again = NULL;
	if (kind == TS_STEP_BEGIN) {
		in->step_runs[s->index]++;
		in->runs++;
		rb->open = s;
		rb->open_seq = seq;
		rb->open_attempt = !rb->ended && rb->i == s->index ? rb->attempt : 1;
		rb->end.last_step = s->id;
		return 0;
	}
	uint64_t outcome = 0;
	(void)dcbor_as_u64(dcbor_get_u(body, 2), &outcome);
	const cbor_item_t *outputs = dcbor_get_u(body, 3), *decision = dcbor_get_u(body, 7);
	bool good = outcome == TS_PASSED || outcome == TS_DEVIATION;
	if (take_artifacts(in, s, dcbor_get_u(body, 6), e))
		return -1;
	if (good && step_is(s, STEP_RECORDS_ATTENDANCE) && take_attendance(in, s, outputs, e))
		return -1;
	struct tokstate *t = s->token ? interp_tokstate(in, s->token) : NULL;
	if (good && t && step_is(s, STEP_INITS_TOKEN)) {
		t->initialised = true;
		t->activated_by = NULL;
	}
	if (good && t && step_is(s, STEP_ACTIVATES_TOKEN))
		t->activated_by = s;
	/* The security officer logged in there (PKCS#11: one user type at a time), which
	 * ended the custodians' session: the script activates the token again itself. */
	if (t && step_is(s, STEP_LOGS_IN_SO))
		t->activated_by = NULL;
	char *next = decision ? dcbor_strdup(dcbor_get_u(decision, 2)) : NULL;
	const struct step *to = next ? script_step(in->c, next) : NULL;
	free(next);
	rb->ended = !interp_step_after(in, s, (enum ts_outcome)outcome, rb->open_attempt, to ? to->id : NULL,
				       decision && !to, &rb->i, &rb->attempt, &rb->end);
	rb->open = NULL;
	return 0;
}

/* --- what a rehearsal's keepsafe brings back --------------------------------- */

struct taken_shares {
	struct interp *in;
	const struct step *step;
	struct shamir_share shares[SHAMIR_MAX_SHARES];
	char *holders[SHAMIR_MAX_SHARES];
	size_t n;
};

static void shares_clear(struct taken_shares *ts)
{
	for (size_t i = 0; i < ts->n; i++) {
		shamir_share_clear(&ts->shares[i]);
		free(ts->holders[i]);
	}
	ts->n = 0;
	ts->step = NULL;
}

/* The shares of one split come in a row (custody.c writes them so): a run of them
 * ends at the first entry of another kind or step. */
static int shares_flush(struct taken_shares *ts, struct err *e)
{
	if (!ts->step || !ts->n)
		return 0;
	struct shamir_share *sh = calloc(ts->n, sizeof *sh);
	if (!sh) {
		shares_clear(ts);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	memcpy(sh, ts->shares, ts->n * sizeof *sh);
	memset(ts->shares, 0, sizeof ts->shares);   /* moved, not copied: sh owns them now */
	int rc = interp_keep_split(ts->in, ts->step, sh, ts->n, (const char *const *)ts->holders, false, e);
	for (size_t i = 0; i < ts->n; i++)
		free(ts->holders[i]);
	ts->n = 0;
	ts->step = NULL;
	return rc;
}

static int take_kept(void *ctx, const char *kind, const char *step, const char *name, const struct secret *data,
		     struct err *e)
{
	struct taken_shares *ts = ctx;
	struct interp *in = ts->in;
	const struct step *s = script_step(in->c, step);
	bool share = !strcmp(kind, KEEPSAFE_SHARE);
	if (!share || s != ts->step || (ts->n && ts->shares[ts->n - 1].index >= strtoul(name, NULL, 10))) {
		if (shares_flush(ts, e))
			return -1;
	}
	if (share && !s)   /* handed out at an earlier ceremony (rehearse --after): typed back from memory */
		return prompt_remember_share(in->o->prompt, step, (unsigned)strtoul(name, NULL, 10), data, e);
	if (!strcmp(kind, KEEPSAFE_PIN) || !s)
		return 0;   /* PINs are the binding's (cmd_resume) */
	if (!strcmp(kind, KEEPSAFE_SECRET)) {
		struct secret *copy = secret_new(data->len + 1, e);
		if (!copy || secret_set(copy, data->p, data->len, e)) {
			secret_free(copy);
			return -1;
		}
		/* Already in the keepsafe: not written again. */
		return interp_keep_secret(in, s, name, copy, false, e);
	}
	if (!share || ts->n >= SHAMIR_MAX_SHARES)
		return 0;
	const char *colon = strchr(name, ':');
	if (shamir_share_parse((const char *)data->p, data->len, &ts->shares[ts->n], e))
		return err_wrap(e, "the rehearsal's keepsafe, share %s of step '%s'", name, step);
	ts->holders[ts->n] = colon ? strdup(colon + 1) : NULL;
	ts->step = s;
	ts->n++;
	return 0;
}

static int take_keepsafe(struct interp *in, const char *path, struct err *e)
{
	struct taken_shares ts = {.in = in};
	int rc = keepsafe_load(path, take_kept, &ts, e) || shares_flush(&ts, e) ? -1 : 0;
	shares_clear(&ts);
	return rc;
}

/* --- the open step ---------------------------------------------------------- */

const char *step_resume_role(const struct step_run *r)
{
	const struct ceremony *c = r->in->c;
	return script_role(c, "administrator") ? "administrator" : c->roles[0].name;
}

int step_leftovers(struct step_run *r, const char *token, const char *const *labels, size_t n, struct err *e)
{
	static const char *const choices[] = {"destroy", "stop", NULL};
	enum { MAX = 16 };
	struct tok_session *s;
	CK_OBJECT_HANDLE h[MAX];
	size_t found = 0, k = 0;
	char list[512] = "", q[768];
	if (step_session_on(r, token, &s, e))
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t got = 0;
		if (tok_find(s, (CK_OBJECT_CLASS)-1, labels[i], h + found, MAX - found, &got, e))
			return -1;
		if (got)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s'%s'", list[0] ? ", " : "", labels[i]);
		found += got;
	}
	if (!found) {
		step_resume_said(r, "nothing the interrupted attempt of step '%s' may have made is on token '%s'", r->step->id,
				 token);
		return 0;
	}
	step_warn(r, "on token '%s': %s, left by the interrupted attempt of step '%s'", token, list, r->step->id);
	snprintf(q, sizeof q, "destroy %s on token '%s' so that step '%s' runs again on a clean token, or stop (the "
			      "transcript stays unsealed, to be resumed again)?", list, token, r->step->id);
	if (step_choose(r, step_resume_role(r), "open_objects", q, choices, &k, e))
		return -1;
	if (k == 1)
		return err_set(e, ERR_ABORTED, "the resume was stopped: %s stay on token '%s'; the transcript stays "
					     "unsealed, to be resumed again", list, token);
	for (size_t i = 0; i < found; i++)
		if (tok_destroy(s, h[i], e))
			return err_wrap(e, "destroying what step '%s' left on token '%s'", r->step->id, token);
	step_resume_said(r, "%s on token '%s', left by the interrupted attempt of step '%s', destroyed (%zu objects)", list,
			 token, r->step->id, found);
	return 0;
}

static int settle_open(struct interp *in, const struct rebuild *rb, bool *abort_it, struct err *e)
{
	const struct step *s = rb->open;
	struct step_run r = {.in = in, .cer = in->c, .step = s, .attempt = rb->open_attempt, .resuming = true};
	const char *role = step_resume_role(&r);
	int rc;
	*abort_it = false;
	prompt_show(in->o->prompt, PROMPT_WARN,
		    "step '%s' (%s) began at record %" PRIu64 " and has no result: it may have acted before the interruption",
		    s->id, s->type->name, rb->open_seq);
	if (rec_result_init(&r.res, e))
		return -1;
	if (s->type->interrupted) {
		rc = s->type->interrupted(&r, e);
	} else {
		static const char *const choices[] = {"again", "abort", NULL};
		size_t k = 0;
		char q[512];
		snprintf(q, sizeof q, "what step '%s' (%s) does may have happened in part: run it again from its start, or "
				      "abort the ceremony?", s->id, s->type->name);
		rc = step_choose(&r, role, "open_step", q, choices, &k, e);
		if (!rc && k == 1) {
			*abort_it = true;
			step_resume_said(&r, "the administrator chose not to run the interrupted step '%s' again", s->id);
		} else if (!rc) {
			step_resume_said(&r, "the interrupted step '%s' runs again", s->id);
		}
	}
	/* What was mistyped while settling goes into the rerun step's result (key 11),
	 * with the note of what was done (interp.c run_attempt). */
	for (size_t k = 0; !rc && k < r.res.n_attempts && in->n_settle_attempts < MAX_SETTLE_ATTEMPTS; k++) {
		const struct rec_attempt *a = &r.res.attempts[k];
		struct settle_attempt *sa = &in->settle_attempts[in->n_settle_attempts++];
		snprintf(sa->role, sizeof sa->role, "%s", a->role);
		snprintf(sa->question, sizeof sa->question, "%s", a->question);
		snprintf(sa->wrong, sizeof sa->wrong, "%s", a->wrong);
		sa->time_ms = a->time_ms;
	}
	rec_result_free(&r.res);
	return rc;
}

/* --- the resume record ------------------------------------------------------ */

static int write_resume(struct interp *in, const struct interp_resume_in *ri, const struct rebuild *rb, bool new_signer,
			struct err *e)
{
	const struct ceremony *c = in->c;
	const struct ts_report *rep = ri->report;
	struct step rs = {.id = SCRIPT_RESUME, .title = "resume"};
	struct step_run r = {.in = in, .cer = c, .step = &rs, .resuming = true};
	char reason[ERR_MSG_MAX * 2], what[ERR_MSG_MAX * 2 + 200];
	const char *roles[2];
	size_t n_roles = 0;
	uint8_t before[32];
	uint64_t seq;
	int ret = -1;

	char open[400] = "";
	if (rb->open)
		snprintf(open, sizeof open, "; step '%s' (%s) was open since record %" PRIu64 ": what it may have left is "
					    "settled next, and its result says how", rb->open->id, rb->open->type->name,
			 rb->open_seq);
	/* What the cut will move aside: the tail now, or what an earlier resume that
	 * stopped after its cut moved to the side file then. */
	size_t torn = ri->file_len - rep->whole_len, moved = 0;
	uint8_t torn_sha[32];
	char side[PATH_MAX + 32], earlier[PATH_MAX + 32];
	snprintf(earlier, sizeof earlier, "%s.torn-%zu", ri->path, rep->whole_len);
	uint8_t *old = NULL;
	size_t old_len = 0;
	struct err ignored;
	bool before_cut = !torn && files_read(earlier, SIZE_MAX / 2, &old, &old_len, &ignored) == 0;
	if (before_cut) {
		torn = old_len;
		hash_sha256(old, old_len, torn_sha);
		free(old);
	}
	snprintf(reason, sizeof reason, "resumed after an interruption: %" PRIu64 " whole records%s%zu%s%s", rep->records,
		 torn ? ", a torn tail of " : "", torn, torn ? " bytes moved to the side file" : "", open);
	if (!torn)
		snprintf(reason, sizeof reason, "resumed after an interruption: %" PRIu64 " whole records%s", rep->records, open);
	/* The administrator and the witness vouch for the interruption and what was
	 * settled (TRANSCRIPT.md resume); a script without those roles: its first role. */
	roles[n_roles++] = step_resume_role(&r);
	if (script_role(c, "witness") && strcmp(roles[0], "witness"))
		roles[n_roles++] = "witness";
	snprintf(what, sizeof what, "the ceremony was interrupted after record %" PRIu64 " and goes on from there (%s)",
		 rep->records - 1, reason);
	if (rec_result_init(&r.res, e) || interp_take_attested(in, &r, roles, n_roles, what, e))
		goto out;
	if (r.res.n_refusals) {
		const struct rec_refusal *f = &r.res.refusals[0];
		err_set(e, ERR_REFUSED, "%s (%s) refused to sign the resume off: %s; nothing was written, the transcript "
				      "stays as it was",
			f->name, f->role, f->reason);
		goto out;
	}
	/* Every check made and the resume signed off: only now is the file touched, its
	 * torn tail moved to the side file and the chain taken on. */
	if (!before_cut && ts_cut_torn(ri->path, rep->whole_len, &moved, torn_sha, side, sizeof side, e))
		goto out;
	if (moved)
		prompt_show(in->o->prompt, PROMPT_PLAIN, "the torn tail (%zu bytes after record %" PRIu64 ") was moved to %s",
			    moved, rep->records - 1, side);
	else if (before_cut)
		prompt_show(in->o->prompt, PROMPT_PLAIN, "the torn tail an earlier resume moved to %s (%zu bytes) is recorded",
			    earlier, torn);
	else
		hash_sha256(NULL, 0, torn_sha);
	struct cose_signer *sg = audit_signer(in->audit);
	if (ts_writer_reopen(ri->path, sg, rep, &in->w, e))
		goto out;
	ts_writer_head(in->w, before);
	struct rec_resume rr = {.last_good = rep->records - 1, .discarded = torn, .reason = reason,
				.new_signer = new_signer ? sg : NULL, .new_signer_where = audit_where(in->audit),
				.signoffs = r.res.signoffs, .n_signoffs = r.res.n_signoffs};
	memcpy(rr.discarded_sha256, torn_sha, 32);
	/* Shown before the record is written: a crash right after it must not leave the
	 * paper log without what vouches for the new signer. */
	seq = ts_writer_next_seq(in->w);
	prompt_show(in->o->prompt, PROMPT_HEADING, "Resuming at record %" PRIu64, seq);
	if (new_signer) {
		/* Nothing in the file can vouch for a new key: the paper log must (TRANSCRIPT.md). */
		prompt_show(in->o->prompt, PROMPT_WARN,
			    "a new audit key signs from here on: write its id and the head before the resume record on the "
			    "paper log; an auditor verifies the transcript with --kid or the anchor");
		interp_show_kid(in, "new audit key id", sg->kid);
	}
	interp_show_anchor(in, "resume for the paper log", seq, before);
	if (rec_append_resume(in->w, &rr, &seq, e))
		goto out;
	prompt_show(in->o->prompt, PROMPT_PLAIN, "resume record %" PRIu64 " written", seq);
	ret = 0;
out:
	rec_result_free(&r.res);
	return ret;
}

/* A token that an activation had logged in before the interruption is logged out
 * now (the process that held the session is gone): its custodians activate it again,
 * as that token.activate step run once more and recorded like any step, before the
 * ceremony goes on. A rehearsal's answers answer it again from the same file. */
static int activate_again(struct interp *in, struct run_end *end, bool *stop, struct err *e)
{
	*stop = false;
	for (size_t i = 0; i < in->n_toks; i++) {
		const struct step *s = in->toks[i].activated_by;
		enum ts_outcome outcome = TS_FAILED;
		if (!s || in->toks[i].logged_in)
			continue;
		prompt_show(in->o->prompt, PROMPT_WARN, "token '%s' was activated by step '%s' before the interruption: "
			    "its custodians activate it again", in->toks[i].decl->name, s->id);
		end->last_step = s->id;
		in->reactivating = true;
		int rc = interp_run_step(in, s, &outcome, e);
		in->reactivating = false;
		if (rc)
			return -1;
		if (outcome != TS_PASSED && outcome != TS_DEVIATION) {
			snprintf(end->reason, sizeof end->reason, "token '%s' was not activated again after the resume (step '%s')",
				 in->toks[i].decl->name, s->id);
			prompt_show(in->o->prompt, PROMPT_WARN, "%s", end->reason);
			end->final = 1;
			*stop = true;
			return 0;
		}
	}
	return 0;
}

int interp_resume(const struct ceremony *c, const struct interp_opts *o, const struct interp_resume_in *ri, int *status,
		  struct err *e)
{
	struct interp in = {0};
	struct rebuild rb = {.in = &in, .attempt = 1};
	struct run_end end = {0};
	char path[PATH_MAX];
	bool abort_it = false, in_token = strncmp(ri->signer_where, "pkcs11:", 7) == 0;
	int rc = -1;
	*status = INTERP_UNSEALED;
	signals_install();

	if (interp_open(&in, c, o, path, sizeof path, e))
		goto out;
	in.rebuilding = true;
	if (ts_each_entry(ri->data, ri->len, take_entry, &rb, e))
		goto out;
	in.rebuilding = false;
	if (o->keepsafe_path && take_keepsafe(&in, o->keepsafe_path, e))
		goto out;
	/* Signals do what they do in a run: before the resume record they leave the file as it is. */
	/* A token audit key named by the transcript is never removed by a failed resume. */
	in.audit_named = true;
	if (interp_open_audit(&in, in_token ? ri->signer_where : NULL, e))
		goto out;
	prompt_show(o->prompt, PROMPT_HEADING, "%s%s: resuming", c->title, o->rehearsal ? " (REHEARSAL)" : "");
	prompt_show(o->prompt, PROMPT_PLAIN, "transcript: %s (%" PRIu64 " whole records)", ri->path, ri->report->records);
	if (ri->file_len > ri->report->whole_len)
		prompt_show(o->prompt, PROMPT_PLAIN, "a torn tail of %zu bytes follows them: it is moved to a side file (kept, "
			    "never deleted) once the resume is signed off", ri->file_len - ri->report->whole_len);
	/* The resume record first (a new signer signs nothing before it); then the
	 * tokens an activation had logged in are activated again; then the open step's
	 * leftovers are settled, which may need those tokens. */
	if (write_resume(&in, ri, &rb, !in_token, e))
		goto out;
	bool stop = false;
	/* Only when steps remain: an interruption just before the seal needs no token. */
	if ((rb.open || !rb.ended) && activate_again(&in, &end, &stop, e))
		goto out;
	if (!stop && rb.open) {
		if (settle_open(&in, &rb, &abort_it, e))
			goto out;
		in.settled = rb.open;
	}
	if (stop) {
		/* end says why */
	} else if (abort_it) {
		end.final = 1;
		end.last_step = rb.open->id;
		snprintf(end.reason, sizeof end.reason, "aborted at the resume: step '%s' was interrupted and is not run again",
			 rb.open->id);
	} else if (rb.open) {
		if (interp_run_steps(&in, rb.open->index, rb.open_attempt, &end, e))
			goto out;
	} else if (rb.ended) {
		end = rb.end;   /* the interruption fell between the last result and the seal */
	} else if (interp_run_steps(&in, rb.i, rb.attempt, &end, e)) {
		goto out;
	}
	if (interp_seal(&in, &end, status, e))
		goto out;
	rc = 0;
out:
	if (rc && in.w)
		interp_say_resumable(&in, ri->path);
	if (rc && !in.w)
		*status = INTERP_UNSEALED;
	interp_cleanup(&in);
	return rc;
}
