/* step: the contract between the engine and a step type.
 *
 * The engine (script loader, interpreter) knows step types only through this
 * header: a descriptor per type, told apart by capability flags, never by name;
 * a table of them that the commands hand to script_load (steps/registry.c
 * defines step_registry); the run handle a step's execute gets; and the services
 * a step may call (implemented in runner/: the step handle in step.c, tokens in
 * interp_tokens.c, people in interp_people.c, custody in custody.c and
 * wrapkey.c, checkpoints in interp_checkpoint.c). A step type:
 *   - names the keys it accepts besides the common ones (script.h),
 *   - validates them at load time (positions in errors; nothing touched),
 *   - executes against the services below: it never prints, prompts or opens a
 *     token itself, never calls another step type, and reaches the transcript
 *     only through its outputs, checks and artifacts.
 * Nothing in runner/ includes steps/.
 */
#ifndef CER_STEP_H
#define CER_STEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cbor.h>
#include "err.h"
#include "script.h"
#include "prompt.h"
#include "records.h"
#include "token.h"
#include "shamir.h"

struct step_run;

/* What a step needs of a token, checked against the bound token before the ceremony
 * starts (a missing mechanism stops rehearse/run before any step acts). */
struct step_need {
	const char *token;         /* the script's token name */
	const char *algorithm;     /* for the message, e.g. "ec-p384" */
	CK_MECHANISM_TYPE mech;
};

/* A question a step puts (its type's questions hook): role answers key `times`
 * times; answer is what a template suggests (a decision's first choice), or NULL. */
struct step_question {
	const char *role, *key;
	unsigned times;
	const char *answer;
};

/* What a step type is and does, for the loader, the interpreter and other step types'
 * validation ("an earlier step that makes a certificate"). */
enum step_flags {
	STEP_USES_TOKEN = 1 << 0,          /* requires a `token:` key naming a declared token */
	STEP_NEEDS_LOGIN = 1 << 1,         /* the interpreter logs the user in before execute */
	STEP_DECIDES = 1 << 2,             /* a decision point: `on_fail: {decision}` may name it */
	STEP_RECORDS_ATTENDANCE = 1 << 3,  /* records who is present (sign-offs may follow) */
	STEP_INITS_TOKEN = 1 << 4,         /* initialises its token (a live run may bind a blank one) */
	STEP_MAKES_KEY = 1 << 5,           /* makes a key pair (`key: STEP` may name it) */
	STEP_MAKES_CERT = 1 << 6,          /* makes a certificate (s->priv: struct x509_step) */
	STEP_MAKES_CSR = 1 << 7,           /* makes a certification request (s->priv: struct x509_step) */
	STEP_MAKES_CRL = 1 << 8,           /* makes a CRL (s->priv: struct x509_step) */
	STEP_SPLITS = 1 << 9,              /* splits a secret among custodians (shares.verify may name it) */
	STEP_SIGNS = 1 << 10,              /* signs data (a verify step may name it) */
	STEP_MAKES_WRAP_KEY = 1 << 11,     /* makes a wrap key (key.backup may name it) */
	STEP_BACKS_UP = 1 << 12,           /* backs a key up under a wrap key (key.restore may name it) */
	STEP_ACTIVATES_TOKEN = 1 << 13,    /* logs in to its quorum token with the custodians' shares */
	STEP_IMPORTS = 1 << 15,            /* imports an earlier transcript (script_import_of): references
					    * "STEP.X.Y" name what that transcript recorded */
	STEP_LOGS_IN_SO = 1 << 14,         /* logs in as security officer on its token, which ends the
					    * user's session there (PKCS#11: one user type at a time) */
};

