/* err: the one error type of the runner.
 *
 * Every function that can fail returns int (0 success, -1 failure) marked
 * CER_MUST_CHECK, and fills a caller-owned struct err. The code is a short
 * stable token that goes into the transcript (error { 0: code, 1: message });
 * the message is lower case, no full stop, and says what to do where it can.
 * Foreign error sources are converted in exactly one place each:
 * OpenSSL here (err_openssl), PKCS#11 in token.c (err_p11), libyaml in ynode.c.
 */
#ifndef CER_ERR_H
#define CER_ERR_H

#include <stddef.h>

#define CER_MUST_CHECK __attribute__((warn_unused_result))
#define CER_PRINTF(a, b) __attribute__((format(printf, a, b)))

enum {
	ERR_CODE_MAX = 48,
	ERR_MSG_MAX = 1024,
};

struct err {
	char code[ERR_CODE_MAX]; /* e.g. "script", "io", "crypto", "CKR_PIN_INCORRECT" */
	char msg[ERR_MSG_MAX];
};

/* Sets code and a formatted message; returns -1 so callers can `return err_set(...)`. */
int err_set(struct err *e, const char *code, const char *fmt, ...) CER_PRINTF(3, 4);

/* Prefixes the existing message with context ("loading 'x': " + old). Returns -1. */
int err_wrap(struct err *e, const char *fmt, ...) CER_PRINTF(2, 3);

/* Drains OpenSSL's error queue into e with code "crypto"; `what` says what failed. Returns -1. */
int err_openssl(struct err *e, const char *what);

/* Sets code "io" with strerror(errno) appended. Returns -1. */
int err_errno(struct err *e, const char *fmt, ...) CER_PRINTF(2, 3);

void err_clear(struct err *e);

#endif
