/* binding: which PKCS#11 module and token each of the script's token names means
 * on the day (SCRIPT.md requirement 1). Kept apart from the reviewed script so the
 * script never changes in the room.
 *
 *   binding: 1
 *   module: /usr/lib/softhsm/libsofthsm2.so     # optional; default SoftHSM2's
 *   tokens:
 *     root: "pkcs11:token=EXAMPLE-ROOT-CA;serial=..."   # RFC 7512 URI
 *   signers:                                            # optional
 *     "Wendy Wu": "pkcs11:token=WENDY;object=wendy"      # a participant's own key
 *
 * A participant named under signers signs their sign-offs with that key (COSE_Sign1,
 * TRANSCRIPT.md signoff method 1); the URI names the token and the key's label.
 * A URI carrying pin-value or pin-source is refused: PINs are typed, never stored.
 * Described by schemas/binding.schema.json; errors are FILE:LINE:COL with code "binding".
 */
#ifndef CER_BINDING_H
#define CER_BINDING_H

#include <stddef.h>
#include "err.h"
#include "script.h"
#include "ynode.h"

struct binding_entry {
	const char *name;   /* the script's token name */
	const char *uri;
};

/* A participant's own signing key: token_uri is uri without its object= (and type=)
 * attributes, for tok_find_uri; label is the object= value, percent-decoded. */
struct binding_signer {
	const char *name;   /* the participant's name, as attendance records it */
	const char *uri;
	char *token_uri;    /* owned */
	char *label;        /* owned */
};

struct binding {
	struct ydoc *doc;   /* owns the strings */
	const char *module; /* NULL: the default */
	struct binding_entry *tokens;
	size_t n;
	struct binding_signer *signers;
	size_t n_signers;
};

/* Loads path and checks it against the script: every token of c bound, nothing else. */
int binding_load(const char *path, const struct ceremony *c, struct binding **out, struct err *e) CER_MUST_CHECK;
void binding_free(struct binding *b);   /* NULL is a no-op */

#endif
