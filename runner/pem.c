/* pem: PEM text written and read (see pem.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include "ossl.h"
#include "pem.h"

int pem_write(const char *label, const uint8_t *der, size_t len, struct buf *out, struct err *e)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int ret = -1;
	/* PEM_write_bio wraps the base64 at 64 columns, as RFC 7468 §2 asks. */
	if (!b || PEM_write_bio(b, label, "", der, (long)len) <= 0) {
		err_openssl(e, "encoding PEM");
		goto out;
	}
	n = BIO_get_mem_data(b, &data);
	ret = buf_append(out, data, (size_t)n, e);
out:
	BIO_free(b);
	return ret;
}

bool pem_is(const uint8_t *data, size_t len)
{
	static const char begin[] = "-----BEGIN ";
	size_t skip = 0;
	while (skip < len && isspace(data[skip]))
		skip++;
	return len - skip >= sizeof begin - 1 && !memcmp(data + skip, begin, sizeof begin - 1);
}

int pem_read(const uint8_t *data, size_t len, const char *what, char **label, struct buf *der, struct err *e)
{
	BIO *b = BIO_new_mem_buf(data, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *d = NULL;
	long dl = 0;
	size_t before = der->len;
	int ret = -1;
	*label = NULL;
	if (ossl_ptr(b, e, what) || ossl_rc(PEM_read_bio(b, &name, &header, &d, &dl), e, what))
		goto out;
	if (!(*label = strdup(name))) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (buf_append(der, d, (size_t)dl, e)) {
		free(*label);
		*label = NULL;
		der->len = before;
		goto out;
	}
	ret = 0;
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(d);
	BIO_free(b);
	return ret;
}

int pem_der_of(const char *label, const uint8_t *data, size_t len, struct buf *der, struct err *e)
{
	char *name = NULL;
	size_t before = der->len;
	int ret = -1;
	if (!pem_is(data, len))
		return buf_append(der, data, len, e);
	if (pem_read(data, len, "reading PEM", &name, der, e))
		return -1;
	/* Older tools label requests "NEW CERTIFICATE REQUEST" (RFC 7468 §7). */
	if (strcmp(name, label) && !(!strcmp(label, "CERTIFICATE REQUEST") && !strcmp(name, "NEW CERTIFICATE REQUEST"))) {
		err_set(e, ERR_X509, "expected PEM '%s', found '%s'", label, name);
		der->len = before;
		goto out;
	}
	ret = 0;
out:
	free(name);
	return ret;
}
