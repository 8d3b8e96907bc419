/* Unit tests for runner/x509.c: certificates, requests and CRLs built and signed in a real
 * SoftHSM2 token (a store made for the run and removed at the end), each read back
 * and checked with OpenSSL, not with the code that made it.
 * Run: CMOCKA_MESSAGE_OUTPUT=TAP build/tests/test_x509
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "runner/buf.h"
#include "runner/err.h"
#include "runner/secret.h"
#include "runner/der.h"
#include "runner/pem.h"
#include "runner/softhsm.h"
#include "runner/token.h"
#include "token_fixture.h"
#include "runner/x509.h"
#include "runner/x509_read.h"

#define LABEL "x509-unit"
#define SO_PIN "so-pin-for-x509-tests"
#define USER_PIN "user-pin-for-x509-tests"
#define DAY 86400

static struct {
	struct token_fixture t;
	struct tok_session *s;
	/* made by the tests in order: the root signs the intermediate, which signs CRLs */
	struct x509_key root, inter;
	struct buf root_der, csr_der, inter_der;
} fx;


static int group_setup(void **state)
{
	struct err e = {0};
	static const char *const labels[] = {LABEL, NULL};
	CK_SLOT_ID slot;
	(void)state;
	if (token_fixture_open(&fx.t, labels, SO_PIN, USER_PIN, &slot, &e) || tok_open(fx.t.m, slot, true, &fx.s, &e) ||
	    tok_login(fx.s, false, fx.t.user, &e)) {
		fprintf(stderr, "# setup failed: [%s] %s\n", e.code, e.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	x509_key_free(&fx.root);
	x509_key_free(&fx.inter);
	buf_free(&fx.root_der);
	buf_free(&fx.csr_der);
	buf_free(&fx.inter_der);
	tok_close(fx.s);
	token_fixture_close(&fx.t);
	return 0;
}

/* A key pair generated in the test token and loaded for signing. */
static void make_key(const char *alg, const char *label, struct x509_key *k)
{
	struct err e = {0};
	struct tok_keypair kp;
	OK(tok_generate(fx.s, alg, label, &kp, &e), e);
	OK(x509_key_load(fx.s, label, k, &e), e);
	assert_string_equal(k->algorithm, alg);
}

static X509 *cert_of(const struct buf *b)
{
	const unsigned char *p = b->p;
	X509 *x = d2i_X509(NULL, &p, (long)b->len);
	assert_non_null(x);
	assert_ptr_equal(p, b->p + b->len);
	return x;
}

static void root_spec(struct x509_cert_spec *s)
{
	memset(s, 0, sizeof *s);
	s->profile = X509_ROOT_CA;
	s->pathlen = -1;
	s->subject[0] = (struct x509_rdn){"C", "US"};
	s->subject[1] = (struct x509_rdn){"O", "Exämple Inc."};
	s->subject[2] = (struct x509_rdn){"CN", "Example Root CA"};
	s->n_subject = 3;
	s->validity.days = 7305;
}

static void issuing_spec(struct x509_cert_spec *s)
{
	static const char *const dp[] = {"http://crl.example.com/root.crl"};
	static const char *const ocsp[] = {"http://ocsp.example.com"};
	memset(s, 0, sizeof *s);
	s->profile = X509_ISSUING_CA;
	s->pathlen = 0;
	s->validity.days = 1095;
	s->crl_dp[0] = dp[0];
	s->n_crl_dp = 1;
	s->ocsp[0] = ocsp[0];
	s->n_ocsp = 1;
}

static void test_serial(void **state)
{
	uint8_t sn[20];
	size_t len;
	(void)state;

	assert_int_equal(x509_serial_parse("01:23:45", sn, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(sn, "\x01\x23\x45", 3);
	assert_int_equal(x509_serial_parse("abc", sn, &len), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(sn, "\x0a\xbc", 2);
	assert_int_equal(x509_serial_parse("0", sn, &len), -1);
	assert_int_equal(x509_serial_parse("xyz", sn, &len), -1);
	/* 20 octets with the top bit set would need a 21st (RFC 5280 §4.1.2.2). */
	assert_int_equal(x509_serial_parse("7fffffffffffffffffffffffffffffffffffffff", sn, &len), 0);
	assert_int_equal(x509_serial_parse("8fffffffffffffffffffffffffffffffffffffff", sn, &len), -1);
}

static void test_profile_rules(void **state)
{
	char note[256];
	(void)state;
	assert_null(x509_pathlen_problem(X509_ISSUING_CA, 0));
	assert_non_null(x509_pathlen_problem(X509_ISSUING_CA, 1));
	assert_null(x509_pathlen_problem(X509_SUBORDINATE_CA, 1));
	assert_non_null(x509_pathlen_problem(X509_SUBORDINATE_CA, 0));
	assert_null(x509_pathlen_problem(X509_ROOT_CA, -1));
	assert_non_null(x509_pathlen_problem(X509_ROOT_CA, 0));
	/* Seed 003: root 10-20 y, subordinate 5-10 y, issuing 1-3 y. */
	assert_false(x509_tier_note(X509_ROOT_CA, 7300LL * DAY, note, sizeof note));
	assert_false(x509_tier_note(X509_ROOT_CA, 7305LL * DAY, note, sizeof note));
	assert_true(x509_tier_note(X509_ROOT_CA, 3000LL * DAY, note, sizeof note));
	assert_non_null(strstr(note, "a root CA (10 to 20 years)"));
	assert_false(x509_tier_note(X509_SUBORDINATE_CA, 3652LL * DAY, note, sizeof note));
	assert_true(x509_tier_note(X509_ISSUING_CA, 3652LL * DAY, note, sizeof note));
	assert_non_null(strstr(note, "3652 days (10.0 years)"));
	assert_false(x509_tier_note(X509_ISSUING_CA, 365LL * DAY, note, sizeof note));
}

/* --- made in the token ---------------------------------------------------- */

/* Finds the extension by NID; exactly one. */
static X509_EXTENSION *ext_of(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);
	assert_true(i >= 0);
	assert_int_equal(X509_get_ext_by_NID(x, nid, i), -1);
	return X509_get_ext(x, i);
}

static void test_root_p384(void **state)
{
	struct err e = {0};
	struct x509_cert_spec spec;
	struct x509_sigalg sa = {0};
	struct x509_info in;
	int64_t now = (int64_t)time(NULL);
	(void)state;

	make_key("ec-p384", "root-key", &fx.root);
	OK(x509_sigalg_resolve(fx.root.algorithm, &sa, &e), e);
	root_spec(&spec);
	OK(x509_cert_self_signed(&spec, &fx.root, &sa, now, &fx.root_der, &e), e);

	X509 *x = cert_of(&fx.root_der);
	/* Verified by OpenSSL with the key the token exported. */
	assert_int_equal(X509_verify(x, fx.root.pkey), 1);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA384);
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
	assert_int_equal(X509_check_issued(x, x), X509_V_OK);
	/* Validity: from now, 7305 days. */
	struct tm tm;
	assert_int_equal(ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm), 1);
	assert_int_equal(timegm(&tm), now);
	assert_int_equal(ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm), 1);
	assert_int_equal(timegm(&tm), now + 7305LL * DAY);
	/* Serial: 16 octets, positive, from the token's RNG. */
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	assert_int_equal(ASN1_STRING_length(sn), 16);
	assert_int_equal(ASN1_STRING_type(sn), V_ASN1_INTEGER);
	assert_true(ASN1_STRING_get0_data(sn)[0] >= 0x40 && ASN1_STRING_get0_data(sn)[0] < 0x80);
	/* Subject in the order written; C PrintableString, the rest UTF8String. */
	X509_NAME *name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_entry_count(name), 3);
	assert_int_equal(OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(name, 0))), NID_countryName);
	assert_int_equal(ASN1_STRING_type(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, 0))), V_ASN1_PRINTABLESTRING);
	assert_int_equal(ASN1_STRING_type(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, 1))), V_ASN1_UTF8STRING);
	assert_string_equal((const char *)ASN1_STRING_get0_data(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, 1))),
			    "Exämple Inc.");
	assert_int_equal(OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(name, 2))), NID_commonName);

	/* Exactly the root profile's extensions: basicConstraints, keyUsage, SKI. */
	assert_int_equal(X509_get_ext_count(x), 3);
	X509_EXTENSION *bcx = ext_of(x, NID_basic_constraints), *kux = ext_of(x, NID_key_usage);
	assert_int_equal(X509_EXTENSION_get_critical(bcx), 1);
	assert_int_equal(X509_EXTENSION_get_critical(kux), 1);
	assert_int_equal(X509_EXTENSION_get_critical(ext_of(x, NID_subject_key_identifier)), 0);
	/* cA TRUE is DER's 0xFF (X.690 §11.1), which Go and pyca insist on; OpenSSL would
	 * read 0x01 the same, so the bytes are what is checked. */
	const ASN1_OCTET_STRING *bcv = X509_EXTENSION_get_data(bcx);
	assert_int_equal(ASN1_STRING_length(bcv), 5);
	assert_memory_equal(ASN1_STRING_get0_data(bcv), "\x30\x03\x01\x01\xff", 5);
	OK(der_check(fx.root_der.p, fx.root_der.len, &e), e);
	BASIC_CONSTRAINTS *bc = X509V3_EXT_d2i(bcx);
	assert_non_null(bc);
	assert_true(bc->ca);
	assert_null(bc->pathlen);
	BASIC_CONSTRAINTS_free(bc);
	assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	/* keyUsage DER: BIT STRING 03 02 01 06 (bits 5 and 6, one unused bit). */
	const ASN1_OCTET_STRING *kuv = X509_EXTENSION_get_data(kux);
	assert_int_equal(ASN1_STRING_length(kuv), 4);
	assert_memory_equal(ASN1_STRING_get0_data(kuv), "\x03\x02\x01\x06", 4);
	/* SKI: RFC 5280 §4.2.1.2 method 1. */
	uint8_t id[20];
	const unsigned char *bits;
	int blen;
	assert_int_equal(X509_PUBKEY_get0_param(NULL, &bits, &blen, NULL, X509_get_X509_PUBKEY(x)), 1);
	SHA1(bits, (size_t)blen, id);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
	assert_int_equal(ASN1_STRING_length(ski), 20);
	assert_memory_equal(ASN1_STRING_get0_data(ski), id, 20);
	X509_free(x);

	OK(x509_cert_info(fx.root_der.p, fx.root_der.len, &in, &e), e);
	assert_string_equal(in.subject, "CN=Example Root CA,O=Exämple Inc.,C=US");
	assert_string_equal(in.subject, in.issuer);
	assert_int_equal(strlen(in.serial), 32);
	assert_int_equal(in.pathlen, -1);
	assert_true(in.ca);
	assert_int_equal(strlen(in.ski), 40);
	assert_string_equal(in.aki, "");
	assert_int_equal(in.t_not_after - in.t_not_before, 7305LL * DAY);
}

