/* token: the runner's PKCS#11 layer. See token.h.
 *
 * This is the only file that dlopen's a module and calls C_GetFunctionList;
 * everything else reaches tokens through the functions below. CK_RV values
 * become struct err in err_p11() from the one table rv_table[]. Section numbers
 * in comments refer to the PKCS#11 Base Specification 3.0 (OASIS, 2020).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <p11-kit/uri.h>
#include "buf.h"
#include "token.h"

/* Return values and mechanisms of PKCS#11 3.0 that p11-kit 0.24's 2.40 header lacks. */
#ifndef CKR_TOKEN_RESOURCE_EXCEEDED
#define CKR_TOKEN_RESOURCE_EXCEEDED 0x201UL
#endif
#ifndef CKR_OPERATION_CANCEL_FAILED
#define CKR_OPERATION_CANCEL_FAILED 0x202UL
#endif
#ifndef CKM_EC_MONTGOMERY_KEY_PAIR_GEN
#define CKM_EC_MONTGOMERY_KEY_PAIR_GEN 0x1056UL
#endif
#ifndef CKM_XEDDSA
#define CKM_XEDDSA 0x4029UL
#endif
#ifndef CKM_ECDSA_SHA3_224
#define CKM_ECDSA_SHA3_224 0x1047UL
#define CKM_ECDSA_SHA3_256 0x1048UL
#define CKM_ECDSA_SHA3_384 0x1049UL
#define CKM_ECDSA_SHA3_512 0x104aUL
#endif
#ifndef CKM_SHA3_256
#define CKM_SHA3_256 0x2b0UL
#define CKM_SHA3_224 0x2b5UL
#define CKM_SHA3_384 0x2c0UL
#define CKM_SHA3_512 0x2d0UL
#endif
#ifndef CKM_AES_KEY_WRAP_KWP
#define CKM_AES_KEY_WRAP_KWP 0x210bUL
#endif
#ifndef CKR_PARAMETER_SET_NOT_SUPPORTED
#define CKR_PARAMETER_SET_NOT_SUPPORTED 0x209UL   /* PKCS#11 3.2 */
#endif
#ifndef CKA_PUBLIC_KEY_INFO
#define CKA_PUBLIC_KEY_INFO 0x129UL
#endif
#ifndef CKF_EC_OID
#define CKF_EC_OID CKF_EC_NAMEDCURVE   /* renamed in 3.0 §6.3.1, same bit */
#endif
#ifndef CKF_EC_ECPARAMETERS
#define CKF_EC_ECPARAMETERS (1UL << 22)
#endif
#ifndef CKF_EC_F_2M
#define CKF_EC_F_2M (1UL << 21)
#endif

/* ------------------------------------------------------------------------- */
/* Return values: one table, names and what the person at the token can do. */

struct rv_row {
	CK_RV rv;
	const char *name;
	const char *advice;   /* NULL when the name says it all */
};

#define RV(n, a) { n, #n, a }
static const struct rv_row rv_table[] = {
	RV(CKR_OK, NULL),
	RV(CKR_CANCEL, "the operation was cancelled"),
	RV(CKR_HOST_MEMORY, "the workstation ran out of memory"),
	RV(CKR_SLOT_ID_INVALID, "the slot does not exist; list slots with 'ceremony tokens'"),
	RV(CKR_GENERAL_ERROR, "the module failed and may need to be reloaded; check its logs"),
	RV(CKR_FUNCTION_FAILED, "the token could not do it; check its logs and try again"),
	RV(CKR_ARGUMENTS_BAD, "the module rejected the arguments (a runner bug: please report it)"),
	RV(CKR_NO_EVENT, NULL),
	RV(CKR_NEED_TO_CREATE_THREADS, "the module needs to create threads"),
	RV(CKR_CANT_LOCK, "the module cannot use operating-system locking"),
	RV(CKR_ATTRIBUTE_READ_ONLY, "this attribute cannot be changed"),
	RV(CKR_ATTRIBUTE_SENSITIVE, "the token refuses to reveal this attribute (it is sensitive)"),
	RV(CKR_ATTRIBUTE_TYPE_INVALID, "the object has no such attribute"),
	RV(CKR_ATTRIBUTE_VALUE_INVALID, "the token rejected an attribute value"),
	RV(CKR_ACTION_PROHIBITED, "the token's policy forbids this action"),
	RV(CKR_DATA_INVALID, "the token rejected the input data"),
	RV(CKR_DATA_LEN_RANGE, "the input has the wrong length for this mechanism"),
	RV(CKR_DEVICE_ERROR, "the token reported a hardware problem; check its connection and status lights"),
	RV(CKR_DEVICE_MEMORY, "the token is out of memory; remove unneeded objects"),
	RV(CKR_DEVICE_REMOVED, "the token was removed during the operation; reconnect it and repeat the step"),
	RV(CKR_ENCRYPTED_DATA_INVALID, NULL),
	RV(CKR_ENCRYPTED_DATA_LEN_RANGE, NULL),
	RV(CKR_FUNCTION_CANCELED, "the operation was cancelled"),
	RV(CKR_FUNCTION_NOT_PARALLEL, NULL),
	RV(CKR_FUNCTION_NOT_SUPPORTED, "this module does not implement the function"),
	RV(CKR_KEY_HANDLE_INVALID, "the key no longer exists in this session"),
	RV(CKR_KEY_SIZE_RANGE, "the token does not support this key size"),
	RV(CKR_KEY_TYPE_INCONSISTENT, "the key type does not fit the mechanism"),
	RV(CKR_KEY_NOT_NEEDED, NULL),
	RV(CKR_KEY_CHANGED, NULL),
	RV(CKR_KEY_NEEDED, NULL),
	RV(CKR_KEY_INDIGESTIBLE, NULL),
	RV(CKR_KEY_FUNCTION_NOT_PERMITTED, "the key's attributes do not allow this use (e.g. CKA_SIGN is false)"),
	RV(CKR_KEY_NOT_WRAPPABLE, "the key may not be wrapped (CKA_EXTRACTABLE false or wrap policy); it cannot be backed up this way"),
	RV(CKR_KEY_UNEXTRACTABLE, "the key is not extractable; it never leaves the token"),
	RV(CKR_MECHANISM_INVALID, "the token does not offer this mechanism; see 'ceremony tokens --mechanisms'"),
	RV(CKR_MECHANISM_PARAM_INVALID, "the token rejected the mechanism's parameters"),
	RV(CKR_OBJECT_HANDLE_INVALID, "the object no longer exists in this session"),
	RV(CKR_OPERATION_ACTIVE, "another operation is still active in this session; close the session and retry"),
	RV(CKR_OPERATION_NOT_INITIALIZED, NULL),
	RV(CKR_PIN_INCORRECT, "the PIN is wrong; check it and type it again (repeated wrong PINs may lock the token)"),
	RV(CKR_PIN_INVALID, "the PIN has characters the token does not accept"),
	RV(CKR_PIN_LEN_RANGE, "the PIN is too short or too long for this token"),
	RV(CKR_PIN_EXPIRED, "the PIN has expired and must be changed before use"),
	RV(CKR_PIN_LOCKED, "the PIN is locked after too many wrong tries; the security officer must unlock it"),
	RV(CKR_SESSION_CLOSED, "the session was closed; open a new one"),
	RV(CKR_SESSION_COUNT, "the token has too many open sessions; close other applications"),
	RV(CKR_SESSION_HANDLE_INVALID, "the session is gone (token removed or module reset); repeat the step"),
	RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED, NULL),
	RV(CKR_SESSION_READ_ONLY, "this needs a read/write session"),
	RV(CKR_SESSION_EXISTS, "close all sessions with the token first (another application may hold one)"),
	RV(CKR_SESSION_READ_ONLY_EXISTS, "a read-only session is open; the security officer cannot log in"),
	RV(CKR_SESSION_READ_WRITE_SO_EXISTS, "the security officer is logged in elsewhere; log out there first"),
	RV(CKR_SIGNATURE_INVALID, "the signature does not verify"),
	RV(CKR_SIGNATURE_LEN_RANGE, "the signature has the wrong length"),
	RV(CKR_TEMPLATE_INCOMPLETE, "the token needs attributes the template lacks"),
	RV(CKR_TEMPLATE_INCONSISTENT, "the token rejected the combination of attributes"),
	RV(CKR_TOKEN_NOT_PRESENT, "no token in the slot; insert or connect it and retry"),
	RV(CKR_TOKEN_NOT_RECOGNIZED, "the module does not recognise the token in the slot"),
	RV(CKR_TOKEN_WRITE_PROTECTED, "the token is write-protected"),
	RV(CKR_UNWRAPPING_KEY_HANDLE_INVALID, NULL),
	RV(CKR_UNWRAPPING_KEY_SIZE_RANGE, NULL),
	RV(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT, NULL),
	RV(CKR_USER_ALREADY_LOGGED_IN, "already logged in"),
	RV(CKR_USER_NOT_LOGGED_IN, "log in first (token.activate) before using private objects"),
	RV(CKR_USER_PIN_NOT_INITIALIZED, "the user PIN was never set; the security officer must initialise it"),
	RV(CKR_USER_TYPE_INVALID, NULL),
	RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN, "another user is logged in; log out first"),
	RV(CKR_USER_TOO_MANY_TYPES, NULL),
	RV(CKR_WRAPPED_KEY_INVALID, "the wrapped key blob is damaged or was wrapped under another key"),
	RV(CKR_WRAPPED_KEY_LEN_RANGE, "the wrapped key blob has the wrong length"),
	RV(CKR_WRAPPING_KEY_HANDLE_INVALID, NULL),
	RV(CKR_WRAPPING_KEY_SIZE_RANGE, NULL),
	RV(CKR_WRAPPING_KEY_TYPE_INCONSISTENT, NULL),
	RV(CKR_RANDOM_SEED_NOT_SUPPORTED, NULL),
	RV(CKR_RANDOM_NO_RNG, "the token has no random number generator"),
	RV(CKR_DOMAIN_PARAMS_INVALID, "the token does not support these domain parameters (curve)"),
	RV(CKR_CURVE_NOT_SUPPORTED, "the token does not support this curve"),
	RV(CKR_BUFFER_TOO_SMALL, NULL),
	RV(CKR_SAVED_STATE_INVALID, NULL),
	RV(CKR_INFORMATION_SENSITIVE, NULL),
	RV(CKR_STATE_UNSAVEABLE, NULL),
	RV(CKR_CRYPTOKI_NOT_INITIALIZED, "the module is not initialised (a runner bug: please report it)"),
	RV(CKR_CRYPTOKI_ALREADY_INITIALIZED, "another part of this process initialised the module"),
	RV(CKR_MUTEX_BAD, NULL),
	RV(CKR_MUTEX_NOT_LOCKED, NULL),
	RV(CKR_NEW_PIN_MODE, NULL),
	RV(CKR_NEXT_OTP, NULL),
	RV(CKR_EXCEEDED_MAX_ITERATIONS, NULL),
	RV(CKR_FIPS_SELF_TEST_FAILED, "the token failed its self test; do not use it"),
	RV(CKR_LIBRARY_LOAD_FAILED, "the module could not load a library it needs"),
	RV(CKR_PIN_TOO_WEAK, "the token rejects this PIN as too weak"),
	RV(CKR_PUBLIC_KEY_INVALID, NULL),
	RV(CKR_FUNCTION_REJECTED, "the token or its user rejected the request"),
	RV(CKR_TOKEN_RESOURCE_EXCEEDED, "the token has no room left"),
	RV(CKR_OPERATION_CANCEL_FAILED, NULL),
	RV(CKR_PARAMETER_SET_NOT_SUPPORTED, "the token does not support this parameter set (e.g. ML-DSA-65)"),
};
#undef RV

