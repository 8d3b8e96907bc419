/* interp_checkpoint: what the room writes on the paper log (anchors, the audit
 * key id) and checkpoint records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp_int.h"
#include "dcbor.h"
#include "words.h"

/* Shows an anchor for the paper log: the head before record seq, each line exactly
 * what `ceremony verify --anchor` takes (SEQ:HEX, SEQ:HEX GROUPS or SEQ:WORDS), so
 * whichever form the room writes down is the one the auditor types. */
void interp_show_anchor(struct interp *in, const char *what, uint64_t seq, const uint8_t head[32])
{
	char hex[100], words[600];
	unsigned long long n = (unsigned long long)seq;
	prompt_show(in->o->prompt, PROMPT_PLAIN, "%s: anchor %llu:%s", what, n, words_hex(head, 32, hex, sizeof hex));
	prompt_show(in->o->prompt, PROMPT_PLAIN, "  in groups: %llu:%s", n, words_hex_groups(head, 32, 2, hex, sizeof hex));
	prompt_show(in->o->prompt, PROMPT_PLAIN, "  in words:  %llu:%s", n, words_pgp_line(head, 32, words, sizeof words));
}

/* The audit key's id for the paper log, in the forms `ceremony verify --kid` takes:
 * it is what later proves nobody re-signed the file with a key of their own. */
void interp_show_kid(struct interp *in, const char *what, const uint8_t kid[32])
{
	char hex[100], words[600];
	prompt_show(in->o->prompt, PROMPT_PLAIN, "%s (write this on the paper log): %s", what,
		    words_hex_groups(kid, 32, 2, hex, sizeof hex));
	prompt_show(in->o->prompt, PROMPT_PLAIN, "  in words: %s", words_pgp_line(kid, 32, words, sizeof words));
}

int step_write_checkpoint(struct step_run *r, const char *label, struct err *e)
{
	struct interp *in = r->in;
	uint8_t head[32];
	uint64_t seq;
	ts_writer_head(in->w, head);   /* the head before the checkpoint is its prev */
	int rc = rec_append_checkpoint(in->w, label, &seq, e);
	if (rc)
		return -1;
	interp_show_anchor(in, "checkpoint for the paper log", seq, head);
	char hex[100];
	return step_output(r, "checkpoint_seq", dcbor_uint(seq), e) ||
	       step_output(r, "checkpoint_prev", dcbor_text(words_hex(head, 32, hex, sizeof hex)), e);
}
