/* fold: case and white space forgiven where people type, and nothing else. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "runner/fold.h"

static void spacing_is_folded_and_case_kept(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(fold_space("  Ada \t Alvarez \n", out, sizeof out), 11);
	assert_string_equal(out, "Ada Alvarez");
	assert_int_equal(fold_space("", out, sizeof out), 0);
	assert_string_equal(out, "");
	assert_int_equal(fold_space(" \t ", out, sizeof out), 0);
	assert_string_equal(out, "");
	assert_int_equal(fold_space("Åsa  Öberg", out, sizeof out), strlen("Åsa Öberg"));
	assert_string_equal(out, "Åsa Öberg");
}

static void spacing_cut_short_says_so(void **state)
{
	(void)state;
	char out[6];
	assert_int_equal(fold_space("Ada  Alvarez", out, sizeof out), 11);
	assert_string_equal(out, "Ada A");
	assert_int_equal(fold_space("x", out, 0), 1);
}

static void names_match_with_case_and_spacing_forgiven(void **state)
{
	(void)state;
	assert_true(fold_same("ada  alvarez", "Ada Alvarez"));
	assert_true(fold_same(" ADA\tALVAREZ ", "Ada Alvarez"));
	assert_true(fold_same("Again", "again"));
	assert_true(fold_same("", "  "));
	assert_true(fold_same("ada admin", "Ada Admin"));
}

static void different_names_do_not_match(void **state)
{
	(void)state;
	assert_false(fold_same("Again?", "again"));
	assert_false(fold_same("adaalvarez", "Ada Alvarez"));
	assert_false(fold_same("Ada", "Ada Alvarez"));
	assert_false(fold_same("Ada Alvarez", "Ada"));
	assert_false(fold_same("", "Ada"));
	assert_false(fold_same("Ada B", "Ada  C"));
	/* ASCII only: no locale decides that these are one name. */
	assert_false(fold_same("åsa", "Åsa"));
}

static void hex_groups_fold_case_spaces_and_colons(void **state)
{
	(void)state;
	char a[32], b[32];
	assert_int_equal(fold_hex("bb6c52a8", a, sizeof a), 8);
	assert_int_equal(fold_hex("BB6C 52A8", b, sizeof b), 8);
	assert_string_equal(a, b);
	assert_int_equal(fold_hex(" bb:6c:52:a8 ", b, sizeof b), 8);
	assert_string_equal(a, "BB6C52A8");
	assert_string_equal(b, "BB6C52A8");
	/* Anything else stays, so it does not match. */
	assert_int_equal(fold_hex("bb6c-52a8", b, sizeof b), 9);
	assert_string_not_equal(a, b);
	assert_int_equal(fold_hex("BB6C 52A8 0000", b, 5), 12);
	assert_string_equal(b, "BB6C");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spacing_is_folded_and_case_kept),
		cmocka_unit_test(spacing_cut_short_says_so),
		cmocka_unit_test(names_match_with_case_and_spacing_forgiven),
		cmocka_unit_test(different_names_do_not_match),
		cmocka_unit_test(hex_groups_fold_case_spaces_and_colons),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
