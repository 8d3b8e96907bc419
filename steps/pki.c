/* pki: public artifacts read back into OpenSSL objects (see pki.h). */
#include <stdio.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "pki.h"
#include "../runner/x509.h"

void pki_obj_free(struct pki_obj *o)
{
	if (!o)
		return;
	X509_free(o->cert);
	X509_CRL_free(o->crl);
	X509_REQ_free(o->csr);
	EVP_PKEY_free(o->pub);
	buf_free(&o->der);
	memset(o, 0, sizeof *o);
}

/* DER of a known kind; the whole input must be that one object (no trailing bytes). */
static enum pki_kind parse_der(const uint8_t *data, size_t len, struct pki_obj *o)
{
	const unsigned char *p;
	long l = (long)len;
	if (len == 0 || len > 16 * 1024 * 1024)
		return PKI_UNKNOWN;
	p = data;
	if ((o->cert = d2i_X509(NULL, &p, l)) && p == data + len) {
		o->pub = X509_get_pubkey(o->cert);
		return PKI_CERT;
	}
	X509_free(o->cert);
	o->cert = NULL;
	p = data;
	if ((o->crl = d2i_X509_CRL(NULL, &p, l)) && p == data + len)
		return PKI_CRL;
	X509_CRL_free(o->crl);
	o->crl = NULL;
	p = data;
	if ((o->csr = d2i_X509_REQ(NULL, &p, l)) && p == data + len)
		return PKI_CSR;
	X509_REQ_free(o->csr);
	o->csr = NULL;
	p = data;
	if ((o->pub = d2i_PUBKEY(NULL, &p, l)) && p == data + len)
		return PKI_PUBKEY;
	EVP_PKEY_free(o->pub);
	o->pub = NULL;
	return PKI_UNKNOWN;
}

static bool looks_pem(const uint8_t *data, size_t len)
{
	size_t i = 0;
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	return len - i >= 11 && !memcmp(data + i, "-----BEGIN ", 11);
}

int pki_parse(const uint8_t *data, size_t len, struct pki_obj *o, struct err *e)
{
	memset(o, 0, sizeof *o);
	if (!looks_pem(data, len)) {
		o->kind = parse_der(data, len, o);
		if (o->kind != PKI_UNKNOWN && buf_append(&o->der, data, len, e)) {
			pki_obj_free(o);
			return -1;
		}
		/* Parsing attempts that failed leave errors behind; they are not ours to report. */
		ERR_clear_error();
		return 0;
	}
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long dlen = 0;
	int ret = -1;
	if (!bio || PEM_read_bio(bio, &name, &header, &der, &dlen) != 1) {
		err_openssl(e, "cannot read the PEM text");
		goto out;
	}
	static const struct {
		const char *label;
		enum pki_kind kind;
	} labels[] = {
		{"CERTIFICATE", PKI_CERT}, {"X509 CERTIFICATE", PKI_CERT}, {"X509 CRL", PKI_CRL},
		{"CERTIFICATE REQUEST", PKI_CSR}, {"NEW CERTIFICATE REQUEST", PKI_CSR}, {"PUBLIC KEY", PKI_PUBKEY},
	};
	enum pki_kind want = PKI_UNKNOWN;
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (!strcmp(name, labels[i].label))
			want = labels[i].kind;
	if (want == PKI_UNKNOWN) {
		/* Another kind of PEM block (a private key, a PKCS#7...): not one of ours. */
		ret = 0;
		goto out;
	}
	o->kind = parse_der(der, (size_t)dlen, o);
	if (o->kind != want) {
		pki_obj_free(o);
		err_set(e, ERR_CRYPTO, "the PEM block '%s' does not hold a readable certificate, CRL, request or public key",
			name);
		goto out;
	}
	o->was_pem = true;
	if (buf_append(&o->der, der, (size_t)dlen, e)) {
		pki_obj_free(o);
		goto out;
	}
	ret = 0;
out:
	ERR_clear_error();
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	return ret;
}

const char *pki_kind_name(enum pki_kind k)
{
	switch (k) {
	case PKI_CERT:
		return "certificate";
	case PKI_CRL:
		return "CRL";
	case PKI_CSR:
		return "certificate request";
	case PKI_PUBKEY:
		return "public key";
	default:
		return "unknown";
	}
}

const char *pki_pem_label(enum pki_kind k)
{
	switch (k) {
	case PKI_CERT:
		return "CERTIFICATE";
	case PKI_CRL:
		return "X509 CRL";
	case PKI_CSR:
		return "CERTIFICATE REQUEST";
	case PKI_PUBKEY:
		return "PUBLIC KEY";
	default:
		return NULL;
	}
}

int pki_pem(const struct pki_obj *o, struct buf *out, struct err *e)
{
	const char *label = pki_pem_label(o->kind);
	BIO *bio;
	char *p;
	int ret = -1;
	if (!label)
		return err_set(e, ERR_INTERNAL, "no PEM form for an unknown object");
	if (!(bio = BIO_new(BIO_s_mem())))
		return err_openssl(e, "out of memory");
	/* PEM_write_bio wraps the base64 at 64 columns, as RFC 7468 §2 asks. */
	if (PEM_write_bio(bio, label, "", o->der.p, (long)o->der.len) <= 0) {
		err_openssl(e, "cannot encode PEM");
		goto out;
	}
	long n = BIO_get_mem_data(bio, &p);
	ret = buf_append(out, p, (size_t)n, e);
out:
	BIO_free(bio);
	return ret;
}

const char *pki_key_name(EVP_PKEY *k, char *buf, size_t len)
{
	char group[64] = "";
	size_t glen = 0;
	if (!k) {
		snprintf(buf, len, "(none)");
		return buf;
	}
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) != 1)
			snprintf(group, sizeof group, "unknown-curve");
		if (!strcmp(group, "prime256v1") || !strcmp(group, "P-256"))
			snprintf(buf, len, "ec-p256");
		else if (!strcmp(group, "secp384r1") || !strcmp(group, "P-384"))
			snprintf(buf, len, "ec-p384");
		else if (!strcmp(group, "secp521r1") || !strcmp(group, "P-521"))
			snprintf(buf, len, "ec-p521");
		else
			snprintf(buf, len, "ec-%s", group);
		break;
	case EVP_PKEY_ED25519:
		snprintf(buf, len, "ed25519");
		break;
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		snprintf(buf, len, "rsa-%d", EVP_PKEY_get_bits(k));
		break;
	default: {
		const char *n = EVP_PKEY_get0_type_name(k);
		snprintf(buf, len, "%s", n ? n : "unknown");
	}
	}
	ERR_clear_error();
	return buf;
}

const char *pki_name_text(const X509_NAME *n, char *buf, size_t len)
{
	snprintf(buf, len, "(unreadable name)");
	return n ? x509_name_text(n, buf, len) : buf;
}

const char *pki_alg_name(const X509_ALGOR *a, char *buf, size_t len)
{
	const ASN1_OBJECT *obj = NULL;
	snprintf(buf, len, "(none)");
	if (!a)
		return buf;
	X509_ALGOR_get0(&obj, NULL, NULL, a);
	if (obj && OBJ_obj2txt(buf, (int)len, obj, 0) <= 0)
		snprintf(buf, len, "(unknown)");
	return buf;
}

const char *pki_time_text(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1) {
		snprintf(buf, len, "(none)");
		return buf;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
	return buf;
}
