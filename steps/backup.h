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

/* key.backup's s->priv (key.restore reads which wrap key it used). */
struct backup_priv {
	struct step_keyref key;
	const struct step *wrap;   /* the wrapkey.create step */
	const char *to;            /* the backup token, or NULL */
};

/* The file attempt `run` of key.backup step `backup_step` wraps its key into:
 * OUT/backup/STEP.wrapped, STEP-runN.wrapped from the second attempt (a retry never
 * meets the first attempt's file). Fails when the path does not fit cap. */
int backup_blob_path(const struct step_run *r, const char *backup_step, unsigned run, char *path, size_t cap,
		     struct err *e) CER_MUST_CHECK;
/* true when s is a key.generate step with `backup: true`. */
bool key_generate_backup(const struct step *s);
/* What key.backup step s parsed (key.restore reads which wrap key it used); NULL when
 * s is not a backup step. */
const struct backup_priv *key_backup_of(const struct step *s);

#endif
