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
#include "transcript.h"

int ts_contents_check(const uint8_t *data, size_t len, const struct ts_verify_opts *o, struct ts_report *r,
		      struct err *e) CER_MUST_CHECK;

/* The DER of every certificate the good records embed (appended to *out, *n of them;
 * the caller frees each and the array): the issuers a later transcript of a chain may
 * be signed by. */
int ts_certificates(const uint8_t *data, size_t len, struct buf **out, size_t *n, struct err *e) CER_MUST_CHECK;
/* The genesis `continues` (key 7) of the transcript: 1 with head set, 0 without. */
int ts_continues(const uint8_t *data, size_t len, uint8_t head[32], struct err *e) CER_MUST_CHECK;

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
};
int ts_story_read(const uint8_t *data, size_t len, struct ts_story *s, struct err *e) CER_MUST_CHECK;

#endif
