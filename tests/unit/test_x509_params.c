/* Unit tests for steps/x509_params.c: the PKI steps' script parameters, read from
 * YAML and refused at their line and column with the runner's rules (no token).
 * Run: CMOCKA_MESSAGE_OUTPUT=TAP build/tests/test_x509_params
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "runner/err.h"
#include "runner/ynode.h"
#include "steps/x509_params.h"

#define DAY 86400

#define OK(call, e) do { \
	if ((call) != 0) fail_msg("%s failed: [%s] %s", #call, (e).code, (e).msg); \
} while (0)

static struct ydoc *yaml(const char *text)
{
	struct ydoc *d = NULL;
	struct err e = {0};
	OK(ydoc_parse("t.yaml", (const uint8_t *)text, strlen(text), NULL, ERR_SCRIPT, &d, &e), e);
	return d;
}

static void test_parse(void **state)
{
	struct err e = {0};
	struct x509_cert_spec spec;
	struct x509_sigalg sa;
	struct ydoc *d;
	(void)state;

	d = yaml("subject: {CN: Root, O: Org, OU: [A, B], C: DE}\nvalidity_days: 7305\npathlen: 2\n"
		 "signature: {hash: sha384}\n");
	OK(x509_params_cert(d, d->root, "s", true, &spec, &e), e);
	assert_int_equal(spec.n_subject, 5);
	assert_string_equal(spec.subject[0].type, "CN");
	assert_string_equal(spec.subject[2].type, "OU");
	assert_string_equal(spec.subject[2].value, "A");
	assert_string_equal(spec.subject[3].value, "B");
	assert_string_equal(spec.subject[4].type, "C");
	assert_int_equal(spec.profile, X509_ROOT_CA);
	assert_int_equal(spec.pathlen, 2);
	assert_int_equal(spec.validity.days, 7305);
	OK(x509_params_sigalg(d, ynode_get(d->root, "signature"), &sa, &e), e);
	assert_int_equal(sa.hash, X509_HASH_SHA384);
	ydoc_free(d);

	d = yaml("profile: issuing-ca\nnot_before: 2026-01-01T00:00:00Z\nnot_after: 2029-01-01T00:00:00Z\n"
		 "crl_distribution_points: [http://crl.example.com/a.crl]\n"
		 "authority_info_access: {ocsp: http://ocsp.example.com}\ncertificate_policies: [2.5.29.32.0]\n"
		 "extended_key_usage: [clientAuth, 1.3.6.1.5.5.7.3.9]\n");
	OK(x509_params_cert(d, d->root, "s", false, &spec, &e), e);
	assert_int_equal(spec.pathlen, 0);
	assert_int_equal(spec.n_subject, 0);
	assert_int_equal(spec.validity.days, 0);
	assert_int_equal(spec.validity.not_after - spec.validity.not_before, (365 * 3 + 1) * DAY);
	assert_int_equal(spec.n_crl_dp, 1);
	assert_int_equal(spec.n_ocsp, 1);
	assert_int_equal(spec.n_policies, 1);
	assert_int_equal(spec.n_eku, 2);
	ydoc_free(d);

	/* Refusals, each at its line and column. */
	static const struct {
		const char *yaml, *msg;
		bool self;
	} bad[] = {
		{"profile: issuing-ca\npathlen: 1\nvalidity_days: 10\n", "t.yaml:2:10: step 's': pathlen 1 does not fit profile issuing-ca", false},
		{"validity_days: 10\n", "t.yaml:1:1: step 's': missing 'profile'", false},
		{"subject: {CN: R, Contry: X}\nvalidity_days: 10\n", "t.yaml:1:18: unknown subject attribute 'Contry'", true},
		{"subject: {C: Germany}\nvalidity_days: 10\n", "t.yaml:1:14: 'C' is a two-letter", true},
		{"subject: {CN: ''}\nvalidity_days: 10\n", "'CN' must have 1 to 64 characters, found 0", true},
		{"subject: {emailAddress: pk\u00e4@example.com}\nvalidity_days: 10\n", "does not allow these characters", true},
		{"subject: {serialNumber: a_b}\nvalidity_days: 10\n", "does not allow these characters", true},
		{"subject: {CN: R}\n", "missing validity", true},
		{"subject: {CN: R}\nvalidity_days: 10\nnot_after: 2030-01-01T00:00:00Z\n", "either 'validity_days' or", true},
		{"subject: {CN: R}\nnot_before: 2030-01-01T00:00:00Z\nnot_after: 2029-01-01T00:00:00Z\n", "must come after", true},
		{"subject: {CN: R}\nvalidity_days: 10\ncrl_distribution_points: [crl.example.com]\n", "expected a URI", true},
		{"subject: {CN: R}\nvalidity_days: 10\nextended_key_usage: [anything]\n", "expected serverAuth", true},
		{"subject: {CN: R}\nvalidity_days: 10\nallow_csr_extensions: true\n", "is for cert.issue", true},
		{"subject: {CN: R}\nvalidity_days: 10\nprofile: tls\n", "unknown profile 'tls'", true},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		d = yaml(bad[i].yaml);
		assert_int_equal(x509_params_cert(d, d->root, "s", bad[i].self, &spec, &e), -1);
		if (!strstr(e.msg, bad[i].msg))
			fail_msg("case %zu: got '%s', wanted '%s'", i, e.msg, bad[i].msg);
		ydoc_free(d);
	}
	d = yaml("signature: {hash: md5}\n");
	assert_int_equal(x509_params_sigalg(d, ynode_get(d->root, "signature"), &sa, &e), -1);
	assert_non_null(strstr(e.msg, "t.yaml:1:19: expected hash sha256, sha384 or sha512, found 'md5'"));
	ydoc_free(d);
}

/* subject on its own: order kept, a list gives several attributes, suggestions. */
static void test_subject(void **state)
{
	struct err e = {0};
	struct x509_rdn rdn[X509_MAX_RDN];
	size_t n = 0;
	struct ydoc *d;
	(void)state;
	d = yaml("subject: {O: Org, givenName: Zoë, CN: Root}\n");
	OK(x509_params_subject(d, ynode_get(d->root, "subject"), rdn, &n, &e), e);
	assert_int_equal(n, 3);
	assert_string_equal(rdn[1].type, "givenName");
	assert_string_equal(rdn[1].value, "Zoë");
	ydoc_free(d);
	d = yaml("subject: {CNN: Root}\n");
	assert_int_equal(x509_params_subject(d, ynode_get(d->root, "subject"), rdn, &n, &e), -1);
	assert_non_null(strstr(e.msg, "t.yaml:1:11: unknown subject attribute 'CNN' (did you mean 'CN'?)"));
	ydoc_free(d);
	d = yaml("subject: {}\n");
	assert_int_equal(x509_params_subject(d, ynode_get(d->root, "subject"), rdn, &n, &e), -1);
	assert_non_null(strstr(e.msg, "expected at least one attribute"));
	ydoc_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_subject),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
