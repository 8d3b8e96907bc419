/* Unit tests for runner/rfc5280.c: a root and an issuing CA made in software with
 * OpenSSL, with a CRL of the root, checked against the profile; every check is
 * reported in order, and a certificate that differs from what is expected is counted
 * as a failed check, never an error.
 * Run: CMOCKA_MESSAGE_OUTPUT=TAP build/tests/test_rfc5280
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "runner/err.h"
#include "runner/rfc5280.h"
#include "runner/x509_read.h"

#define OK(call, e) do { \
	if ((call) != 0) fail_msg("%s failed: [%s] %s", #call, (e).code, (e).msg); \
} while (0)

static EVP_PKEY *root_key, *inter_key;
static struct x509_obj root, inter, crl, leafish;

static void ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ex);
	assert_int_equal(X509_add_ext(x, ex, -1), 1);
	X509_EXTENSION_free(ex);
}

static void to_obj(X509 *x, struct x509_obj *o)
{
	struct err e = {0};
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	assert_true(len > 0);
	OK(x509_obj_parse(der, (size_t)len, o, &e), e);
	assert_int_equal(o->kind, X509_OBJ_CERT);
	OPENSSL_free(der);
}

/* A CA certificate of the profile (bc and ku critical, SKI, AKI below a root). */
static void make_ca(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, const char *bc,
		    const char *ku, struct x509_obj *o)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), issuer ? 2 : 1);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_gmtime_adj(X509_getm_notBefore(x), issuer ? -1800 : -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), issuer ? 86400L * 365 : 86400L * 3650);
	X509_set_pubkey(x, key);
	ext(x, issuer ? issuer : x, NID_basic_constraints, bc);
	ext(x, issuer ? issuer : x, NID_key_usage, ku);
	ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash");
	if (issuer) {
		ext(x, issuer, NID_authority_key_identifier, "keyid:always");
		ext(x, issuer, NID_crl_distribution_points, "URI:http://crl.example.com/root.crl");
	}
	assert_true(X509_sign(x, issuer_key, EVP_sha384()) > 0);
	to_obj(x, o);
	X509_NAME_free(n);
	X509_free(x);
}

static int setup(void **state)
{
	struct err e = {0};
	(void)state;
	root_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	inter_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	if (!root_key || !inter_key)
		return -1;
	make_ca("Root", root_key, NULL, root_key, "critical,CA:TRUE", "critical,keyCertSign,cRLSign", &root);
	make_ca("Issuing", inter_key, root.cert, root_key, "critical,CA:TRUE,pathlen:0", "critical,keyCertSign,cRLSign",
		&inter);
	make_ca("Not quite", inter_key, root.cert, root_key, "critical,CA:TRUE,pathlen:0",
		"critical,digitalSignature,keyCertSign,cRLSign", &leafish);

	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *tu = ASN1_TIME_adj(NULL, time(NULL), 0, -60), *nu = ASN1_TIME_adj(NULL, time(NULL), 30, 0);
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	X509V3_CTX ctx;
	X509_CRL_set_version(c, X509_CRL_VERSION_2);
	X509_CRL_set_issuer_name(c, X509_get_subject_name(root.cert));
	X509_CRL_set1_lastUpdate(c, tu);
	X509_CRL_set1_nextUpdate(c, nu);
	ASN1_INTEGER_set(num, 7);
	X509_CRL_add1_ext_i2d(c, NID_crl_number, num, 0, 0);
	X509V3_set_ctx(&ctx, root.cert, NULL, NULL, c, 0);
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	X509_CRL_add_ext(c, ex, -1);
	X509_EXTENSION_free(ex);
	if (!X509_CRL_sign(c, root_key, EVP_sha384()))
		return -1;
	unsigned char *der = NULL;
	int len = i2d_X509_CRL(c, &der);
	int rc = x509_obj_parse(der, (size_t)len, &crl, &e);
	OPENSSL_free(der);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	X509_CRL_free(c);
	return rc || crl.kind != X509_OBJ_CRL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	x509_obj_free(&root);
	x509_obj_free(&inter);
	x509_obj_free(&leafish);
	x509_obj_free(&crl);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(inter_key);
	return 0;
}

/* The checks as reported: "subject: what" and whether each held. */
struct seen {
	size_t n, failed;
	char first_failed[256];
	bool saw_validation, saw_crl_number;
};

