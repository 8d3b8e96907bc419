/* words: reading hashes aloud.
 *
 * The PGP word list (data/pgp-words.txt, turned into C at build time): a byte at an
 * even position is read with the two-syllable word, at an odd position with the
 * three-syllable word, so a swapped or dropped word is heard.
 */
#ifndef CER_WORDS_H
#define CER_WORDS_H

#include <stddef.h>
#include <stdint.h>

/* Word for byte b at position pos (0-based) in the sequence. */
const char *words_pgp(uint8_t b, size_t pos);
/* "topmost Istanbul Pluto vagabond": words separated by one space, into out
 * (truncated safely if cap is too small). Returns out. */
char *words_pgp_line(const uint8_t *p, size_t n, char *out, size_t cap);
/* "E582 94F2 ...": upper-case hex in groups of `group` bytes. Returns out. */
char *words_hex_groups(const uint8_t *p, size_t n, size_t group, char *out, size_t cap);
/* Plain lower-case hex. Returns out. */
char *words_hex(const uint8_t *p, size_t n, char *out, size_t cap);
/* Reads n bytes as the paper log has them: hex digits (any case, spaces and tabs
 * anywhere, as in "E582 94F2 ...") or PGP words separated by white space (any case,
 * each at its own parity). 0 when s is exactly n bytes in one of the two forms. */
int words_parse(const char *s, uint8_t *out, size_t n);

#endif
