/* steps: the step-type registry and the interface between a step type and the
 * interpreter.
 *
 * Each steps/<type>.c exports one `const struct step_type step_<type>` and is
 * listed once in steps/registry.c. A step type:
 *   - names the keys it accepts besides the common ones (script.h),
 *   - validates them at load time (positions in errors; nothing touched),
 *   - executes against the interpreter's services below: it never prints,
 *     prompts or opens a token itself, and reaches the transcript only through
 *     its outputs, checks and artifacts.
 */
#ifndef CER_STEPS_H
#define CER_STEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cbor.h>
#include "../runner/err.h"
#include "../runner/script.h"
#include "../runner/prompt.h"
#include "../runner/token.h"
#include "../runner/shamir.h"

struct step_run;

/* What a step needs of a token, checked against the bound token before the ceremony
 * starts (a missing mechanism stops rehearse/run before any step acts). */
struct step_need {
	const char *token;         /* the script's token name */
	const char *algorithm;     /* for the message, e.g. "ec-p384" */
	CK_MECHANISM_TYPE mech;
};

/* A key a step uses: made by an earlier key.generate step (`key: STEP`), or already
 * on a declared token (`key: {token: NAME, label: LABEL}`, e.g. the root key at the
 * intermediate ceremony). */
struct step_keyref {
	const char *token;         /* the script's token name */
	const char *label;         /* CKA_LABEL of the key pair */
	const char *algorithm;     /* from the key.generate step; NULL when only the token knows */
	const struct step *made_by;   /* the key.generate step, or NULL */
};

enum step_flags {
	STEP_USES_TOKEN = 1 << 0,   /* requires a `token:` key naming a declared token */
	STEP_NEEDS_LOGIN = 1 << 1,  /* the interpreter logs the user in before execute */
};

struct step_type {
	const char *name;
	const char *summary;                  /* one line for `check` and docs */
	const char *const *keys;              /* type-specific keys, NULL-terminated */
	const char *const *artifacts;         /* names of artifacts it produces, NULL-terminated or NULL */
	const char *const *outputs;           /* output names `expect` may name, NULL-terminated or NULL */
	unsigned flags;
	/* Load-time validation of the type's keys; may set s->priv (malloc'ed). */
	int (*validate)(const struct ceremony *c, struct step *s, struct err *e);
	/* Acts. Returns 0 when the step ran (its outcome may still be a failure through
	 * checks); -1 with e set when it failed. */
	int (*execute)(struct step_run *r, struct err *e);
	/* Optional: a load-time warning (valid, but a reviewer should look), written into
	 * buf; returns false when there is none. `ceremony check` prints it. */
	bool (*warn)(const struct ceremony *c, const struct step *s, char *buf, size_t len);
	/* Optional: what the step needs of its tokens (up to max into out); returns how many. */
	size_t (*needs)(const struct ceremony *c, const struct step *s, struct step_need *out, size_t max);
};

/* The registry (steps/registry.c). */
extern const struct step_type *const step_registry[];
extern const size_t step_registry_len;
const struct step_type *step_type_find(const char *name);

/* --- helpers shared by step types (steps/common.c) --- */

/* Parses a key reference at n (load time; errors name the position): a key.generate
 * step id that comes earlier, or {token: NAME, label: LABEL} naming a declared token. */
int step_keyref_parse(const struct ceremony *c, const struct step *s, const struct ynode *n, struct step_keyref *out,
		      struct err *e) CER_MUST_CHECK;
/* A cert.self_signed or cert.issue step (one whose priv is a struct x509_step). */
bool step_makes_certificate(const struct step *t);
/* `issuer` (a certificate step, load-time checked) and `issuer_key` (given, or the key
 * the issuer certificate certifies) of step s into p; *ip is the issuer's x509_step. */
struct x509_step;
int step_issuer_parse(const struct ceremony *c, const struct step *s, struct x509_step *p, const struct x509_step **ip,
		      struct err *e) CER_MUST_CHECK;
/* `key` and `signature` of a step that signs with the key it names (cert.self_signed,
 * csr.create): allocates s->priv as a struct x509_step (*out) with key and subject key
 * both that key, and the signature algorithm resolved when the key's algorithm is known. */
