/* Unit tests for runner/x509_read.c: public artifacts read back as certificates, CRLs,
 * requests and public keys, in DER or PEM; anything else is "unknown", never misread;
 * the text forms of names, times and algorithms. (What the token-signed objects read
 * back as is tested with them in test_x509.)
 * Run: CMOCKA_MESSAGE_OUTPUT=TAP build/tests/test_x509_read
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "runner/pem.h"
#include "runner/x509_read.h"

static EVP_PKEY *key;
static X509 *cert;
static X509_CRL *crl;

static int setup(void **state)
{
	(void)state;
	key = EVP_EC_gen("P-384");
	cert = X509_new();
	crl = X509_CRL_new();
	if (!key || !cert || !crl)
		return -1;
	X509_NAME *n = X509_get_subject_name(cert);
	X509_set_version(cert, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 0x1234);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"US", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"Example, Inc.", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"Zoë Root", -1, -1, 0);
	X509_set_issuer_name(cert, n);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
	X509_set_pubkey(cert, key);
	if (!X509_sign(cert, key, EVP_sha384()))
		return -1;
	X509_CRL_set_version(crl, X509_CRL_VERSION_2);
	X509_CRL_set_issuer_name(crl, n);
	ASN1_TIME *t = ASN1_TIME_set(NULL, 1700000000);
	X509_CRL_set1_lastUpdate(crl, t);
	ASN1_TIME_free(t);
	return X509_CRL_sign(crl, key, EVP_sha384()) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(key);
	X509_free(cert);
	X509_CRL_free(crl);
	return 0;
}

static void der_certificate(void **state)
{
	(void)state;
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);
	struct x509_obj o;
	struct err e;
	char buf[256];
	assert_true(len > 0);
	assert_int_equal(x509_obj_parse(der, (size_t)len, &o, &e), 0);
	assert_int_equal(o.kind, X509_OBJ_CERT);
	assert_false(o.was_pem);
	assert_int_equal(o.der.len, (size_t)len);
	assert_memory_equal(o.der.p, der, (size_t)len);
	assert_string_equal(x509_pubkey_name(o.pub, buf, sizeof buf), "ec-p384");
	/* The certificate's own RDN order, UTF-8 kept, RFC 4514 escaping. */
	assert_string_equal(x509_name_text(X509_get_subject_name(o.cert), buf, sizeof buf),
			    "CN=Zoë Root,O=Example\\, Inc.,C=US");
	x509_obj_free(&o);
	/* A trailing byte makes it something else than one certificate. */
	unsigned char *longer = OPENSSL_malloc((size_t)len + 1);
	memcpy(longer, der, (size_t)len);
	longer[len] = 0;
	assert_int_equal(x509_obj_parse(longer, (size_t)len + 1, &o, &e), 0);
	assert_int_equal(o.kind, X509_OBJ_UNKNOWN);
	x509_obj_free(&o);
	OPENSSL_free(longer);
	OPENSSL_free(der);
}

static void pem_round_trip(void **state)
{
	(void)state;
	unsigned char *der = NULL;
	int len = i2d_X509_CRL(crl, &der);
	struct x509_obj o, back;
	struct buf pem = {0};
	struct err e;
	assert_int_equal(x509_obj_parse(der, (size_t)len, &o, &e), 0);
	assert_int_equal(o.kind, X509_OBJ_CRL);
	assert_int_equal(x509_obj_pem(&o, &pem, &e), 0);
	assert_true(pem.len > 30 && !memcmp(pem.p, "-----BEGIN X509 CRL-----\n", 25));
	assert_int_equal(x509_obj_parse(pem.p, pem.len, &back, &e), 0);
	assert_int_equal(back.kind, X509_OBJ_CRL);
	assert_true(back.was_pem);
	assert_int_equal(back.der.len, o.der.len);
	assert_memory_equal(back.der.p, o.der.p, o.der.len);
	x509_obj_free(&o);
	x509_obj_free(&back);
	buf_free(&pem);
	OPENSSL_free(der);
}

static void public_key(void **state)
{
	(void)state;
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(key, &der);
	struct x509_obj o;
	struct err e;
	assert_int_equal(x509_obj_parse(der, (size_t)len, &o, &e), 0);
	assert_int_equal(o.kind, X509_OBJ_PUBKEY);
	assert_string_equal(x509_obj_kind_name(o.kind), "public key");
	assert_string_equal(x509_obj_pem_label(o.kind), "PUBLIC KEY");
	x509_obj_free(&o);
	OPENSSL_free(der);
}

