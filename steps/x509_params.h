/* x509_params: the script parameters of the PKI step types (cert.self_signed,
 * cert.issue, csr.create, crl.create, sign, verify): subject, validity, profile,
 * pathlen, extensions and signature algorithm, read from the step's YAML map and
 * checked at load time against the rules the runner builds with (runner/x509.h,
 * runner/x509_sign.h), so a bad value is reported at its line, not in the room.
 *
 * Errors are positioned (FILE:LINE:COL, code of the document). Every const char * in
 * the results is borrowed from the document and lives as long as it.
 */
#ifndef CER_STEPS_X509_PARAMS_H
#define CER_STEPS_X509_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include "../runner/err.h"
#include "../runner/x509.h"
#include "../runner/ynode.h"

/* subject: {CN: Example Root CA, O: Example Inc., C: US} in the order written; a list
 * value gives several attributes of one type (OU: [A, B]). Each is checked by
 * building it (country two letters, lengths of RFC 5280 Appendix A...). */
int x509_params_subject(const struct ydoc *d, const struct ynode *n, struct x509_rdn *out, size_t *n_out,
			struct err *e) CER_MUST_CHECK;
/* signature: {hash: sha256|sha384|sha512, padding: pkcs1|pss}; n may be NULL (defaults). */
int x509_params_sigalg(const struct ydoc *d, const struct ynode *n, struct x509_sigalg *sa, struct err *e) CER_MUST_CHECK;
/* The certificate keys of a step map: profile, subject, validity_days | not_before +
 * not_after, pathlen, crl_distribution_points, authority_info_access {ocsp,
 * ca_issuers}, certificate_policies, extended_key_usage, allow_csr_extensions.
 * self_signed (cert.self_signed): subject required, profile defaults to root-ca, no
 * allow_csr_extensions. Otherwise (cert.issue): profile required (an issued CA's tier
 * is a deliberate choice), subject optional (the CSR's). pathlen defaults per tier
 * (root none, subordinate 1, issuing 0) and must fit it (x509_pathlen_problem). */
int x509_params_cert(const struct ydoc *d, const struct ynode *step, const char *step_id, bool self_signed,
		     struct x509_cert_spec *spec, struct err *e) CER_MUST_CHECK;

/* What the PKI step types (steps/cert_self_signed.c, csr_create.c, cert_issue.c,
 * crl_create.c) keep as their step->priv (one allocation, freed with free()), so that a
 * later step can check itself against an earlier one at load time. */
struct x509_step {
	/* the key that signs: the subject's (csr.create, cert.self_signed) or the issuer's */
	const char *key_token, *key_label;
	const char *key_algorithm;     /* NULL when only the token knows (a key from an earlier ceremony) */
	struct x509_sigalg sigalg;     /* resolved when key_algorithm is known */
	/* the key a certificate or request certifies, when the script says which */
	const char *subject_token, *subject_label;
	const char *subject_algorithm;   /* NULL when not known from the script */
	/* cert.issue, crl.create */
	const char *issuer_step;       /* the step whose `certificate` is the issuer's */
	/* cert.issue */
	const char *csr_step;          /* the step whose `csr` is the request, or NULL */
	const char *csr_file;          /* the request came from this file ({file: PATH}, script.h), or NULL */
	struct x509_cert_spec cert;    /* cert.self_signed, cert.issue; csr.create uses the subject */
	struct x509_crl_spec crl;      /* crl.create */
	/* crl.create: revoked[i] names a certificate made in this run (its serial is read then) */
	const char *revoked_cert_step[X509_MAX_REVOKED];
};

#endif