struct step_type {
	const char *name;
	const char *summary;                  /* one line for `check` and docs */
	const char *const *keys;              /* type-specific keys, NULL-terminated */
	const char *const *artifacts;         /* names of artifacts it produces, NULL-terminated or NULL */
	const char *const *outputs;           /* output names `expect` may name, NULL-terminated or NULL */
	/* Question keys its steps ask on top of the runner's own (step_asks_always) and
	 * the step's record fields: what an answers file may answer, NULL-terminated or NULL. */
	const char *const *asks;
	unsigned flags;                       /* enum step_flags */
	/* Load-time validation of the type's keys; may set s->priv (malloc'ed). */
	int (*validate)(const struct ceremony *c, struct step *s, struct err *e);
	/* Acts. Returns 0 when the step ran (its outcome may still be a failure through
	 * checks); -1 with e set when it failed. */
	int (*execute)(struct step_run *r, struct err *e);
	/* Optional: a load-time warning (valid, but a reviewer should look), written into
	 * buf; returns false when there is none. `ceremony check` prints it. */
	bool (*warn)(const struct ceremony *c, const struct step *s, char *buf, size_t len);
	/* Optional: the value the step's own parameters give output `name` (key.generate
	 * with backup: true makes an extractable key), or NULL when they leave it open;
	 * an `expect` that says otherwise cannot hold, and the script is refused with why
	 * (into why, len bytes: "'backup: true' makes the key extractable"). */
	const char *(*fixed_output)(const struct step *s, const char *name, char *why, size_t len);
	/* Optional: what can be checked on the day before the first token is touched,
	 * outside the tokens (an export medium is a mounted drive); false with why (len
	 * bytes) when something is wrong. The run's preflight says every problem at once. */
	bool (*preflight)(const struct step *s, char *why, size_t len);
	/* Optional: the questions of its asks its steps put, and to whom (up to max into
	 * out; returns how many), for `ceremony answers`: the runner adds confirmations,
	 * sign-offs and record fields. */
	size_t (*questions)(const struct ceremony *c, const struct step *s, struct step_question *out, size_t max);
	/* Optional: called by `ceremony resume` for a step whose attempt was interrupted
	 * (its step-begin is in the transcript, its result is not), before it runs again:
	 * finds what that attempt may have left behind (a key on the token, a file on an
	 * export medium) and settles it with the administrator through the services
	 * below, saying what was done with step_resume_said. -1: the resume stops before
	 * anything more is written. Without it, the runner says the step may have acted
	 * and the administrator decides whether it runs again. */
	int (*interrupted)(struct step_run *r, struct err *e);
	/* Optional: what the step needs of its tokens (up to max into out); returns how many. */
	size_t (*needs)(const struct ceremony *c, const struct step *s, struct step_need *out, size_t max);
};

/* The question keys the runner asks of any step (confirmations, sign-offs, the
 * refusal's reason, who of several in a role, PINs in a live run); runner/step.c. */
extern const char *const step_asks_always[];
/* What `ceremony resume` asks under step SCRIPT_RESUME: its sign-offs (a name, before
 * any attendance), and what becomes of what an interrupted step left (open_step,
 * open_key, open_objects). */
extern const char *const step_asks_resume[];
/* Whether step s may ask question key (answers files): step_asks_always, its type's
 * asks or one of its record fields. */
bool step_asks(const struct step *s, const char *key);

/* A table of step types: what a script is validated against. */
struct step_table {
	const struct step_type *const *types;
	size_t n;
};
/* The project's step types (steps/registry.c); only the commands name it. */
extern const struct step_table step_registry;
const struct step_type *step_table_find(const struct step_table *t, const char *name);
/* Whether step s has every flag in flags. */
static inline bool step_is(const struct step *s, unsigned flags)
{
	return s && s->type && (s->type->flags & flags) == flags;
}

struct interp;

struct step_run {
	struct interp *in;
	const struct ceremony *cer;
	const struct step *step;
	unsigned attempt;          /* 1 for the first */
	struct rec_result res;     /* what its step-result records, filled by the services below */
	const char *next;          /* decision: step id to go to (borrowed from the script) */
	bool halt;                 /* decision: halt the ceremony */
	bool resuming;             /* in its `interrupted` hook: questions are the resume's */
};

/* A decision step's choice: recorded (question, choice, next), and the interpreter
 * goes to step next (borrowed from the script; NULL: the ceremony halts). */
int step_decide(struct step_run *r, const char *question, const char *choice, const char *next,
		struct err *e) CER_MUST_CHECK;

