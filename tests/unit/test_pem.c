/* Unit tests for runner/pem.c: the one PEM writer and reader. Written text is what
 * OpenSSL's own reader takes; what is read back is the DER that went in.
 * Run: CMOCKA_MESSAGE_OUTPUT=TAP build/tests/test_pem
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/pem.h>

#include "runner/buf.h"
#include "runner/err.h"
#include "runner/pem.h"

#define OK(call, e) do { \
	if ((call) != 0) fail_msg("%s failed: [%s] %s", #call, (e).code, (e).msg); \
} while (0)

static uint8_t blob[200];

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof blob; i++)
		blob[i] = (uint8_t)(i * 13 + 1);
	return 0;
}

static void write_and_read(void **state)
{
	struct err e = {0};
	struct buf pem = {0}, der = {0};
	char *label = NULL;
	(void)state;
	OK(pem_write("X509 CRL", blob, sizeof blob, &pem, &e), e);
	assert_memory_equal(pem.p, "-----BEGIN X509 CRL-----\n", 25);
	/* RFC 7468 §2: 64 columns. */
	const char *nl = memchr(pem.p + 25, '\n', pem.len - 25);
	assert_non_null(nl);
	assert_int_equal(nl - (const char *)pem.p - 25, 64);
	assert_true(pem_is(pem.p, pem.len));
	OK(pem_read(pem.p, pem.len, "reading", &label, &der, &e), e);
	assert_string_equal(label, "X509 CRL");
	assert_int_equal(der.len, sizeof blob);
	assert_memory_equal(der.p, blob, sizeof blob);
	free(label);
	buf_free(&der);

	/* OpenSSL's reader agrees. */
	BIO *b = BIO_new_mem_buf(pem.p, (int)pem.len);
	char *name = NULL, *header = NULL;
	unsigned char *d = NULL;
	long dl = 0;
	assert_int_equal(PEM_read_bio(b, &name, &header, &d, &dl), 1);
	assert_string_equal(name, "X509 CRL");
	assert_int_equal(dl, (long)sizeof blob);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(d);
	BIO_free(b);
	buf_free(&pem);
}

static void der_of(void **state)
{
	struct err e = {0};
	struct buf pem = {0}, der = {0};
	(void)state;
	/* DER passes through as it is. */
	OK(pem_der_of("CERTIFICATE", blob, sizeof blob, &der, &e), e);
	assert_int_equal(der.len, sizeof blob);
	assert_memory_equal(der.p, blob, sizeof blob);
	buf_free(&der);
	/* PEM of the label asked for, after blank lines. */
	OK(buf_append(&pem, "\n\r\n", 3, &e), e);
	OK(pem_write("CERTIFICATE", blob, sizeof blob, &pem, &e), e);
	assert_true(pem_is(pem.p, pem.len));
	OK(pem_der_of("CERTIFICATE", pem.p, pem.len, &der, &e), e);
	assert_memory_equal(der.p, blob, sizeof blob);
	buf_free(&der);
	/* Another label is refused, and nothing is appended. */
	assert_int_equal(pem_der_of("CERTIFICATE REQUEST", pem.p, pem.len, &der, &e), -1);
	assert_string_equal(e.code, "x509");
	assert_string_equal(e.msg, "expected PEM 'CERTIFICATE REQUEST', found 'CERTIFICATE'");
	assert_int_equal(der.len, 0);
	buf_free(&pem);
	/* RFC 7468 §7: the old request label is taken for the new one. */
	OK(pem_write("NEW CERTIFICATE REQUEST", blob, sizeof blob, &pem, &e), e);
	OK(pem_der_of("CERTIFICATE REQUEST", pem.p, pem.len, &der, &e), e);
	assert_int_equal(der.len, sizeof blob);
	buf_free(&der);
	buf_free(&pem);
}

static void bad(void **state)
{
	struct err e = {0};
	struct buf der = {0};
	char *label = (char *)"x";
	static const char text[] = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
	static const char open_only[] = "-----BEGIN CERTIFICATE-----\nAAAA\n";
	(void)state;
	assert_false(pem_is((const uint8_t *)"", 0));
	assert_false(pem_is((const uint8_t *)"-----BEGIN", 10));
	assert_false(pem_is(blob, sizeof blob));
	assert_int_equal(pem_read((const uint8_t *)text, strlen(text), "cannot read the PEM text", &label, &der, &e), -1);
	assert_string_equal(e.code, "crypto");
	assert_int_equal(strncmp(e.msg, "cannot read the PEM text", 24), 0);
	assert_null(label);
	assert_int_equal(der.len, 0);
	assert_int_equal(pem_read((const uint8_t *)open_only, strlen(open_only), "reading PEM", &label, &der, &e), -1);
	assert_int_equal(pem_der_of("CERTIFICATE", (const uint8_t *)text, strlen(text), &der, &e), -1);
	assert_int_equal(strncmp(e.msg, "reading PEM", 11), 0);
	assert_int_equal(der.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(write_and_read),
		cmocka_unit_test(der_of),
		cmocka_unit_test(bad),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
