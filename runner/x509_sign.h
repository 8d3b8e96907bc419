/* x509_sign: signatures made in a token as X.509 carries them, over DER the caller
 * built (a certificate's, request's or CRL's to-be-signed part; any data for the
 * sign step). The private key never leaves the token; every signature is checked
 * with the public key as the token exported it before it is returned. Also the
 * choice of signature algorithm for a key (one hash per EC curve, none for Ed25519,
 * PKCS#1 v1.5 or PSS for RSA) and software verification as a relying party does it.
 *
 * Ownership: struct x509_key owns its spki and pkey (x509_key_free) and borrows its
 * session; output bufs are appended to and owned by the caller.
 */
#ifndef CER_X509_SIGN_H
#define CER_X509_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "buf.h"
#include "err.h"
#include "token.h"

/* --- signature algorithms ------------------------------------------------- */

enum x509_hash { X509_HASH_DEFAULT = 0, X509_HASH_NONE, X509_HASH_SHA256, X509_HASH_SHA384, X509_HASH_SHA512 };
enum x509_padding { X509_PAD_DEFAULT = 0, X509_PAD_PKCS1, X509_PAD_PSS };

/* What the script's `signature: {hash: sha384, padding: pss}` says; DEFAULT fields
 * are filled by x509_sigalg_resolve from the key's algorithm. */
struct x509_sigalg {
	enum x509_hash hash;
	enum x509_padding padding;   /* RSA only */
};

/* Fills sa's defaults for a key algorithm as tok_key_find names it ("ec-p256",
 * "ec-p384", "ec-p521", "ed25519", "rsa-3072", "rsa-BITS") and refuses a choice that
 * does not fit it: each EC curve takes its own hash (P-256 SHA-256, P-384 SHA-384,
 * P-521 SHA-512), Ed25519 takes none, RSA takes SHA-256/384/512 with PKCS#1 v1.5
 * (default) or PSS. Code "x509"; the message names the algorithm and the fix. */
int x509_sigalg_resolve(const char *key_algorithm, struct x509_sigalg *sa, struct err *e) CER_MUST_CHECK;
/* The mechanism x509_sign uses for a resolved choice: CKM_ECDSA, CKM_EDDSA,
 * CKM_RSA_PKCS or CKM_RSA_PKCS_PSS; 0 for an unknown key algorithm. */
CK_MECHANISM_TYPE x509_sigalg_mech(const char *key_algorithm, const struct x509_sigalg *sa);
/* "ecdsa-with-SHA384", "Ed25519", "sha256WithRSAEncryption", "RSASSA-PSS-SHA256"... */
const char *x509_sigalg_label(const char *key_algorithm, const struct x509_sigalg *sa);
/* The digest of a resolved choice (EVP_sha384()...); NULL for none (Ed25519). Static. */
const EVP_MD *x509_sigalg_md(const struct x509_sigalg *sa);
const char *x509_hash_name(enum x509_hash h);   /* "sha384"; "none"; "default" */

/* --- a signing key in a token ---------------------------------------------- */

struct x509_key {
	struct tok_session *sess;     /* borrowed: logged in, for C_Sign and C_GenerateRandom */
	CK_OBJECT_HANDLE priv, pub;
	char algorithm[32];           /* as tok_key_find names it */
	struct buf spki;              /* SubjectPublicKeyInfo DER, from the token's public key */
	EVP_PKEY *pkey;               /* spki parsed: what every signature is verified with */
};

/* Finds the key pair labelled label (tok_key_find), exports its public key
 * (spki_from_token) and checks the two agree on the algorithm. Zero-initialise k. */
int x509_key_load(struct tok_session *s, const char *label, struct x509_key *k, struct err *e) CER_MUST_CHECK;
void x509_key_free(struct x509_key *k);   /* leaves k zeroed; safe on a zeroed key */
/* x509_key_load, then: the key must be of the algorithm the script says (script_alg;
 * NULL when the script cannot know, e.g. a key from an earlier ceremony), and sa is
 * resolved for the key's real algorithm, so a token key is held to the same rules
 * at run time as a generated one is at load time. */
int x509_key_open(struct tok_session *s, const char *label, const char *script_alg, struct x509_sigalg *sa,
		  struct x509_key *k, struct err *e) CER_MUST_CHECK;

/* --- signing and checking ------------------------------------------------- */

/* Signs data in the token as X.509 wants the signature value: ECDSA over a software
 * digest (CKM_ECDSA), r||s re-encoded as DER Ecdsa-Sig-Value (RFC 5480 §2.2 / RFC 3279
 * §2.2.3, ecdsa_sig.h); Ed25519 over the whole data (CKM_EDDSA, RFC 8410 §6); RSA-PSS
 * over the digest with matching CK_RSA_PKCS_PSS_PARAMS and salt = hash length (RFC
 * 4055 §3.1); RSA PKCS#1 v1.5 over DigestInfo (CKM_RSA_PKCS, RFC 8017 §9.2). sa must
 * be resolved. The signature is appended to sig only once it verifies with k->pkey. */
int x509_sign(const struct x509_key *k, const struct x509_sigalg *sa, const uint8_t *data, size_t len,
	      struct buf *sig, struct err *e) CER_MUST_CHECK;
/* Checks a signature in software with OpenSSL, as a relying party would: YES valid,
 * NO not valid (a malformed signature too), ERROR (e set) when the check could not
 * be made. */
enum err_answer x509_verify_data(EVP_PKEY *pub, const struct x509_sigalg *sa, const uint8_t *sig, size_t sig_len,
				 const uint8_t *data, size_t len, struct err *e) CER_MUST_CHECK;

#endif
