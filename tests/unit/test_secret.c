/* secret: locked buffers that are wiped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/crypto.h>
#include "runner/secret.h"

/* What secret_process_harden calls, defined here so a test can make each fail
 * (a definition in the program comes first for runner/secret.o); otherwise they
 * do what the real ones do. heap_rc 2 is what OpenSSL returns when it made the
 * heap but could not mlock it or keep it out of core dumps. */
static int heap_rc, prctl_errno, setrlimit_errno;

int CRYPTO_secure_malloc_init(size_t size, size_t minsize)
{
	int (*real)(size_t, size_t);
	/* POSIX's way to take a function from dlsym (its rationale: -Wpedantic-clean). */
	*(void **)&real = dlsym(RTLD_NEXT, "CRYPTO_secure_malloc_init");
	return heap_rc ? heap_rc : real(size, minsize);
}

int prctl(int option, ...)
{
	va_list ap;
	unsigned long a[4];
	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (prctl_errno && option == PR_SET_DUMPABLE) {
		errno = prctl_errno;
		return -1;
	}
	return (int)syscall(SYS_prctl, option, a[0], a[1], a[2], a[3]);
}

int setrlimit(__rlimit_resource_t resource, const struct rlimit *rl)
{
	if (setrlimit_errno) {
		errno = setrlimit_errno;
		return -1;
	}
	return prlimit(0, resource, rl, NULL);
}

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
	struct err e;
	struct rlimit rl;
	assert_int_equal(secret_process_harden(&e), 0);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	assert_int_equal(rl.rlim_cur, 0);
	assert_true(CRYPTO_secure_malloc_initialized());
}

/* Hardening fails closed: each protection that cannot be had is an error that
 * says which, never a silent run without it. Runs first, before the heap exists. */
static void harden_fails_closed(void **state)
{
	(void)state;
	struct err e;
	heap_rc = 2;
	assert_int_equal(secret_process_harden(&e), -1);
	assert_non_null(strstr(e.msg, "secure heap"));
	assert_non_null(strstr(e.msg, "could not be locked in memory"));
	assert_non_null(strstr(e.msg, "ulimit -l"));
	/* The half-made heap is undone, not taken for a working one next time. */
	assert_false(CRYPTO_secure_malloc_initialized());
	heap_rc = -1;   /* any other non-1 result */
	assert_int_equal(secret_process_harden(&e), -1);
	assert_non_null(strstr(e.msg, "could not be made"));
	heap_rc = 0;
	prctl_errno = EINVAL;
	assert_int_equal(secret_process_harden(&e), -1);
	assert_int_equal(e.kind, ERR_IO);
	assert_non_null(strstr(e.msg, "non-dumpable"));
	prctl_errno = 0;
	setrlimit_errno = EPERM;
	assert_int_equal(secret_process_harden(&e), -1);
	assert_non_null(strstr(e.msg, "core dumps"));
	setrlimit_errno = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_and_set),
		cmocka_unit_test(wipe),
		cmocka_unit_test(generated_pins),
		cmocka_unit_test(harden_fails_closed),
		cmocka_unit_test(process_not_dumpable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
