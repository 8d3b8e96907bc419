#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include "err.h"

static const struct {
	const char *name, *meaning;
} codes[] = {
#define ERR_ROW(id, name, meaning) [id] = {name, meaning},
	ERR_CODES(ERR_ROW)
#undef ERR_ROW
};

const char *err_code_name(enum err_code code)
{
	return (size_t)code < sizeof codes / sizeof codes[0] ? codes[code].name : NULL;
}

const char *err_code_meaning(enum err_code code)
{
	return (size_t)code < sizeof codes / sizeof codes[0] ? codes[code].meaning : NULL;
}

void err_recode(struct err *e, enum err_code code)
{
	const char *name = err_code_name(code);
	e->kind = code;
	snprintf(e->code, sizeof e->code, "%s", name ? name : "internal");
}

int err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
	va_list ap;
	err_recode(e, code);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int err_set_p11(struct err *e, const char *ckr, const char *fmt, ...)
{
	va_list ap;
	e->kind = ERR_P11;
	snprintf(e->code, sizeof e->code, "%s", ckr);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int err_wrap(struct err *e, const char *fmt, ...)
{
	char prefix[ERR_MSG_MAX], old[ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof old);
	/* Truncation is acceptable here: the message stays NUL-terminated. */
	if (snprintf(e->msg, sizeof e->msg, "%s: %s", prefix, old) < 0)
		e->msg[0] = 0;
	return -1;
}

int err_openssl(struct err *e, const char *what)
{
	char detail[512] = "";
	size_t used = 0;
	unsigned long code;
	bool nomem = false;
	/* Drain the whole queue so a later failure does not report a stale error. */
	while ((code = ERR_get_error()) != 0) {
		/* OpenSSL out of memory is ours too: no "crypto" verdict made of it. */
		if (ERR_GET_REASON(code) == ERR_R_MALLOC_FAILURE)
			nomem = true;
		if (used < sizeof detail - 4) {
			char one[256];
			ERR_error_string_n(code, one, sizeof one);
			used += (size_t)snprintf(detail + used, sizeof detail - used, "%s%s", used ? "; " : "", one);
		}
	}
	return err_set(e, nomem ? ERR_NOMEM : ERR_CRYPTO, "%s%s%s", what, detail[0] ? ": " : "", detail);
}

int err_errno(struct err *e, const char *fmt, ...)
{
	int saved = errno;
	char what[ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return err_set(e, ERR_IO, "%s: %s", what, strerror(saved));
}

void err_clear(struct err *e)
{
	e->kind = ERR_NONE;
	e->code[0] = 0;
	e->msg[0] = 0;
}