/* The role that acts for the step: performed_by, else "administrator" when the
 * script has one, else the first role. */
const char *step_role(const struct step_run *r);
/* The present participant acting for role: the only one present in it, or the one
 * named when asked under key (several present). Fails when nobody of role is present. */
int step_person(struct step_run *r, const char *role, const char *key, const char **name, struct err *e) CER_MUST_CHECK;
/* Show a warning to the room (what needs a person's action). */
void step_warn(struct step_run *r, const char *fmt, ...) CER_PRINTF(2, 3);
/* Show text to the room (the interpreter prints; steps never do). */
void step_show(struct step_run *r, const char *fmt, ...) CER_PRINTF(2, 3);
/* Ask role for a line of text under key; *answer malloc'ed. */
int step_ask(struct step_run *r, const char *role, const char *key, const char *question, char **answer,
	     struct err *e) CER_MUST_CHECK;
/* Ask role to type back what the screen shows (shown: e.g. a fingerprint's last groups);
 * in an answers file the answer "(as shown)" stands for it (prompt.h). *answer malloc'ed. */
int step_ask_readback(struct step_run *r, const char *role, const char *key, const char *question, const char *shown,
		      char **answer, struct err *e) CER_MUST_CHECK;
/* A slip in answering role's question key (a choice or a name that is none of those
 * offered, a read-back that does not match): shows what was wrong, with "(attempt K
 * of 3)" for K = attempt (from 1), as a warning, and returns whether to ask again:
 * attempt < PROMPT_ATTEMPTS and the question can be asked again (an answers file
 * with no answer left: the step fails for what was wrong). Records the attempt
 * (step-result 11: role, key, the message, time), so the message must hold no
 * secret. */
bool step_slip(struct step_run *r, const char *role, const char *key, unsigned attempt, const char *fmt, ...)
	CER_PRINTF(5, 6);
/* How many attempts of step step_id have begun in this run (0: none yet); a retried
 * step's files carry the attempt's number, since none is ever overwritten. */
unsigned step_attempts(const struct step_run *r, const char *step_id);
/* Whether the run is a rehearsal (throwaway tokens; its transcript says so). */
bool step_is_rehearsal(const struct step_run *r);
/* The run's output folder (DIR of --out): artifact.export resolves relative media
 * folders under it. */
const char *step_out_dir(const struct step_run *r);
/* True in the attempt a resume runs again after the administrator chose to keep
 * what the interrupted attempt made (the step's `interrupted` hook asked): the step
 * takes that on (the key it finds by its label) instead of making it again. */
bool step_adopting(const struct step_run *r);
/* In an `interrupted` hook: chooses to keep what the interrupted attempt made, for
 * step_adopting in the attempt that follows. */
void step_adopt(struct step_run *r);
/* In an `interrupted` hook: adds a sentence to what the resume record says was done
 * (its reason), and shows it. */
void step_resume_said(struct step_run *r, const char *fmt, ...) CER_PRINTF(2, 3);
/* Who decides at a resume (and signs it off first): the script's administrator,
 * else its first role. */
const char *step_resume_role(const struct step_run *r);
/* In an `interrupted` hook: every object labelled one of labels (n of them) on
 * token is what the interrupted attempt left (a wrap key, a copy, a restored key);
 * when any is there the administrator destroys them all (key "open_objects":
 * destroy, so the step can run again from a clean token) or stops the resume. */
int step_leftovers(struct step_run *r, const char *token, const char *const *labels, size_t n,
		   struct err *e) CER_MUST_CHECK;
/* Ask role to choose one of choices (NULL-terminated) under key: "QUESTION [a / b]";
 * another case or spacing is that choice (fold.h); anything else is a slip, asked
 * again (step_slip), then ERR_DECISION. *choice gets the index. */
int step_choose(struct step_run *r, const char *role, const char *key, const char *question,
		const char *const *choices, size_t *choice, struct err *e) CER_MUST_CHECK;
/* Ask role to type the exact word "yes". */
int step_confirm(struct step_run *r, const char *role, const char *key, const char *question,
		 struct err *e) CER_MUST_CHECK;
