/* words: PGP words and hex groups for reading hashes aloud. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "runner/words.h"

static void known_answer(void **state)
{
	(void)state;
	/* The known answer of the issue: E5 82 94 F2. */
	const uint8_t b[] = {0xE5, 0x82, 0x94, 0xF2};
	char out[128];
	assert_string_equal(words_pgp_line(b, sizeof b, out, sizeof out), "topmost Istanbul Pluto vagabond");
}

static void even_and_odd_words_differ(void **state)
{
	(void)state;
	/* The same byte is read with a different word at an odd position, so a swap is heard. */
	assert_string_equal(words_pgp(0x00, 0), "aardvark");
	assert_string_equal(words_pgp(0x00, 1), "adroitness");
	assert_string_equal(words_pgp(0xFF, 0), "Zulu");
	assert_string_equal(words_pgp(0xFF, 1), "Yucatan");
	for (unsigned i = 0; i < 256; i++)
		assert_string_not_equal(words_pgp((uint8_t)i, 0), words_pgp((uint8_t)i, 1));
}

static void hex_groups(void **state)
{
	(void)state;
	const uint8_t b[] = {0xE5, 0x82, 0x94, 0xF2, 0x01};
	char out[64];
	assert_string_equal(words_hex_groups(b, sizeof b, 2, out, sizeof out), "E582 94F2 01");
	assert_string_equal(words_hex(b, sizeof b, out, sizeof out), "e58294f201");
}

static void truncation_is_safe(void **state)
{
	(void)state;
	const uint8_t b[] = {0xE5, 0x82, 0x94, 0xF2};
	char out[10];
	words_pgp_line(b, sizeof b, out, sizeof out);
	assert_int_equal(strlen(out), 9);
	assert_string_equal(out, "topmost I");
	words_hex_groups(b, sizeof b, 2, out, 4);
	assert_string_equal(out, "E58");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_answer),
		cmocka_unit_test(even_and_odd_words_differ),
		cmocka_unit_test(hex_groups),
		cmocka_unit_test(truncation_is_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