static const struct rv_row *rv_find(CK_RV rv)
{
	for (size_t i = 0; i < sizeof rv_table / sizeof rv_table[0]; i++)
		if (rv_table[i].rv == rv)
			return &rv_table[i];
	return NULL;
}

const char *tok_rv_name(CK_RV rv)
{
	/* Per thread, so a name can be printed while another thread formats its own. */
	static _Thread_local char unknown[32];
	const struct rv_row *r = rv_find(rv);
	if (r)
		return r->name;
	snprintf(unknown, sizeof unknown, "CKR_0x%08lX", (unsigned long)rv);
	return unknown;
}

int err_p11(struct err *e, CK_RV rv, const char *what)
{
	const struct rv_row *r = rv_find(rv);
	const char *name = tok_rv_name(rv);
	char code[ERR_CODE_MAX];
	snprintf(code, sizeof code, "%s", name);
	if (r && r->advice)
		return err_set_p11(e, code, "%s: %s (0x%lX): %s", what, code, (unsigned long)rv, r->advice);
	if (rv & CKR_VENDOR_DEFINED)
		return err_set_p11(e, code, "%s: %s (0x%lX): vendor-defined error; see the token's manual", what,
			       code, (unsigned long)rv);
	return err_set_p11(e, code, "%s: %s (0x%lX)", what, code, (unsigned long)rv);
}

/* ------------------------------------------------------------------------- */
/* Mechanism and attribute names. */

struct name_row {
	unsigned long v;
	const char *name;
};

#define N(n) { n, #n }
static const struct name_row mech_table[] = {
	/* RSA */
	N(CKM_RSA_PKCS_KEY_PAIR_GEN), N(CKM_RSA_X9_31_KEY_PAIR_GEN), N(CKM_RSA_PKCS), N(CKM_RSA_9796),
	N(CKM_RSA_X_509), N(CKM_RSA_PKCS_OAEP), N(CKM_RSA_X9_31), N(CKM_RSA_PKCS_PSS),
	N(CKM_SHA1_RSA_PKCS), N(CKM_SHA224_RSA_PKCS), N(CKM_SHA256_RSA_PKCS), N(CKM_SHA384_RSA_PKCS),
	N(CKM_SHA512_RSA_PKCS), N(CKM_SHA1_RSA_PKCS_PSS), N(CKM_SHA224_RSA_PKCS_PSS),
	N(CKM_SHA256_RSA_PKCS_PSS), N(CKM_SHA384_RSA_PKCS_PSS), N(CKM_SHA512_RSA_PKCS_PSS),
	N(CKM_SHA1_RSA_X9_31), N(CKM_RSA_AES_KEY_WRAP),
	/* EC, ECDSA, ECDH */
	N(CKM_EC_KEY_PAIR_GEN), N(CKM_ECDSA), N(CKM_ECDSA_SHA1), N(CKM_ECDSA_SHA224),
	N(CKM_ECDSA_SHA256), N(CKM_ECDSA_SHA384), N(CKM_ECDSA_SHA512), N(CKM_ECDSA_SHA3_224),
	N(CKM_ECDSA_SHA3_256), N(CKM_ECDSA_SHA3_384), N(CKM_ECDSA_SHA3_512), N(CKM_ECDH1_DERIVE),
	N(CKM_ECDH1_COFACTOR_DERIVE), N(CKM_ECMQV_DERIVE), N(CKM_ECDH_AES_KEY_WRAP),
	/* EdDSA and Montgomery curves */
	N(CKM_EC_EDWARDS_KEY_PAIR_GEN), N(CKM_EC_MONTGOMERY_KEY_PAIR_GEN), N(CKM_EDDSA), N(CKM_XEDDSA),
	/* ML-DSA (PKCS#11 3.2 §6.67) */
	N(CKM_ML_DSA_KEY_PAIR_GEN), N(CKM_ML_DSA), N(CKM_HASH_ML_DSA),
	/* AES */
	N(CKM_AES_KEY_GEN), N(CKM_AES_ECB), N(CKM_AES_CBC), N(CKM_AES_CBC_PAD), N(CKM_AES_CTR),
	N(CKM_AES_GCM), N(CKM_AES_CCM), N(CKM_AES_CTS), N(CKM_AES_MAC), N(CKM_AES_MAC_GENERAL),
	N(CKM_AES_CMAC), N(CKM_AES_CMAC_GENERAL), N(CKM_AES_XCBC_MAC), N(CKM_AES_XCBC_MAC_96),
	N(CKM_AES_GMAC), N(CKM_AES_OFB), N(CKM_AES_CFB1), N(CKM_AES_CFB8), N(CKM_AES_CFB64),
	N(CKM_AES_CFB128), N(CKM_AES_KEY_WRAP), N(CKM_AES_KEY_WRAP_PAD), N(CKM_AES_KEY_WRAP_KWP),
	N(CKM_AES_ECB_ENCRYPT_DATA), N(CKM_AES_CBC_ENCRYPT_DATA),
	/* SHA-1, SHA-2, SHA-3 and their HMACs */
	N(CKM_SHA_1), N(CKM_SHA224), N(CKM_SHA256), N(CKM_SHA384), N(CKM_SHA512),
	N(CKM_SHA512_224), N(CKM_SHA512_256), N(CKM_SHA512_T), N(CKM_SHA3_224), N(CKM_SHA3_256),
	N(CKM_SHA3_384), N(CKM_SHA3_512), N(CKM_SHA_1_HMAC), N(CKM_SHA224_HMAC), N(CKM_SHA256_HMAC),
	N(CKM_SHA384_HMAC), N(CKM_SHA512_HMAC), N(CKM_SHA_1_HMAC_GENERAL), N(CKM_SHA224_HMAC_GENERAL),
	N(CKM_SHA256_HMAC_GENERAL), N(CKM_SHA384_HMAC_GENERAL), N(CKM_SHA512_HMAC_GENERAL),
	N(CKM_SHA1_KEY_DERIVATION), N(CKM_SHA224_KEY_DERIVATION), N(CKM_SHA256_KEY_DERIVATION),
	N(CKM_SHA384_KEY_DERIVATION), N(CKM_SHA512_KEY_DERIVATION),
	/* others a SoftHSM or a common HSM lists */
	N(CKM_MD5), N(CKM_MD5_HMAC), N(CKM_MD5_RSA_PKCS), N(CKM_GENERIC_SECRET_KEY_GEN),
	N(CKM_DES_KEY_GEN), N(CKM_DES2_KEY_GEN), N(CKM_DES3_KEY_GEN), N(CKM_DES_ECB), N(CKM_DES_CBC),
	N(CKM_DES_CBC_PAD), N(CKM_DES3_ECB), N(CKM_DES3_CBC), N(CKM_DES3_CBC_PAD), N(CKM_DES3_CMAC),
	N(CKM_DES_ECB_ENCRYPT_DATA), N(CKM_DES_CBC_ENCRYPT_DATA), N(CKM_DES3_ECB_ENCRYPT_DATA),
	N(CKM_DES3_CBC_ENCRYPT_DATA), N(CKM_DSA_PARAMETER_GEN), N(CKM_DSA_KEY_PAIR_GEN), N(CKM_DSA),
	N(CKM_DSA_SHA1), N(CKM_DSA_SHA224), N(CKM_DSA_SHA256), N(CKM_DSA_SHA384), N(CKM_DSA_SHA512),
	N(CKM_DH_PKCS_KEY_PAIR_GEN), N(CKM_DH_PKCS_PARAMETER_GEN), N(CKM_DH_PKCS_DERIVE),
	N(CKM_CONCATENATE_DATA_AND_BASE), N(CKM_GOSTR3410_KEY_PAIR_GEN), N(CKM_GOSTR3410),
	N(CKM_GOSTR3410_WITH_GOSTR3411), N(CKM_GOSTR3411), N(CKM_GOSTR3411_HMAC),
};

