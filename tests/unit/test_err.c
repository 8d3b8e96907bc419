/* err: the table of error codes, the setters, and the man page that lists the codes
 * (transcripts record them, so the list people read must be the one the code has). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "runner/err.h"

static void names_are_unique_and_plain(void **state)
{
	(void)state;
	for (int a = 0; a < ERR_P11; a++) {
		const char *n = err_code_name((enum err_code)a);
		assert_non_null(n);
		assert_non_null(err_code_meaning((enum err_code)a));
		assert_true(strlen(n) > 0 && strlen(n) < ERR_CODE_MAX);
		assert_int_equal(strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789-"), strlen(n));
		for (int b = a + 1; b < ERR_P11; b++)
			assert_string_not_equal(n, err_code_name((enum err_code)b));
	}
	assert_null(err_code_name(ERR_P11));
	assert_null(err_code_name(ERR_NONE));
}

static void setters_fill_kind_code_and_message(void **state)
{
	(void)state;
	struct err e = {.kind = ERR_NONE};
	assert_int_equal(err_set(&e, ERR_SHAPE, "record %d", 3), -1);
	assert_int_equal(e.kind, ERR_SHAPE);
	assert_string_equal(e.code, "shape");
	assert_string_equal(e.msg, "record 3");
	err_recode(&e, ERR_MODULE);
	assert_int_equal(e.kind, ERR_MODULE);
	assert_string_equal(e.code, "module");
	assert_string_equal(e.msg, "record 3");
	assert_int_equal(err_set_p11(&e, "CKR_PIN_INCORRECT", "login: %s", "wrong"), -1);
	assert_int_equal(e.kind, ERR_P11);
	assert_string_equal(e.code, "CKR_PIN_INCORRECT");
	assert_int_equal(err_wrap(&e, "step '%s'", "x"), -1);
	assert_string_equal(e.msg, "step 'x': login: wrong");
	err_clear(&e);
	assert_int_equal(e.kind, ERR_NONE);
	assert_string_equal(e.code, "");
}

/* Every code is in the man page's ERROR CODES as ".B NAME" followed by its meaning,
 * and the section lists no code the table lacks. */
static void man_page_lists_every_code(void **state)
{
	(void)state;
	FILE *f = fopen("doc/ceremony.1", "r");
	assert_non_null(f);
	static char page[1 << 17];
	size_t n = fread(page, 1, sizeof page - 1, f);
	fclose(f);
	page[n] = 0;
	char *sec = strstr(page, ".SH ERROR CODES\n");
	assert_non_null(sec);
	char *end = strstr(sec + 1, "\n.SH ");
	assert_non_null(end);
	*end = 0;
	for (int c = 0; c < ERR_P11; c++) {
		char want[256];
		snprintf(want, sizeof want, ".TP\n.B %s\n%s\n", err_code_name((enum err_code)c),
			 err_code_meaning((enum err_code)c));
		if (!strstr(sec, want))
			fail_msg("the man page's ERROR CODES lacks '%s' with its meaning", err_code_name((enum err_code)c));
	}
	unsigned listed = 0;
	for (const char *p = sec; (p = strstr(p, "\n.B ")); p += 4)
		listed++;
	assert_int_equal(listed, ERR_P11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_are_unique_and_plain),
		cmocka_unit_test(setters_fill_kind_code_and_message),
		cmocka_unit_test(man_page_lists_every_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
