/* pki (steps/pki.c): public artifacts read back as certificates, CRLs, requests and
 * public keys, in DER or PEM; anything else is "unknown", never misread. */
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
#include "steps/pki.h"

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
	struct pki_obj o;
	struct err e;
	char buf[256];
	assert_true(len > 0);
	assert_int_equal(pki_parse(der, (size_t)len, &o, &e), 0);
	assert_int_equal(o.kind, PKI_CERT);
	assert_false(o.was_pem);
	assert_int_equal(o.der.len, (size_t)len);
	assert_memory_equal(o.der.p, der, (size_t)len);
	assert_string_equal(pki_key_name(o.pub, buf, sizeof buf), "ec-p384");
	/* The certificate's own RDN order, UTF-8 kept, RFC 4514 escaping. */
	assert_string_equal(pki_name_text(X509_get_subject_name(o.cert), buf, sizeof buf),
			    "CN=Zoë Root,O=Example\\, Inc.,C=US");
	pki_obj_free(&o);
	/* A trailing byte makes it something else than one certificate. */
	unsigned char *longer = OPENSSL_malloc((size_t)len + 1);
	memcpy(longer, der, (size_t)len);
	longer[len] = 0;
	assert_int_equal(pki_parse(longer, (size_t)len + 1, &o, &e), 0);
	assert_int_equal(o.kind, PKI_UNKNOWN);
	pki_obj_free(&o);
	OPENSSL_free(longer);
	OPENSSL_free(der);
}

static void pem_round_trip(void **state)
{
	(void)state;
	unsigned char *der = NULL;
	int len = i2d_X509_CRL(crl, &der);
	struct pki_obj o, back;
	struct buf pem = {0};
	struct err e;
	assert_int_equal(pki_parse(der, (size_t)len, &o, &e), 0);
	assert_int_equal(o.kind, PKI_CRL);
	assert_int_equal(pki_pem(&o, &pem, &e), 0);
	assert_true(pem.len > 30 && !memcmp(pem.p, "-----BEGIN X509 CRL-----\n", 25));
	assert_int_equal(pki_parse(pem.p, pem.len, &back, &e), 0);
	assert_int_equal(back.kind, PKI_CRL);
	assert_true(back.was_pem);
	assert_int_equal(back.der.len, o.der.len);
	assert_memory_equal(back.der.p, o.der.p, o.der.len);
	pki_obj_free(&o);
	pki_obj_free(&back);
	buf_free(&pem);
	OPENSSL_free(der);
}

static void public_key(void **state)
{
	(void)state;
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(key, &der);
	struct pki_obj o;
	struct err e;
	assert_int_equal(pki_parse(der, (size_t)len, &o, &e), 0);
	assert_int_equal(o.kind, PKI_PUBKEY);
	assert_string_equal(pki_kind_name(o.kind), "public key");
	assert_string_equal(pki_pem_label(o.kind), "PUBLIC KEY");
	pki_obj_free(&o);
	OPENSSL_free(der);
}

static void unknown_and_bad(void **state)
{
	(void)state;
	/* A raw ECDSA signature is DER, but none of the four kinds. */
	const uint8_t sig[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02};
	struct pki_obj o;
	struct err e;
	assert_int_equal(pki_parse(sig, sizeof sig, &o, &e), 0);
	assert_int_equal(o.kind, PKI_UNKNOWN);
	assert_null(pki_pem_label(o.kind));
	pki_obj_free(&o);
	assert_int_equal(pki_parse((const uint8_t *)"", 0, &o, &e), 0);
	assert_int_equal(o.kind, PKI_UNKNOWN);
	/* Text that says PEM but is not: an error, not "unknown". */
	const char *bad = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
	assert_int_equal(pki_parse((const uint8_t *)bad, strlen(bad), &o, &e), -1);
	assert_string_equal(e.code, "crypto");
	/* A PEM block of another kind is not one of ours: unknown, and nothing is kept. */
	const char *priv = "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n";
	assert_int_equal(pki_parse((const uint8_t *)priv, strlen(priv), &o, &e), 0);
	assert_int_equal(o.kind, PKI_UNKNOWN);
	assert_int_equal(o.der.len, 0);
	/* A CERTIFICATE block holding a public key is refused: the label must tell the truth. */
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(key, &der);
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	PEM_write_bio(b, "CERTIFICATE", "", der, len);
	long pl = BIO_get_mem_data(b, &p);
	assert_int_equal(pki_parse((const uint8_t *)p, (size_t)pl, &o, &e), -1);
	assert_non_null(strstr(e.msg, "CERTIFICATE"));
	BIO_free(b);
	OPENSSL_free(der);
	/* pki_obj_free of a zeroed object is a no-op. */
	memset(&o, 0, sizeof o);
	pki_obj_free(&o);
}

static void times_and_algorithms(void **state)
{
	(void)state;
	char buf[64];
	ASN1_TIME *t = ASN1_TIME_set(NULL, 1700000000);
	assert_string_equal(pki_time_text(t, buf, sizeof buf), "2023-11-14T22:13:20Z");
	assert_string_equal(pki_time_text(NULL, buf, sizeof buf), "(none)");
	ASN1_TIME_free(t);
	const X509_ALGOR *alg = NULL;
	X509_get0_signature(NULL, &alg, cert);
	assert_string_equal(pki_alg_name(alg, buf, sizeof buf), "ecdsa-with-SHA384");
	assert_string_equal(pki_key_name(NULL, buf, sizeof buf), "(none)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(der_certificate),
		cmocka_unit_test(pem_round_trip),
		cmocka_unit_test(public_key),
		cmocka_unit_test(unknown_and_bad),
		cmocka_unit_test(times_and_algorithms),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
