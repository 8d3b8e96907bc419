/* backup: what the backup step types (wrapkey.create, key.backup, key.restore) share.
 *
 * Design (seed 002 steps 6-7, seed 004 §6): the wrap key's 32 bytes come from the
 * token's RNG (C_GenerateRandom) into locked memory; the security officer creates the
 * AES-256 key from them with CKA_TRUSTED (tok_wrapkey_create), so the same key can be
 * rebuilt in another token from the same bytes. The bytes are held by the interpreter
 * for the run (step_secret_keep, wiped at its end) so the custody steps can split them
 * among the custodians; they are never written anywhere. The wrapped key (the blob)
 * is ciphertext under that key, but not a public artifact: it is written to
 * OUT/backup/<step>.wrapped only, and the transcript records its SHA-256 and size. */
#ifndef CER_STEPS_BACKUP_H
#define CER_STEPS_BACKUP_H

#include "steps.h"

extern const struct step_type step_key_generate, step_wrapkey_create, step_key_backup, step_key_restore;

/* key.backup's s->priv (key.restore reads which wrap key it used). */
struct backup_priv {
	struct step_keyref key;
	const struct step *wrap;   /* the wrapkey.create step */
	const char *to;            /* the backup token, or NULL */
};

/* Reads a wrap key's attributes back as checks and outputs named prefix + "trusted",
 * "sensitive"...; *all false when one is not what it must be (wrapkey_create.c). */
int wrapkey_checks(struct step_run *r, struct tok_session *s, CK_OBJECT_HANDLE h, const char *prefix, bool *all,
		   struct err *e) CER_MUST_CHECK;
/* A reference at n to an earlier step of type t (load time; errors name the position). */
int backup_step_ref(const struct ceremony *c, const struct step *s, const struct ynode *n, const struct step_type *t,
		    const struct step **out, struct err *e) CER_MUST_CHECK;
/* true when s is a key.generate step with `backup: true`. */
bool key_generate_backup(const struct step *s);
/* The trusted wrap key of wrapkey.create step wk on token: found by its label, or
 * created there by the security officer from the value the run holds. With value
 * (e.g. rebuilt from the custodians' shares by key.restore) it is created from those
 * bytes and must not be on the token already. *h is a handle valid in the user's
 * session on that token (step_session_on). */
/* Destroys the wrap key made from wk on token, if it is there. ret is the step's result
 * so far: returned unchanged unless the removal fails (then -1; e is set only when ret
 * was 0). */
int backup_wrapkey_remove(struct step_run *r, const struct step *wk, const char *token, int ret, struct err *e);
int backup_wrapkey_on(struct step_run *r, const struct step *wk, const char *token, const struct secret *value,
		      CK_OBJECT_HANDLE *h, bool *created, struct err *e) CER_MUST_CHECK;

#endif
