/* hash: SHA-256 and SHA-384 without allocation (see hash.h for why).
 *
 * SHA256_Init/Update/Final work on a context on the stack and touch no heap; they
 * are deprecated in OpenSSL 3.0 in favour of EVP, whose every context is
 * allocated. This file is the one place that uses them. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include "hash.h"

void hash_sha256(const void *data, size_t len, uint8_t out[HASH_SHA256_LEN])
{
	static const uint8_t none[1];
	SHA256_CTX c;
	/* The three only fail on a NULL argument, and none is NULL here. */
	(void)SHA256_Init(&c);
	(void)SHA256_Update(&c, len ? data : none, len);
	(void)SHA256_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof c);
}

void hash_sha384(const void *data, size_t len, uint8_t out[HASH_SHA384_LEN])
{
	static const uint8_t none[1];
	SHA512_CTX c;
	(void)SHA384_Init(&c);
	(void)SHA384_Update(&c, len ? data : none, len);
	(void)SHA384_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof c);
}
