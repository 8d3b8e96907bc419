/* fingerprint: the SHA-256 of an artifact, shown in hex groups and PGP words to be
 * read aloud and written on the paper log. With `readback`, a named role types the
 * last groups back as they heard them (seed 004 §4: "read aloud, written on the
 * ceremony log by the administrator, and independently verified by the witness");
 * what they typed is recorded. Case, spaces and colons do not count; a mismatch is
 * asked again (PROMPT_ATTEMPTS in all) before it fails the step.
 *
 *   of: STEP | STEP.ARTIFACT
 *   readback: {role: witness, groups: 2}     optional; groups 1 to 16, default 2
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include "steps.h"
#include "../runner/x509_read.h"
#include "../runner/words.h"
#include "../runner/hash.h"
#include "../runner/fold.h"

enum { FP_GROUPS = 16, FP_DEFAULT_READBACK = 2, FP_WORDS_ROW = 4 };

struct fp_priv {
	const struct step *target;
	const char *artifact;
	const char *readback_role;   /* NULL: no readback */
	unsigned readback_groups;
};

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	static const char *const rb_keys[] = {"role", "groups", NULL};
	const struct ynode *of = ynode_get(s->node, "of"), *rb = ynode_get(s->node, "readback");
	struct fp_priv *p;
	if (!of)
		return script_err(c, s->node, e, "step '%s': missing 'of' (the step, or STEP.ARTIFACT, to fingerprint)",
				  s->id);
	if (!(p = calloc(1, sizeof *p)))
		return err_set(e, ERR_NOMEM, "out of memory");
	s->priv = p;
	if (script_ref(c, s, of, &p->target, &p->artifact, e))
		return -1;
	if (!rb)
		return 0;
	char what[128];
	snprintf(what, sizeof what, "'readback' of step '%s'", s->id);
	if (ynode_want_map(c->doc, rb, "'readback' ({role: ROLE, groups: N})", e) ||
	    ynode_only_keys(c->doc, rb, rb_keys, what, e))
		return -1;
	const struct ynode *role = ynode_get(rb, "role"), *groups = ynode_get(rb, "groups");
	if (!role)
		return script_err(c, rb, e, "%s: missing 'role' (who types the groups back)", what);
	if (ynode_want_str(c->doc, role, "'role'", &p->readback_role, e))
		return -1;
	if (!script_role(c, p->readback_role))
		return script_err(c, role, e, "%s: no role '%s' in 'roles'", what, p->readback_role);
	p->readback_groups = FP_DEFAULT_READBACK;
	if (groups) {
		uint64_t g;
		if (ynode_want_uint(c->doc, groups, "'groups' (how many of the last hex groups are typed back)", 1,
				    FP_GROUPS, &g, e))
			return -1;
		p->readback_groups = (unsigned)g;
	}
	return 0;
}

/* What the artifact is, and for a certificate its subject and serial (seed 004 §5:
 * "the serial numbers of both certificates are recorded"). */
static int describe(struct step_run *r, const uint8_t *data, size_t len, struct err *e)
{
	struct x509_obj o;
	char text[512];
	int ret = -1;
	if (x509_obj_parse(data, len, &o, e))
		return -1;
	if (step_output(r, "kind", dcbor_text(o.kind == X509_OBJ_UNKNOWN ? "bytes" : x509_obj_kind_name(o.kind)), e))
		goto out;
	if (o.kind == X509_OBJ_CERT) {
		/* As `openssl x509 -serial` shows it: upper-case hex of the value, no padding. */
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(o.cert), NULL);
		char *hex = bn ? BN_bn2hex(bn) : NULL;
		BN_free(bn);
		if (!hex) {
			err_openssl(e, "cannot read the certificate's serial number");
			goto out;
		}
		int rc = step_output(r, "subject", dcbor_text(x509_name_text(X509_get_subject_name(o.cert), text, sizeof text)), e) ||
			 step_output(r, "serial", dcbor_text(hex), e);
		OPENSSL_free(hex);
		if (rc)
			goto out;
	}
	ret = 0;
out:
	x509_obj_free(&o);
	return ret;
}

