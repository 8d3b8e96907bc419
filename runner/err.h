/* err: the one error type of the runner.
 *
 * Every function that can fail returns int (0 success, -1 failure) marked
 * CER_MUST_CHECK, and fills a caller-owned struct err; a question with three
 * answers (yes, no, error) returns enum err_answer, also must-check. The code is
 * one of ERR_CODES below and goes into the transcript (error { 0: code, 1: message });
 * the message is lower case, no full stop, and says what to do where it can.
 * Foreign error sources are converted in exactly one place each:
 * OpenSSL here (err_openssl), PKCS#11 in token.c (err_p11), libyaml in ynode.c.
 */
#ifndef CER_ERR_H
#define CER_ERR_H

#include <stddef.h>

#define CER_MUST_CHECK __attribute__((warn_unused_result))
#define CER_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Every error code, its name (written into transcripts: error { 0: code } of a
 * failed step, so names never change once released) and what it means. The man
 * page's ERROR CODES lists the same rows (tests/unit/test_err.c compares them).
 * A PKCS#11 failure is ERR_P11 with the return value's name (CKR_PIN_INCORRECT)
 * as its code. */
#define ERR_CODES(X)                                                                                   \
	X(ERR_NOMEM, "nomem", "out of memory")                                                         \
	X(ERR_INTERNAL, "internal", "a bug in the runner: report it with the transcript")               \
	X(ERR_IO, "io", "a file could not be read, written or synced (the system's reason follows)")     \
	X(ERR_INPUT, "input", "input that is not what was asked: a file, an answer, end of input")      \
	X(ERR_SCRIPT, "script", "the ceremony script is not valid (FILE:LINE:COL)")                     \
	X(ERR_ANSWERS, "answers", "the answers file is not valid (FILE:LINE:COL)")                      \
	X(ERR_BINDING, "binding", "the binding file is not valid (FILE:LINE:COL)")                      \
	X(ERR_TERMINAL, "terminal", "no terminal where one is needed (a share is shown only there)")    \
	X(ERR_CRYPTO, "crypto", "an OpenSSL operation failed (OpenSSL's reason follows)")               \
	X(ERR_SIGNATURE, "signature", "a signature does not verify or has the wrong size")              \
	X(ERR_KID, "kid", "a key id does not match the signer's key")                                  \
	X(ERR_DER, "der", "an encoding is not DER (X.690 section 11)")                                  \
	X(ERR_X509, "x509", "a certificate, CSR or CRL cannot be built, read or checked")               \
	X(ERR_CHAIN, "chain", "a certificate chain or CRL does not verify against its issuer")          \
	X(ERR_CBOR, "cbor", "CBOR that is not well formed or not deterministic")                        \
	X(ERR_TRUNCATED, "truncated", "CBOR data that ends inside an item")                             \
	X(ERR_COSE, "cose", "a COSE_Sign1 structure that is not as RFC 9052 and the format require")     \
	X(ERR_SHAPE, "shape", "a transcript record without the keys and types its kind requires")       \
	X(ERR_ARTIFACT, "artifact", "an embedded artifact that does not match its size or hash")         \
	X(ERR_TRANSCRIPT, "transcript", "the transcript cannot take this record (sealed, stopped)")      \
	X(ERR_IMPORT, "import", "an earlier ceremony's transcript that does not verify or cannot be built on") \
	X(ERR_MODULE, "module", "a PKCS#11 module that cannot be loaded or is not allowed here")         \
	X(ERR_TOKEN, "token", "a token that is not bound, not found or not as the script says")         \
	X(ERR_MECHANISM, "mechanism", "a token that lacks a mechanism a step needs")                    \
	X(ERR_KEY_ATTRIBUTES, "key-attributes", "a key on a token without the attributes policy requires") \
	X(ERR_WRAP_KEY, "wrap-key", "a wrap key that is missing, or present where it must not be")      \
	X(ERR_RESTORE, "restore", "a restored key that does not prove to be the backed-up one")         \
	X(ERR_SHARES, "shares", "a secret split, or a share, that is not valid")                        \
	X(ERR_QUORUM, "quorum", "a quorum that cannot be met or a token already unlocked")              \
	X(ERR_ATTENDANCE, "attendance", "an attendance entry that is not valid")                        \
	X(ERR_SEPARATION, "separation", "one person in two roles where the script separates them")      \
	X(ERR_NOT_PRESENT, "not-present", "a person who is not present in the role that must act")      \
	X(ERR_NOT_CONFIRMED, "not-confirmed", "a confirmation that was refused or not typed as asked")  \
	X(ERR_REFUSED, "refused", "a participant refused to confirm or sign off, with the reason recorded") \
	X(ERR_ABORTED, "aborted", "the ceremony was aborted (Ctrl-C confirmed, SIGTERM, SIGHUP) and sealed so")  \
	X(ERR_READBACK, "readback", "a value read back that differs from the one shown")                \
	X(ERR_DECISION, "decision", "an answer that is not one of a decision's choices")                \
	X(ERR_SIGNOFF, "signoff", "a sign-off that cannot be signed with the participant's key")        \
	X(ERR_MISSING_ARTIFACT, "missing-artifact", "a reference to an artifact this run did not make") \
	X(ERR_EXPORT, "export", "an export medium that is not mounted or a copy that does not read back") \
	X(ERR_EXPECTATION, "expectation", "a step's Actual that does not match its Expected")       \
	X(ERR_VERIFY, "verify", "a signature step whose result is not what the script expects")         \
	X(ERR_AIRGAP, "airgap", "the workstation is not air-gapped: a network interface, route, radio or resolver")

