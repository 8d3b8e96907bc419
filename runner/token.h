/* token: the runner's one PKCS#11 layer (PKCS#11 3.0 via p11-kit's header).
 *
 * The only file that calls dlopen / C_GetFunctionList. Every CK_RV becomes an
 * err through err_p11(), whose names and advice come from one table.
 * Step types reach tokens only through this API.
 * Ownership: tok_module_free finalises and unloads; sessions must be closed first.
 */
#ifndef CER_TOKEN_H
#define CER_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <p11-kit/pkcs11.h>
#include "err.h"
#include "buf.h"
#include "secret.h"
#include "dcbor.h"

struct tok_module;
struct tok_session;

/* Sets code to the CKR_ name (e.g. "CKR_PIN_INCORRECT") and the message to
 * "WHAT: CKR_NAME (0x..): advice". Returns -1. */
int err_p11(struct err *e, CK_RV rv, const char *what);
const char *tok_rv_name(CK_RV rv);          /* "CKR_OK", ..., "CKR_0x..." never NULL */
const char *tok_mech_name(CK_MECHANISM_TYPE m); /* "CKM_ECDSA", or NULL if unknown */
const char *tok_attr_name(CK_ATTRIBUTE_TYPE a);  /* "CKA_SIGN", ..., "CKA_0x..." never NULL */

/* The module path used when none is given: SoftHSM2's, as Debian installs it. */
const char *tok_default_module(void);

/* dlopen's the module, C_GetFunctionList, C_Initialize (OS locking). */
int tok_module_load(const char *path, struct tok_module **out, struct err *e) CER_MUST_CHECK;
void tok_module_free(struct tok_module *m);   /* C_Finalize + dlclose; NULL is a no-op */
/* Loading the same library twice returns the same module with a reference count
 * (PKCS#11 allows one C_Initialize per process); each load needs its own free. */
const char *tok_module_path(const struct tok_module *m);

/* The p11-kit this program was built against ("0.24.1"; it has no run-time call). */
const char *tok_p11kit_version(void);

/* C_GetInfo, blanks trimmed. */
struct tok_module_info {
	char manufacturer[33], description[33];
	unsigned cryptoki_major, cryptoki_minor, lib_major, lib_minor;
};
int tok_module_info(struct tok_module *m, struct tok_module_info *out, struct err *e) CER_MUST_CHECK;

struct tok_info {
	CK_SLOT_ID slot;
	char slot_description[65];
	bool token_present;
	CK_FLAGS slot_flags;
	/* token (valid when token_present) */
	char label[33], manufacturer[33], model[17], serial[17]; /* trailing blanks removed */
	CK_FLAGS token_flags;
	unsigned hw_major, hw_minor, fw_major, fw_minor;
};

/* One slot (and its token, when present). */
int tok_slot_info(struct tok_module *m, CK_SLOT_ID slot, struct tok_info *out, struct err *e) CER_MUST_CHECK;
/* All slots (with or without token). *out is malloc'ed (caller frees). */
int tok_list(struct tok_module *m, struct tok_info **out, size_t *n, struct err *e) CER_MUST_CHECK;
/* The mechanisms a slot offers. *out is malloc'ed (caller frees). */
int tok_mechanisms(struct tok_module *m, CK_SLOT_ID slot, CK_MECHANISM_TYPE **out, size_t *n,
		   struct err *e) CER_MUST_CHECK;
/* C_GetMechanismInfo of one mechanism (key sizes, CKF_SIGN...). */
int tok_mechanism_info(struct tok_module *m, CK_SLOT_ID slot, CK_MECHANISM_TYPE mech, CK_MECHANISM_INFO *info,
		       struct err *e) CER_MUST_CHECK;
/* Token flags as words ("rng login-required user-pin-initialized token-initialized ...")
 * into buf. Bits without a word are shown in hex; no bits at all give "none". */
void tok_flags_text(CK_FLAGS token_flags, char *buf, size_t len);
/* The same for slot flags ("token-present removable-device hardware-slot") and
 * mechanism flags ("sign verify generate-key-pair ec-oid ..."). */
void tok_slot_flags_text(CK_FLAGS slot_flags, char *buf, size_t len);
void tok_mech_flags_text(CK_FLAGS mech_flags, char *buf, size_t len);

/* Finds the one initialised token matching an RFC 7512 PKCS#11 URI (p11-kit's
 * parser). No match or several matches is an error that says which. */