static const struct name_row attr_table[] = {
	N(CKA_CLASS), N(CKA_TOKEN), N(CKA_PRIVATE), N(CKA_LABEL), N(CKA_APPLICATION), N(CKA_VALUE),
	N(CKA_OBJECT_ID), N(CKA_CERTIFICATE_TYPE), N(CKA_ISSUER), N(CKA_SERIAL_NUMBER), N(CKA_TRUSTED),
	N(CKA_CHECK_VALUE), N(CKA_KEY_TYPE), N(CKA_SUBJECT), N(CKA_ID), N(CKA_SENSITIVE),
	N(CKA_ENCRYPT), N(CKA_DECRYPT), N(CKA_WRAP), N(CKA_UNWRAP), N(CKA_SIGN), N(CKA_SIGN_RECOVER),
	N(CKA_VERIFY), N(CKA_VERIFY_RECOVER), N(CKA_DERIVE), N(CKA_START_DATE), N(CKA_END_DATE),
	N(CKA_MODULUS), N(CKA_MODULUS_BITS), N(CKA_PUBLIC_EXPONENT), N(CKA_PRIVATE_EXPONENT),
	N(CKA_PUBLIC_KEY_INFO), N(CKA_VALUE_LEN), N(CKA_EXTRACTABLE), N(CKA_LOCAL),
	N(CKA_NEVER_EXTRACTABLE), N(CKA_ALWAYS_SENSITIVE), N(CKA_KEY_GEN_MECHANISM), N(CKA_MODIFIABLE),
	N(CKA_COPYABLE), N(CKA_DESTROYABLE), N(CKA_EC_PARAMS), N(CKA_EC_POINT),
	N(CKA_ALWAYS_AUTHENTICATE), N(CKA_WRAP_WITH_TRUSTED), N(CKA_WRAP_TEMPLATE),
	N(CKA_UNWRAP_TEMPLATE), N(CKA_DERIVE_TEMPLATE), N(CKA_ALLOWED_MECHANISMS),
	N(CKA_PARAMETER_SET),
};
#undef N

static const char *name_find(const struct name_row *t, size_t n, unsigned long v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].name;
	return NULL;
}

const char *tok_mech_name(CK_MECHANISM_TYPE m)
{
	return name_find(mech_table, sizeof mech_table / sizeof mech_table[0], m);
}

const char *tok_attr_name(CK_ATTRIBUTE_TYPE a)
{
	static _Thread_local char unknown[32];
	const char *n = name_find(attr_table, sizeof attr_table / sizeof attr_table[0], a);
	if (n)
		return n;
	snprintf(unknown, sizeof unknown, "CKA_0x%lX", (unsigned long)a);
	return unknown;
}

/* ------------------------------------------------------------------------- */
/* Flags as words. */

struct flag_row {
	CK_FLAGS bit;
	const char *word;
};

static const struct flag_row token_flags[] = {
	{CKF_RNG, "rng"},
	{CKF_WRITE_PROTECTED, "write-protected"},
	{CKF_LOGIN_REQUIRED, "login-required"},
	{CKF_USER_PIN_INITIALIZED, "user-pin-initialized"},
	{CKF_RESTORE_KEY_NOT_NEEDED, "restore-key-not-needed"},
	{CKF_CLOCK_ON_TOKEN, "clock-on-token"},
	{CKF_PROTECTED_AUTHENTICATION_PATH, "protected-authentication-path"},
	{CKF_DUAL_CRYPTO_OPERATIONS, "dual-crypto-operations"},
	{CKF_TOKEN_INITIALIZED, "token-initialized"},
	{CKF_SECONDARY_AUTHENTICATION, "secondary-authentication"},
	{CKF_USER_PIN_COUNT_LOW, "user-pin-count-low"},
	{CKF_USER_PIN_FINAL_TRY, "user-pin-final-try"},
	{CKF_USER_PIN_LOCKED, "user-pin-locked"},
	{CKF_USER_PIN_TO_BE_CHANGED, "user-pin-to-be-changed"},
	{CKF_SO_PIN_COUNT_LOW, "so-pin-count-low"},
	{CKF_SO_PIN_FINAL_TRY, "so-pin-final-try"},
	{CKF_SO_PIN_LOCKED, "so-pin-locked"},
	{CKF_SO_PIN_TO_BE_CHANGED, "so-pin-to-be-changed"},
	{1UL << 24, "error-state"},   /* CKF_ERROR_STATE, PKCS#11 3.0 §4.4 */
};

static const struct flag_row slot_flags[] = {
	{CKF_TOKEN_PRESENT, "token-present"},
	{CKF_REMOVABLE_DEVICE, "removable-device"},
	{CKF_HW_SLOT, "hardware-slot"},
};

static const struct flag_row mech_flags[] = {
	{CKF_HW, "hw"},
	{CKF_ENCRYPT, "encrypt"},
	{CKF_DECRYPT, "decrypt"},
	{CKF_DIGEST, "digest"},
	{CKF_SIGN, "sign"},
	{CKF_SIGN_RECOVER, "sign-recover"},
	{CKF_VERIFY, "verify"},
	{CKF_VERIFY_RECOVER, "verify-recover"},
	{CKF_GENERATE, "generate"},
	{CKF_GENERATE_KEY_PAIR, "generate-key-pair"},
	{CKF_WRAP, "wrap"},
	{CKF_UNWRAP, "unwrap"},
	{CKF_DERIVE, "derive"},
	{CKF_EC_F_P, "ec-f-p"},
	{CKF_EC_F_2M, "ec-f-2m"},
	{CKF_EC_ECPARAMETERS, "ec-parameters"},
	{CKF_EC_OID, "ec-oid"},
	{CKF_EC_UNCOMPRESS, "ec-uncompress"},
	{CKF_EC_COMPRESS, "ec-compress"},
	{CKF_EXTENSION, "extension"},
};

static void flags_words(const struct flag_row *t, size_t n, CK_FLAGS f, char *buf, size_t len)
{
	size_t used = 0;
	CK_FLAGS known = 0;
	if (!len)
		return;
	buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		known |= t[i].bit;
		if ((f & t[i].bit) && used < len) {
			int k = snprintf(buf + used, len - used, "%s%s", used ? " " : "", t[i].word);
			used += k > 0 ? (size_t)k : 0;
		}
	}
	/* Bits we have no word for are shown, not hidden: an auditor may need them. */
	if ((f & ~known) && used < len) {
		int k = snprintf(buf + used, len - used, "%s0x%lX", used ? " " : "", (unsigned long)(f & ~known));
		used += k > 0 ? (size_t)k : 0;
	}
	if (!used)
		snprintf(buf, len, "none");
}

void tok_flags_text(CK_FLAGS f, char *buf, size_t len)
{
	flags_words(token_flags, sizeof token_flags / sizeof token_flags[0], f, buf, len);
}

void tok_slot_flags_text(CK_FLAGS f, char *buf, size_t len)
{
	flags_words(slot_flags, sizeof slot_flags / sizeof slot_flags[0], f, buf, len);
}

void tok_mech_flags_text(CK_FLAGS f, char *buf, size_t len)
{
	flags_words(mech_flags, sizeof mech_flags / sizeof mech_flags[0], f, buf, len);
}

/* ------------------------------------------------------------------------- */
/* Blank-padded PKCS#11 strings (§3.2: CK_UTF8CHAR fields padded with blanks, no NUL). */

static void unpad(char *dst, size_t dstsize, const CK_UTF8CHAR *src, size_t srclen)
{
	size_t n = srclen < dstsize - 1 ? srclen : dstsize - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
	/* Some modules NUL-terminate instead of padding; stop there too. */
	n = strlen(dst);
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\t'))
		dst[--n] = 0;
}

static void pad(CK_UTF8CHAR *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);
	memset(dst, ' ', dstlen);
	memcpy(dst, src, n < dstlen ? n : dstlen);
}

/* ------------------------------------------------------------------------- */
/* Modules. */

struct tok_module {
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	char *path;
	unsigned refs;
	struct tok_module *next;
};

/* Modules loaded by this process. PKCS#11 allows one C_Initialize per application
 * (§5.4, CKR_CRYPTOKI_ALREADY_INITIALIZED), so a second load of the same library
 * (two token names bound to one module) shares the first one. The runner is
 * single-threaded; this list is not locked. */
static struct tok_module *loaded;

struct tok_session {
	struct tok_module *m;
	CK_SESSION_HANDLE h;
	CK_SLOT_ID slot;
	bool logged_in;
};

const char *tok_default_module(void)
{
	static const char *const candidates[] = {
		"/usr/lib/softhsm/libsofthsm2.so",
#if defined(__x86_64__)
		"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
#elif defined(__aarch64__)
		"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
#endif
	};
	for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
		if (access(candidates[i], R_OK) == 0)
			return candidates[i];
	/* None installed: name Debian's path so the load error says what is missing. */
	return candidates[0];
}

int tok_module_load(const char *path, struct tok_module **out, struct err *e)
{
	struct tok_module *m = NULL;
	void *dl = NULL;
	CK_C_GetFunctionList get;
	CK_FUNCTION_LIST_PTR f = NULL;
	CK_RV rv;
	int ret = -1;

	*out = NULL;
	if (!path || !*path)
		path = tok_default_module();
	/* A bare name would be looked up along LD_LIBRARY_PATH and friends; the module
	 * that holds the keys must be exactly the file the binding names. */
	if (!strchr(path, '/')) {
		err_set(e, ERR_MODULE, "PKCS#11 module '%s' is not a path; give the full path (e.g. %s)", path,
			tok_default_module());
		goto out;
	}
	if (access(path, R_OK) != 0) {
		err_errno(e, "cannot load PKCS#11 module '%s'", path);
		err_recode(e, ERR_MODULE);
		goto out;
	}
	dlerror();
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		const char *why = dlerror();
		err_set(e, ERR_MODULE, "cannot load PKCS#11 module '%s': %s", path, why ? why : "dlopen failed");
		goto out;
	}
	for (struct tok_module *l = loaded; l; l = l->next) {
		if (l->dl == dl) {
			/* dlopen counted a reference for us; the shared entry keeps its own. */
			dlclose(dl);
			dl = NULL;
			l->refs++;
			*out = l;
			ret = 0;
			goto out;
		}
	}
	/* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
	*(void **)&get = dlsym(dl, "C_GetFunctionList");
	if (!get) {
		err_set(e, ERR_MODULE, "'%s' is not a PKCS#11 module: it has no C_GetFunctionList", path);
		goto out;
	}
	rv = get(&f);
	if (rv != CKR_OK || !f) {
		err_p11(e, rv == CKR_OK ? CKR_GENERAL_ERROR : rv, "C_GetFunctionList");
		err_wrap(e, "loading '%s'", path);
		goto out;
	}
	/* §5.4: no mutex callbacks and CKF_OS_LOCKING_OK: the module may use native locks. */
	CK_C_INITIALIZE_ARGS args = {0};
	args.flags = CKF_OS_LOCKING_OK;
	rv = f->C_Initialize(&args);
	if (rv != CKR_OK) {
		err_p11(e, rv, "C_Initialize");
		err_wrap(e, "loading '%s'", path);
		goto out;
	}
	m = calloc(1, sizeof *m);
	if (m)
		m->path = strdup(path);
	if (!m || !m->path) {
		f->C_Finalize(NULL);
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	m->dl = dl;
	m->f = f;
	m->refs = 1;
	m->next = loaded;
	loaded = m;
	dl = NULL;
	*out = m;
	m = NULL;
	ret = 0;
out:
	if (m)
		free(m->path);
	free(m);
	if (dl)
		dlclose(dl);
	return ret;
}

