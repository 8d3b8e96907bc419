/* transcript: the only writer and the reader of `ceremony-transcript/1` files
 * (see TRANSCRIPT.md, normative; schemas/transcript.cddl restates it).
 *
 * Writer: the file is created with O_EXCL (never overwritten); every record is
 * built as an entry map, deterministically encoded, signed as COSE_Sign1,
 * appended with write(2) and fdatasync'ed before the call returns. Any failure
 * to sign, write or sync is returned; the interpreter then stops (fail closed).
 * Reader/verifier: checks 1-5 of TRANSCRIPT.md plus the optional script and
 * anchor checks of 6.
 */
#ifndef CER_TRANSCRIPT_H
#define CER_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include "err.h"
#include "dcbor.h"
#include "cose.h"
#include "buf.h"

#define TS_FORMAT "ceremony-transcript/1"

enum ts_kind {
	TS_GENESIS = 0,
	TS_STEP_BEGIN = 1,
	TS_STEP_RESULT = 2,
	TS_CHECKPOINT = 3,
	TS_RESUME = 4,
	TS_SEAL = 5,
};

enum ts_outcome { TS_PASSED = 0, TS_FAILED = 1, TS_SKIPPED = 2, TS_ABORTED = 3, TS_DEVIATION = 4 };
enum ts_seal_status { TS_COMPLETED = 0, TS_SEAL_ABORTED = 1, TS_HALTED = 2 };

struct ts_writer;
struct ts_report;

/* What genesis needs besides the signer. All borrowed for the duration of the call. */
struct ts_genesis {
	const char *title;
	const uint8_t *script;       /* exact script bytes */
	size_t script_len;
	bool rehearsal;               /* mode 1 */
	const char *runner;           /* "ceremony 0.1.0 (git abc123)" */
	const char *signer_where;     /* "memory" */
	cbor_item_t *host;            /* optional tstr=>tstr map, or NULL (borrowed) */
	cbor_item_t *tokens;          /* optional: token name => {tstr => tstr}, what it was bound to (borrowed) */
	cbor_item_t *inputs;          /* optional: [{0: name, 1: sha256, 2: size}], files the script reads (borrowed) */
	const uint8_t *continues;     /* optional: 32 bytes, the head of the transcript this one builds on */
};

/* Creates path with O_EXCL (fails with code "io" if it exists), draws a random
 * cid, writes and syncs genesis. The writer keeps a pointer to signer (borrowed;
 * the caller frees it after ts_writer_close). */
int ts_writer_open(const char *path, struct cose_signer *signer, const struct ts_genesis *g,
		   struct ts_writer **out, struct err *e) CER_MUST_CHECK;
/* Appends one record of `kind` with body (borrowed; not consumed). *seq gets its
 * seq (may be NULL). The time is the workstation clock in ms, never decreasing. */
int ts_append(struct ts_writer *w, enum ts_kind kind, const cbor_item_t *body, uint64_t *seq,
	      struct err *e) CER_MUST_CHECK;
/* The workstation clock in ms since 1970 (0 when it cannot be read): the one clock
 * of record times, sign-off, confirmation, attempt and refusal times. */
uint64_t ts_now_ms(void);
/* A record time (ms since 1970) as people read it, UTC, into out (cap bytes; "?" when
 * it cannot be shown): TS_TIME_ISO_MS "2026-12-02T10:21:40.123Z", TS_TIME_ISO
 * "2026-12-02T10:21:40Z", TS_TIME_LOG "2026-12-02 10:21:40Z", TS_TIME_DAY "2026-12-02",
 * TS_TIME_CLOCK "10:21:40Z". */
enum ts_time_form { TS_TIME_ISO_MS, TS_TIME_ISO, TS_TIME_LOG, TS_TIME_DAY, TS_TIME_CLOCK };
void ts_time_text(uint64_t ms, enum ts_time_form form, char *out, size_t cap);
/* A signer as genesis 4 and resume 4 record it: { 0: kid, 1: SPKI DER, 2: alg, ? 3: where }. */
cbor_item_t *ts_signer_map(const struct cose_signer *s, const char *where, struct err *e);
/* Head = SHA-256 of the last record written. */
void ts_writer_head(const struct ts_writer *w, uint8_t head[32]);
uint64_t ts_writer_next_seq(const struct ts_writer *w);
/* The step-results written so far, counted by outcome (enum ts_outcome): what the
 * seal's summary must say (TRANSCRIPT.md seal), so it is counted where they are written. */