static void test_csr(void **state)
{
	struct err e = {0};
	struct x509_sigalg sa = {0};
	struct x509_rdn subj[] = {{"C", "US"}, {"O", "Example Inc."}, {"OU", "Device Attestation"},
				  {"CN", "Example Intermediate CA"}};
	struct x509_info in;
	(void)state;

	make_key("ec-p384", "inter-key", &fx.inter);
	OK(x509_sigalg_resolve(fx.inter.algorithm, &sa, &e), e);
	OK(x509_csr_create(subj, 4, &fx.inter, &sa, &fx.csr_der, &e), e);
	OK(x509_csr_verify(fx.csr_der.p, fx.csr_der.len, &e), e);
	const unsigned char *p = fx.csr_der.p;
	X509_REQ *r = d2i_X509_REQ(NULL, &p, (long)fx.csr_der.len);
	assert_non_null(r);
	assert_int_equal(X509_REQ_verify(r, fx.inter.pkey), 1);
	assert_int_equal(X509_REQ_get_signature_nid(r), NID_ecdsa_with_SHA384);
	assert_int_equal(X509_REQ_get_attr_count(r), 0);
	X509_REQ_free(r);
	OK(x509_csr_info(fx.csr_der.p, fx.csr_der.len, &in, &e), e);
	assert_string_equal(in.subject, "CN=Example Intermediate CA,OU=Device Attestation,O=Example Inc.,C=US");

	/* PEM is accepted as well as DER. */
	struct buf pem = {0};
	OK(pem_write("CERTIFICATE REQUEST", fx.csr_der.p, fx.csr_der.len, &pem, &e), e);
	OK(x509_csr_verify(pem.p, pem.len, &e), e);
	buf_free(&pem);
}