/* An output value (takes ownership of value). */
int step_output(struct step_run *r, const char *name, cbor_item_t *value, struct err *e) CER_MUST_CHECK;
/* A recorded check; takes ownership of expected and actual. */
int step_check(struct step_run *r, const char *what, cbor_item_t *expected, cbor_item_t *actual, bool held,
	       struct err *e) CER_MUST_CHECK;
/* A public artifact: embedded in the step-result and written to OUT/artifacts/<file>
 * (O_EXCL, temp name + link, never overwritten). */
int step_artifact(struct step_run *r, const char *name, const char *file, const char *media_type,
		  const uint8_t *data, size_t len, struct err *e) CER_MUST_CHECK;
/* An artifact made by an earlier step of this run (ref "STEP" or "STEP.NAME"). */
int step_find_artifact(struct step_run *r, const char *step_id, const char *name, const uint8_t **data,
		       size_t *len, struct err *e) CER_MUST_CHECK;
/* The run's PKCS#11 module: its path and what C_GetInfo says. 1 (nothing set) when
 * the run has none (a script without tokens). */
int step_module_info(struct step_run *r, const char **path, struct tok_module_info *info, struct err *e) CER_MUST_CHECK;
/* A session on the token the step names (logged in when the type says so). Borrowed. */
int step_session(struct step_run *r, struct tok_session **s, struct err *e) CER_MUST_CHECK;
/* A logged-in session on any token the script declares (e.g. the one a key reference
 * names). Borrowed; the interpreter closes it at the end. */
int step_session_on(struct step_run *r, const char *token, struct tok_session **s, struct err *e) CER_MUST_CHECK;
/* A session on a declared token with the security officer logged in (for what only
 * the SO may do, e.g. CKA_TRUSTED). Closes the interpreter's user session on that
 * token first (one login type at a time); a later step logs the user in again. The SO
 * PIN comes from the binding (a rehearsal's generated one) or is asked (key
 * "so_pin", no echo). The caller owns the session: tok_close it in the step. */
int step_session_so(struct step_run *r, const char *token, struct tok_session **s, struct err *e) CER_MUST_CHECK;
/* A secret held for the rest of the run (e.g. a wrap key's value until its restore),
 * wiped when the run ends; takes ownership of s (freed on failure too). */
int step_secret_keep(struct step_run *r, const char *name, struct secret *s, struct err *e) CER_MUST_CHECK;
/* A secret an earlier step of this run kept, or NULL. Borrowed. */
const struct secret *step_secret_find(struct step_run *r, const char *step_id, const char *name);
/* --- custody (runner/custody.c and the split store of the interpreter) --- */

/* A split made during this run. Its shares stay in locked memory until the run
 * ends; holders[i] is the custodian given share i+1 (NULL when nobody was named). */
struct step_split {
	const char *step_id;
	const char *purpose;
	unsigned threshold, count;
	const struct shamir_share *shares;   /* count of them, shares[i].index == i + 1 */
	const char *const *holders;
};
/* The people present in role, in attendance order: up to max names (borrowed) into
 * names; returns how many are present. */
size_t step_present(const struct step_run *r, const char *role, const char **names, size_t max);
/* Splits secret m-of-n among the n custodians present in role (steps/shares_split.c):
 * proves every m-subset rebuilds it, shows each custodian their share alone (screen
 * cleared before and after) and has them re-type its checksum, hands the split to the
 * interpreter, and outputs split_id, purpose, threshold, count and custodians
 * (runner/custody.c; shares.split and token.init call it). */
int step_split_among(struct step_run *r, const struct secret *secret, unsigned m, const char *role,
		     const char *purpose, struct err *e) CER_MUST_CHECK;
/* Every m-subset of the split rebuilds the same secret (and equals want, when not
 * NULL); *subsets receives how many were checked. */
int step_split_verify(const struct step_split *sp, const struct secret *want, unsigned long *subsets,
		      struct err *e) CER_MUST_CHECK;
