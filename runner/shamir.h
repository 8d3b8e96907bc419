/* shamir: m-of-n secret sharing over GF(2^8) (Shamir 1979), on Debian's libgfshare,
 * with its random source pointed at OpenSSL's RAND_priv_bytes (never libgfshare's
 * random()-based fallback). The only file that uses libgfshare.
 *
 * A share's text form (what a custodian reads, keeps and types back) carries its
 * index, the threshold and count, the split's purpose and id, and checksums that
 * catch a mistyped character and say which group is wrong.
 * Secrets and share bytes live in struct secret (locked, wiped).
 */
#ifndef CER_SHAMIR_H
#define CER_SHAMIR_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "secret.h"

enum { SHAMIR_MAX_SHARES = 255, SHAMIR_ID_LEN = 8, SHAMIR_PURPOSE_MAX = 32, SHAMIR_CHECK_LEN = 4 };

struct shamir_share {
	uint8_t index;                        /* 1..count (libgfshare's x coordinate) */
	uint8_t threshold, count;             /* m and n */
	uint8_t split_id[SHAMIR_ID_LEN];      /* random, the same in every share of one split */
	char purpose[SHAMIR_PURPOSE_MAX + 1]; /* e.g. "pin:root" or "wrap:backup" */
	struct secret *data;                  /* the share bytes, as long as the secret */
};

/* Splits secret into n shares, any m of which rebuild it (2 <= m <= n <= 255).
 * *shares is an array of n (caller frees with shamir_shares_free). */
int shamir_split(const struct secret *secret, unsigned m, unsigned n, const char *purpose,
		 struct shamir_share **shares, struct err *e) CER_MUST_CHECK;
/* Rebuilds the secret from k shares into out. Refuses (code "shares", naming the
 * problem) fewer than the threshold, shares of different splits, a repeated index. */
int shamir_combine(const struct shamir_share *shares, size_t k, struct secret *out, struct err *e) CER_MUST_CHECK;
/* Frees and wipes n shares. NULL is a no-op. */
void shamir_shares_free(struct shamir_share *shares, size_t n);
void shamir_share_clear(struct shamir_share *s);

/* The text form, into out (locked memory). */
int shamir_share_format(const struct shamir_share *s, struct secret *out, struct err *e) CER_MUST_CHECK;
/* The text form laid out to be written down by its holder: the header on a line of
 * its own, then rows of SHAMIR_ROW groups, each row led by its first group's number:
 *     cs1 pin:root 3-of-5 #2
 *       1  ABCDE FGHIJ KLMNO PQRST UVWXY
 *       6  ...
 * shamir_share_parse reads it back (the row numbers may be typed or left out). */
enum { SHAMIR_ROW = 5 };
int shamir_share_format_rows(const struct shamir_share *s, struct secret *out, struct err *e) CER_MUST_CHECK;
/* The share's checksum (the last group of its text form without its check
 * character): what a custodian re-types to confirm they hold the share. */
int shamir_share_checksum(const struct shamir_share *s, char out[SHAMIR_CHECK_LEN + 1]);
/* Text forms start with this (for tests that search files for shares). */
#define SHAMIR_TEXT_PREFIX "cs1 "
/* Parses a typed share; a mistyped character is reported with the group it is in. */
int shamir_share_parse(const char *text, size_t len, struct shamir_share *out, struct err *e) CER_MUST_CHECK;
/* The same for a share whose header the runner knows (known: purpose, threshold,
 * count and index; its data is not read): the text may leave out "cs1 PURPOSE M-of-N
 * #I" and be only the groups. A text with a header is parsed as it says (the caller
 * compares split and index). known NULL: as shamir_share_parse. */
int shamir_share_parse_known(const char *text, size_t len, const struct shamir_share *known, struct shamir_share *out,
			     struct err *e) CER_MUST_CHECK;

#endif