int tok_find_uri(struct tok_module *m, const char *uri, CK_SLOT_ID *slot, struct err *e) CER_MUST_CHECK;
/* tok_find_uri with flags. TOK_FIND_BLANK: uninitialised tokens are candidates too
 * (a live token.init's blank token, named by slot-id= as `ceremony tokens` shows it);
 * *initialised (may be NULL) tells which kind matched. */
enum { TOK_FIND_BLANK = 1u << 0 };
int tok_find_uri_ex(struct tok_module *m, const char *uri, unsigned flags, CK_SLOT_ID *slot, bool *initialised,
		    struct err *e) CER_MUST_CHECK;
/* Finds the one token with this label. */
int tok_find_label(struct tok_module *m, const char *label, CK_SLOT_ID *slot, struct err *e) CER_MUST_CHECK;
/* The first slot with an uninitialised token (SoftHSM's free slot). */
int tok_find_free(struct tok_module *m, CK_SLOT_ID *slot, struct err *e) CER_MUST_CHECK;
/* The token's PKCS#11 URI (token/manufacturer/model/serial; slot-id too for an
 * uninitialised token), malloc'ed. */
char *tok_uri(const struct tok_info *t);

/* Rehearsal set-up: C_InitToken with so_pin and label, then opens an R/W session,
 * logs in as SO, C_InitPIN(user_pin), logs out. Both PINs stay in secret buffers. */
int tok_init_token(struct tok_module *m, CK_SLOT_ID slot, const char *label, const struct secret *so_pin,
		   const struct secret *user_pin, struct err *e) CER_MUST_CHECK;

int tok_open(struct tok_module *m, CK_SLOT_ID slot, bool rw, struct tok_session **out, struct err *e) CER_MUST_CHECK;
/* C_Login as CKU_USER (so=false) or CKU_SO. The PIN is only ever read from the secret. */
int tok_login(struct tok_session *s, bool so, const struct secret *pin, struct err *e) CER_MUST_CHECK;
void tok_close(struct tok_session *s);       /* logout if logged in, C_CloseSession; NULL no-op */
CK_SLOT_ID tok_session_slot(const struct tok_session *s);
struct tok_module *tok_session_module(const struct tok_session *s);

/* Objects of class cls (or any class when cls == (CK_OBJECT_CLASS)-1) with this label
 * (or any label when NULL). Up to max handles into h; *n receives how many were found
 * (never more than max: pass max 2 to tell "one" from "several"). */
int tok_find(struct tok_session *s, CK_OBJECT_CLASS cls, const char *label, CK_OBJECT_HANDLE *h,
	     size_t max, size_t *n, struct err *e) CER_MUST_CHECK;

/* One attribute's value (appended to out). Fails for sensitive/unavailable attributes. */
int tok_attr(struct tok_session *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, struct buf *out,
	     struct err *e) CER_MUST_CHECK;
int tok_attr_bool(struct tok_session *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, bool *v,
		  struct err *e) CER_MUST_CHECK;
int tok_attr_ulong(struct tok_session *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, CK_ULONG *v,
		   struct err *e) CER_MUST_CHECK;

/* Random bytes from the token's RNG (C_GenerateRandom). */
int tok_random(struct tok_session *s, uint8_t *out, size_t len, struct err *e) CER_MUST_CHECK;

/* PKCS#11 3.2 values p11-kit's 2.40 header lacks (OASIS PKCS#11 Specification
 * Version 3.2, its ML-DSA mechanisms, and the OASIS pkcs11t.h of 3.2). Defined here so every module and step that
 * names them agrees; a newer header that has them wins. */
#ifndef CKK_ML_DSA
#define CKK_ML_DSA 0x4aUL
#endif
#ifndef CKM_ML_DSA_KEY_PAIR_GEN
#define CKM_ML_DSA_KEY_PAIR_GEN 0x1cUL
#endif
#ifndef CKM_ML_DSA
#define CKM_ML_DSA 0x1dUL
#endif
#ifndef CKM_HASH_ML_DSA
#define CKM_HASH_ML_DSA 0x1fUL
#endif
#ifndef CKA_PARAMETER_SET
#define CKA_PARAMETER_SET 0x61dUL
#endif
#ifndef CKP_ML_DSA_44
#define CKP_ML_DSA_44 0x1UL
#define CKP_ML_DSA_65 0x2UL
#define CKP_ML_DSA_87 0x3UL
#endif

/* The key algorithms tok_generate makes, one row each of a table in token.c.
 * Rows are static: never freed. */