static void test_tampered_csr_refused(void **state)
{
	struct err e = {0};
	struct x509_cert_spec spec;
	struct x509_sigalg sa = {0};
	struct buf bad = {0}, out = {0};
	(void)state;
	OK(x509_sigalg_resolve("ec-p384", &sa, &e), e);
	issuing_spec(&spec);

	/* A changed letter in the subject (inside the signed part). */
	OK(buf_append(&bad, fx.csr_der.p, fx.csr_der.len, &e), e);
	uint8_t *hit = memmem(bad.p, bad.len, "Device", 6);
	assert_non_null(hit);
	hit[0] = 'E';
	assert_int_equal(x509_csr_verify(bad.p, bad.len, &e), -1);
	assert_non_null(strstr(e.msg, "signature does not verify"));
	assert_int_equal(x509_cert_issue(&spec, bad.p, bad.len, fx.root_der.p, fx.root_der.len, &fx.root, &sa,
					 (int64_t)time(NULL), &out, &e), -1);
	assert_non_null(strstr(e.msg, "signature does not verify"));
	assert_int_equal(out.len, 0);

	/* A flipped bit in the signature's last byte. */
	memcpy(bad.p, fx.csr_der.p, bad.len);
	bad.p[bad.len - 1] ^= 0x01;
	assert_int_equal(x509_csr_verify(bad.p, bad.len, &e), -1);
	/* Garbage is not a request. */
	assert_int_equal(x509_csr_verify((const uint8_t *)"hello", 5, &e), -1);
	buf_free(&bad);
}