void tok_module_free(struct tok_module *m)
{
	if (!m)
		return;
	if (--m->refs > 0)
		return;
	for (struct tok_module **pp = &loaded; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	m->f->C_Finalize(NULL);
#ifndef __SANITIZE_ADDRESS__
	dlclose(m->dl);
#else
	/* Under AddressSanitizer the module stays mapped, so LeakSanitizer can name it in
	 * a leak's stack (tests/lsan.supp suppresses SoftHSM's own leaks by module name). */
	(void)m->dl;
#endif
	free(m->path);
	free(m);
}

const char *tok_module_path(const struct tok_module *m)
{
	return m->path;
}

int tok_module_info(struct tok_module *m, struct tok_module_info *out, struct err *e)
{
	CK_INFO info;
	CK_RV rv = m->f->C_GetInfo(&info);
	if (rv != CKR_OK)
		return err_p11(e, rv, "C_GetInfo");
	memset(out, 0, sizeof *out);
	unpad(out->manufacturer, sizeof out->manufacturer, info.manufacturerID, sizeof info.manufacturerID);
	unpad(out->description, sizeof out->description, info.libraryDescription,
	      sizeof info.libraryDescription);
	out->cryptoki_major = info.cryptokiVersion.major;
	out->cryptoki_minor = info.cryptokiVersion.minor;
	out->lib_major = info.libraryVersion.major;
	out->lib_minor = info.libraryVersion.minor;
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Slots and tokens. */

/* §5.5 C_GetSlotList with the two-call convention of §5.2; the list can grow
 * between the calls (SoftHSM adds a free slot after C_InitToken), hence the loop. */
static int slot_ids(struct tok_module *m, CK_SLOT_ID **out, CK_ULONG *n, struct err *e)
{
	CK_SLOT_ID *ids = NULL;
	CK_ULONG count = 0;
	CK_RV rv;
	int ret = -1;

	for (int tries = 0; tries < 8; tries++) {
		rv = m->f->C_GetSlotList(CK_FALSE, NULL, &count);
		if (rv != CKR_OK) {
			err_p11(e, rv, "C_GetSlotList");
			goto out;
		}
		free(ids);
		ids = calloc(count ? count : 1, sizeof *ids);
		if (!ids) {
			err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		rv = m->f->C_GetSlotList(CK_FALSE, ids, &count);
		if (rv == CKR_BUFFER_TOO_SMALL)
			continue;
		if (rv != CKR_OK) {
			err_p11(e, rv, "C_GetSlotList");
			goto out;
		}
		*out = ids;
		*n = count;
		ids = NULL;
		ret = 0;
		goto out;
	}
	err_set(e, ERR_TOKEN, "the module's slot list keeps changing; retry when the tokens are settled");
out:
	free(ids);
	return ret;
}

/* Slot and token information of one slot, raw (for p11-kit's URI matching) and
 * trimmed (for people). A token that vanished between the calls counts as absent. */
static int slot_read(struct tok_module *m, CK_SLOT_ID id, CK_SLOT_INFO *si, CK_TOKEN_INFO *ti,
		     struct tok_info *info, struct err *e)
{
	char what[64];
	CK_RV rv = m->f->C_GetSlotInfo(id, si);
	if (rv != CKR_OK) {
		snprintf(what, sizeof what, "C_GetSlotInfo(slot %lu)", (unsigned long)id);
		return err_p11(e, rv, what);
	}
	memset(info, 0, sizeof *info);
	memset(ti, 0, sizeof *ti);
	info->slot = id;
	info->slot_flags = si->flags;
	unpad(info->slot_description, sizeof info->slot_description, si->slotDescription,
	      sizeof si->slotDescription);
	if (!(si->flags & CKF_TOKEN_PRESENT))
		return 0;
	rv = m->f->C_GetTokenInfo(id, ti);
	if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_TOKEN_NOT_RECOGNIZED || rv == CKR_DEVICE_REMOVED)
		return 0;
	if (rv != CKR_OK) {
		snprintf(what, sizeof what, "C_GetTokenInfo(slot %lu)", (unsigned long)id);
		return err_p11(e, rv, what);
	}
	info->token_present = true;
	unpad(info->label, sizeof info->label, ti->label, sizeof ti->label);
	unpad(info->manufacturer, sizeof info->manufacturer, ti->manufacturerID, sizeof ti->manufacturerID);
	unpad(info->model, sizeof info->model, ti->model, sizeof ti->model);
	unpad(info->serial, sizeof info->serial, ti->serialNumber, sizeof ti->serialNumber);
	info->token_flags = ti->flags;
	info->hw_major = ti->hardwareVersion.major;
	info->hw_minor = ti->hardwareVersion.minor;
	info->fw_major = ti->firmwareVersion.major;
	info->fw_minor = ti->firmwareVersion.minor;
	return 0;
}

int tok_slot_info(struct tok_module *m, CK_SLOT_ID slot, struct tok_info *out, struct err *e)
{
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	return slot_read(m, slot, &si, &ti, out, e);
}

int tok_list(struct tok_module *m, struct tok_info **out, size_t *n, struct err *e)
{
	CK_SLOT_ID *ids = NULL;
	CK_ULONG count = 0;
	struct tok_info *v = NULL;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	int ret = -1;

	*out = NULL;
	*n = 0;
	if (slot_ids(m, &ids, &count, e) != 0)
		goto out;
	v = calloc(count ? count : 1, sizeof *v);
	if (!v) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (CK_ULONG i = 0; i < count; i++)
		if (slot_read(m, ids[i], &si, &ti, &v[i], e) != 0)
			goto out;
	*out = v;
	*n = count;
	v = NULL;
	ret = 0;
out:
	free(ids);
	free(v);
	return ret;
}

int tok_mechanisms(struct tok_module *m, CK_SLOT_ID slot, CK_MECHANISM_TYPE **out, size_t *n, struct err *e)
{
	CK_MECHANISM_TYPE *v = NULL;
	CK_ULONG count = 0;
	CK_RV rv;
	char what[64];
	int ret = -1;

	*out = NULL;
	*n = 0;
	snprintf(what, sizeof what, "C_GetMechanismList(slot %lu)", (unsigned long)slot);
	/* §5.2 two-call convention: ask for the count, then fill. */
	for (int tries = 0; tries < 4; tries++) {
		rv = m->f->C_GetMechanismList(slot, NULL, &count);
		if (rv != CKR_OK) {
			err_p11(e, rv, what);
			goto out;
		}
		free(v);
		v = calloc(count ? count : 1, sizeof *v);
		if (!v) {
			err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		rv = m->f->C_GetMechanismList(slot, v, &count);
		if (rv == CKR_BUFFER_TOO_SMALL)
			continue;
		if (rv != CKR_OK) {
			err_p11(e, rv, what);
			goto out;
		}
		*out = v;
		*n = count;
		v = NULL;
		ret = 0;
		goto out;
	}
	err_p11(e, CKR_BUFFER_TOO_SMALL, what);
out:
	free(v);
	return ret;
}

int tok_mechanism_info(struct tok_module *m, CK_SLOT_ID slot, CK_MECHANISM_TYPE mech, CK_MECHANISM_INFO *info,
		       struct err *e)
{
	CK_RV rv = m->f->C_GetMechanismInfo(slot, mech, info);
	if (rv != CKR_OK) {
		char what[96];
		const char *name = tok_mech_name(mech);
		if (name)
			snprintf(what, sizeof what, "C_GetMechanismInfo(%s)", name);
		else
			snprintf(what, sizeof what, "C_GetMechanismInfo(0x%lX)", (unsigned long)mech);
		return err_p11(e, rv, what);
	}
	return 0;
}

/* A URI is echoed in messages unless it carries a PIN: a PIN is never printed. */
static const char *uri_shown(const char *uri)
{
	if (strstr(uri, "pin-value") || strstr(uri, "PIN-VALUE"))
		return "(URI not shown: it carries a pin-value)";
	return uri;
}

int tok_find_uri(struct tok_module *m, const char *uri, CK_SLOT_ID *slot, struct err *e)
{
	return tok_find_uri_ex(m, uri, 0, slot, NULL, e);
}

int tok_find_uri_ex(struct tok_module *m, const char *uri, unsigned flags, CK_SLOT_ID *slot, bool *initialised,
		    struct err *e)
{
	P11KitUri *u = NULL;
	CK_SLOT_ID *ids = NULL;
	CK_ULONG count = 0;
	CK_INFO mi;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	struct tok_info info;
	CK_SLOT_ID want_slot, found = 0;
	size_t matches = 0, candidates = 0;
	bool blank = (flags & TOK_FIND_BLANK) != 0, found_init = false;
	CK_RV rv;
	int rc, ret = -1;

	u = p11_kit_uri_new();
	if (!u) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* RFC 7512 §2.3: library-*, slot-* and token attributes may all narrow the choice. */
	rc = p11_kit_uri_parse(uri, P11_KIT_URI_FOR_MODULE_WITH_VERSION | P11_KIT_URI_FOR_SLOT |
				       P11_KIT_URI_FOR_TOKEN, u);
	if (rc != P11_KIT_URI_OK) {
		err_set(e, ERR_INPUT, "'%s' is not a usable PKCS#11 URI: %s", uri_shown(uri),
			p11_kit_uri_message(rc));
		goto out;
	}
	if (p11_kit_uri_get_pin_value(u) || p11_kit_uri_get_pin_source(u)) {
		err_set(e, ERR_INPUT, "a token URI must not carry a PIN (pin-value or pin-source): "
			"PINs are entered during the ceremony, never written down");
		goto out;
	}
	if (p11_kit_uri_any_unrecognized(u)) {
		err_set(e, ERR_INPUT, "'%s' has attributes that do not select a token (object=, id= and type= "
			"name objects); use token=, manufacturer=, model=, serial= or slot-id=", uri_shown(uri));
		goto out;
	}
	rv = m->f->C_GetInfo(&mi);
	if (rv != CKR_OK) {
		err_p11(e, rv, "C_GetInfo");
		goto out;
	}
	if (slot_ids(m, &ids, &count, e) != 0)
		goto out;
	want_slot = p11_kit_uri_get_slot_id(u);
	for (CK_ULONG i = 0; i < count; i++) {
		if (slot_read(m, ids[i], &si, &ti, &info, e) != 0)
			goto out;
		/* Only initialised tokens can be meant, unless the caller asks for blank ones
		 * too (a token a live token.init initialises): a blank token has no label or
		 * serial to name, so its URI names it by slot-id= (as `ceremony tokens` shows). */
		bool is_init = info.token_present && (info.token_flags & CKF_TOKEN_INITIALIZED);
		if (!info.token_present || (!is_init && !blank))
			continue;
		candidates++;
		if (!p11_kit_uri_match_module_info(u, &mi))
			continue;
		if (want_slot != (CK_SLOT_ID)-1 && want_slot != ids[i])
			continue;
		if (!p11_kit_uri_match_slot_info(u, &si) || !p11_kit_uri_match_token_info(u, &ti))
			continue;
		if (matches++ == 0) {
			found = ids[i];
			found_init = is_init;
		}
	}
	if (matches == 0) {
		err_set(e, ERR_TOKEN, "no %stoken matches '%s' (0 matches among %zu %stoken%s)", blank ? "" : "initialised ",
			uri_shown(uri), candidates, blank ? "" : "initialised ", candidates == 1 ? "" : "s");
		goto out;
	}
	if (matches > 1) {
		err_set(e, ERR_TOKEN, "%zu tokens match '%s'; add %s to the URI to name exactly one", matches,
			uri_shown(uri), blank ? "serial= (or slot-id= for a blank token)" : "serial=");
		goto out;
	}
	*slot = found;
	if (initialised)
		*initialised = found_init;
	ret = 0;
out:
	free(ids);
	if (u)
		p11_kit_uri_free(u);
	return ret;
}

int tok_find_label(struct tok_module *m, const char *label, CK_SLOT_ID *slot, struct err *e)
{
	struct tok_info *v = NULL;
	size_t n = 0, matches = 0;
	CK_SLOT_ID found = 0;
	int ret = -1;

	if (tok_list(m, &v, &n, e) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].token_present || !(v[i].token_flags & CKF_TOKEN_INITIALIZED))
			continue;
		if (strcmp(v[i].label, label) != 0)
			continue;
		if (matches++ == 0)
			found = v[i].slot;
	}
	if (matches == 0) {
		err_set(e, ERR_TOKEN, "no initialised token is labelled '%s'; list tokens with 'ceremony tokens'", label);
		goto out;
	}
	if (matches > 1) {
		err_set(e, ERR_TOKEN, "%zu tokens are labelled '%s'; name one by URI with its serial=", matches, label);
		goto out;
	}
	*slot = found;
	ret = 0;
out:
	free(v);
	return ret;
}

int tok_find_free(struct tok_module *m, CK_SLOT_ID *slot, struct err *e)
{
	struct tok_info *v = NULL;
	size_t n = 0;
	int ret = -1;

	if (tok_list(m, &v, &n, e) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (v[i].token_present && !(v[i].token_flags & CKF_TOKEN_INITIALIZED)) {
			*slot = v[i].slot;
			ret = 0;
			goto out;
		}
	}
	err_set(e, ERR_TOKEN, "no slot holds an uninitialised token (SoftHSM always offers one; is this the right module?)");
out:
	free(v);
	return ret;
}

char *tok_uri(const struct tok_info *t)
{
	P11KitUri *u = p11_kit_uri_new();
	CK_TOKEN_INFO *ti;
	char *s = NULL;

	if (!u)
		return NULL;
	/* Fields left all-zero are "not set" for p11-kit and stay out of the URI. */
	ti = p11_kit_uri_get_token_info(u);
	if (t->label[0])
		pad(ti->label, sizeof ti->label, t->label);
	if (t->manufacturer[0])
		pad(ti->manufacturerID, sizeof ti->manufacturerID, t->manufacturer);
	if (t->model[0])
		pad(ti->model, sizeof ti->model, t->model);
	if (t->serial[0])
		pad(ti->serialNumber, sizeof ti->serialNumber, t->serial);
	/* A blank token has no label or serial to tell it apart: its slot names it
	 * (a binding for a token a live token.init initialises, tok_find_uri_ex). */
	if (!(t->token_flags & CKF_TOKEN_INITIALIZED))
		p11_kit_uri_set_slot_id(u, t->slot);
	if (p11_kit_uri_format(u, P11_KIT_URI_FOR_TOKEN | P11_KIT_URI_FOR_SLOT, &s) != P11_KIT_URI_OK)
		s = NULL;
	p11_kit_uri_free(u);
	return s;
}

/* ------------------------------------------------------------------------- */
/* Sessions. */

int tok_init_token(struct tok_module *m, CK_SLOT_ID slot, const char *label, const struct secret *so_pin,
		   const struct secret *user_pin, struct err *e)
{
	CK_UTF8CHAR lab[32];
	struct tok_session *s = NULL;
	CK_RV rv;
	int ret = -1;

	if (!label || !*label || strlen(label) > sizeof lab) {
		err_set(e, ERR_INPUT, "token label '%s' must have 1 to 32 bytes", label ? label : "");
		goto out;
	}
	if (!so_pin || !user_pin || !so_pin->len || !user_pin->len) {
		err_set(e, ERR_INPUT, "initialising a token needs an SO PIN and a user PIN");
		goto out;
	}
	/* §5.6 C_InitToken: the label is 32 bytes padded with blanks, not NUL-terminated.
	 * The PINs go to the module straight from their locked buffers, no copies. */
	pad(lab, sizeof lab, label);
	rv = m->f->C_InitToken(slot, so_pin->p, so_pin->len, lab);
	if (rv != CKR_OK) {
		err_p11(e, rv, "C_InitToken");
		err_wrap(e, "initialising token '%s'", label);
		goto out;
	}
	if (tok_open(m, slot, true, &s, e) != 0 || tok_login(s, true, so_pin, e) != 0) {
		err_wrap(e, "initialising token '%s'", label);
		goto out;
	}
	/* §5.6 C_InitPIN: only the SO, in an R/W SO session, sets the first user PIN. */
	rv = m->f->C_InitPIN(s->h, user_pin->p, user_pin->len);
	if (rv != CKR_OK) {
		err_p11(e, rv, "C_InitPIN");
		err_wrap(e, "initialising token '%s'", label);
		goto out;
	}
	rv = m->f->C_Logout(s->h);
	s->logged_in = false;
	if (rv != CKR_OK) {
		err_p11(e, rv, "C_Logout");
		err_wrap(e, "initialising token '%s'", label);
		goto out;
	}
	ret = 0;
out:
	tok_close(s);
	return ret;
}

int tok_open(struct tok_module *m, CK_SLOT_ID slot, bool rw, struct tok_session **out, struct err *e)
{
	struct tok_session *s = NULL;
	CK_RV rv;
	int ret = -1;

	*out = NULL;
	s = calloc(1, sizeof *s);
	if (!s) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* §5.6 C_OpenSession: CKF_SERIAL_SESSION must always be set. */
	rv = m->f->C_OpenSession(slot, CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0), NULL, NULL, &s->h);
	if (rv != CKR_OK) {
		char what[64];
		snprintf(what, sizeof what, "C_OpenSession(slot %lu)", (unsigned long)slot);
		err_p11(e, rv, what);
		goto out;
	}
	s->m = m;
	s->slot = slot;
	*out = s;
	s = NULL;
	ret = 0;
out:
	free(s);
	return ret;
}

