/* files: output files are created whole and never overwritten. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "runner/files.h"

static char dir[] = "/tmp/ceremony-files-test.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static void write_then_refuse(void **state)
{
	(void)state;
	struct err e;
	char path[256];
	uint8_t *data;
	size_t len;
	snprintf(path, sizeof path, "%s/a.pem", dir);
	assert_int_equal(files_write_new(path, "first", 5, &e), 0);
	assert_int_equal(files_write_new(path, "second", 6, &e), -1);
	assert_string_equal(e.code, "io");
	assert_non_null(strstr(e.msg, "never overwritten"));
	assert_int_equal(files_read(path, 100, &data, &len, &e), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(data, "first", 5);
	free(data);
	/* No temporary file is left behind. */
	DIR *d = opendir(dir);
	struct dirent *de;
	int entries = 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			entries++;
	closedir(d);
	assert_int_equal(entries, 1);
}

static void mkdirs_and_limits(void **state)
{
	(void)state;
	struct err e;
	char path[256];
	uint8_t *data;
	size_t len;
	snprintf(path, sizeof path, "%s/x/y/z", dir);
	assert_int_equal(files_mkdirs(path, &e), 0);
	assert_int_equal(files_mkdirs(path, &e), 0);
	assert_int_equal(access(path, W_OK), 0);
	snprintf(path, sizeof path, "%s/big", dir);
	assert_int_equal(files_write_new(path, "0123456789", 10, &e), 0);
	assert_int_equal(files_read(path, 9, &data, &len, &e), -1);
	assert_non_null(strstr(e.msg, "too large"));
	assert_int_equal(files_read(dir, 9, &data, &len, &e), -1);
	assert_non_null(strstr(e.msg, "not a regular file"));
	assert_int_equal(files_read("/nonexistent/x.cts", 10, &data, &len, &e), -1);
	assert_string_equal(e.code, "io");
	assert_null(data);
	snprintf(path, sizeof path, "%s/big/under-a-file", dir);
	assert_int_equal(files_mkdirs(path, &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(write_then_refuse),
		cmocka_unit_test(mkdirs_and_limits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
