/* steps: what the step types share among themselves (steps/common.c). The
 * contract with the engine is runner/step.h; the registry is steps/registry.c. */
#ifndef CER_STEPS_H
#define CER_STEPS_H

#include "../runner/step.h"

/* A key a step uses: made by an earlier key.generate step (`key: STEP`), or already
 * on a declared token (`key: {token: NAME, label: LABEL}`, e.g. the root key at the
 * intermediate ceremony). */
struct step_keyref {
	const char *token;         /* the script's token name */
	const char *label;         /* CKA_LABEL of the key pair */
	const char *algorithm;     /* from the key.generate step; NULL when only the token knows */
	const struct step *made_by;   /* the key.generate step, or NULL */
};

/* Parses a key reference at n (load time; errors name the position): a key.generate
 * step id that comes earlier, or {token: NAME, label: LABEL} naming a declared token. */
int step_keyref_parse(const struct ceremony *c, const struct step *s, const struct ynode *n, struct step_keyref *out,
		      struct err *e) CER_MUST_CHECK;
/* A cert.self_signed or cert.issue step (one whose priv is a struct x509_step). */
bool step_makes_certificate(const struct step *t);
/* The X.509 parameters of a step that makes a certificate, CSR or CRL; else NULL. */
struct x509_step;
const struct x509_step *step_x509_of(const struct step *t);
/* `issuer` (a certificate step, load-time checked) and `issuer_key` (given, or the key
 * the issuer certificate certifies) of step s into p; *ip is the issuer's x509_step. */
struct x509_step;
int step_issuer_parse(const struct ceremony *c, const struct step *s, struct x509_step *p, const struct x509_step **ip,
		      struct err *e) CER_MUST_CHECK;
/* `key` and `signature` of a step that signs with the key it names (cert.self_signed,
 * csr.create): allocates s->priv as a struct x509_step (*out) with key and subject key
 * both that key, and the signature algorithm resolved when the key's algorithm is known. */
int step_own_key_parse(const struct ceremony *c, struct step *s, struct x509_step **out, struct err *e) CER_MUST_CHECK;
/* What a certificate step records of the certificate der it made: the artifacts
 * `certificate` (DER) and `certificate_pem`, and its outputs (serial, names, validity,
 * profile, pathlen, algorithms, SKI, AKI when it has one, fingerprints, tier warning). */
struct x509_sigalg;
int step_certificate_result(struct step_run *r, const struct x509_step *p, const char *key_algorithm,
			    const struct x509_sigalg *sa, const struct buf *der, struct err *e) CER_MUST_CHECK;
/* The `needs` of steps that sign with a struct x509_step's key: its signing mechanism. */
size_t step_signing_needs(const struct ceremony *c, const struct step *s, struct step_need *out, size_t max);
/* The `warn` of certificate steps: validity outside seed 003's range for the tier
 * (root 10-20 y, subordinate 5-10 y, issuing 1-3 y). s->priv is a struct x509_step. */
bool step_tier_warning(const struct ceremony *c, const struct step *s, char *buf, size_t len);

/* A reference at n to an earlier step with every flag in flags (what: the type the
 * message names, e.g. "wrapkey.create"); load time, errors name the position. */
int step_ref_flagged(const struct ceremony *c, const struct step *s, const struct ynode *n, unsigned flags,
		     const char *what, const struct step **out, struct err *e) CER_MUST_CHECK;

/* An object class as a listing names it ("private key", "secret key"...). */
const char *step_class_name(CK_ULONG c);
/* A token object's label (n bytes at p) as text safe to record and show (cap bytes). */
void step_label_text(const uint8_t *p, size_t n, char *out, size_t cap);

#endif
