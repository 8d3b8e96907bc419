/* records: the bodies of the transcript's step-begin, step-result, checkpoint and
 * seal records (TRANSCRIPT.md "Entry") as plain C records, and the one place that
 * encodes them.
 *
 * The interpreter and the step services fill a struct rec_result while a step runs
 * (outputs, checks, sign-offs, artifacts, decision) and hand it, with the outcome
 * and the error, to rec_append_result; the key numbers of the format live here and
 * in the verifier (transcript.c), nowhere else. Values (outputs, a check's expected
 * and actual) are CBOR items: the transcript's own data model, made by the step
 * with dcbor_text, dcbor_uint... and owned by the record once handed over.
 */
#ifndef CER_RECORDS_H
#define CER_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cbor.h>
#include "buf.h"
#include "err.h"
#include "transcript.h"

/* step-result 4: a recorded check. */
struct rec_check {
	char *what;
	cbor_item_t *expected, *actual;   /* owned */
	bool held;
};

/* step-result 5 (and later 10): a sign-off; strings owned, cose/spki only for method 1. */
struct rec_signoff {
	char *role, *name, *statement;
	uint64_t time_ms;
	unsigned method;           /* 0 attested at the prompt, 1 signed by the participant's key */
	struct buf cose, spki;
};

/* step-result 6: an artifact; the content is borrowed (the interpreter keeps it for
 * the run) and embedded. */
struct rec_artifact {
	char *name, *media_type;
	uint8_t sha256[32];
	const uint8_t *content;
	size_t size;
};

/* step-result 11: an answer refused and asked again (never the secret typed). */
struct rec_attempt {
	char *role, *question, *wrong;
	uint64_t time_ms;
};

/* step-result 12: a person who declined to confirm or sign off, and why. */
struct rec_refusal {
	char *role, *name, *reason;
	uint64_t time_ms;
};

/* step-result 7: the choice a decision step recorded; next NULL when it halts. */
struct rec_decision {
	char *question, *choice, *next;
};

struct rec_result {
	cbor_item_t *outputs;             /* map tstr => value: the "Actual" */
	struct rec_check *checks;
	size_t n_checks;
	struct rec_signoff *signoffs;
	size_t n_signoffs;
	struct rec_signoff *confirmations;   /* step-result 10: method 0, as each was given */
	size_t n_confirmations;
	struct rec_attempt *attempts;        /* step-result 11 */
	size_t n_attempts;
	struct rec_refusal *refusals;        /* step-result 12 */
	size_t n_refusals;
	char *note;                          /* step-result 8, or NULL */
	struct rec_artifact *artifacts;
	size_t n_artifacts;
	struct rec_decision *decision;    /* NULL: not a decision */
};

/* An empty result (outputs an empty map). rec_result_free(NULL-filled) is safe. */
int rec_result_init(struct rec_result *r, struct err *e) CER_MUST_CHECK;
void rec_result_free(struct rec_result *r);
/* Adds output name (takes value, even on failure); a name given twice is a bug
 * (ERR_INTERNAL, naming step_id). */
int rec_output(struct rec_result *r, const char *step_id, const char *name, cbor_item_t *value,
	       struct err *e) CER_MUST_CHECK;
/* Adds a check (takes expected and actual, even on failure). */
int rec_check(struct rec_result *r, const char *what, cbor_item_t *expected, cbor_item_t *actual, bool held,
	      struct err *e) CER_MUST_CHECK;
/* Adds an artifact: its SHA-256 is computed here; content stays the caller's. */
int rec_artifact(struct rec_result *r, const char *name, const char *media_type, const uint8_t *content, size_t size,
		 struct err *e) CER_MUST_CHECK;
/* Adds a sign-off: copies role, name and statement; takes so->cose and so->spki
 * (emptied, even on failure). */
int rec_signoff(struct rec_result *r, struct rec_signoff *so, struct err *e) CER_MUST_CHECK;
/* Adds a confirmation of the Actual (step-result 10, a signoff with method 0):
 * copies role, name and statement. */
int rec_confirmation(struct rec_result *r, const char *role, const char *name, const char *statement,
		     uint64_t time_ms, struct err *e) CER_MUST_CHECK;
/* Adds an attempt: role, the question's key, what was wrong (copied). */
int rec_attempt(struct rec_result *r, const char *role, const char *question, const char *wrong, uint64_t time_ms,
		struct err *e) CER_MUST_CHECK;
/* Adds a refusal (strings copied). */
int rec_refusal(struct rec_result *r, const char *role, const char *name, const char *reason, uint64_t time_ms,
		struct err *e) CER_MUST_CHECK;
/* Adds to the note (copied; after an earlier one, "; " between). */
int rec_note(struct rec_result *r, const char *note, struct err *e) CER_MUST_CHECK;
/* Records the decision (copies the strings; next NULL: halt). At most once. */
int rec_decide(struct rec_result *r, const char *question, const char *choice, const char *next,
	       struct err *e) CER_MUST_CHECK;

/* step-begin (kind 1); params borrowed. *seq gets its seq. */
struct rec_begin {
	const char *step_id;
	size_t index;
	const char *type;
	const cbor_item_t *params;   /* { * tstr => value } as resolved for this run */
	const char *role;            /* performed_by, or NULL */
};
int rec_append_begin(struct ts_writer *w, const struct rec_begin *b, uint64_t *seq, struct err *e) CER_MUST_CHECK;

/* step-result (kind 2): error NULL when the step passed. */
int rec_append_result(struct ts_writer *w, const char *step_id, uint64_t begin_seq, enum ts_outcome outcome,
		      const struct rec_result *r, const struct err *error, struct err *e) CER_MUST_CHECK;

/* resume (kind 4): after an interruption. new_signer NULL: the same signer goes on. */
struct rec_resume {
	uint64_t last_good;              /* seq of the last whole record */
	uint64_t discarded;              /* bytes of the torn tail moved aside */
	uint8_t discarded_sha256[32];
	const char *reason;
	const struct cose_signer *new_signer;
	const char *new_signer_where;
	const struct rec_signoff *signoffs;   /* attested (method 0) */
	size_t n_signoffs;
};
int rec_append_resume(struct ts_writer *w, const struct rec_resume *rr, uint64_t *seq, struct err *e) CER_MUST_CHECK;

/* checkpoint (kind 3). */
int rec_append_checkpoint(struct ts_writer *w, const char *label, uint64_t *seq, struct err *e) CER_MUST_CHECK;

/* seal (kind 5): the summary counts are the writer's (ts_writer_outcomes), so they
 * are those of the step-results written; last_step and reason may be NULL. */
int rec_append_seal(struct ts_writer *w, enum ts_seal_status status, const char *last_step, const char *reason,
		    uint64_t *seq, struct err *e) CER_MUST_CHECK;

#endif
