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
/* Finds the one token with this label. */
int tok_find_label(struct tok_module *m, const char *label, CK_SLOT_ID *slot, struct err *e) CER_MUST_CHECK;
/* The first slot with an uninitialised token (SoftHSM's free slot). */
int tok_find_free(struct tok_module *m, CK_SLOT_ID *slot, struct err *e) CER_MUST_CHECK;
/* The token's PKCS#11 URI (token/manufacturer/model/serial), malloc'ed. */
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

/* Key pair generation. algorithm: "ec-p256", "ec-p384" (more in later steps).
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
/* Mechanism a given algorithm name needs for generation (CKM_EC_KEY_PAIR_GEN...), or
 * CKR_MECHANISM_INVALID-style failure for an unknown name. */
bool tok_algorithm_known(const char *algorithm, CK_MECHANISM_TYPE *gen_mech);

/* SubjectPublicKeyInfo DER from CKA_EC_PARAMS (a named curve's DER OID) and CKA_EC_POINT
 * (raw or DER-wrapped in an OCTET STRING) values; the point must lie on the curve.
 * Appended to out. Code "crypto" on bad input. */
int tok_ec_spki(const uint8_t *params, size_t params_len, const uint8_t *point, size_t point_len, struct buf *out,
		struct err *e) CER_MUST_CHECK;
/* SubjectPublicKeyInfo DER of an EC public key object (CKA_EC_PARAMS + CKA_EC_POINT,
 * the point accepted raw or DER-wrapped in an OCTET STRING). Appended to out. */
int tok_public_spki(struct tok_session *s, CK_OBJECT_HANDLE pub, struct buf *out, struct err *e) CER_MUST_CHECK;

/* C_Sign with mechanism mech over data; signature appended to out. */
int tok_sign(struct tok_session *s, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mech, const uint8_t *data,
	     size_t len, struct buf *out, struct err *e) CER_MUST_CHECK;

#endif
