/* hash: SHA-256 without allocation, against FIPS 180-4's examples and OpenSSL's EVP. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include "runner/hash.h"
#include "runner/words.h"

static void fips_examples(void **state)
{
	(void)state;
	uint8_t h[HASH_SHA256_LEN];
	char hex[2 * HASH_SHA256_LEN + 1];
	hash_sha256("abc", 3, h);
	assert_string_equal(words_hex(h, sizeof h, hex, sizeof hex),
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hash_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, h);
	assert_string_equal(words_hex(h, sizeof h, hex, sizeof hex),
			    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	hash_sha256(NULL, 0, h);
	assert_string_equal(words_hex(h, sizeof h, hex, sizeof hex),
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	uint8_t h3[HASH_SHA384_LEN];
	char hex3[2 * HASH_SHA384_LEN + 1];
	hash_sha384("abc", 3, h3);
	assert_string_equal(words_hex(h3, sizeof h3, hex3, sizeof hex3),
			    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
			    "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
}

static void same_as_evp(void **state)
{
	(void)state;
	uint8_t data[300], a[HASH_SHA256_LEN], b[EVP_MAX_MD_SIZE];
	unsigned int bl = 0;
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	for (size_t n = 0; n <= sizeof data; n += 13) {
		hash_sha256(data, n, a);
		assert_int_equal(EVP_Digest(data, n, b, &bl, EVP_sha256(), NULL), 1);
		assert_int_equal(bl, HASH_SHA256_LEN);
		assert_memory_equal(a, b, HASH_SHA256_LEN);
		uint8_t c[HASH_SHA384_LEN];
		hash_sha384(data, n, c);
		assert_int_equal(EVP_Digest(data, n, b, &bl, EVP_sha384(), NULL), 1);
		assert_int_equal(bl, HASH_SHA384_LEN);
		assert_memory_equal(c, b, HASH_SHA384_LEN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fips_examples),
		cmocka_unit_test(same_as_evp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