/* A signature the exported public key does not verify is never returned: here the
 * token signs with the intermediate's private key under the root's public key. */
static void test_unverified_never_returned(void **state)
{
	struct err e = {0};
	struct x509_cert_spec spec;
	struct x509_sigalg sa = {0};
	struct x509_key mixed = fx.root;
	struct buf der = {0};
	(void)state;
	OK(x509_sigalg_resolve("ec-p384", &sa, &e), e);
	mixed.priv = fx.inter.priv;
	root_spec(&spec);
	assert_int_equal(x509_cert_self_signed(&spec, &mixed, &sa, (int64_t)time(NULL), &der, &e), -1);
	assert_non_null(strstr(e.msg, "does not verify with the exported public key"));
	struct x509_rdn cn = {"CN", "x"};
	assert_int_equal(x509_csr_create(&cn, 1, &mixed, &sa, &der, &e), -1);
	assert_non_null(strstr(e.msg, "does not verify with the exported public key"));
	assert_int_equal(der.len, 0);
}

static void test_issue_intermediate(void **state)
{
	struct err e = {0};
	struct x509_cert_spec spec;
	struct x509_sigalg sa = {0};
	struct x509_info in, root;
	(void)state;

	OK(x509_sigalg_resolve(fx.root.algorithm, &sa, &e), e);
	issuing_spec(&spec);
	OK(x509_cert_issue(&spec, fx.csr_der.p, fx.csr_der.len, fx.root_der.p, fx.root_der.len, &fx.root, &sa,
			   (int64_t)time(NULL), &fx.inter_der, &e), e);
	X509 *x = cert_of(&fx.inter_der), *rx = cert_of(&fx.root_der);
	assert_int_equal(X509_verify(x, fx.root.pkey), 1);

	/* The chain validates in OpenSSL's strict mode. */
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	assert_int_equal(X509_STORE_add_cert(st, rx), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, st, x, NULL), 1);
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
	if (X509_verify_cert(ctx) != 1)
		fail_msg("chain: %s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);

	/* The subject and key are the request's. */
	OK(x509_cert_info(fx.inter_der.p, fx.inter_der.len, &in, &e), e);
	OK(x509_cert_info(fx.root_der.p, fx.root_der.len, &root, &e), e);
	assert_string_equal(in.subject, "CN=Example Intermediate CA,OU=Device Attestation,O=Example Inc.,C=US");
	assert_string_equal(in.issuer, root.subject);
	EVP_PKEY *pk = X509_get0_pubkey(x);
	assert_int_equal(EVP_PKEY_eq(pk, fx.inter.pkey), 1);
	/* pathlen 0; AKI = the root's SKI; the CRL DP and OCSP URIs. */
	assert_int_equal(in.pathlen, 0);
	assert_string_equal(in.aki, root.ski);
	assert_int_equal(X509_get_ext_count(x), 6);
	assert_int_equal(X509_EXTENSION_get_critical(ext_of(x, NID_basic_constraints)), 1);
	assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	CRL_DIST_POINTS *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	assert_int_equal(sk_DIST_POINT_num(dps), 1);
	GENERAL_NAME *gn = sk_GENERAL_NAME_value(sk_DIST_POINT_value(dps, 0)->distpoint->name.fullname, 0);
	assert_int_equal(gn->type, GEN_URI);
	assert_string_equal((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
			    "http://crl.example.com/root.crl");
	CRL_DIST_POINTS_free(dps);
	AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
	assert_int_equal(sk_ACCESS_DESCRIPTION_num(aia), 1);
	ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, 0);
	assert_int_equal(OBJ_obj2nid(ad->method), NID_ad_OCSP);
	assert_string_equal((const char *)ASN1_STRING_get0_data(ad->location->d.uniformResourceIdentifier),
			    "http://ocsp.example.com");
	AUTHORITY_INFO_ACCESS_free(aia);
	assert_int_equal(in.t_not_after - in.t_not_before, 1095LL * DAY);
	X509_free(x);
	X509_free(rx);
}

