/* x509_read: certificates, requests, CRLs and public keys read back (see x509_read.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include "pem.h"
#include "words.h"
#include "x509_read.h"
#include "hash.h"

/* ------------------------------------------------------------------------- */
/* One object of a known kind. */

X509 *x509_read_cert(const uint8_t *der, size_t len, const char *what, struct err *e)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len) {
		X509_free(x);
		err_openssl(e, "not a DER certificate");
		err_wrap(e, "%s", what);
		return NULL;
	}
	return x;
}

X509_REQ *x509_read_req(const uint8_t *data, size_t len, struct err *e)
{
	struct buf der = {0};
	X509_REQ *r = NULL;
	if (pem_der_of("CERTIFICATE REQUEST", data, len, &der, e)) {
		buf_free(&der);
		return NULL;
	}
	const unsigned char *p = der.p;
	r = d2i_X509_REQ(NULL, &p, (long)der.len);
	if (!r || p != der.p + der.len) {
		X509_REQ_free(r);
		r = NULL;
		err_openssl(e, "the certificate request is not a DER or PEM PKCS#10 request");
	}
	buf_free(&der);
	return r;
}

/* RFC 2986 §3: the request is signed with the private key of the key it carries;
 * a request whose signature does not verify proves nothing about who asked. */
int x509_req_verify(X509_REQ *r, struct err *e)
{
	EVP_PKEY *k = X509_REQ_get0_pubkey(r);
	if (!k)
		return err_openssl(e, "the certificate request's public key cannot be read");
	if (X509_REQ_verify(r, k) != 1) {
		ERR_clear_error();
		return err_set(e, ERR_X509, "the certificate request's signature does not verify with its own public key: "
					  "it was altered or not signed by that key; nothing was signed");
	}
	return 0;
}

int x509_csr_verify(const uint8_t *data, size_t len, struct err *e)
{
	X509_REQ *r = x509_read_req(data, len, e);
	int ret = r ? x509_req_verify(r, e) : -1;
	X509_REQ_free(r);
	return ret;
}

/* ------------------------------------------------------------------------- */
/* What the PKI steps output. */

static void hex_of(const ASN1_STRING *s, char *out, size_t cap)
{
	out[0] = 0;
	if (s)
		words_hex(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), out, cap);
}

const char *x509_name_text(const X509_NAME *n, char *out, size_t cap)
{
	BIO *b;
	char *data;
	long len;
	if (!n) {
		snprintf(out, cap, "(unreadable name)");
		return out;
	}
	b = BIO_new(BIO_s_mem());
	out[0] = 0;
	/* RFC 2253 order and escaping, but UTF-8 shown as is rather than as \XX. */
	if (!b || X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
		BIO_free(b);
		ERR_clear_error();
		return out;
	}
	len = BIO_get_mem_data(b, &data);
	snprintf(out, cap, "%.*s", (int)len, data);
	BIO_free(b);
	return out;
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
	uint8_t h[32];
	hash_sha256(p, n, h);
	words_hex(h, sizeof h, out, 65);
}

static void pubkey_hex(X509_PUBKEY *pk, char out[65])
{
	unsigned char *der = NULL;
	int n = i2d_X509_PUBKEY(pk, &der);
	out[0] = 0;
	if (n > 0)
		sha256_hex(der, (size_t)n, out);
	OPENSSL_free(der);
}

int x509_cert_info(const uint8_t *der, size_t len, struct x509_info *o, struct err *e)
{
	X509 *x = x509_read_cert(der, len, "certificate", e);
	BIGNUM *bn = NULL;
	char *hex = NULL;
	if (!x)
		return -1;
	memset(o, 0, sizeof *o);
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) && (hex = BN_bn2hex(bn)))
		snprintf(o->serial, sizeof o->serial, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	x509_name_text(X509_get_subject_name(x), o->subject, sizeof o->subject);
	x509_name_text(X509_get_issuer_name(x), o->issuer, sizeof o->issuer);
	o->t_not_before = x509_asn1_time(X509_get0_notBefore(x));
	o->t_not_after = x509_asn1_time(X509_get0_notAfter(x));
	x509_time_format(o->t_not_before, o->not_before);
	x509_time_format(o->t_not_after, o->not_after);
	hex_of(X509_get0_subject_key_id(x), o->ski, sizeof o->ski);
	hex_of(X509_get0_authority_key_id(x), o->aki, sizeof o->aki);
	o->ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
	o->pathlen = o->ca ? (int)X509_get_pathlen(x) : -1;
	sha256_hex(der, len, o->sha256);
	pubkey_hex(X509_get_X509_PUBKEY(x), o->public_key_sha256);
	X509_free(x);
	ERR_clear_error();
	return 0;
}

int x509_csr_info(const uint8_t *der, size_t len, struct x509_info *o, struct err *e)
{
	X509_REQ *r = x509_read_req(der, len, e);
	if (!r)
		return -1;
	memset(o, 0, sizeof *o);
	o->pathlen = -1;
	x509_name_text(X509_REQ_get_subject_name(r), o->subject, sizeof o->subject);
	sha256_hex(der, len, o->sha256);
	pubkey_hex(X509_REQ_get_X509_PUBKEY(r), o->public_key_sha256);
	X509_REQ_free(r);
	return 0;
}