static void unknown_and_bad(void **state)
{
	(void)state;
	/* A raw ECDSA signature is DER, but none of the four kinds. */
	const uint8_t sig[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02};
	struct x509_obj o;
	struct err e;
	assert_int_equal(x509_obj_parse(sig, sizeof sig, &o, &e), 0);
	assert_int_equal(o.kind, X509_OBJ_UNKNOWN);
	assert_null(x509_obj_pem_label(o.kind));
	x509_obj_free(&o);
	assert_int_equal(x509_obj_parse((const uint8_t *)"", 0, &o, &e), 0);
	assert_int_equal(o.kind, X509_OBJ_UNKNOWN);
	/* Text that says PEM but is not: an error, not "unknown". */
	const char *bad = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
	assert_int_equal(x509_obj_parse((const uint8_t *)bad, strlen(bad), &o, &e), -1);
	assert_string_equal(e.code, "crypto");
	/* A PEM block of another kind is not one of ours: unknown, and nothing is kept. */
	const char *priv = "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n";
	assert_int_equal(x509_obj_parse((const uint8_t *)priv, strlen(priv), &o, &e), 0);
	assert_int_equal(o.kind, X509_OBJ_UNKNOWN);
	assert_int_equal(o.der.len, 0);
	/* A CERTIFICATE block holding a public key is refused: the label must tell the truth. */
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(key, &der);
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	PEM_write_bio(b, "CERTIFICATE", "", der, len);
	long pl = BIO_get_mem_data(b, &p);
	assert_int_equal(x509_obj_parse((const uint8_t *)p, (size_t)pl, &o, &e), -1);
	assert_non_null(strstr(e.msg, "CERTIFICATE"));
	BIO_free(b);
	OPENSSL_free(der);
	/* x509_obj_free of a zeroed object is a no-op. */
	memset(&o, 0, sizeof o);
	x509_obj_free(&o);
}

static void times_and_algorithms(void **state)
{
	(void)state;
	char buf[64];
	ASN1_TIME *t = ASN1_TIME_set(NULL, 1700000000);
	assert_string_equal(x509_asn1_time_text(t, buf, sizeof buf), "2023-11-14T22:13:20Z");
	assert_string_equal(x509_asn1_time_text(NULL, buf, sizeof buf), "(none)");
	ASN1_TIME_free(t);
	const X509_ALGOR *alg = NULL;
	X509_get0_signature(NULL, &alg, cert);
	assert_string_equal(x509_alg_name(alg, buf, sizeof buf), "ecdsa-with-SHA384");
	assert_string_equal(x509_pubkey_name(NULL, buf, sizeof buf), "(none)");
}

static void time_text(void **state)
{
	int64_t t;
	char buf[24];
	(void)state;
	assert_int_equal(x509_time_parse("2026-11-22T00:00:00Z", &t), 0);
	assert_int_equal(t, 1795305600);
	x509_time_format(t, buf);
	assert_string_equal(buf, "2026-11-22T00:00:00Z");
	assert_int_equal(x509_time_parse("2026-02-30T00:00:00Z", &t), -1);
	assert_int_equal(x509_time_parse("2026-11-22T00:00:00", &t), -1);
	assert_int_equal(x509_time_parse("2026-11-22 00:00:00Z", &t), -1);
	assert_int_equal(x509_time_parse("2026-11-22T00:00:00+01:00", &t), -1);
	assert_int_equal(x509_time_parse("1900-01-01T00:00:00Z", &t), -1);
	ASN1_TIME *a = ASN1_TIME_set(NULL, 1700000000);
	assert_int_equal(x509_asn1_time(a), 1700000000);
	assert_int_equal(x509_asn1_time(NULL), 0);
	ASN1_TIME_free(a);
}

/* Requests: DER, PEM under either label RFC 7468 knows, never another label; the
 * proof of possession checked. */
static void requests(void **state)
{
	(void)state;
	X509_REQ *r = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	unsigned char *der = NULL;
	struct buf pem = {0};
	struct err e;
	struct x509_info in;
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"Asker", -1, -1, 0);
	X509_REQ_set_subject_name(r, n);
	X509_REQ_set_pubkey(r, key);
	assert_true(X509_REQ_sign(r, key, EVP_sha384()) > 0);
	int len = i2d_X509_REQ(r, &der);
	assert_true(len > 0);
	assert_int_equal(x509_csr_verify(der, (size_t)len, &e), 0);
	assert_int_equal(pem_write("NEW CERTIFICATE REQUEST", der, (size_t)len, &pem, &e), 0);
	assert_int_equal(x509_csr_verify(pem.p, pem.len, &e), 0);
	buf_free(&pem);
	assert_int_equal(pem_write("X509 CRL", der, (size_t)len, &pem, &e), 0);
	assert_int_equal(x509_csr_verify(pem.p, pem.len, &e), -1);
	assert_string_equal(e.code, "x509");
	assert_non_null(strstr(e.msg, "expected PEM 'CERTIFICATE REQUEST', found 'X509 CRL'"));
	buf_free(&pem);
	assert_int_equal(x509_csr_info(der, (size_t)len, &in, &e), 0);
	assert_string_equal(in.subject, "CN=Asker");
	assert_int_equal(in.pathlen, -1);
	assert_null(x509_read_req((const uint8_t *)"junk", 4, &e));
	assert_string_equal(e.code, "crypto");
	OPENSSL_free(der);
	X509_NAME_free(n);
	X509_REQ_free(r);
}

static void names(void **state)
{
	(void)state;
	char buf[256];
	struct err e;
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);
	assert_string_equal(x509_name_text(NULL, buf, sizeof buf), "(unreadable name)");
	assert_null(x509_read_cert(der, (size_t)len - 1, "the issuer certificate", &e));
	assert_non_null(strstr(e.msg, "the issuer certificate: not a DER certificate"));
	X509 *x = x509_read_cert(der, (size_t)len, "the issuer certificate", &e);
	assert_non_null(x);
	X509_free(x);
	OPENSSL_free(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(der_certificate),
		cmocka_unit_test(pem_round_trip),
		cmocka_unit_test(public_key),
		cmocka_unit_test(unknown_and_bad),
		cmocka_unit_test(times_and_algorithms),
		cmocka_unit_test(time_text),
		cmocka_unit_test(requests),
		cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
