/* keepsafe: a rehearsal's entries come back in order, whole, and an entry a crash
 * tore (its header, or its bytes cut short) is not taken back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "runner/keepsafe.h"

static char dir[] = "/tmp/ceremony-keepsafe-test.XXXXXX";
static char path[128];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof path, "%s/keepsafe", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

struct seen {
	char all[1024];
	size_t n;
};

static int each(void *ctx, const char *kind, const char *step, const char *name, const struct secret *data,
		struct err *e)
{
	struct seen *s = ctx;
	(void)e;
	size_t used = strlen(s->all);
	snprintf(s->all + used, sizeof s->all - used, "%s|%s|%s|%.*s;", kind, step, name, (int)data->len,
		 (const char *)data->p);
	s->n++;
	return 0;
}

static void round_trip_and_torn(void **state)
{
	(void)state;
	struct keepsafe *k;
	struct err e;
	struct seen s = {0};
	assert_int_equal(keepsafe_open(path, &k, &e), 0);
	assert_int_equal(keepsafe_put(k, KEEPSAFE_PIN, "root", "user", (const uint8_t *)"1234\n5678", 9, &e), 0);
	assert_int_equal(keepsafe_put(k, KEEPSAFE_SHARE, "split", "1:Carl Chen", (const uint8_t *)"AAAA", 4, &e), 0);
	/* Tab or newline in a field would make the file ambiguous. */
	assert_int_equal(keepsafe_put(k, KEEPSAFE_PIN, "ro\tot", "user", (const uint8_t *)"x", 1, &e), -1);
	keepsafe_close(k);
	assert_int_equal(keepsafe_load(path, each, &s, &e), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.all, "pin|root|user|1234\n5678;share|split|1:Carl Chen|AAAA;");
	/* A crash in the middle of the next entry: its header whole, its bytes not. */
	FILE *f = fopen(path, "ab");
	assert_non_null(f);
	fputs("secret\twrap-key\twrap_key\t32\nshort", f);
	fclose(f);
	memset(&s, 0, sizeof s);
	assert_int_equal(keepsafe_load(path, each, &s, &e), 0);
	assert_int_equal(s.n, 2);
	/* And one whose header itself is cut. */
	assert_int_equal(truncate(path, 60), 0);
	memset(&s, 0, sizeof s);
	assert_int_equal(keepsafe_load(path, each, &s, &e), 0);
	assert_true(s.n <= 2);
	assert_non_null(strstr(s.all, "pin|root|user|1234\n5678;"));
	/* Cut back to its whole entries, what is appended after is read back. */
	assert_int_equal(keepsafe_cut_torn(path, &e), 0);
	assert_int_equal(keepsafe_open(path, &k, &e), 0);
	assert_int_equal(keepsafe_put(k, KEEPSAFE_SECRET, "wrap", "wrap_key", (const uint8_t *)"KEY", 3, &e), 0);
	keepsafe_close(k);
	memset(&s, 0, sizeof s);
	assert_int_equal(keepsafe_load(path, each, &s, &e), 0);
	assert_non_null(strstr(s.all, "secret|wrap|wrap_key|KEY;"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(round_trip_and_torn, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