enum { TOK_SIGN_MECHS_MAX = 2 };
struct tok_algorithm {
	const char *name;            /* as scripts name it: "ec-p384", "ed25519", "rsa-3072", "ml-dsa-65" */
	const char *key_type;        /* "EC", "EdDSA", "RSA", "ML-DSA" */
	const char *curve;           /* "P-256", "P-384", "P-521", "Ed25519"; NULL for RSA and ML-DSA */
	unsigned long modulus_bits;  /* RSA; 0 otherwise */
	const char *parameter_set;   /* "ML-DSA-65"; NULL otherwise */
	CK_KEY_TYPE ckk;             /* CKK_EC, CKK_EC_EDWARDS, CKK_RSA, CKK_ML_DSA */
	CK_MECHANISM_TYPE gen;       /* the key pair generation mechanism */
	/* The signing mechanisms keys of this algorithm use, preferred first: CKM_ECDSA
	 * (over a digest made in software), CKM_EDDSA, CKM_RSA_PKCS_PSS then CKM_RSA_PKCS,
	 * CKM_ML_DSA. */
	CK_MECHANISM_TYPE sign[TOK_SIGN_MECHS_MAX];
	size_t n_sign;
};
/* The row for a name, or NULL when unknown (NULL name too). */
const struct tok_algorithm *tok_algorithm_find(const char *name);
/* All names, comma separated ("ec-p256, ec-p384, ..."), for messages. Static. */
const char *tok_algorithm_names(void);
/* The row whose CKA_EC_PARAMS (either form) is params, for key type ckk (CKK_EC,
 * CKK_EC_EDWARDS); NULL when none. */
const struct tok_algorithm *tok_algorithm_of_ec_params(CK_KEY_TYPE ckk, const uint8_t *params, size_t len);
/* The ML-DSA row of a CKA_PARAMETER_SET value; NULL when none. */
const struct tok_algorithm *tok_algorithm_of_parameter_set(CK_ULONG parameter_set);
/* The generation mechanism and the signing mechanisms (up to TOK_SIGN_MECHS_MAX into
 * sign, *n_sign of them) of an algorithm, so a step can declare what it needs.
 * false for an unknown name. gen, sign and n_sign may each be NULL. */
bool tok_algorithm_mechanisms(const char *algorithm, CK_MECHANISM_TYPE *gen, CK_MECHANISM_TYPE *sign,
			      size_t *n_sign);

/* Key pair generation. algorithm: a name of the table above (tok_algorithm_names).
 * EC keys name their curve by OID in CKA_EC_PARAMS; Ed25519 by the RFC 8410 OID
 * 1.3.101.112 (the curve name "edwards25519" when the token refuses the OID); RSA
 * gets CKA_MODULUS_BITS and CKA_PUBLIC_EXPONENT 65537; ML-DSA CKA_PARAMETER_SET.
 * Private key: CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, CKA_SIGN true; CKA_EXTRACTABLE,
 * CKA_DECRYPT, CKA_DERIVE, CKA_UNWRAP, CKA_SIGN_RECOVER false. Public key: CKA_TOKEN,
 * CKA_VERIFY true; CKA_PRIVATE, CKA_ENCRYPT, CKA_WRAP, CKA_DERIVE false. Both get the label
 * and one CKA_ID of 16 bytes from the token's RNG. Refuses (code "token") when an
 * object with this label exists already. */
struct tok_keypair {
	CK_OBJECT_HANDLE pub, priv;
	uint8_t id[16];
};
int tok_generate(struct tok_session *s, const char *algorithm, const char *label, struct tok_keypair *kp,
		 struct err *e) CER_MUST_CHECK;
/* tok_generate with options. TOK_GEN_BACKUP makes a key that can be backed up and
 * nothing more: CKA_SENSITIVE true (its value is never readable), CKA_EXTRACTABLE
 * true but CKA_WRAP_WITH_TRUSTED true, so only a key with CKA_TRUSTED (which only the
 * security officer can set, PKCS#11 3.0 §4.10) can wrap it (§5.18 C_WrapKey:
 * CKR_KEY_NOT_WRAPPABLE otherwise). Without it the never-extractable policy above. */
enum { TOK_GEN_BACKUP = 1u << 0 };
int tok_generate_ex(struct tok_session *s, const char *algorithm, const char *label, unsigned flags,
		    struct tok_keypair *kp, struct err *e) CER_MUST_CHECK;

/* --- backup: wrap keys, wrapping and unwrapping (seed 002 steps 6-7) --- */

enum { TOK_WRAPKEY_LEN = 32 };   /* AES-256 */