int step_own_key_parse(const struct ceremony *c, struct step *s, struct x509_step **out, struct err *e) CER_MUST_CHECK;
/* What a certificate step records of the certificate der it made: the artifacts
 * `certificate` (DER) and `certificate_pem`, and its outputs (serial, names, validity,
 * profile, pathlen, algorithms, SKI, AKI when it has one, fingerprints, tier warning). */
struct x509_sigalg;
int step_certificate_result(struct step_run *r, const struct x509_step *p, const char *key_algorithm,
			    const struct x509_sigalg *sa, const struct buf *der, struct err *e) CER_MUST_CHECK;
/* The `needs` of steps that sign with a struct x509_step's key: its signing mechanism. */
size_t step_signing_needs(const struct ceremony *c, const struct step *s, struct step_need *out, size_t max);
/* The `warn` of certificate steps: validity outside seed 003's range for the tier
 * (root 10-20 y, subordinate 5-10 y, issuing 1-3 y). s->priv is a struct x509_step. */
bool step_tier_warning(const struct ceremony *c, const struct step *s, char *buf, size_t len);

/* --- what the interpreter gives a running step (implemented in runner/interp.c) --- */

struct interp;

struct step_run {
	struct interp *in;
	const struct ceremony *cer;
	const struct step *step;
	unsigned attempt;          /* 1 for the first */
	cbor_item_t *outputs;      /* map tstr => value: the "Actual" */
	cbor_item_t *checks;       /* array, filled by step_check */
	cbor_item_t *artifacts;    /* array, filled by step_artifact */
	cbor_item_t *decision;     /* set by a decision step: { 0: question, 1: choice, ? 2: next } */
	const char *next;          /* decision: step id to go to (borrowed from the script) */
	bool halt;                 /* decision: halt the ceremony */
};

/* The role that acts for the step: performed_by, else "administrator" when the
 * script has one, else the first role. */
const char *step_role(const struct step_run *r);
/* The present participant acting for role: the only one present in it, or the one
 * named when asked under key (several present). Fails when nobody of role is present. */
int step_person(struct step_run *r, const char *role, const char *key, const char **name, struct err *e) CER_MUST_CHECK;
/* Show text to the room (the interpreter prints; steps never do). */
void step_show(struct step_run *r, const char *fmt, ...) CER_PRINTF(2, 3);
/* Ask role for a line of text under key; *answer malloc'ed. */
int step_ask(struct step_run *r, const char *role, const char *key, const char *question, char **answer,
	     struct err *e) CER_MUST_CHECK;
/* Ask role to type back what the screen shows (shown: e.g. a fingerprint's last groups);
 * in an answers file the answer "(as shown)" stands for it (prompt.h). *answer malloc'ed. */
int step_ask_readback(struct step_run *r, const char *role, const char *key, const char *question, const char *shown,
		      char **answer, struct err *e) CER_MUST_CHECK;
/* The run's output folder (DIR of --out): artifact.export resolves relative media
 * folders under it. */
const char *step_out_dir(const struct step_run *r);
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
/* --- custody (shares.split, shares.verify, token.init, token.activate) --- */

/* A split made during this run. Its shares stay in locked memory until the run
 * ends; holders[i] is the custodian given share i+1 (NULL when nobody was named). */
struct step_split {
	const char *step_id;
	const char *purpose;
	unsigned threshold, count;
	const struct shamir_share *shares;   /* count of them, shares[i].index == i + 1 */
	const char *const *holders;
};
/* Hands a split to the interpreter (takes ownership of the n shares, freed on failure
 * too; holders' names are copied). An answers file can then type share K of it back
 * as "(share K)" (prompt.h); nothing of it is written anywhere. */
int step_keep_split(struct step_run *r, struct shamir_share *shares, size_t n, const char *const *holders,
		    struct err *e) CER_MUST_CHECK;
/* The people present in role, in attendance order: up to max names (borrowed) into
 * names; returns how many are present. */
size_t step_present(const struct step_run *r, const char *role, const char **names, size_t max);
/* Splits secret m-of-n among the n custodians present in role (steps/shares_split.c):
 * proves every m-subset rebuilds it, shows each custodian their share alone (screen
 * cleared before and after) and has them re-type its checksum, hands the split to the
 * interpreter, and outputs split_id, purpose, threshold, count and custodians. */
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
 * custodians present in role (steps/quorum.c): each names themselves (key
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

#endif