/* The latest split step_id made in this run, or NULL. Borrowed. */
const struct step_split *step_find_split(const struct step_run *r, const char *step_id);
/* Clears the screen (a share was or will be shown). */
void step_clear_screen(struct step_run *r);
/* Shows a secret (a share's text) to the person named `to` only: on the terminal,
 * never in the transcript, a log or a file (prompt_show_secret). */
int step_show_secret(struct step_run *r, const char *to, const char *what, const struct secret *text,
		     struct err *e) CER_MUST_CHECK;
/* Asks role for a secret without echo into out; split names the step whose split the
 * secret is a share of (for "(share K)" answers), or NULL. */
int step_ask_secret(struct step_run *r, const char *role, const char *key, const char *question, const char *split,
		    struct secret *out, struct err *e) CER_MUST_CHECK;
/* Collects m shares of the split step `split` made (NULL: not known) from distinct
 * custodians present in role (runner/custody.c): each names themselves (key
 * "custodian") and types their share without echo (key "share"). got and who hold
 * SHAMIR_MAX_SHARES; *k receives how many were given, failure or not (the caller
 * records who and clears got[0..*k)). for_what ("token 'hsm'") names what the split
 * protects; if_short ("token 'hsm' stays locked") ends the fewer-than-m refusal. */
int step_collect_shares(struct step_run *r, const char *role, unsigned m, const char *split, const char *for_what,
			const char *if_short, struct shamir_share *got, const char **who, size_t *k,
			struct err *e) CER_MUST_CHECK;
/* Logs the user in on a declared token with pin (token.activate); the session stays
 * logged in for later steps. */
int step_login_with(struct step_run *r, const char *token, const struct secret *pin, struct err *e) CER_MUST_CHECK;
/* token.init: initialises the step's token with its script label, the SO PIN of the
 * binding (a rehearsal's: the token is initialised again) or a generated one (a live
 * ceremony: only a blank token), and user_pin. *was_initialised says which. */
int step_init_token(struct step_run *r, const struct secret *user_pin, bool *was_initialised,
		    struct err *e) CER_MUST_CHECK;
/* The module and slot of the step's token (for token.info). */
int step_token_slot(struct step_run *r, struct tok_module **m, CK_SLOT_ID *slot, struct err *e) CER_MUST_CHECK;
/* Attendance: adds a present participant; refuses a name already present in another
 * role when separation is strict. */
int step_attend(struct step_run *r, const char *name, const char *role, struct err *e) CER_MUST_CHECK;
/* Writes a checkpoint record now and shows seq and head (hex and PGP words). */
int step_write_checkpoint(struct step_run *r, const char *label, struct err *e) CER_MUST_CHECK;

/* --- wrap keys (runner/wrapkey.c: wrapkey.create, key.backup, key.restore) --- */

/* Reads a wrap key's attributes back as checks and outputs named prefix + "trusted",
 * "sensitive"...; *all false when one is not what it must be. */
int step_wrapkey_checks(struct step_run *r, struct tok_session *s, CK_OBJECT_HANDLE h, const char *prefix, bool *all,
			struct err *e) CER_MUST_CHECK;
/* The trusted wrap key `label` that step wk_step made, on token: found by its label,
 * or created there by the security officer from the value the run holds (kept by
 * wk_step as "wrap_key"). With value (e.g. rebuilt from the custodians' shares) it
 * is created from those bytes and must not be on the token already. A key created
 * here has its attributes recorded as checks and outputs named prefix + "trusted"...
 * (one prefix per token a step rebuilds on). *h is a handle valid in the user's
 * session on that token (step_session_on). */
int step_wrapkey_on(struct step_run *r, const char *wk_step, const char *label, const char *token,
		    const struct secret *value, const char *prefix, CK_OBJECT_HANDLE *h,
		    struct err *e) CER_MUST_CHECK;
/* Destroys the wrap key `label` on token, if it is there. ret is the step's result so
 * far: returned unchanged unless the removal fails (then -1; e is set only when ret
 * was 0). */
int step_wrapkey_remove(struct step_run *r, const char *label, const char *token, int ret, struct err *e);

#endif
