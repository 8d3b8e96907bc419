/* hash: SHA-256 that cannot fail.
 *
 * OpenSSL 3's one-shot SHA256() fetches the digest and allocates a context on
 * every call and returns NULL when an allocation fails, leaving the output
 * unwritten; callers that ignore that (a kid, a record's prev, a share's checksum)
 * then use whatever the buffer held. hash_sha256 allocates nothing, so there is
 * no failure to ignore (tests/unit/test_failalloc.c found the SHA256() ones).
 */
#ifndef CER_HASH_H
#define CER_HASH_H

#include <stddef.h>
#include <stdint.h>

enum { HASH_SHA256_LEN = 32, HASH_SHA384_LEN = 48 };

/* out = SHA-256(data[0..len)) (FIPS 180-4). data may be NULL when len is 0. */
void hash_sha256(const void *data, size_t len, uint8_t out[HASH_SHA256_LEN]);
void hash_sha384(const void *data, size_t len, uint8_t out[HASH_SHA384_LEN]);

#endif