static int readback(struct step_run *r, const struct fp_priv *p, const char *groups, struct err *e)
{
	const char *who = NULL;
	char question[256], want[100], typed[256], what[128], want_hex[100], typed_hex[256];
	char *answer = NULL;
	bool held = false;
	/* The last N groups of "XXXX XXXX ...": each group is 4 characters and a space. */
	size_t skip = (size_t)(FP_GROUPS - p->readback_groups) * 5;
	snprintf(want, sizeof want, "%s", groups + skip);
	(void)fold_hex(want, want_hex, sizeof want_hex);
	if (step_person(r, p->readback_role, "readback_by", &who, e))
		return -1;
	snprintf(question, sizeof question, "%s, type the last %u group%s of the SHA-256 fingerprint as you heard them",
		 p->readback_role, p->readback_groups, p->readback_groups == 1 ? "" : "s");
	/* Case, spaces and colons are how it was written down, not what was heard:
	 * "bb6c52a8" is "BB6C 52A8". A mismatch is asked again; the message names what
	 * was typed, and the screen above still shows the fingerprint. */
	for (unsigned attempt = 1;; attempt++) {
		if (step_ask_readback(r, p->readback_role, "readback", question, want, &answer, e))
			return -1;
		held = fold_hex(answer, typed_hex, sizeof typed_hex) < sizeof typed_hex && !strcmp(typed_hex, want_hex);
		if (held || !step_slip(r, p->readback_role, "readback", attempt,
				       "'%s' does not match the fingerprint on the screen: %s, read the last %u group%s again",
				       answer, who, p->readback_groups, p->readback_groups == 1 ? "" : "s"))
			break;
		free(answer);
		answer = NULL;
	}
	/* Recorded as before: for a match the groups as shown, for a mismatch what was
	 * typed (upper case, spaces folded). */
	if (held)
		snprintf(typed, sizeof typed, "%s", want);
	else
		for (size_t i = 0, n = fold_space(answer, typed, sizeof typed); i < n && typed[i]; i++)
			typed[i] = (char)toupper((unsigned char)typed[i]);
	snprintf(what, sizeof what, "readback by %s: last %u group%s", p->readback_role, p->readback_groups,
		 p->readback_groups == 1 ? "" : "s");
	int rc = step_output(r, "readback", dcbor_text(answer), e) ||
		 step_output(r, "readback_by", dcbor_text(who), e) ||
		 step_check(r, what, dcbor_text(want), dcbor_text(typed), held, e);
	free(answer);
	if (rc)
		return -1;
	if (!held)
		return err_set(e, ERR_READBACK, "%s typed '%s' but the fingerprint ends '%s': the fingerprint was not confirmed",
			       who, typed, want);
	step_show(r, "%s (%s) confirmed the fingerprint: %s", who, p->readback_role, want);
	return 0;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct fp_priv *p = r->step->priv;
	const uint8_t *data;
	size_t len;
	uint8_t sha[32];
	char hex[80], groups[100], colons[100], words[600], what[160];
	if (step_find_artifact(r, p->target->id, p->artifact, &data, &len, e))
		return -1;
	hash_sha256(data, len, sha);
	words_hex(sha, sizeof sha, hex, sizeof hex);
	words_hex_groups(sha, sizeof sha, 2, groups, sizeof groups);
	words_pgp_line(sha, sizeof sha, words, sizeof words);
	/* OpenSSL's form (`openssl x509 -fingerprint -sha256`), as seed 004's log records it. */
	for (size_t i = 0; i < sizeof sha; i++)
		snprintf(colons + 3 * i, sizeof colons - 3 * i, "%02X%s", sha[i], i + 1 < sizeof sha ? ":" : "");
	step_show(r, "SHA-256 of %s.%s:", p->target->id, p->artifact);
	step_show(r, "  %s", groups);
	/* Read aloud in numbered rows of four words, so a listener who lost their place
	 * hears "row 9" and finds it; no word is split at the screen's edge. */
	for (size_t i = 0; i < sizeof sha; i += FP_WORDS_ROW) {
		char row[200];
		size_t used = (size_t)snprintf(row, sizeof row, "%3zu ", i + 1);
		for (size_t k = i; k < i + FP_WORDS_ROW && k < sizeof sha; k++)
			used += (size_t)snprintf(row + used, sizeof row - used, " %s", words_pgp(sha[k], k));
		step_show(r, "  %s", row);
	}
	snprintf(what, sizeof what, "%s.%s", p->target->id, p->artifact);
	if (step_output(r, "artifact", dcbor_text(what), e) || step_output(r, "sha256", dcbor_text(hex), e) ||
	    step_output(r, "sha256_colons", dcbor_text(colons), e) || step_output(r, "hex_groups", dcbor_text(groups), e) ||
	    step_output(r, "pgp_words", dcbor_text(words), e) || describe(r, data, len, e))
		return -1;
	return p->readback_role ? readback(r, p, groups, e) : 0;
}

static const char *const keys[] = {"of", "readback", NULL};
static const char *const outputs[] = {"artifact", "sha256", "sha256_colons", "hex_groups", "pgp_words", "kind",
				      "subject", "serial", "readback", "readback_by", NULL};

static size_t questions(const struct ceremony *c, const struct step *s, struct step_question *out, size_t max)
{
	(void)c;
	const struct fp_priv *p = s->priv;
	if (!max || !p->readback_role)
		return 0;
	out[0] = (struct step_question){p->readback_role, "readback", 1, NULL};
	return 1;
}

static const char *const asks[] = {"readback", "readback_by", NULL};
const struct step_type step_fingerprint = {
	.name = "fingerprint",
	.summary = "SHA-256 of an artifact in hex groups and PGP words, to read aloud; a role may type it back",
	.keys = keys,
	.outputs = outputs,
	.asks = asks,
	.questions = questions,
	.validate = validate,
	.execute = execute,
};
