/* strmap: keys are whole byte strings (NULs and prefixes included), values are
 * replaced in place, and every key survives the table growing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "runner/strmap.h"

static void keys_are_whole_byte_strings(void **state)
{
	(void)state;
	struct strmap m = {0};
	struct err e = {0};
	size_t v = 99;
	assert_false(strmap_get(&m, "a", 1, &v));   /* empty, never allocated */
	assert_int_equal(v, 99);
	assert_int_equal(strmap_put(&m, "step\0name", 9, 1, &e), 0);
	assert_int_equal(strmap_put(&m, "step", 4, 2, &e), 0);
	assert_int_equal(strmap_put(&m, "", 0, 3, &e), 0);
	assert_true(strmap_get(&m, "step\0name", 9, &v));
	assert_int_equal(v, 1);
	assert_true(strmap_get(&m, "step", 4, &v));
	assert_int_equal(v, 2);
	assert_true(strmap_get(&m, "", 0, &v));
	assert_int_equal(v, 3);
	assert_false(strmap_get(&m, "step\0nam", 8, &v));
	assert_false(strmap_get(&m, "stepname", 8, &v));
	assert_int_equal(m.n, 3);
	strmap_free(&m);
	assert_null(m.slot);
	assert_int_equal(m.cap, 0);
}

static void a_put_replaces_the_value(void **state)
{
	(void)state;
	struct strmap m = {0};
	struct err e = {0};
	size_t v = 0;
	assert_int_equal(strmap_put(&m, "root-key", 8, 1, &e), 0);
	assert_int_equal(strmap_put(&m, "root-key", 8, 7, &e), 0);
	assert_true(strmap_get(&m, "root-key", 8, &v));
	assert_int_equal(v, 7);
	assert_int_equal(m.n, 1);
	strmap_free(&m);
}

static void every_key_survives_growth(void **state)
{
	(void)state;
	struct strmap m = {0};
	struct err e = {0};
	char k[32];
	enum { N = 20000 };
	for (size_t i = 0; i < N; i++) {
		int n = snprintf(k, sizeof k, "step-%zu", i);
		assert_int_equal(strmap_put(&m, k, (size_t)n, i * 3, &e), 0);
	}
	assert_int_equal(m.n, N);
	assert_true(m.cap >= 2 * N);   /* at most half full */
	for (size_t i = 0; i < N; i++) {
		size_t v = 0;
		int n = snprintf(k, sizeof k, "step-%zu", i);
		assert_true(strmap_get(&m, k, (size_t)n, &v));
		assert_int_equal(v, i * 3);
	}
	assert_false(strmap_get(&m, "step-20000", 10, &(size_t){0}));
	strmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys_are_whole_byte_strings),
		cmocka_unit_test(a_put_replaces_the_value),
		cmocka_unit_test(every_key_survives_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