static void test_issue_refusals(void **state)
{
	struct err e = {0};
	struct x509_cert_spec spec;
	struct x509_sigalg sa = {0};
	struct buf out = {0};
	int64_t now = (int64_t)time(NULL);
	(void)state;
	OK(x509_sigalg_resolve("ec-p384", &sa, &e), e);

	/* The issuer key must be the issuer certificate's. */
	issuing_spec(&spec);
	assert_int_equal(x509_cert_issue(&spec, fx.csr_der.p, fx.csr_der.len, fx.root_der.p, fx.root_der.len, &fx.inter,
					 &sa, now, &out, &e), -1);
	assert_non_null(strstr(e.msg, "not the key of the issuer certificate"));
	/* Not outliving the issuer. */
	spec.validity.days = 7306;
	assert_int_equal(x509_cert_issue(&spec, fx.csr_der.p, fx.csr_der.len, fx.root_der.p, fx.root_der.len, &fx.root,
					 &sa, now, &out, &e), -1);
	assert_non_null(strstr(e.msg, "after its issuer expires"));
	/* An issuer with pathlen 0 certifies no CA. */
	issuing_spec(&spec);
	assert_int_equal(x509_cert_issue(&spec, fx.csr_der.p, fx.csr_der.len, fx.inter_der.p, fx.inter_der.len,
					 &fx.inter, &sa, now, &out, &e), -1);
	assert_non_null(strstr(e.msg, "pathLenConstraint is 0"));
	assert_int_equal(out.len, 0);
}