int tok_login(struct tok_session *s, bool so, const struct secret *pin, struct err *e)
{
	CK_RV rv;
	if (!pin || !pin->len)
		return err_set(e, ERR_INPUT, "logging in needs a PIN");
	rv = s->m->f->C_Login(s->h, so ? CKU_SO : CKU_USER, pin->p, pin->len);
	/* §5.6: login state is per application, so another session's login counts;
	 * we then leave the logout to whoever logged in. */
	if (rv == CKR_USER_ALREADY_LOGGED_IN)
		return 0;
	if (rv != CKR_OK)
		return err_p11(e, rv, so ? "C_Login(security officer)" : "C_Login(user)");
	s->logged_in = true;
	return 0;
}

void tok_close(struct tok_session *s)
{
	if (!s)
		return;
	if (s->logged_in)
		(void)s->m->f->C_Logout(s->h);
	(void)s->m->f->C_CloseSession(s->h);
	free(s);
}

CK_SLOT_ID tok_session_slot(const struct tok_session *s)
{
	return s->slot;
}

struct tok_module *tok_session_module(const struct tok_session *s)
{
	return s->m;
}

/* ------------------------------------------------------------------------- */
/* Objects and attributes. */

int tok_find(struct tok_session *s, CK_OBJECT_CLASS cls, const char *label, CK_OBJECT_HANDLE *h, size_t max,
	     size_t *n, struct err *e)
{
	CK_ATTRIBUTE tmpl[2];
	CK_ULONG nt = 0, got = 0;
	CK_RV rv;
	size_t have = 0;
	int ret = -1;

	*n = 0;
	if (cls != (CK_OBJECT_CLASS)-1)
		tmpl[nt++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof cls};
	if (label)
		tmpl[nt++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
	rv = s->m->f->C_FindObjectsInit(s->h, nt ? tmpl : NULL, nt);
	if (rv != CKR_OK)
		return err_p11(e, rv, "C_FindObjectsInit");
	/* §5.7: C_FindObjects may return fewer than asked; 0 means done. */
	while (have < max) {
		rv = s->m->f->C_FindObjects(s->h, h + have, max - have, &got);
		if (rv != CKR_OK) {
			err_p11(e, rv, "C_FindObjects");
			goto out;
		}
		if (got == 0)
			break;
		have += got;
	}
	*n = have;
	ret = 0;
out:
	/* Always end the search, or the session refuses the next one (CKR_OPERATION_ACTIVE). */
	rv = s->m->f->C_FindObjectsFinal(s->h);
	if (ret == 0 && rv != CKR_OK)
		ret = err_p11(e, rv, "C_FindObjectsFinal");
	return ret;
}

int tok_attr(struct tok_session *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, struct buf *out, struct err *e)
{
	CK_ATTRIBUTE a = {type, NULL, 0};
	void *tmp = NULL;
	char what[96];
	CK_RV rv;
	int ret = -1;

	snprintf(what, sizeof what, "reading %s of object %lu", tok_attr_name(type), (unsigned long)o);
	/* §5.7 C_GetAttributeValue: a NULL pValue asks for the length; an unavailable
	 * or sensitive value comes back as CK_UNAVAILABLE_INFORMATION. */
	rv = s->m->f->C_GetAttributeValue(s->h, o, &a, 1);
	if (rv == CKR_OK && a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		rv = CKR_ATTRIBUTE_SENSITIVE;
	if (rv != CKR_OK) {
		err_p11(e, rv, what);
		goto out;
	}
	if (a.ulValueLen == 0) {
		ret = buf_terminate(out, e);
		goto out;
	}
	tmp = malloc(a.ulValueLen);
	if (!tmp) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	a.pValue = tmp;
	rv = s->m->f->C_GetAttributeValue(s->h, o, &a, 1);
	if (rv == CKR_OK && a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		rv = CKR_ATTRIBUTE_SENSITIVE;
	if (rv != CKR_OK) {
		err_p11(e, rv, what);
		goto out;
	}
	ret = buf_append(out, tmp, a.ulValueLen, e);
out:
	free(tmp);
	return ret;
}

/* Reads a fixed-size attribute into v, insisting the token returns exactly that size. */
static int attr_fixed(struct tok_session *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, void *v, size_t size,
		      struct err *e)
{
	CK_ATTRIBUTE a = {type, v, size};
	char what[96];
	CK_RV rv = s->m->f->C_GetAttributeValue(s->h, o, &a, 1);
	snprintf(what, sizeof what, "reading %s of object %lu", tok_attr_name(type), (unsigned long)o);
	if (rv == CKR_OK && a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		rv = CKR_ATTRIBUTE_SENSITIVE;
	if (rv != CKR_OK)
		return err_p11(e, rv, what);
	if (a.ulValueLen != size)
		return err_set(e, ERR_TOKEN, "%s: the token returned %lu bytes, expected %zu", what,
			       (unsigned long)a.ulValueLen, size);
	return 0;
}

int tok_attr_bool(struct tok_session *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, bool *v, struct err *e)
{
	CK_BBOOL b = CK_FALSE;
	if (attr_fixed(s, o, type, &b, sizeof b, e) != 0)
		return -1;
	*v = b != CK_FALSE;
	return 0;
}

int tok_attr_ulong(struct tok_session *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, CK_ULONG *v, struct err *e)
{
	CK_ULONG u = 0;
	if (attr_fixed(s, o, type, &u, sizeof u, e) != 0)
		return -1;
	*v = u;
	return 0;
}

int tok_random(struct tok_session *s, uint8_t *out, size_t len, struct err *e)
{
	CK_RV rv = s->m->f->C_GenerateRandom(s->h, out, len);
	if (rv != CKR_OK)
		return err_p11(e, rv, "C_GenerateRandom");
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Key algorithms. */

/* CKA_EC_PARAMS of the NIST curves: the DER of the curve's OID (Mechanisms 3.0 §2.3.3,
 * X9.62 ECParameters namedCurve). */
static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}; /* 1.2.840.10045.3.1.7 */
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};                   /* 1.3.132.0.34 */
static const uint8_t oid_p521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};                   /* 1.3.132.0.35 */
/* Edwards curves (Mechanisms 3.0 §2.3.5): CKA_EC_PARAMS is the DER of either the RFC 8410
 * OID or the curve's name as a PrintableString. SoftHSM 2.6.1 takes both; some modules
 * know only the name, so tok_generate offers the OID first and then the name. */
static const uint8_t oid_ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};                            /* 1.3.101.112 */
static const uint8_t name_ed25519[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9'};

struct alg_row {
	struct tok_algorithm a;
	const uint8_t *params, *alt_params;   /* CKA_EC_PARAMS, and the form tried second */
	size_t params_len, alt_params_len;
	CK_ULONG parameter_set;               /* CKA_PARAMETER_SET (ML-DSA) */
};

#define EC_ROW(n, crv, oid) \
	{.a = {.name = n, .key_type = "EC", .curve = crv, .ckk = CKK_EC, .gen = CKM_EC_KEY_PAIR_GEN, \
	       .sign = {CKM_ECDSA}, .n_sign = 1}, \
	 .params = oid, .params_len = sizeof oid}
#define RSA_ROW(n, bits) \
	{.a = {.name = n, .key_type = "RSA", .modulus_bits = bits, .ckk = CKK_RSA, .gen = CKM_RSA_PKCS_KEY_PAIR_GEN, \
	       .sign = {CKM_RSA_PKCS_PSS, CKM_RSA_PKCS}, .n_sign = 2}}
static const struct alg_row alg_table[] = {
	EC_ROW("ec-p256", "P-256", oid_p256),
	EC_ROW("ec-p384", "P-384", oid_p384),
	EC_ROW("ec-p521", "P-521", oid_p521),
	{.a = {.name = "ed25519", .key_type = "EdDSA", .curve = "Ed25519", .ckk = CKK_EC_EDWARDS,
	       .gen = CKM_EC_EDWARDS_KEY_PAIR_GEN, .sign = {CKM_EDDSA}, .n_sign = 1},
	 .params = oid_ed25519, .params_len = sizeof oid_ed25519,
	 .alt_params = name_ed25519, .alt_params_len = sizeof name_ed25519},
	RSA_ROW("rsa-3072", 3072),
	RSA_ROW("rsa-4096", 4096),
	/* PKCS#11 3.2, ML-DSA: CKA_PARAMETER_SET on the public template picks the set;
	 * CKM_ML_DSA signs the message itself (pure ML-DSA, FIPS 204 §5.2). Its
	 * SubjectPublicKeyInfo is spki.c's. */
	{.a = {.name = "ml-dsa-65", .key_type = "ML-DSA", .parameter_set = "ML-DSA-65", .ckk = CKK_ML_DSA,
	       .gen = CKM_ML_DSA_KEY_PAIR_GEN, .sign = {CKM_ML_DSA}, .n_sign = 1},
	 .parameter_set = CKP_ML_DSA_65},
};
#undef EC_ROW
#undef RSA_ROW

/* Kept next to the table; test_token checks each name resolves. */
static const char alg_names[] = "ec-p256, ec-p384, ec-p521, ed25519, rsa-3072, rsa-4096, ml-dsa-65";

static const struct alg_row *alg_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof alg_table / sizeof alg_table[0]; i++)
		if (strcmp(alg_table[i].a.name, name) == 0)
			return &alg_table[i];
	return NULL;
}

