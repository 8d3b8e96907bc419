/* strmap: a map from byte-string keys to a size_t, for the verifier's per-name
 * bookkeeping (the latest artifact of each step and name, the runs of each step id).
 * Those names are as many as the script has, but a hostile or simply very long
 * transcript may bring a new one in every record; a linear search made verify
 * quadratic in them (100 002 records of distinct step ids: 2.6x the time per record
 * of a script's usual 40). Open addressing, FNV-1a, grown at half full; the keys
 * are copied. Zero-initialise (struct strmap m = {0}); strmap_free releases it. */
#ifndef CER_STRMAP_H
#define CER_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"

struct strmap_slot;
struct strmap {
	struct strmap_slot *slot;
	size_t cap, n;   /* cap a power of two (or 0) */
};

/* Sets key's value (adding the key when new). */
int strmap_put(struct strmap *m, const void *key, size_t len, size_t value, struct err *e) CER_MUST_CHECK;
/* The value of key into *value: true when the key is there. */
bool strmap_get(const struct strmap *m, const void *key, size_t len, size_t *value);
void strmap_free(struct strmap *m);   /* leaves m zeroed */

#endif
