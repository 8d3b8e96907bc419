/* fold: the one reading of what a person types where a slip of case or spacing must
 * not count (issue 10: "a slip in the room is asked again, never fatal"): a name
 * against the attendance, a decision's choice, a fingerprint's groups read back.
 * ASCII case only, and no locale: UTF-8 bytes outside ASCII are compared as they
 * are, so "Åsa" and "åsa" stay two names (an auditor can see why). */
#ifndef CER_FOLD_H
#define CER_FOLD_H

#include <stdbool.h>
#include <stddef.h>

/* in with no white space at either end and every run of white space inside as one
 * space ("  Ada \t Alvarez " -> "Ada Alvarez"), case kept, into out (cap bytes,
 * always terminated; the caller's buffer). Returns the length it needed: >= cap means
 * out was cut short. */
size_t fold_space(const char *in, char *out, size_t cap);
/* Whether a and b are the same once both are space-folded and ASCII lower-cased
 * ("ada  alvarez" and "Ada Alvarez"). No allocation; any length. */
bool fold_same(const char *a, const char *b);
/* in with every white space and ':' dropped and ASCII letters upper-cased
 * ("bb6c:52a8" and "BB6C 52A8" -> "BB6C52A8"), the form in which hex groups read
 * back are compared, into out as fold_space does. */
size_t fold_hex(const char *in, char *out, size_t cap);

#endif