enum err_code {
#define ERR_ENUM(id, name, meaning) id,
	ERR_CODES(ERR_ENUM)
#undef ERR_ENUM
	ERR_P11,   /* a PKCS#11 return value; the code is its name (token.c) */
	ERR_NONE,  /* after err_clear */
};

enum {
	ERR_CODE_MAX = 48,
	ERR_MSG_MAX = 1024,
};

struct err {
	enum err_code kind;      /* compare this, never the text */
	char code[ERR_CODE_MAX]; /* its name from ERR_CODES, or "CKR_PIN_INCORRECT" for ERR_P11 */
	char msg[ERR_MSG_MAX];
};

/* Sets code and a formatted message; returns -1 so callers can `return err_set(...)`. */
int err_set(struct err *e, enum err_code code, const char *fmt, ...) CER_PRINTF(3, 4);

/* A PKCS#11 failure: code ERR_P11 named ckr (token.c's table). Returns -1. */
int err_set_p11(struct err *e, const char *ckr, const char *fmt, ...) CER_PRINTF(3, 4);

/* Changes the code of an error already set, keeping its message (e.g. an io error
 * that means the module cannot be loaded). */
void err_recode(struct err *e, enum err_code code);

/* The name and meaning of a code from the table (ERR_P11 and out-of-range: NULL). */
const char *err_code_name(enum err_code code);
const char *err_code_meaning(enum err_code code);

/* Prefixes the existing message with context ("loading 'x': " + old). Returns -1. */
int err_wrap(struct err *e, const char *fmt, ...) CER_PRINTF(2, 3);

/* Yes/no functions that can also fail: callers switch on all three. */
enum err_answer { ERR_ANSWER_ERROR = -1, ERR_ANSWER_NO = 0, ERR_ANSWER_YES = 1 };

/* Drains OpenSSL's error queue into e with code "crypto" ("nomem" when OpenSSL
 * ran out of memory); `what` says what failed. Returns -1. */
int err_openssl(struct err *e, const char *what);

/* Sets code "io" with strerror(errno) appended. Returns -1. */
int err_errno(struct err *e, const char *fmt, ...) CER_PRINTF(2, 3);

void err_clear(struct err *e);

#endif