const struct tok_algorithm *tok_algorithm_find(const char *name)
{
	const struct alg_row *r = alg_find(name);
	return r ? &r->a : NULL;
}

const char *tok_algorithm_names(void)
{
	return alg_names;
}

const struct tok_algorithm *tok_algorithm_of_ec_params(CK_KEY_TYPE ckk, const uint8_t *params, size_t len)
{
	for (size_t i = 0; i < sizeof alg_table / sizeof alg_table[0]; i++) {
		const struct alg_row *r = &alg_table[i];
		if (r->a.ckk != ckk || !r->params)
			continue;
		if ((r->params_len == len && !memcmp(r->params, params, len)) ||
		    (r->alt_params && r->alt_params_len == len && !memcmp(r->alt_params, params, len)))
			return &r->a;
	}
	return NULL;
}

const struct tok_algorithm *tok_algorithm_of_parameter_set(CK_ULONG parameter_set)
{
	for (size_t i = 0; i < sizeof alg_table / sizeof alg_table[0]; i++)
		if (alg_table[i].a.ckk == CKK_ML_DSA && alg_table[i].parameter_set == parameter_set)
			return &alg_table[i].a;
	return NULL;
}

/* The size in bits of a big-endian unsigned integer (leading zero bytes ignored). */
static unsigned long bits_of(const uint8_t *p, size_t len)
{
	unsigned long bits;
	while (len && !*p) {
		p++;
		len--;
	}
	if (!len)
		return 0;
	bits = 8 * (unsigned long)(len - 1);
	for (uint8_t top = *p; top; top >>= 1)
		bits++;
	return bits;
}

bool tok_algorithm_mechanisms(const char *algorithm, CK_MECHANISM_TYPE *gen, CK_MECHANISM_TYPE *sign, size_t *n_sign)
{
	const struct alg_row *r = alg_find(algorithm);
	if (!r)
		return false;
	if (gen)
		*gen = r->a.gen;
	if (sign)
		memcpy(sign, r->a.sign, r->a.n_sign * sizeof sign[0]);
	if (n_sign)
		*n_sign = r->a.n_sign;
	return true;
}

bool tok_algorithm_known(const char *algorithm, CK_MECHANISM_TYPE *gen_mech)
{
	return tok_algorithm_mechanisms(algorithm, gen_mech, NULL, NULL);
}

/* ------------------------------------------------------------------------- */
/* Key generation. */

/* The return values with which a module says it does not take this encoding of the
 * curve (so the other encoding is worth a try). */
static bool curve_refused(CK_RV rv)
{
	return rv == CKR_DOMAIN_PARAMS_INVALID || rv == CKR_CURVE_NOT_SUPPORTED || rv == CKR_ATTRIBUTE_VALUE_INVALID ||
	       rv == CKR_TEMPLATE_INCONSISTENT;
}

int tok_generate(struct tok_session *s, const char *algorithm, const char *label, struct tok_keypair *kp,
		 struct err *e)
{
	return tok_generate_ex(s, algorithm, label, 0, kp, e);
}

/* The private key policy, one list for keys generated here and keys unwrapped from a
 * backup: it signs and does nothing else, it is sensitive, and it is extractable only
 * when backup is set, and then only under a trusted key (PKCS#11 3.0 §4.9
 * CKA_WRAP_WITH_TRUSTED): never in the clear, never under a key the user made.
 * Appends to t (room for 10) and returns how many were added. */