int x509_crl_info(const uint8_t *der, size_t len, struct x509_info *o, struct err *e)
{
	const unsigned char *p = der;
	X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)len);
	ASN1_INTEGER *num = NULL;
	AUTHORITY_KEYID *akid = NULL;
	BIGNUM *bn = NULL;
	char *dec = NULL;
	if (!c || p != der + len) {
		X509_CRL_free(c);
		return err_openssl(e, "not a DER CRL");
	}
	memset(o, 0, sizeof *o);
	o->pathlen = -1;
	x509_name_text(X509_CRL_get_issuer(c), o->issuer, sizeof o->issuer);
	o->t_not_before = x509_asn1_time(X509_CRL_get0_lastUpdate(c));
	o->t_not_after = x509_asn1_time(X509_CRL_get0_nextUpdate(c));
	x509_time_format(o->t_not_before, o->not_before);
	x509_time_format(o->t_not_after, o->not_after);
	if ((num = X509_CRL_get_ext_d2i(c, NID_crl_number, NULL, NULL)) && (bn = ASN1_INTEGER_to_BN(num, NULL)) &&
	    (dec = BN_bn2dec(bn)))
		snprintf(o->number, sizeof o->number, "%s", dec);
	if ((akid = X509_CRL_get_ext_d2i(c, NID_authority_key_identifier, NULL, NULL)))
		hex_of(akid->keyid, o->aki, sizeof o->aki);
	STACK_OF(X509_REVOKED) *rv = X509_CRL_get_REVOKED(c);
	o->n_revoked = rv ? (size_t)sk_X509_REVOKED_num(rv) : 0;
	sha256_hex(der, len, o->sha256);
	OPENSSL_free(dec);
	BN_free(bn);
	ASN1_INTEGER_free(num);
	AUTHORITY_KEYID_free(akid);
	X509_CRL_free(c);
	ERR_clear_error();
	return 0;
}

/* ------------------------------------------------------------------------- */
/* An object of any kind. */

void x509_obj_free(struct x509_obj *o)
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
static enum x509_obj_kind parse_der(const uint8_t *data, size_t len, struct x509_obj *o)
{
	const unsigned char *p;
	long l = (long)len;
	if (len == 0 || len > 16 * 1024 * 1024)
		return X509_OBJ_UNKNOWN;
	p = data;
	if ((o->cert = d2i_X509(NULL, &p, l)) && p == data + len) {
		o->pub = X509_get_pubkey(o->cert);
		return X509_OBJ_CERT;
	}
	X509_free(o->cert);
	o->cert = NULL;
	p = data;
	if ((o->crl = d2i_X509_CRL(NULL, &p, l)) && p == data + len)
		return X509_OBJ_CRL;
	X509_CRL_free(o->crl);
	o->crl = NULL;
	p = data;
	if ((o->csr = d2i_X509_REQ(NULL, &p, l)) && p == data + len)
		return X509_OBJ_CSR;
	X509_REQ_free(o->csr);
	o->csr = NULL;
	p = data;
	if ((o->pub = d2i_PUBKEY(NULL, &p, l)) && p == data + len)
		return X509_OBJ_PUBKEY;
	EVP_PKEY_free(o->pub);
	o->pub = NULL;
	return X509_OBJ_UNKNOWN;
}

int x509_obj_parse(const uint8_t *data, size_t len, struct x509_obj *o, struct err *e)
{
	static const struct {
		const char *label;
		enum x509_obj_kind kind;
	} labels[] = {
		{"CERTIFICATE", X509_OBJ_CERT}, {"X509 CERTIFICATE", X509_OBJ_CERT}, {"X509 CRL", X509_OBJ_CRL},
		{"CERTIFICATE REQUEST", X509_OBJ_CSR}, {"NEW CERTIFICATE REQUEST", X509_OBJ_CSR}, {"PUBLIC KEY", X509_OBJ_PUBKEY},
	};
	enum x509_obj_kind want = X509_OBJ_UNKNOWN;
	struct buf der = {0};
	char *name = NULL;
	int ret = -1;
	memset(o, 0, sizeof *o);
	if (!pem_is(data, len)) {
		o->kind = parse_der(data, len, o);
		if (o->kind != X509_OBJ_UNKNOWN && buf_append(&o->der, data, len, e)) {
			x509_obj_free(o);
			return -1;
		}
		/* Parsing attempts that failed leave errors behind; they are not ours to report. */
		ERR_clear_error();
		return 0;
	}
	if (pem_read(data, len, "cannot read the PEM text", &name, &der, e))
		goto out;
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (!strcmp(name, labels[i].label))
			want = labels[i].kind;
	if (want == X509_OBJ_UNKNOWN) {
		/* Another kind of PEM block (a private key, a PKCS#7...): not one of ours. */
		ret = 0;
		goto out;
	}
	o->kind = parse_der(der.p, der.len, o);
	if (o->kind != want) {
		x509_obj_free(o);
		err_set(e, ERR_CRYPTO, "the PEM block '%s' does not hold a readable certificate, CRL, request or public key",
			name);
		goto out;
	}
	o->was_pem = true;
	o->der = der;   /* moved */
	der = (struct buf){0};
	ret = 0;
out:
	ERR_clear_error();
	free(name);
	buf_free(&der);
	return ret;
}