void ts_writer_outcomes(const struct ts_writer *w, uint64_t counts[5]);
const uint8_t *ts_writer_cid(const struct ts_writer *w);   /* 16 bytes */
/* Reopens an unsealed transcript to go on after an interruption (`ceremony resume`).
 * r is ts_verify's report of the file's bytes; the file must end exactly where its
 * last whole record does (ts_cut_torn first). The writer takes the chain on from
 * there (cid, head, seq, clock, outcomes). When the signer is not the one that
 * signed the last record, the first record appended must be the resume record
 * naming it (TRANSCRIPT.md: the signer changes only there). */
int ts_writer_reopen(const char *path, struct cose_signer *signer, const struct ts_report *r,
		     struct ts_writer **out, struct err *e) CER_MUST_CHECK;
/* Moves the torn tail of path (every byte from whole_len on) to a side file
 * "PATH.torn-OFFSET" (a new file, never overwritten: "-2", "-3"... when taken), made
 * durable, then cuts path back to whole_len. *moved gets how many bytes, sha256 their
 * SHA-256, side (cap bytes) the side file's name; 0 bytes: nothing is done. */
int ts_cut_torn(const char *path, size_t whole_len, size_t *moved, uint8_t sha256[32], char *side, size_t cap,
		struct err *e) CER_MUST_CHECK;
/* Closes the file (already synced). NULL is a no-op. */
void ts_writer_close(struct ts_writer *w);

/* The payload a signed sign-off's COSE_Sign1 (signoff key 5, method 1) signs, in
 * deterministic encoding, appended to out:
 *   { 0: cid bstr 16, 1: seq of the step-begin, 2: SHA-256 of the step-begin record's
 *     bytes, 3: SHA-256 of the deterministic encoding of the step's outputs map,
 *     4: role tstr, 5: name tstr, 6: statement tstr }
 * role, name and statement are text items (borrowed). The writer and the verifier
 * both build it here, so they cannot disagree on its bytes. */
int ts_signoff_payload(const uint8_t cid[16], uint64_t begin_seq, const uint8_t begin_hash[32],
		       const cbor_item_t *outputs, const cbor_item_t *role, const cbor_item_t *name,
		       const cbor_item_t *statement, struct buf *out, struct err *e) CER_MUST_CHECK;

/* --- verification ---------------------------------------------------------- */

enum ts_verdict {
	TS_VALID = 0,         /* exit 0 */
	TS_VALID_ABORTED = 3, /* exit 3: sealed, aborted or halted */
	TS_INCOMPLETE = 4,    /* exit 4: every record good, no seal */
	TS_UNANCHORED = 5,    /* exit 5: every record good, but the signer changed at a resume and
			       * nothing from the paper log vouches for the new one */
	TS_INVALID = 1,       /* exit 1 */
	TS_UNREADABLE = 2,    /* exit 2 */
};

/* "VALID", "ABORTED", "INCOMPLETE", "INVALID", "UNANCHORED" or "UNREADABLE". */
const char *ts_verdict_word(enum ts_verdict v);
struct ts_anchor {
	uint64_t seq;
	uint8_t head[32];     /* prev of record seq (the head before it), as shown at a checkpoint */
};

/* "SEQ:HEAD", HEAD as the paper log has it: 64 hex digits with any spaces between
 * them, or 32 PGP words. */
bool ts_anchor_parse(const char *s, struct ts_anchor *a);
struct ts_verify_opts {
	const uint8_t *script;        /* optional: bytes to match against script-sha256 */
	size_t script_len;
	const struct ts_anchor *anchors;
	size_t n_anchors;
	const uint8_t (*kids)[32];    /* signer kids written on the paper log (--kid) */
	size_t n_kids;
	/* Certificates (DER) of earlier transcripts of a chain (`verify root.cts int.cts`):
	 * issuers a certificate or CRL of this one may be signed by (ts_contents.h). */
	const struct buf *issuers;
	size_t n_issuers;
	/* Optional: called with every good record, in order, as it is verified (a
	 * reader's walk in the same pass, without a second read of the file). Its
	 * failure (-1, e set) fails the verification. */
	int (*each)(void *ctx, uint64_t seq, uint64_t time_ms, enum ts_kind kind, const cbor_item_t *body,
		    struct err *e);
	void *each_ctx;
};

/* What vouches for a signer (TRANSCRIPT.md "A new signer is not trusted by the file alone"). */
enum ts_vouch {
	TS_VOUCH_FILE = 0,    /* the genesis signer: the file alone (a --kid can confirm it) */
	TS_VOUCH_KID,         /* its kid was given (--kid) */
	TS_VOUCH_ANCHOR,      /* an anchor after its resume record matched */
	TS_VOUCH_NONE,        /* a signer change nothing vouches for: UNANCHORED */
};

