/* secret: locked buffers that are wiped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <sys/prctl.h>
#include <cmocka.h>
#include "runner/secret.h"

static void random_and_set(void **state)
{
	(void)state;
	struct err e;
	struct secret *s = secret_new(32, &e);
	assert_non_null(s);
	assert_int_equal(secret_random(s, 32, &e), 0);
	assert_int_equal(s->len, 32);
	assert_int_equal(s->p[32], 0);
	assert_int_equal(secret_random(s, 33, &e), -1);
	assert_int_equal(secret_set(s, "123456", 6, &e), 0);
	assert_string_equal((char *)s->p, "123456");
	/* Whatever was there before is gone, not just overwritten in front. */
	for (size_t i = 6; i <= 32; i++)
		assert_int_equal(s->p[i], 0);
	assert_int_equal(secret_set(s, "0123456789012345678901234567890123", 34, &e), -1);
	assert_string_equal(e.code, "input");
	secret_free(s);
	secret_free(NULL);
}

static void wipe(void **state)
{
	(void)state;
	char pin[] = "246810";
	secret_wipe(pin, sizeof pin);
	for (size_t i = 0; i < sizeof pin; i++)
		assert_int_equal(pin[i], 0);
}

static void generated_pins(void **state)
{
	(void)state;
	struct err e;
	struct secret *a = secret_new_pin(&e), *b = secret_new_pin(&e);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->len, 32);
	assert_int_equal(strspn((char *)a->p, "0123456789abcdef"), 32);
	assert_int_equal(a->p[32], 0);
	assert_memory_not_equal(a->p, b->p, 32);
	secret_free(a);
	secret_free(b);
}

static void process_not_dumpable(void **state)
{
	(void)state;
	secret_process_harden();
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_and_set),
		cmocka_unit_test(wipe),
		cmocka_unit_test(generated_pins),
		cmocka_unit_test(process_not_dumpable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
