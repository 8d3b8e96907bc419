/* der: the strict DER walk, with hand-made encodings that lenient readers accept
 * and DER forbids, and the certificate the old code made (cA written 01 01 01). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "runner/der.h"

#define GOOD(...)                                                                  \
	do {                                                                       \
		const uint8_t b_[] = {__VA_ARGS__};                                \
		struct err e_ = {0};                                               \
		if (der_check(b_, sizeof b_, &e_) != 0)                            \
			fail_msg("refused good DER (line %d): %s", __LINE__, e_.msg); \
	} while (0)

/* BAD(substring of the message, bytes...) */
#define BAD(why, ...)                                                              \
	do {                                                                       \
		const uint8_t b_[] = {__VA_ARGS__};                                \
		struct err e_ = {0};                                               \
		if (der_check(b_, sizeof b_, &e_) == 0)                            \
			fail_msg("accepted bad DER (line %d)", __LINE__);          \
		assert_string_equal(e_.code, "der");                               \
		if (!strstr(e_.msg, why))                                          \
			fail_msg("line %d: '%s' does not say '%s'", __LINE__, e_.msg, why); \
	} while (0)

static void booleans(void **state)
{
	(void)state;
	GOOD(0x30, 0x03, 0x01, 0x01, 0xff);
	GOOD(0x01, 0x01, 0x00);
	/* The bytes the old code wrote for basicConstraints cA, X.690 §11.1. */
	BAD("byte offset 2: BOOLEAN TRUE written 0x01", 0x30, 0x03, 0x01, 0x01, 0x01);
	BAD("neither 0x00 nor 0xFF", 0x01, 0x01, 0x7f);
	BAD("not one byte", 0x01, 0x02, 0xff, 0xff);
	BAD("not one byte", 0x01, 0x00);
}

static void integers(void **state)
{
	(void)state;
	GOOD(0x02, 0x01, 0x00);
	GOOD(0x02, 0x02, 0x00, 0x80);   /* the zero keeps 0x80 positive */
	GOOD(0x02, 0x02, 0xff, 0x7f);
	GOOD(0x0a, 0x01, 0x01);
	BAD("shortest form", 0x02, 0x02, 0x00, 0x7f);
	BAD("shortest form", 0x02, 0x02, 0xff, 0x80);
	BAD("shortest form", 0x0a, 0x02, 0x00, 0x01);
	BAD("empty INTEGER", 0x02, 0x00);
}

static void lengths(void **state)
{
	(void)state;
	uint8_t big[3 + 200] = {0x04, 0x81, 200};
	struct err e = {0};
	assert_int_equal(der_check(big, sizeof big, &e), 0);
	BAD("indefinite", 0x30, 0x80, 0x00, 0x00);
	BAD("below 128", 0x04, 0x81, 0x01, 0x00);
	BAD("leading zero byte", 0x04, 0x82, 0x00, 0x01, 0x00);
	BAD("run past the end", 0x30, 0x05, 0x02, 0x01, 0x00);
	BAD("run past the end", 0x30, 0x03, 0x02, 0x05, 0x00);
	BAD("bytes after the end", 0x05, 0x00, 0x00);
	BAD("missing", 0x30);
	BAD("more than four bytes", 0x04, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00);
}

static void identifiers_and_forms(void **state)
{
	(void)state;
	GOOD(0x9f, 0x1f, 0x00);                              /* [31] in the high form */
	BAD("below 31", 0x9f, 0x1e, 0x00);
	BAD("leading zero group", 0x9f, 0x80, 0x1f, 0x00);
	BAD("constructed encoding", 0x24, 0x03, 0x04, 0x01, 0x00);   /* constructed OCTET STRING */
	BAD("written primitive", 0x10, 0x00);
	BAD("a NULL with contents", 0x05, 0x01, 0x00);
}

static void bit_strings_and_oids(void **state)
{
	(void)state;
	GOOD(0x03, 0x02, 0x01, 0x06);   /* keyUsage keyCertSign + cRLSign */
	GOOD(0x03, 0x01, 0x00);
	BAD("not zero", 0x03, 0x02, 0x01, 0x07);
	BAD("unused bits", 0x03, 0x01, 0x01);
	BAD("unused bits", 0x03, 0x02, 0x08, 0x00);
	BAD("without its unused-bits byte", 0x03, 0x00);
	GOOD(0x06, 0x03, 0x55, 0x1d, 0x13);
	BAD("leading zero group", 0x06, 0x03, 0x55, 0x80, 0x13);
	BAD("cut inside", 0x06, 0x02, 0x55, 0x9d);
}