/* The records one signer signed, in the order they appear. */
struct ts_signer_range {
	uint8_t kid[32];
	uint64_t first, last;         /* seqs */
	int64_t resume_seq;           /* the resume record that named it; -1 for genesis */
	enum ts_vouch vouch;
	uint64_t anchor_seq;          /* TS_VOUCH_ANCHOR: which anchor */
};

struct ts_report {
	enum ts_verdict verdict;
	uint64_t records;
	int64_t bad_seq;               /* first bad record for INVALID, else -1 */
	char reason[ERR_MSG_MAX];      /* why INVALID / INCOMPLETE */
	uint8_t head[32];              /* SHA-256 of the last good record */
	uint8_t cid[16];
	struct ts_signer_range signers[16];   /* in order; a signer may appear again */
	size_t n_signers;              /* stored in signers */
	size_t n_signers_total;        /* all ranges (more than 16 are counted, not kept) */
	int64_t unanchored_seq;        /* UNANCHORED: the first resume nothing vouches for, else -1 */
	uint64_t first_ms, last_ms;
	int seal_status;               /* -1 none */
	char title[256];
	bool rehearsal;
	uint64_t signed_signoffs;      /* method-1 sign-offs verified (step-results) */
	size_t whole_len;              /* bytes of the whole good records: where a torn tail begins */
	uint64_t outcomes[5];          /* good step-results by outcome (enum ts_outcome) */
	int64_t open_seq;              /* seq of a step-begin with no result yet, else -1 */
	uint8_t signoff_kids[8][32];   /* their kids, distinct, in order of appearance */
	size_t n_signoff_kids;
	/* What the records contain, checked (ts_contents.h), when every record is good. */
	uint64_t artifacts_checked;    /* embedded artifacts that hash to their record */
	uint64_t x509_verified;        /* certificates, CRLs and CSRs whose signature verifies */
	uint64_t x509_chained;         /* of those, certificates and CRLs signed by an issuer found */
	uint64_t x509_unchained;       /* certificates and CRLs whose issuer is in no transcript given */
	uint64_t x509_unverifiable;    /* signed with an algorithm this OpenSSL cannot check (ML-DSA on 3.0) */
	uint64_t fingerprints_checked; /* SHA-256 values steps show, each the artifact's */
};

/* Verifies the transcript bytes. Returns 0 when a verdict was reached (any
 * verdict, in r->verdict); -1 only for internal failure (OOM).
 * Precedence: INVALID (the first bad record) over UNANCHORED over INCOMPLETE.
 * Bytes after the last whole record that are not one — a torn write, zero fill,
 * or a record prefix followed by zero fill — are a torn tail: INCOMPLETE. */
int ts_verify(const uint8_t *data, size_t len, const struct ts_verify_opts *o, struct ts_report *r,
	      struct err *e) CER_MUST_CHECK;
/* The same, reading the records from fd one at a time (ts_source.h): the memory is
 * the largest record's, whatever the length of the file; a record longer than
 * max_record makes it fail (-1). */
int ts_verify_fd(int fd, size_t max_record, const struct ts_verify_opts *o, struct ts_report *r,
		 struct err *e) CER_MUST_CHECK;

/* For bytes ts_verify found good (its whole records): calls each with every
 * record's seq, kind and body (borrowed for the call), in order. Used to take an
 * interrupted ceremony's state back from its records (`ceremony resume`). */
typedef int (*ts_entry_each)(void *ctx, uint64_t seq, enum ts_kind kind, const cbor_item_t *body, struct err *e);
int ts_each_entry(const uint8_t *data, size_t len, ts_entry_each each, void *ctx, struct err *e) CER_MUST_CHECK;
/* The genesis body of the good records at data (a new reference: cbor_decref it), or
 * NULL (e set) when there is none. */
cbor_item_t *ts_genesis_body(const uint8_t *data, size_t len, struct err *e);
/* The same with each record's time (ms since 1970), for a replay or a report. */
typedef int (*ts_entry_each_timed)(void *ctx, uint64_t seq, uint64_t time_ms, enum ts_kind kind,
				   const cbor_item_t *body, struct err *e);
int ts_each_entry_timed(const uint8_t *data, size_t len, ts_entry_each_timed each, void *ctx,
			struct err *e) CER_MUST_CHECK;

#endif