/* Creates the AES-256 wrap key labelled label from value (TOK_WRAPKEY_LEN bytes, in
 * locked memory; the caller keeps and wipes it) with C_CreateObject: CKA_TOKEN,
 * CKA_SENSITIVE, CKA_WRAP, CKA_UNWRAP true; CKA_EXTRACTABLE, CKA_ENCRYPT, CKA_DECRYPT,
 * CKA_SIGN, CKA_VERIFY, CKA_DERIVE false. trusted: CKA_TRUSTED true, which needs a
 * session where the security officer is logged in; an SO session reaches public
 * objects only (§5.1 session states), so a trusted wrap key is CKA_PRIVATE false
 * (still sensitive and never extractable). Untrusted keys are CKA_PRIVATE true.
 * Refuses (code "token") when an object with this label exists. */
int tok_wrapkey_create(struct tok_session *s, const char *label, const struct secret *value, bool trusted,
		       CK_OBJECT_HANDLE *out, struct err *e) CER_MUST_CHECK;
/* Whether a secret key labelled label is on the token: YES (one; *out its handle),
 * NO (none), ERROR (e set: several, or the token could not be searched), so a
 * failing token is never taken for an absent key. */
enum err_answer tok_secret_key_present(struct tok_session *s, const char *label, CK_OBJECT_HANDLE *out,
				       struct err *e) CER_MUST_CHECK;
/* The one secret key labelled label (code "token" when none or several). */
int tok_secret_key_find(struct tok_session *s, const char *label, CK_OBJECT_HANDLE *out,
			struct err *e) CER_MUST_CHECK;
/* C_WrapKey(CKM_AES_KEY_WRAP_PAD, RFC 5649) of key under wrapping; the blob (the
 * key's PKCS#8 encoding, encrypted) is appended to out. The token refuses a key that
 * is not extractable (CKR_KEY_UNEXTRACTABLE) and a CKA_WRAP_WITH_TRUSTED key under an
 * untrusted wrapping key (CKR_KEY_NOT_WRAPPABLE); the err code is that CKR_ name. */
int tok_wrap(struct tok_session *s, CK_OBJECT_HANDLE wrapping, CK_OBJECT_HANDLE key, struct buf *out,
	     struct err *e) CER_MUST_CHECK;
/* C_UnwrapKey(CKM_AES_KEY_WRAP_PAD) of a wrapped private key of type kt into a token
 * private key: CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, CKA_SIGN true; CKA_DECRYPT,
 * CKA_DERIVE, CKA_UNWRAP, CKA_SIGN_RECOVER false; CKA_EXTRACTABLE false, or with
 * TOK_GEN_BACKUP in flags true under CKA_WRAP_WITH_TRUSTED (a backup copy that can
 * itself be backed up). label and id (may be NULL) as given. */
int tok_unwrap_private(struct tok_session *s, CK_OBJECT_HANDLE unwrapping, const uint8_t *blob, size_t len,
		       CK_KEY_TYPE kt, const char *label, const uint8_t *id, size_t id_len, unsigned flags,
		       CK_OBJECT_HANDLE *out, struct err *e) CER_MUST_CHECK;
/* C_DestroyObject. */
int tok_destroy(struct tok_session *s, CK_OBJECT_HANDLE o, struct err *e) CER_MUST_CHECK;

/* Mechanism a given algorithm name needs for generation (CKM_EC_KEY_PAIR_GEN...);
 * false for an unknown name (*gen_mech untouched). */
bool tok_algorithm_known(const char *algorithm, CK_MECHANISM_TYPE *gen_mech);

/* C_Sign with a full mechanism (parameters included, e.g. CK_RSA_PKCS_PSS_PARAMS);
 * signature appended to out. */
int tok_sign_ex(struct tok_session *s, CK_OBJECT_HANDLE key, const CK_MECHANISM *mech, const uint8_t *data,
		size_t len, struct buf *out, struct err *e) CER_MUST_CHECK;

/* The key pair labelled `label`: its private key (required: exactly one) and public
 * key (0 when the token holds none), and its algorithm name as tok_generate takes it
 * ("ec-p256", "ec-p384", "ec-p521", "ed25519", "rsa-3072", "rsa-4096", or "rsa-BITS"),
 * read from the token (CKA_KEY_TYPE, CKA_EC_PARAMS, CKA_MODULUS_BITS). */
int tok_key_find(struct tok_session *s, const char *label, CK_OBJECT_HANDLE *priv, CK_OBJECT_HANDLE *pub,
		 char *algorithm, size_t algorithm_len, struct err *e) CER_MUST_CHECK;

/* C_Sign with mechanism mech over data; signature appended to out. */
int tok_sign(struct tok_session *s, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mech, const uint8_t *data,
	     size_t len, struct buf *out, struct err *e) CER_MUST_CHECK;

#endif