static void times_and_strings(void **state)
{
	(void)state;
	GOOD(0x17, 0x0d, '2', '6', '1', '2', '0', '2', '1', '0', '2', '0', '0', '0', 'Z');
	GOOD(0x18, 0x0f, '2', '0', '5', '0', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z');
	BAD("UTCTime", 0x17, 0x0b, '2', '6', '1', '2', '0', '2', '1', '0', '2', '0', 'Z');
	BAD("UTCTime", 0x17, 0x11, '2', '6', '1', '2', '0', '2', '1', '0', '2', '0', '0', '0', '+', '0', '1', '0', '0');
	BAD("GeneralizedTime", 0x18, 0x11, '2', '0', '5', '0', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', '.',
	    '5', 'Z');
	GOOD(0x13, 0x03, 'U', 'S', '.');
	BAD("PrintableString", 0x13, 0x01, '@');
	BAD("IA5String", 0x16, 0x01, 0x80);
	GOOD(0x0c, 0x02, 0xc3, 0xa4);                        /* "ä" */
	BAD("not valid UTF-8", 0x0c, 0x02, 0xc0, 0x80);      /* overlong NUL */
	BAD("not valid UTF-8", 0x0c, 0x03, 0xed, 0xa0, 0x80);   /* a surrogate */
	BAD("odd number", 0x1e, 0x01, 0x00);
}

static void sets_are_sorted(void **state)
{
	(void)state;
	GOOD(0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02);
	GOOD(0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01);   /* SET OF may repeat */
	BAD("ascending order", 0x31, 0x06, 0x02, 0x01, 0x02, 0x02, 0x01, 0x01);
	/* Inside a SEQUENCE order is the writer's: not a SET. */
	GOOD(0x30, 0x06, 0x02, 0x01, 0x02, 0x02, 0x01, 0x01);
}

static void nested_der(void **state)
{
	(void)state;
	/* Extension { basicConstraints, critical TRUE, OCTET STRING { SEQUENCE { cA TRUE } } } */
	GOOD(0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff);
	/* The same with cA 0x01: found inside the OCTET STRING, at its offset in the whole. */
	BAD("byte offset 14: BOOLEAN TRUE", 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x05,
	    0x30, 0x03, 0x01, 0x01, 0x01);
	/* Not critical and not saying so. */
	GOOD(0x30, 0x0c, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff);
	BAD("critical flag written FALSE", 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0x00, 0x04, 0x05, 0x30,
	    0x03, 0x01, 0x01, 0xff);
	BAD("bytes after the end", 0x30, 0x0d, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x04, 0x06, 0x30, 0x03, 0x01, 0x01, 0xff,
	    0x00);
	/* SEQUENCE { SEQUENCE {}, AlgorithmIdentifier ecdsa-with-SHA256, BIT STRING { Ecdsa-Sig-Value } }:
	 * an r with a redundant leading zero is found inside the signature value. */
	GOOD(0x30, 0x19, 0x30, 0x00, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x09,
	     0x00, 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02);
	BAD("shortest form", 0x30, 0x1a, 0x30, 0x00, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03,
	    0x02, 0x03, 0x0a, 0x00, 0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x02);
	/* An EC point in a BIT STRING is not DER and is not walked. */
	GOOD(0x30, 0x0d, 0x30, 0x00, 0x30, 0x04, 0x06, 0x02, 0x2b, 0x65, 0x03, 0x03, 0x00, 0x01, 0x01);
	/* SubjectPublicKeyInfo { rsaEncryption, NULL } with RSAPublicKey { n, e } inside. */
	GOOD(0x30, 0x1a, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03,
	     0x09, 0x00, 0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x03);
	BAD("shortest form", 0x30, 0x1b, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
	    0x05, 0x00, 0x03, 0x0a, 0x00, 0x30, 0x07, 0x02, 0x02, 0x00, 0x05, 0x02, 0x01, 0x03);
}

static void too_deep(void **state)
{
	(void)state;
	uint8_t b[2 * 40];
	struct err e = {0};
	for (size_t i = 0; i < 40; i++) {
		b[2 * i] = 0x30;
		b[2 * i + 1] = (uint8_t)(2 * (40 - i - 1));
	}
	assert_int_equal(der_check(b, sizeof b, &e), -1);
	assert_non_null(strstr(e.msg, "nested too deep"));
}

/* The root the old code made: signed and valid to OpenSSL, refused by strict readers. */
static void old_root_refused(void **state)
{
	(void)state;
	FILE *f = fopen("tests/fixtures/x509/bc-ca-01-root.pem", "r");
	assert_non_null(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	assert_true(n > 0);
	struct err e = {0};
	assert_int_equal(der_check(der, (size_t)n, &e), -1);
	assert_non_null(strstr(e.msg, "BOOLEAN TRUE written 0x01"));
	OPENSSL_free(der);
	X509_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(booleans),
		cmocka_unit_test(integers),
		cmocka_unit_test(lengths),
		cmocka_unit_test(identifiers_and_forms),
		cmocka_unit_test(bit_strings_and_oids),
		cmocka_unit_test(times_and_strings),
		cmocka_unit_test(sets_are_sorted),
		cmocka_unit_test(nested_der),
		cmocka_unit_test(too_deep),
		cmocka_unit_test(old_root_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
