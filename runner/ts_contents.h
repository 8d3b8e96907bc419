/* ts_contents: what a transcript's records say about what they contain
 * (TRANSCRIPT.md "What a verifier checks", 6: "embedded artifacts hash to their
 * recorded sha256 and certificates, CRLs and CSRs re-verify (signatures, chain,
 * fingerprints shown in the step outputs)"), and what an auditor reads first in it:
 * the steps that failed, deviated or were retried, and who refused what.
 *
 * Checked over the good records of a transcript (ts_verify calls the check once
 * they are all good, so a file is INVALID for its contents as for its records):
 *   - every embedded artifact's SHA-256 and size are its record's;
 *   - a PEM artifact a step recorded beside its DER twin holds the same DER;
 *   - every certificate, CRL and CSR verifies: a self-issued certificate with its own
 *     key, another with the key of an issuer certificate in the transcript (or among
 *     the earlier transcripts' a chain of them gives, opts->issuers); one whose
 *     issuer is in neither is counted as unchained, not failed;
 *   - every SHA-256 a step shows for an artifact (a fingerprint step's `sha256` of its
 *     `artifact`, a certificate step's `sha256`, key.generate's `public_key_sha256`)
 *     is that artifact's.
 * A failure makes the verdict INVALID at the record that holds it, with why. */
#ifndef CER_TS_CONTENTS_H
#define CER_TS_CONTENTS_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "strmap.h"
#include "transcript.h"

/* The check, fed one good record at a time in order (ts_verify does), judged at
 * the end. It keeps the latest SHA-256 of each (step, artifact) name and the
 * certificates (the issuers), never the records: its memory grows with the script's
 * artifacts, not with the transcript's length. opts->issuers are read at new. */
struct ts_contents;
struct ts_contents *ts_contents_new(const struct ts_verify_opts *o, struct err *e);
int ts_contents_take(struct ts_contents *c, uint64_t seq, enum ts_kind kind, const cbor_item_t *body,
		     struct err *e) CER_MUST_CHECK;
/* Once every record is good: the counts into r, and the first bad record's finding
 * (verdict INVALID, bad_seq, reason) when there is one. */
int ts_contents_finish(struct ts_contents *c, struct ts_report *r, struct err *e) CER_MUST_CHECK;
void ts_contents_free(struct ts_contents *c);

/* The DER of every certificate a good record embeds (appended to v, n of them; the
 * caller frees each and the array): the issuers a later transcript of a chain may be
 * signed by. ts_certs_take is a walk's callback (ctx a struct ts_certs). */
struct ts_certs {
	struct buf *v;
	size_t n;
};
int ts_certs_take(void *ctx, uint64_t seq, enum ts_kind kind, const cbor_item_t *body, struct err *e) CER_MUST_CHECK;
/* The genesis `continues` (key 7) of a genesis body: 1 with head set, 0 without. */
int ts_continues_of(const cbor_item_t *genesis, uint8_t head[32]);

/* What the auditor reads first: one line for each step that failed, was aborted or
 * accepted as a deviation (with its error or note), each step run more than once,
 * each refusal (who, role, why), and the slips asked again. */
struct ts_story_line {
	uint64_t seq;
	char step[64];
	char what[480];
};
struct ts_story {
	struct ts_story_line lines[64];
	size_t n, total;          /* kept, and all of them (more are counted, not kept) */
	uint64_t failed, deviations, retried, refusals, slips, decisions;
	struct strmap runs;       /* runs of each step id so far */
};
/* Told one good record at a time (a walk's callback, ctx a zeroed struct ts_story);
 * ts_story_free lets go of what it keeps, not the lines. */
int ts_story_take(void *ctx, uint64_t seq, enum ts_kind kind, const cbor_item_t *body, struct err *e) CER_MUST_CHECK;
void ts_story_free(struct ts_story *s);

#endif
