/* interp: the interpreter. Runs a validated ceremony step by step:
 * "step i of n", say, step-begin record (synced), execute, expectations,
 * Expected against Actual, confirmations, sign-offs, step-result record (synced),
 * on_fail / decision, and finally the seal.
 */
#ifndef CER_INTERP_H
#define CER_INTERP_H

#include <stdbool.h>
#include "err.h"
#include "script.h"
#include "prompt.h"
#include "token.h"
#include "secret.h"
#include "transcript.h"

/* Which token each of the script's token names means for this run. */
struct interp_binding {
	const char *name;            /* the script's token name */
	CK_SLOT_ID slot;
	struct secret *user_pin;     /* borrowed; NULL: asked at the terminal when first needed */
	struct secret *so_pin;       /* borrowed; NULL: asked when a security-officer step needs it */
};

/* A participant who signs their sign-offs with a key of their own (binding `signers`). */
struct interp_signer {
	const char *name;            /* as attendance records them */
	const char *uri;             /* as the binding wrote it (shown in messages) */
	const char *label;           /* the key pair's label on that token */
	CK_SLOT_ID slot;             /* their token, in the run's module */
};

struct interp_opts {
	const char *out_dir;         /* DIR: DIR/transcript.cts and DIR/artifacts/ */
	bool rehearsal;
	struct prompt *prompt;       /* borrowed */
	struct tok_module *module;   /* borrowed; may be NULL when no step uses a token */
	const struct interp_binding *bindings;
	size_t n_bindings;
	const struct interp_signer *signers;
	size_t n_signers;
	const char *module_path;
	const char *answers_path;    /* answers came from this file (recorded in genesis), or NULL */
	/* A rehearsal's keepsafe (keepsafe.h): what its room would hold across a crash.
	 * NULL in a live run, which writes no secret anywhere. */
	struct keepsafe *keepsafe;
	const char *keepsafe_path;   /* a resumed rehearsal: its keepsafe, read back first */
};

/* *status after interp_run or interp_resume returned -1 with a transcript that
 * stays unsealed and can be resumed (a rehearsal then keeps its tokens). */
enum { INTERP_UNSEALED = -1 };

/* Runs the ceremony. Returns 0 when a transcript was sealed; *status receives the
 * seal status (0 completed, 1 aborted, 2 halted). Returns -1 when the ceremony could
 * not be started or the transcript could not be written (fail closed). */
int interp_run(const struct ceremony *c, const struct interp_opts *o, int *status, struct err *e) CER_MUST_CHECK;

/* What `ceremony resume` hands the interpreter: the transcript, verified. The
 * interpreter moves a torn tail aside only once the resume is signed off. */
struct interp_resume_in {
	const char *path;
	const uint8_t *data;          /* the file's whole records */
	size_t len;
	size_t file_len;              /* the file's size: more than len when a tail is torn */
	const struct ts_report *report;
	const char *signer_where;     /* genesis 4/3: "memory" or the audit key's PKCS#11 URI */
};

/* Goes on with an interrupted ceremony (TRANSCRIPT.md resume): the state the records
 * hold is rebuilt (attendance, artifacts, where the ceremony was), the step left open
 * is reconciled with the administrator, a resume record is written (signed by the
 * audit key when it lives in a token, else by a new one shown for the paper log) and
 * signed off, and the ceremony continues to its seal. Returns as interp_run does. */
int interp_resume(const struct ceremony *c, const struct interp_opts *o, const struct interp_resume_in *ri,
		  int *status, struct err *e) CER_MUST_CHECK;

/* Checks, before any token is touched, that out_dir can take a new transcript:
 * no transcript there already, and the folder (if it exists) is a writable folder. */
int interp_check_out(const char *out_dir, struct err *e) CER_MUST_CHECK;

/* "ceremony 0.1.0 (REV)" */
const char *interp_runner_version(void);

#endif
