/* utf8: the one reading of UTF-8 (RFC 3629 §4: no overlong forms, no surrogates,
 * nothing above U+10FFFF) for everything that takes text: the script's YAML, the
 * transcript's CBOR, certificates' UTF8String, text from a transcript shown to an
 * auditor. */
#ifndef CER_UTF8_H
#define CER_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The well-formed sequence at p (left bytes there): its length 1..4 with its code
 * point in *cp (may be NULL); 0 when it is malformed or cut short. */
size_t utf8_seq(const uint8_t *p, size_t left, uint32_t *cp);
/* Whether s[0..n) is all well-formed UTF-8. */
bool utf8_valid(const uint8_t *s, size_t n);

#endif
