/* utf8: the one UTF-8 reader, against RFC 3629 §4's edges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "runner/utf8.h"

#define V(...) utf8_valid((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static void sequences(void **state)
{
	(void)state;
	uint32_t cp = 0;
	assert_int_equal(utf8_seq((const uint8_t *)"A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(utf8_seq((const uint8_t *)"\xc3\xa4", 2, &cp), 2);   /* ä */
	assert_int_equal(cp, 0xe4);
	assert_int_equal(utf8_seq((const uint8_t *)"\xe2\x82\xac", 3, &cp), 3);   /* € */
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(utf8_seq((const uint8_t *)"\xf4\x8f\xbf\xbf", 4, &cp), 4);   /* U+10FFFF */
	assert_int_equal(cp, 0x10ffff);
	assert_int_equal(utf8_seq((const uint8_t *)"\xc3\xa4", 1, &cp), 0);   /* cut short */
	assert_int_equal(utf8_seq((const uint8_t *)"", 0, &cp), 0);
}

static void refused(void **state)
{
	(void)state;
	assert_true(V('a', 0xc3, 0xa4, 'b'));
	assert_false(V(0xc0, 0x80));               /* overlong NUL */
	assert_false(V(0xe0, 0x80, 0x80));         /* overlong */
	assert_false(V(0xf0, 0x80, 0x80, 0x80));   /* overlong */
	assert_false(V(0xed, 0xa0, 0x80));         /* surrogate U+D800 */
	assert_false(V(0xf4, 0x90, 0x80, 0x80));   /* above U+10FFFF */
	assert_false(V(0xff));
	assert_false(V(0x80));                     /* a continuation byte alone */
	assert_false(V(0xc3, 0x41));               /* not a continuation */
	assert_false(V('a', 0xe2, 0x82));          /* cut at the end */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sequences),
		cmocka_unit_test(refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
