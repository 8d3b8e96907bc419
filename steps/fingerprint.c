/* fingerprint: the SHA-256 of an artifact, shown in hex groups and PGP words to be
 * read aloud and written on the paper log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>
#include "steps.h"
#include "../runner/words.h"

struct fp_priv {
	const struct step *target;
	const char *artifact;
};

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *of = ynode_get(s->node, "of");
	struct fp_priv *p;
	if (!of)
		return script_err(c, s->node, e, "step '%s': missing 'of' (the step, or STEP.ARTIFACT, to fingerprint)",
				  s->id);
	if (!(p = calloc(1, sizeof *p)))
		return err_set(e, "nomem", "out of memory");
	s->priv = p;
	return script_ref(c, s, of, &p->target, &p->artifact, e);
}

static int execute(struct step_run *r, struct err *e)
{
	const struct fp_priv *p = r->step->priv;
	const uint8_t *data;
	size_t len;
	uint8_t sha[32];
	char hex[80], groups[100], words[600];
	if (step_find_artifact(r, p->target->id, p->artifact, &data, &len, e))
		return -1;
	SHA256(data, len, sha);
	words_hex(sha, sizeof sha, hex, sizeof hex);
	words_hex_groups(sha, sizeof sha, 2, groups, sizeof groups);
	words_pgp_line(sha, sizeof sha, words, sizeof words);
	step_show(r, "SHA-256 of %s.%s:", p->target->id, p->artifact);
	step_show(r, "  %s", groups);
	step_show(r, "  %s", words);
	char what[160];
	snprintf(what, sizeof what, "%s.%s", p->target->id, p->artifact);
	return step_output(r, "artifact", dcbor_text(what), e) || step_output(r, "sha256", dcbor_text(hex), e) ||
	       step_output(r, "hex_groups", dcbor_text(groups), e) || step_output(r, "pgp_words", dcbor_text(words), e);
}

static const char *const keys[] = {"of", NULL};
static const char *const outputs[] = {"artifact", "sha256", "hex_groups", "pgp_words", NULL};

const struct step_type step_fingerprint = {
	.name = "fingerprint",
	.summary = "SHA-256 of an artifact in hex groups and PGP words, to read aloud",
	.keys = keys,
	.outputs = outputs,
	.validate = validate,
	.execute = execute,
};
