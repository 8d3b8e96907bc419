/* keepsafe: what the people of a rehearsal would still hold after a crash, kept
 * beside its throwaway tokens so that `ceremony resume` can finish the rehearsal
 * unattended.
 *
 * In a live ceremony the room holds these things itself: the administrator knows
 * the tokens' PINs, each custodian has their share on a card, and a value held only
 * in the runner's memory (a wrap key before its split) is gone with the process. A
 * rehearsal has nobody to hold them, so the rehearsal writes them here: the PINs it
 * generated for its tokens, the shares it handed out, the values it kept for the
 * run. They protect nothing but throwaway SoftHSM tokens in the same folder, and
 * the folder is removed with them once the transcript is sealed. A live run never
 * opens a keepsafe (interp_opts.keepsafe is NULL).
 *
 * The file only grows (O_APPEND, one fdatasync per entry); an entry torn by a crash
 * is ignored on loading; a later entry of the same kind, step and name wins (a
 * retried step). Entry: "KIND\tSTEP\tNAME\tLEN\n" then LEN bytes then "\n". */
#ifndef CER_KEEPSAFE_H
#define CER_KEEPSAFE_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "secret.h"

/* Kinds of entry. */
#define KEEPSAFE_PIN "pin"         /* STEP: the script's token name; NAME: "user" or "so" */
#define KEEPSAFE_SECRET "secret"   /* a value a step kept for the run (step_secret_keep) */
#define KEEPSAFE_SHARE "share"     /* NAME: "K" or "K:holder"; the share's text form */

struct keepsafe;

/* Opens (creating when missing) the keepsafe file at path, mode 0600. */
int keepsafe_open(const char *path, struct keepsafe **out, struct err *e) CER_MUST_CHECK;
/* Appends one entry, durable before it returns. kind, step and name hold no tab
 * or newline. */
int keepsafe_put(struct keepsafe *k, const char *kind, const char *step, const char *name, const uint8_t *data,
		 size_t len, struct err *e) CER_MUST_CHECK;
void keepsafe_close(struct keepsafe *k);   /* NULL is a no-op */

/* Calls each for every whole entry of the file at path, in order; data is in
 * locked memory and wiped after the call. A non-zero return from each stops. */
typedef int (*keepsafe_each)(void *ctx, const char *kind, const char *step, const char *name,
			     const struct secret *data, struct err *e);
int keepsafe_load(const char *path, keepsafe_each each, void *ctx, struct err *e) CER_MUST_CHECK;

/* Cuts an entry a crash tore off the end of the file, so that entries appended
 * after it are read back (a resume, before it appends). */
int keepsafe_cut_torn(const char *path, struct err *e) CER_MUST_CHECK;

#endif