const char *x509_obj_kind_name(enum x509_obj_kind k)
{
	switch (k) {
	case X509_OBJ_CERT:
		return "certificate";
	case X509_OBJ_CRL:
		return "CRL";
	case X509_OBJ_CSR:
		return "certificate request";
	case X509_OBJ_PUBKEY:
		return "public key";
	default:
		return "unknown";
	}
}

const char *x509_obj_pem_label(enum x509_obj_kind k)
{
	switch (k) {
	case X509_OBJ_CERT:
		return "CERTIFICATE";
	case X509_OBJ_CRL:
		return "X509 CRL";
	case X509_OBJ_CSR:
		return "CERTIFICATE REQUEST";
	case X509_OBJ_PUBKEY:
		return "PUBLIC KEY";
	default:
		return NULL;
	}
}

int x509_obj_pem(const struct x509_obj *o, struct buf *out, struct err *e)
{
	const char *label = x509_obj_pem_label(o->kind);
	if (!label)
		return err_set(e, ERR_INTERNAL, "no PEM form for an unknown object");
	return pem_write(label, o->der.p, o->der.len, out, e);
}

const char *x509_pubkey_name(EVP_PKEY *k, char *buf, size_t len)
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
		/* A provider's key (ML-DSA in OpenSSL 3.5): named as scripts name it. */
		const char *n = EVP_PKEY_get0_type_name(k);
		snprintf(buf, len, "%s", EVP_PKEY_is_a(k, "ML-DSA-65") ? "ml-dsa-65" : n ? n : "unknown");
	}
	}
	ERR_clear_error();
	return buf;
}

const char *x509_alg_name(const X509_ALGOR *a, char *buf, size_t len)
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

const char *x509_asn1_time_text(const ASN1_TIME *t, char *buf, size_t len)
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

/* ------------------------------------------------------------------------- */
/* Time. */

int64_t x509_asn1_time(const ASN1_TIME *t)
{
	struct tm tm;
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

int x509_time_parse(const char *s, int64_t *t)
{
	struct tm tm = {0}, back;
	int y, mo, d, h, mi, se;
	char z;
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	if (strlen(s) != sizeof shape - 1)
		return -1;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return -1;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &z) != 7 || y < 1950)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	time_t v = timegm(&tm);
	/* timegm normalises 2026-02-30 to March: a date that does not come back is not a date. */
	if (!gmtime_r(&v, &back) || back.tm_year != tm.tm_year || back.tm_mon != mo - 1 || back.tm_mday != d ||
	    back.tm_hour != h || back.tm_min != mi || back.tm_sec != se)
		return -1;
	*t = (int64_t)v;
	return 0;
}

void x509_time_format(int64_t t, char out[24])
{
	struct tm tm;
	time_t v = (time_t)t;
	if (!gmtime_r(&v, &tm) || !strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 24, "?");
}

enum err_answer x509_obj_signed_by(const struct x509_obj *o, EVP_PKEY *key, struct err *e)
{
	int rc = -1;
	switch (o->kind) {
	case X509_OBJ_CERT:
		rc = key ? X509_verify(o->cert, key) : -1;
		break;
	case X509_OBJ_CRL:
		rc = key ? X509_CRL_verify(o->crl, key) : -1;
		break;
	case X509_OBJ_CSR: {
		EVP_PKEY *own = X509_REQ_get0_pubkey(o->csr);
		rc = own ? X509_REQ_verify(o->csr, own) : -1;
		break;
	}
	default:
		break;
	}
	if (rc == 1) {
		ERR_clear_error();
		return ERR_ANSWER_YES;
	}
	if (rc == 0) {
		ERR_clear_error();
		return ERR_ANSWER_NO;
	}
	err_openssl(e, "checking the signature");
	return ERR_ANSWER_ERROR;
}

void x509_obj_names(const struct x509_obj *o, char *issuer, size_t icap, char *subject, size_t scap)
{
	issuer[0] = subject[0] = 0;
	if (o->kind == X509_OBJ_CERT) {
		x509_name_text(X509_get_issuer_name(o->cert), issuer, icap);
		x509_name_text(X509_get_subject_name(o->cert), subject, scap);
	} else if (o->kind == X509_OBJ_CRL) {
		x509_name_text(X509_CRL_get_issuer(o->crl), issuer, icap);
	} else if (o->kind == X509_OBJ_CSR) {
		x509_name_text(X509_REQ_get_subject_name(o->csr), subject, scap);
	}
}