/* The requested extensions of a CSR are ignored unless allowed. */
static void test_csr_extensions(void **state)
{
	struct err e = {0};
	struct x509_cert_spec spec;
	struct x509_sigalg sa = {0};
	struct buf der = {0}, csr = {0};
	(void)state;
	OK(x509_sigalg_resolve("ec-p384", &sa, &e), e);

	/* A request (signed in software: only its content matters here) asking for
	 * extendedKeyUsage serverAuth. */
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	X509_REQ *r = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage, "serverAuth");
	assert_non_null(ex);
	sk_X509_EXTENSION_push(exts, ex);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"Asker", -1, -1, 0);
	X509_REQ_set_subject_name(r, n);
	X509_REQ_set_pubkey(r, k);
	X509_REQ_add_extensions(r, exts);
	assert_true(X509_REQ_sign(r, k, EVP_sha384()) > 0);
	unsigned char *p = NULL;
	int len = i2d_X509_REQ(r, &p);
	OK(buf_append(&csr, p, (size_t)len, &e), e);
	OPENSSL_free(p);

	issuing_spec(&spec);
	OK(x509_cert_issue(&spec, csr.p, csr.len, fx.root_der.p, fx.root_der.len, &fx.root, &sa, (int64_t)time(NULL),
			   &der, &e), e);
	X509 *x = cert_of(&der);
	assert_int_equal(X509_get_ext_by_NID(x, NID_ext_key_usage, -1), -1);
	X509_free(x);
	buf_free(&der);

	spec.allow_csr_extensions = true;
	OK(x509_cert_issue(&spec, csr.p, csr.len, fx.root_der.p, fx.root_der.len, &fx.root, &sa, (int64_t)time(NULL),
			   &der, &e), e);
	x = cert_of(&der);
	assert_true(X509_get_ext_by_NID(x, NID_ext_key_usage, -1) >= 0);
	assert_int_equal(X509_get_ext_count(x), 7);
	X509_free(x);

	buf_free(&der);
	buf_free(&csr);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(n);
	X509_REQ_free(r);
	EVP_PKEY_free(k);
}

static X509_CRL *crl_of(const struct buf *b)
{
	const unsigned char *p = b->p;
	X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)b->len);
	assert_non_null(c);
	assert_ptr_equal(p, b->p + b->len);
	return c;
}

static void test_crls(void **state)
{
	struct err e = {0};
	struct x509_sigalg sa = {0};
	struct x509_crl_spec *spec = calloc(1, sizeof *spec);
	struct buf der = {0};
	struct x509_info in, inter;
	int64_t now = (int64_t)time(NULL);
	(void)state;
	assert_non_null(spec);
	OK(x509_sigalg_resolve("ec-p384", &sa, &e), e);
	OK(x509_cert_info(fx.inter_der.p, fx.inter_der.len, &inter, &e), e);

	/* Empty (seed 004 §7.7): revokedCertificates absent (RFC 5280 §5.1.2.6). */
	spec->next_update_days = 30;
	spec->number = 1;
	OK(x509_crl_create(spec, fx.inter_der.p, fx.inter_der.len, &fx.inter, &sa, now, &der, &e), e);
	X509_CRL *c = crl_of(&der);
	assert_int_equal(X509_CRL_verify(c, fx.inter.pkey), 1);
	assert_int_equal(X509_CRL_get_version(c), X509_CRL_VERSION_2);
	STACK_OF(X509_REVOKED) *rv = X509_CRL_get_REVOKED(c);
	assert_true(!rv || sk_X509_REVOKED_num(rv) == 0);
	X509_CRL_free(c);
	OK(x509_crl_info(der.p, der.len, &in, &e), e);
	assert_string_equal(in.number, "1");
	assert_string_equal(in.aki, inter.ski);
	assert_string_equal(in.issuer, inter.subject);
	assert_int_equal(in.t_not_after - in.t_not_before, 30LL * DAY);
	assert_int_equal(in.n_revoked, 0);
	buf_free(&der);

	/* One revocation, keyCompromise, dated yesterday. */
	spec->number = 2;
	spec->n_revoked = 1;
	spec->revoked[0] = (struct x509_revoked){.serial_hex = "0A:0B:0C", .reason = 1, .date = now - DAY};
	OK(x509_crl_create(spec, fx.inter_der.p, fx.inter_der.len, &fx.inter, &sa, now, &der, &e), e);
	c = crl_of(&der);
	assert_int_equal(X509_CRL_verify(c, fx.inter.pkey), 1);
	rv = X509_CRL_get_REVOKED(c);
	assert_int_equal(sk_X509_REVOKED_num(rv), 1);
	X509_REVOKED *r = sk_X509_REVOKED_value(rv, 0);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(r), NULL);
	char *hex = BN_bn2hex(bn);
	assert_string_equal(hex, "0A0B0C");
	OPENSSL_free(hex);
	BN_free(bn);
	ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
	assert_non_null(reason);
	assert_int_equal(ASN1_ENUMERATED_get(reason), 1);
	ASN1_ENUMERATED_free(reason);
	struct tm tm;
	assert_int_equal(ASN1_TIME_to_tm(X509_REVOKED_get0_revocationDate(r), &tm), 1);
	assert_int_equal(timegm(&tm), now - DAY);
	X509_CRL_free(c);
	buf_free(&der);

	/* Refusals: a revocation dated after thisUpdate, the same serial twice, a CRL
	 * signed by a key that is not the issuer's. */
	spec->revoked[0].date = now + DAY;
	assert_int_equal(x509_crl_create(spec, fx.inter_der.p, fx.inter_der.len, &fx.inter, &sa, now, &der, &e), -1);
	spec->revoked[0].date = 0;
	spec->revoked[1] = (struct x509_revoked){.serial_hex = "0a0b0c", .reason = -1};
	spec->n_revoked = 2;
	assert_int_equal(x509_crl_create(spec, fx.inter_der.p, fx.inter_der.len, &fx.inter, &sa, now, &der, &e), -1);
	assert_non_null(strstr(e.msg, "revocation 2: its serial number is listed twice"));
	spec->n_revoked = 0;
	assert_int_equal(x509_crl_create(spec, fx.inter_der.p, fx.inter_der.len, &fx.root, &sa, now, &der, &e), -1);
	assert_non_null(strstr(e.msg, "not the key of the issuer certificate"));
	assert_int_equal(der.len, 0);
	free(spec);
}

