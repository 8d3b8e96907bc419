/* softhsm: throwaway SoftHSM2 token stores for rehearsals and tests.
 *
 * A store is a fresh directory (mkdtemp) holding softhsm2.conf and tokens/.
 * softhsm_store_new points SOFTHSM2_CONF at it, so it must be called before the
 * module is loaded (SoftHSM reads its configuration in C_Initialize).
 */
#ifndef CER_SOFTHSM_H
#define CER_SOFTHSM_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"

struct softhsm_store;

struct tok_module;
/* Loads the PKCS#11 module at path (NULL: the default) for a rehearsal, which
 * initialises tokens: refused (code "module") unless its manufacturer is SoftHSM, so
 * --module can never point a rehearsal at a real HSM. */
int softhsm_module_load(const char *path, struct tok_module **out, struct err *e) CER_MUST_CHECK;

/* Creates the store under parent (NULL: $TMPDIR or /tmp) and sets SOFTHSM2_CONF. */
int softhsm_store_new(const char *parent, struct softhsm_store **out, struct err *e) CER_MUST_CHECK;
/* The store `rehearse` left in parent (one "ceremony-tokens.*" folder there) after
 * an interruption, so `resume` goes on with the same tokens; sets SOFTHSM2_CONF. */
int softhsm_store_find(const char *parent, struct softhsm_store **out, struct err *e) CER_MUST_CHECK;
const char *softhsm_store_dir(const struct softhsm_store *s);
/* Copies the tokens of the store an earlier rehearsal kept in folder earlier
 * (`rehearse --keep`) into s, before the module is loaded: a later ceremony's
 * rehearsal starts with the tokens the earlier one left, which stay as they were.
 * keepsafe (cap bytes) gets the path of the earlier store's keepsafe. */
/* Records in s that the rehearsal it holds runs after the one in folder earlier
 * (`rehearse --after`), for a resume: softhsm_store_after gives it back (into out,
 * cap bytes; "" when it ran after none). */
int softhsm_store_set_after(struct softhsm_store *s, const char *earlier, struct err *e) CER_MUST_CHECK;
int softhsm_store_after(const struct softhsm_store *s, char *out, size_t cap, struct err *e) CER_MUST_CHECK;
int softhsm_store_take_on(struct softhsm_store *s, const char *earlier, char *keepsafe, size_t cap,
			  struct err *e) CER_MUST_CHECK;
/* Removes the whole store unless keep (then it says where it is kept). NULL no-op. */
void softhsm_store_free(struct softhsm_store *s, bool keep);

#endif