static size_t private_key_policy(CK_ATTRIBUTE *t, bool backup)
{
	static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	size_t n = 0;
	t[n++] = (CK_ATTRIBUTE){CKA_TOKEN, &yes, sizeof yes};
	t[n++] = (CK_ATTRIBUTE){CKA_PRIVATE, &yes, sizeof yes};
	t[n++] = (CK_ATTRIBUTE){CKA_SENSITIVE, &yes, sizeof yes};
	t[n++] = (CK_ATTRIBUTE){CKA_SIGN, &yes, sizeof yes};
	t[n++] = (CK_ATTRIBUTE){CKA_EXTRACTABLE, backup ? &yes : &no, sizeof yes};
	if (backup)
		t[n++] = (CK_ATTRIBUTE){CKA_WRAP_WITH_TRUSTED, &yes, sizeof yes};
	t[n++] = (CK_ATTRIBUTE){CKA_DECRYPT, &no, sizeof no};
	t[n++] = (CK_ATTRIBUTE){CKA_DERIVE, &no, sizeof no};
	/* SoftHSM defaults CKA_UNWRAP to true: say no explicitly. */
	t[n++] = (CK_ATTRIBUTE){CKA_UNWRAP, &no, sizeof no};
	t[n++] = (CK_ATTRIBUTE){CKA_SIGN_RECOVER, &no, sizeof no};
	return n;
}

int tok_generate_ex(struct tok_session *s, const char *algorithm, const char *label, unsigned flags,
		    struct tok_keypair *kp, struct err *e)
{
	static const CK_BYTE f4[] = {0x01, 0x00, 0x01};   /* 65537, big-endian (Mechanisms 3.0 §2.1.2) */
	const struct alg_row *alg = alg_find(algorithm);
	CK_OBJECT_HANDLE seen[1];
	size_t nseen = 0, np = 0, nk = 0;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = 0, pset = 0;
	CK_BBOOL backup = (flags & TOK_GEN_BACKUP) ? CK_TRUE : CK_FALSE;
	CK_ATTRIBUTE pub[12], priv[14];
	CK_ATTRIBUTE *params = NULL;
	CK_RV rv;
	int ret = -1;

	memset(kp, 0, sizeof *kp);
	if (!alg) {
		err_set(e, ERR_INPUT, "unknown key algorithm '%s' (known: %s)", algorithm ? algorithm : "", alg_names);
		goto out;
	}
	if (!label || !*label) {
		err_set(e, ERR_INPUT, "a generated key needs a label");
		goto out;
	}
	/* One label, one key: a second key under the same label would make every later
	 * reference to it ambiguous. Private objects are only visible after login. */
	if (tok_find(s, (CK_OBJECT_CLASS)-1, label, seen, 1, &nseen, e) != 0)
		goto out;
	if (nseen) {
		err_set(e, ERR_TOKEN, "an object labelled '%s' exists already on this token; choose another label",
			label);
		goto out;
	}
	if (tok_random(s, kp->id, sizeof kp->id, e) != 0)
		goto out;

	/* §4.8/§4.9 key attributes; the policy is the one in token.h: the private key
	 * signs and does nothing else, and never leaves the token in the clear. */
	pub[np++] = (CK_ATTRIBUTE){CKA_TOKEN, &yes, sizeof yes};
	pub[np++] = (CK_ATTRIBUTE){CKA_PRIVATE, &no, sizeof no};
	pub[np++] = (CK_ATTRIBUTE){CKA_VERIFY, &yes, sizeof yes};
	pub[np++] = (CK_ATTRIBUTE){CKA_ENCRYPT, &no, sizeof no};
	pub[np++] = (CK_ATTRIBUTE){CKA_WRAP, &no, sizeof no};
	pub[np++] = (CK_ATTRIBUTE){CKA_DERIVE, &no, sizeof no};
	pub[np++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
	pub[np++] = (CK_ATTRIBUTE){CKA_ID, kp->id, sizeof kp->id};
	switch (alg->a.ckk) {
	case CKK_EC:
	case CKK_EC_EDWARDS:
		params = &pub[np];
		pub[np++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)alg->params, alg->params_len};
		break;
	case CKK_RSA:
		/* Mechanisms 3.0 §2.1.4: the public template gives the size and the exponent. */
		bits = alg->a.modulus_bits;
		pub[np++] = (CK_ATTRIBUTE){CKA_MODULUS_BITS, &bits, sizeof bits};
		pub[np++] = (CK_ATTRIBUTE){CKA_PUBLIC_EXPONENT, (void *)f4, sizeof f4};
		break;
	case CKK_ML_DSA:
		pset = alg->parameter_set;
		pub[np++] = (CK_ATTRIBUTE){CKA_PARAMETER_SET, &pset, sizeof pset};
		break;
	default:
		break;
	}
	nk += private_key_policy(priv + nk, backup);
	priv[nk++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
	priv[nk++] = (CK_ATTRIBUTE){CKA_ID, kp->id, sizeof kp->id};

	CK_MECHANISM mech = {alg->a.gen, NULL, 0};
	rv = s->m->f->C_GenerateKeyPair(s->h, &mech, pub, np, priv, nk, &kp->pub, &kp->priv);
	if (curve_refused(rv) && params && alg->alt_params) {
		/* A failed C_GenerateKeyPair makes no object, so a second try is safe. */
		params->pValue = (void *)alg->alt_params;
		params->ulValueLen = alg->alt_params_len;
		rv = s->m->f->C_GenerateKeyPair(s->h, &mech, pub, np, priv, nk, &kp->pub, &kp->priv);
	}
	if (rv != CKR_OK) {
		const char *mn = tok_mech_name(alg->a.gen);
		char what[96];
		snprintf(what, sizeof what, "C_GenerateKeyPair(%s)", mn ? mn : "?");
		err_p11(e, rv, what);
		err_wrap(e, "generating %s key '%s'", alg->a.name, label);
		goto out;
	}
	ret = 0;
out:
	return ret;
}

/* ------------------------------------------------------------------------- */
/* Signing. */

int tok_sign_ex(struct tok_session *s, CK_OBJECT_HANDLE key, const CK_MECHANISM *mech, const uint8_t *data,
		size_t len, struct buf *out, struct err *e)
{
	CK_MECHANISM mm = *mech;   /* C_SignInit takes a non-const pointer */
	CK_ULONG sig_len = 0;
	uint8_t *sig = NULL;
	char mname[40], what[80];
	const char *name = tok_mech_name(mech->mechanism);
	CK_RV rv;
	int ret = -1;

	/* The message names the call that failed, as the other token operations' do. */
	if (name)
		snprintf(mname, sizeof mname, "%s", name);
	else
		snprintf(mname, sizeof mname, "mechanism 0x%lX", (unsigned long)mech->mechanism);
	rv = s->m->f->C_SignInit(s->h, &mm, key);
	if (rv != CKR_OK) {
		snprintf(what, sizeof what, "signing: C_SignInit(%s)", mname);
		err_p11(e, rv, what);
		goto out;
	}
	snprintf(what, sizeof what, "signing: C_Sign(%s)", mname);
	/* §5.2: a NULL output asks for the length and leaves the operation active;
	 * any other failure ends it. */
	rv = s->m->f->C_Sign(s->h, (CK_BYTE_PTR)data, len, NULL, &sig_len);
	if (rv != CKR_OK) {
		err_p11(e, rv, what);
		goto out;
	}
	sig = malloc(sig_len ? sig_len : 1);
	if (!sig) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	rv = s->m->f->C_Sign(s->h, (CK_BYTE_PTR)data, len, sig, &sig_len);
	if (rv != CKR_OK) {
		err_p11(e, rv, what);
		goto out;
	}
	ret = buf_append(out, sig, sig_len, e);
out:
	free(sig);
	return ret;
}

int tok_sign(struct tok_session *s, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mech, const uint8_t *data, size_t len,
	     struct buf *out, struct err *e)
{
	CK_MECHANISM mm = {mech, NULL, 0};
	return tok_sign_ex(s, key, &mm, data, len, out, e);
}

/* ------------------------------------------------------------------------- */
/* Finding a key pair. */

/* The algorithm name of the private key o of type kt, read from the token. */
static int key_algorithm(struct tok_session *s, CK_OBJECT_HANDLE o, CK_ULONG kt, const char *label, char *name,
			 size_t name_len, struct err *e)
{
	struct buf v = {0};
	CK_ULONG pset = 0;
	const struct tok_algorithm *a;
	const char *found = NULL;
	char tmp[32];
	int ret = -1;

	switch (kt) {
	case CKK_EC:
	case CKK_EC_EDWARDS:
		if (tok_attr(s, o, CKA_EC_PARAMS, &v, e) != 0)
			goto out;
		if ((a = tok_algorithm_of_ec_params(kt, v.p, v.len)))
			found = a->name;
		if (!found) {
			char hex[80] = "";
			for (size_t i = 0; i < v.len && 2 * i + 3 < sizeof hex; i++)
				snprintf(hex + 2 * i, 3, "%02x", v.p[i]);
			err_set(e, ERR_TOKEN, "key '%s' is on a curve this runner does not support (CKA_EC_PARAMS %s)", label,
				hex);
			goto out;
		}
		break;
	case CKK_RSA: {
		/* CKA_MODULUS is public on both objects (Mechanisms 3.0 §2.1.2-3); CKA_MODULUS_BITS only on
		 * the public one. The size is that of the number, not of the byte string. */
		if (tok_attr(s, o, CKA_MODULUS, &v, e) != 0)
			goto out;
		snprintf(tmp, sizeof tmp, "rsa-%lu", bits_of(v.p, v.len));
		found = tmp;
		break;
	}
	case CKK_ML_DSA:
		if (tok_attr_ulong(s, o, CKA_PARAMETER_SET, &pset, e) != 0)
			goto out;
		if (!(a = tok_algorithm_of_parameter_set(pset))) {
			err_set(e, ERR_TOKEN, "key '%s' has ML-DSA parameter set 0x%lX; this runner supports ML-DSA-65", label,
				(unsigned long)pset);
			goto out;
		}
		found = a->name;
		break;
	default:
		err_set(e, ERR_TOKEN, "key '%s' has key type 0x%lX; this runner signs with EC, Ed25519, RSA and ML-DSA keys",
			label, (unsigned long)kt);
		goto out;
	}
	if ((size_t)snprintf(name, name_len, "%s", found) >= name_len) {
		err_set(e, ERR_INPUT, "no room for the algorithm name '%s'", found);
		goto out;
	}
	ret = 0;
out:
	buf_free(&v);
	return ret;
}

int tok_key_find(struct tok_session *s, const char *label, CK_OBJECT_HANDLE *priv, CK_OBJECT_HANDLE *pub,
		 char *algorithm, size_t algorithm_len, struct err *e)
{
	CK_OBJECT_HANDLE h[2];
	CK_ULONG kt = 0, pub_kt = 0;
	struct buf id = {0}, pub_id = {0};
	struct err ignored;
	size_t n = 0;
	int ret = -1;

	*priv = *pub = CK_INVALID_HANDLE;
	if (algorithm_len)
		algorithm[0] = 0;
	if (!label || !*label)
		return err_set(e, ERR_INPUT, "finding a key needs its label");
	if (tok_find(s, CKO_PRIVATE_KEY, label, h, 2, &n, e) != 0)
		goto out;
	if (n == 0) {
		/* Private objects are invisible until the user logs in. */
		err_set(e, ERR_TOKEN, "no private key labelled '%s' on this token (or the user is not logged in)", label);
		goto out;
	}
	if (n > 1) {
		err_set(e, ERR_TOKEN, "several private keys are labelled '%s'; a key reference must name exactly one",
			label);
		goto out;
	}
	if (tok_attr_ulong(s, h[0], CKA_KEY_TYPE, &kt, e) != 0 ||
	    key_algorithm(s, h[0], kt, label, algorithm, algorithm_len, e) != 0)
		goto out;
	*priv = h[0];
	if (tok_find(s, CKO_PUBLIC_KEY, label, h, 2, &n, e) != 0)
		goto out;
	if (n > 1) {
		err_set(e, ERR_TOKEN, "several public keys are labelled '%s'; the key pair is ambiguous", label);
		goto out;
	}
	if (n == 1) {
		/* The public key under the label must be this key's half: same type, and the
		 * same CKA_ID when both have one (tok_generate gives both the same). */
		if (tok_attr_ulong(s, h[0], CKA_KEY_TYPE, &pub_kt, e) != 0)
			goto out;
		if (pub_kt != kt) {
			err_set(e, ERR_TOKEN, "the public key labelled '%s' has key type 0x%lX, its private key 0x%lX", label,
				(unsigned long)pub_kt, (unsigned long)kt);
			goto out;
		}
		if (tok_attr(s, *priv, CKA_ID, &id, &ignored) == 0 && tok_attr(s, h[0], CKA_ID, &pub_id, &ignored) == 0 &&
		    id.len && pub_id.len && (id.len != pub_id.len || memcmp(id.p, pub_id.p, id.len))) {
			err_set(e, ERR_TOKEN, "the public and private keys labelled '%s' have different CKA_IDs", label);
			goto out;
		}
		*pub = h[0];
	}
	ret = 0;
out:
	if (ret != 0)
		*priv = *pub = CK_INVALID_HANDLE;
	buf_free(&id);
	buf_free(&pub_id);
	return ret;
}

/* ------------------------------------------------------------------------- */
/* Backup: wrap keys, wrapping and unwrapping. */

#ifndef CKM_AES_KEY_WRAP_PAD
#define CKM_AES_KEY_WRAP_PAD 0x210aUL
#endif

static int label_free(struct tok_session *s, const char *label, struct err *e)
{
	CK_OBJECT_HANDLE seen[1];
	size_t n = 0;
	if (!label || !*label)
		return err_set(e, ERR_INPUT, "a key needs a label");
	if (tok_find(s, (CK_OBJECT_CLASS)-1, label, seen, 1, &n, e) != 0)
		return -1;
	if (n)
		return err_set(e, ERR_TOKEN, "an object labelled '%s' exists already on this token; choose another label",
			       label);
	return 0;
}

int tok_wrapkey_create(struct tok_session *s, const char *label, const struct secret *value, bool trusted,
		       CK_OBJECT_HANDLE *out, struct err *e)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE, priv = trusted ? CK_FALSE : CK_TRUE, tr = trusted ? CK_TRUE : CK_FALSE;
	CK_RV rv;