static int record(void *ctx, const char *subject, const char *what, const char *expected, const char *actual,
		  bool held, struct err *e)
{
	struct seen *s = ctx;
	(void)e;
	assert_non_null(expected);
	assert_non_null(actual);
	if (s->n++ == 0)
		s->saw_validation = !strncmp(what, "OpenSSL validation", 18) && !strcmp(subject, "inter");
	if (!strcmp(what, "cRLNumber") && !strcmp(actual, "7"))
		s->saw_crl_number = true;
	if (!held && !s->failed++)
		snprintf(s->first_failed, sizeof s->first_failed, "%s: %s", subject, what);
	return 0;
}

static void chain_of(struct rfc5280_chain *c, const struct x509_obj *second, const struct rfc5280_cert_want *w0,
		     const struct rfc5280_cert_want *w1, const struct rfc5280_crl_want *cw)
{
	memset(c, 0, sizeof *c);
	c->n = 2;
	c->certs[0].id = "root";
	c->certs[0].obj = &root;
	c->certs[0].want = w0;
	c->certs[1].id = "inter";
	c->certs[1].obj = second;
	c->certs[1].want = w1;
	if (cw) {
		c->n_crls = 1;
		c->crls[0].id = "crl";
		c->crls[0].obj = &crl;
		c->crls[0].want = cw;
	}
}

static void test_good_chain(void **state)
{
	struct err e = {0};
	struct rfc5280_cert_want w0 = {.pathlen = RFC5280_PATHLEN_ABSENT}, w1 = {.pathlen = 0};
	struct rfc5280_crl_want cw = {.issuer = RFC5280_ISSUER_BY_NAME, .revoked = 0};
	struct rfc5280_chain c;
	struct rfc5280_result res;
	struct seen s = {0};
	(void)state;
	w1.crl_dp[0] = "http://crl.example.com/root.crl";
	w1.n_crl_dp = 1;
	chain_of(&c, &inter, &w0, &w1, &cw);
	c.key_algorithm = "ec-p384";
	c.signature_algorithm = "ecdsa-with-SHA384";
	OK(rfc5280_check(&c, record, &s, &res, &e), e);
	if (s.failed)
		fail_msg("%zu checks failed, first %s", s.failed, s.first_failed);
	assert_true(res.valid);
	assert_int_equal(res.failed, 0);
	assert_int_equal(res.crl_entries[0], 0);
	assert_true(s.saw_validation);
	assert_true(s.saw_crl_number);
	assert_true(s.n > 25);
}

static void test_profile_failures(void **state)
{
	struct err e = {0};
	struct rfc5280_cert_want w0 = {.pathlen = RFC5280_PATHLEN_ABSENT}, w1 = {.pathlen = 1};
	struct rfc5280_chain c;
	struct rfc5280_result res;
	struct seen s = {0};
	(void)state;
	/* A pathlen other than the script's: one failed check, still a valid chain. */
	chain_of(&c, &inter, &w0, &w1, NULL);
	OK(rfc5280_check(&c, record, &s, &res, &e), e);
	assert_true(res.valid);
	assert_int_equal(res.failed, 1);
	assert_string_equal(s.first_failed, "inter: pathlen");

	/* keyUsage with digitalSignature besides keyCertSign and cRLSign. */
	memset(&s, 0, sizeof s);
	w1.pathlen = RFC5280_PATHLEN_ANY;
	chain_of(&c, &leafish, &w0, &w1, NULL);
	c.signature_algorithm = "ecdsa-with-SHA256";
	OK(rfc5280_check(&c, record, &s, &res, &e), e);
	assert_int_equal(res.failed, 3);   /* keyUsage, and the algorithm of root and of leafish */
	assert_string_equal(s.first_failed, "root: signature algorithm");

	/* The wrong root: OpenSSL's validation fails, and so do the linkage checks. */
	memset(&s, 0, sizeof s);
	chain_of(&c, &root, &w0, &w0, NULL);
	c.certs[0].obj = &inter;
	OK(rfc5280_check(&c, record, &s, &res, &e), e);
	assert_false(res.valid);
	assert_true(res.failed > 2);
}

static int stop(void *ctx, const char *subject, const char *what, const char *expected, const char *actual,
		bool held, struct err *e)
{
	(void)ctx, (void)subject, (void)what, (void)expected, (void)actual, (void)held;
	return err_set(e, ERR_IO, "the transcript could not take the check");
}

static void test_report_error_stops(void **state)
{
	struct err e = {0};
	struct rfc5280_cert_want w = {.pathlen = RFC5280_PATHLEN_ANY};
	struct rfc5280_chain c;
	struct rfc5280_result res;
	(void)state;
	chain_of(&c, &inter, &w, &w, NULL);
	assert_int_equal(rfc5280_check(&c, stop, NULL, &res, &e), -1);
	assert_string_equal(e.code, "io");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_chain),
		cmocka_unit_test(test_profile_failures),
		cmocka_unit_test(test_report_error_stops),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
