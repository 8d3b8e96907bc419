/* transcript.import: builds on an earlier ceremony (the intermediate ceremony a
 * year after the root, the annual recovery test): its transcript, from the drive,
 * verified when the script loads (runner/script_import.c) with what the paper log
 * of that ceremony holds, and its recorded values offered to the steps after it.
 *
 *   - id: root
 *     type: transcript.import
 *     transcript: {file: root-ceremony/transcript.cts}
 *     anchor: "41:3F0C 9A..."     # optional, one or a list: SEQ:HEAD from the paper log
 *     kid: "6C7F B0F4 ..."        # optional, one or a list: signer kids from the paper log
 *
 * Later steps name `root.root-cert` (an artifact the root ceremony recorded) where
 * they take an earlier step's artifact, and `expect: {seal_number: {same_as:
 * root.seal-root.seal_number}}` to compare what is typed or read in the room with
 * what was recorded. The step fails unless the transcript is VALID and completed
 * (and, in a live ceremony, was itself live), and the ceremony halts: a ceremony
 * never builds on a transcript nobody can vouch for.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "steps.h"
#include "../runner/dcbor.h"
#include "../runner/transcript.h"
#include "../runner/words.h"

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	if (s->on_fail != ON_FAIL_HALT)
		return script_err(c, ynode_get(s->node, "on_fail"), e,
				  "step '%s': a transcript.import that fails halts the ceremony; expected no 'on_fail' "
				  "(or 'on_fail: halt')", s->id);
	return script_import_load(c, s, ynode_get(s->node, "transcript"), ynode_get(s->node, "anchor"),
				  ynode_get(s->node, "kid"), e);
}

static int put_hex(struct step_run *r, const char *name, const uint8_t *p, size_t n, struct err *e)
{
	char hex[2 * 64 + 1];
	return step_output(r, name, dcbor_text(words_hex(p, n, hex, sizeof hex)), e);
}

static int execute(struct step_run *r, struct err *e)
{
	const struct script_import *m = script_import_of(r->cer, r->step);
	const struct ts_report *rep = m->report;
	const char *verdict = ts_verdict_word(rep->verdict);
	char first[32], last[32];
	cbor_item_t *kids = dcbor_array();
	if (!kids)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < rep->n_signers; i++) {
		char hex[65];
		if (dcbor_push(kids, dcbor_text(words_hex(rep->signers[i].kid, 32, hex, sizeof hex)), e)) {
			cbor_decref(&kids);
			return -1;
		}
	}
	ts_time_text(rep->first_ms, TS_TIME_ISO, first, sizeof first);
	ts_time_text(rep->last_ms, TS_TIME_ISO, last, sizeof last);
	if (step_output(r, "file", dcbor_text(m->name), e) || put_hex(r, "file_sha256", m->sha256, 32, e) ||
	    step_output(r, "verdict", dcbor_text(verdict), e) || step_output(r, "title", dcbor_text(rep->title), e) ||
	    step_output(r, "mode", dcbor_text(rep->rehearsal ? "rehearsal" : "live"), e) ||
	    put_hex(r, "ceremony_id", rep->cid, 16, e) || step_output(r, "records", dcbor_uint(rep->records), e) ||
	    put_hex(r, "head", rep->head, 32, e) || step_output(r, "first_record", dcbor_text(first), e) ||
	    step_output(r, "last_record", dcbor_text(last), e) || step_output(r, "signers", kids, e) ||
	    step_output(r, "anchors_checked", dcbor_uint(m->n_anchors), e) ||
	    step_output(r, "kids_checked", dcbor_uint(m->n_kids), e))
		return -1;
	if (m->has_continues && put_hex(r, "continues", m->continues, 32, e))
		return -1;
	if (step_check(r, "verdict", dcbor_text("VALID"), dcbor_text(verdict), m->usable, e))
		return -1;
	if (!m->usable) {
		if (rep->verdict == TS_VALID_ABORTED)
			return err_set(e, ERR_IMPORT, "%s is a ceremony that did not complete (sealed %s): nothing it made "
						      "can be built on", m->name, rep->seal_status == TS_HALTED ? "halted" : "aborted");
		if (rep->verdict == TS_UNANCHORED)
			return err_set(e, ERR_IMPORT, "%s is UNANCHORED from seq %" PRId64 ": its signer changed at a "
						      "resume and nothing from the paper log vouches for the new one; give "
						      "'anchor' (SEQ:HEAD at or after that record) or 'kid'",
				       m->name, rep->unanchored_seq);
		return err_set(e, ERR_IMPORT, "%s does not verify (%s%s%s): the ceremony does not build on it", m->name,
			       verdict, rep->reason[0] ? ": " : "", rep->reason);
	}
	/* Live = rehearsal, except that a live ceremony never builds on a rehearsal's
	 * throwaway keys. */
	bool live_on_rehearsal = !step_is_rehearsal(r) && rep->rehearsal;
	if (step_check(r, "mode", dcbor_text(step_is_rehearsal(r) ? "live or rehearsal" : "live"),
		       dcbor_text(rep->rehearsal ? "rehearsal" : "live"), !live_on_rehearsal, e))
		return -1;
	if (live_on_rehearsal)
		return err_set(e, ERR_IMPORT, "%s is a rehearsal's transcript: a live ceremony builds only on a live one",
			       m->name);
	step_show(r, "%s: VALID, %" PRIu64 " records, %s to %s (%s)", m->name, rep->records, first, last,
		  rep->rehearsal ? "a rehearsal" : "live");
	step_show(r, "  \"%s\"", rep->title);
	if (m->n_anchors || m->n_kids)
		step_show(r, "  paper log: %zu anchor%s and %zu signer kid%s match", m->n_anchors,
			  m->n_anchors == 1 ? "" : "s", m->n_kids, m->n_kids == 1 ? "" : "s");
	return 0;
}

static const char *const keys[] = {"transcript", "anchor", "kid", NULL};
static const char *const outputs[] = {"file",         "file_sha256", "verdict",         "title",
				      "mode",         "ceremony_id", "records",         "head",
				      "first_record", "last_record", "signers",         "anchors_checked",
				      "kids_checked", "continues",   NULL};

const struct step_type step_transcript_import = {
	.name = "transcript.import",
	.summary = "verifies an earlier ceremony's transcript and offers what it recorded to later steps",
	.keys = keys,
	.outputs = outputs,
	.flags = STEP_IMPORTS,
	.validate = validate,
	.execute = execute,
};