	*out = CK_INVALID_HANDLE;
	if (!value || value->len != TOK_WRAPKEY_LEN)
		return err_set(e, ERR_INPUT, "a wrap key needs %d bytes of key material", TOK_WRAPKEY_LEN);
	if (label_free(s, label, e) != 0)
		return -1;
	/* §4.10 secret key objects; Mechanisms 3.0 §2.9 AES keys: CKA_VALUE 32 bytes.
	 * The value goes to the module straight from locked memory. */
	CK_ATTRIBUTE t[] = {
		{CKA_CLASS, &cls, sizeof cls},
		{CKA_KEY_TYPE, &kt, sizeof kt},
		{CKA_TOKEN, &yes, sizeof yes},
		{CKA_PRIVATE, &priv, sizeof priv},
		{CKA_LABEL, (void *)label, strlen(label)},
		{CKA_SENSITIVE, &yes, sizeof yes},
		{CKA_EXTRACTABLE, &no, sizeof no},
		{CKA_TRUSTED, &tr, sizeof tr},
		{CKA_WRAP, &yes, sizeof yes},
		{CKA_UNWRAP, &yes, sizeof yes},
		{CKA_ENCRYPT, &no, sizeof no},
		{CKA_DECRYPT, &no, sizeof no},
		{CKA_SIGN, &no, sizeof no},
		{CKA_VERIFY, &no, sizeof no},
		{CKA_DERIVE, &no, sizeof no},
		{CKA_VALUE, value->p, value->len},
	};
	rv = s->m->f->C_CreateObject(s->h, t, sizeof t / sizeof t[0], out);
	if (rv != CKR_OK) {
		*out = CK_INVALID_HANDLE;
		err_p11(e, rv, "C_CreateObject(AES wrap key)");
		return err_wrap(e, "creating %swrap key '%s'%s", trusted ? "trusted " : "", label,
				trusted && rv == CKR_ATTRIBUTE_READ_ONLY ? " (CKA_TRUSTED needs the security officer)" : "");
	}
	return 0;
}

enum err_answer tok_secret_key_present(struct tok_session *s, const char *label, CK_OBJECT_HANDLE *out,
				       struct err *e)
{
	CK_OBJECT_HANDLE h[2];
	size_t n = 0;
	*out = CK_INVALID_HANDLE;
	if (!label || !*label) {
		err_set(e, ERR_INPUT, "finding a key needs its label");
		return ERR_ANSWER_ERROR;
	}
	if (tok_find(s, CKO_SECRET_KEY, label, h, 2, &n, e) != 0)
		return ERR_ANSWER_ERROR;
	if (n > 1) {
		err_set(e, ERR_TOKEN, "several secret keys are labelled '%s'", label);
		return ERR_ANSWER_ERROR;
	}
	if (n == 0)
		return ERR_ANSWER_NO;
	*out = h[0];
	return ERR_ANSWER_YES;
}

int tok_secret_key_find(struct tok_session *s, const char *label, CK_OBJECT_HANDLE *out, struct err *e)
{
	CK_OBJECT_HANDLE h[2];
	size_t n = 0;
	*out = CK_INVALID_HANDLE;
	if (!label || !*label)
		return err_set(e, ERR_INPUT, "finding a key needs its label");
	if (tok_find(s, CKO_SECRET_KEY, label, h, 2, &n, e) != 0)
		return -1;
	if (n != 1)
		return err_set(e, ERR_TOKEN, n ? "several secret keys are labelled '%s'" : "no secret key labelled '%s' on this token",
			       label);
	*out = h[0];
	return 0;
}

int tok_wrap(struct tok_session *s, CK_OBJECT_HANDLE wrapping, CK_OBJECT_HANDLE key, struct buf *out, struct err *e)
{
	/* RFC 5649 AES key wrap with padding, the default IV (NULL parameter). */
	CK_MECHANISM mech = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
	CK_ULONG len = 0;
	uint8_t *blob = NULL;
	CK_RV rv;
	int ret = -1;

	/* §5.2 two-call convention: the length first. */
	rv = s->m->f->C_WrapKey(s->h, &mech, wrapping, key, NULL, &len);
	if (rv != CKR_OK) {
		err_p11(e, rv, "C_WrapKey(CKM_AES_KEY_WRAP_PAD)");
		goto out;
	}
	if (!(blob = malloc(len ? len : 1))) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	rv = s->m->f->C_WrapKey(s->h, &mech, wrapping, key, blob, &len);
	if (rv != CKR_OK) {
		err_p11(e, rv, "C_WrapKey(CKM_AES_KEY_WRAP_PAD)");
		goto out;
	}
	ret = buf_append(out, blob, len, e);
out:
	if (blob)
		secret_wipe(blob, len);
	free(blob);
	return ret;
}

int tok_unwrap_private(struct tok_session *s, CK_OBJECT_HANDLE unwrapping, const uint8_t *blob, size_t len,
		       CK_KEY_TYPE kt, const char *label, const uint8_t *id, size_t id_len, unsigned flags,
		       CK_OBJECT_HANDLE *out, struct err *e)
{
	CK_MECHANISM mech = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	bool backup = (flags & TOK_GEN_BACKUP) != 0;
	CK_ATTRIBUTE t[16];
	size_t n = 0;
	CK_RV rv;

	*out = CK_INVALID_HANDLE;
	if (label_free(s, label, e) != 0)
		return -1;
	t[n++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof cls};
	t[n++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, &kt, sizeof kt};
	n += private_key_policy(t + n, backup);
	t[n++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
	if (id && id_len)
		t[n++] = (CK_ATTRIBUTE){CKA_ID, (void *)id, id_len};
	rv = s->m->f->C_UnwrapKey(s->h, &mech, unwrapping, (CK_BYTE_PTR)blob, len, t, n, out);
	if (rv != CKR_OK) {
		*out = CK_INVALID_HANDLE;
		err_p11(e, rv, "C_UnwrapKey(CKM_AES_KEY_WRAP_PAD)");
		return err_wrap(e, "restoring key '%s'", label);
	}
	return 0;
}

int tok_destroy(struct tok_session *s, CK_OBJECT_HANDLE o, struct err *e)
{
	CK_RV rv = s->m->f->C_DestroyObject(s->h, o);
	if (rv != CKR_OK)
		return err_p11(e, rv, "C_DestroyObject");
	return 0;
}

const char *tok_p11kit_version(void)
{
	return CER_P11KIT_VERSION[0] ? CER_P11KIT_VERSION : "unknown";
}