/* The other signing paths: P-521/SHA-512, Ed25519 (whole message), RSA PKCS#1 v1.5
 * and RSA-PSS (matching parameters), each a self-signed root verified by OpenSSL. */
static void one_root(const char *alg, const char *label, struct x509_sigalg sa, int want_nid)
{
	struct err e = {0};
	struct x509_key k = {0};
	struct x509_cert_spec spec;
	struct buf der = {0};
	make_key(alg, label, &k);
	OK(x509_sigalg_resolve(k.algorithm, &sa, &e), e);
	root_spec(&spec);
	OK(x509_cert_self_signed(&spec, &k, &sa, (int64_t)time(NULL), &der, &e), e);
	X509 *x = cert_of(&der);
	assert_int_equal(X509_verify(x, k.pkey), 1);
	assert_int_equal(X509_get_signature_nid(x), want_nid);
	OK(der_check(der.p, der.len, &e), e);
	X509_free(x);
	buf_free(&der);
	x509_key_free(&k);
}

static void test_other_algorithms(void **state)
{
	(void)state;
	one_root("ec-p256", "p256", (struct x509_sigalg){0}, NID_ecdsa_with_SHA256);
	one_root("ec-p521", "p521", (struct x509_sigalg){0}, NID_ecdsa_with_SHA512);
	one_root("ed25519", "ed", (struct x509_sigalg){0}, NID_ED25519);
	one_root("rsa-3072", "rsa-pkcs1", (struct x509_sigalg){.hash = X509_HASH_SHA384}, NID_sha384WithRSAEncryption);
	one_root("rsa-3072", "rsa-pss", (struct x509_sigalg){.hash = X509_HASH_SHA256, .padding = X509_PAD_PSS},
		 NID_rsassaPss);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_profile_rules),
		cmocka_unit_test(test_root_p384),
		cmocka_unit_test(test_csr),
		cmocka_unit_test(test_tampered_csr_refused),
		cmocka_unit_test(test_unverified_never_returned),
		cmocka_unit_test(test_issue_intermediate),
		cmocka_unit_test(test_issue_refusals),
		cmocka_unit_test(test_csr_extensions),
		cmocka_unit_test(test_crls),
		cmocka_unit_test(test_other_algorithms),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
