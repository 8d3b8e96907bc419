/* p11mldsa_testonly: a TEST-ONLY PKCS#11 module that gives SoftHSM2 ML-DSA key pairs.
 *
 * TEST-ONLY. Built by the Makefile as build/tests/p11-mldsa-TESTONLY.so for `make
 * check`; never installed, never linked into ceremony, and not a product: its
 * private keys are kept in a plain file beside the token store (below), which no
 * HSM would do. It exists because no packaged PKCS#11 token has ML-DSA (SoftHSM
 * 2.6.1 in Debian 12 and 13 has none), while the HSMs seed 004's company would buy
 * offer it through PKCS#11 3.2; with it the ML-DSA-65 ceremonies rehearse end to end.
 *
 * It dlopens the real module (CEREMONY_MLDSA_MODULE, default Debian's SoftHSM; the
 * fault shim p11shim.so may sit between) and hands out a copy of its function list
 * with the calls below wrapped. C_GetInfo is the real module's, so ceremony
 * rehearse takes it for the SoftHSM it is. Everything about other keys is SoftHSM's;
 * on top of it, with OpenSSL 3.5 or later underneath (ML-DSA in the default
 * provider), and only then:
 *   - C_GetMechanismList adds CKM_ML_DSA_KEY_PAIR_GEN and CKM_ML_DSA (PKCS#11 3.2
 *     §6.67); with an older OpenSSL the module adds nothing and is SoftHSM itself;
 *   - C_GenerateKeyPair(CKM_ML_DSA_KEY_PAIR_GEN) makes the pair in the module (a
 *     32-byte seed, FIPS 204 ML-DSA.KeyGen_internal through OpenSSL) for the
 *     CKA_PARAMETER_SET of the public template (CKP_ML_DSA_44, _65, _87);
 *   - both keys answer C_GetAttributeValue as an HSM does: CKA_CLASS, CKA_KEY_TYPE
 *     CKK_ML_DSA, CKA_TOKEN, CKA_PRIVATE, CKA_LABEL, CKA_ID, CKA_PARAMETER_SET,
 *     CKA_LOCAL, CKA_KEY_GEN_MECHANISM, CKA_PUBLIC_KEY_INFO, the public key's
 *     CKA_VALUE (FIPS 204 pkEncode), the private key's CKA_SENSITIVE,
 *     CKA_EXTRACTABLE, CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE, CKA_SIGN,
 *     CKA_WRAP_WITH_TRUSTED; its CKA_VALUE and CKA_SEED are never given out
 *     (CKR_ATTRIBUTE_SENSITIVE, whatever CKA_SENSITIVE says);
 *   - C_FindObjects finds them beside SoftHSM's (private ones only when logged in);
 *   - C_SignInit/C_Sign with CKM_ML_DSA: pure ML-DSA over the message (FIPS 204
 *     ML-DSA.Sign), with an optional CK_SIGN_ADDITIONAL_CONTEXT (context, hedging);
 *   - C_WrapKey / C_UnwrapKey with a SoftHSM wrapping key (CKM_AES_KEY_WRAP_PAD,
 *     any mechanism SoftHSM wraps secret keys with): the wrapped bytes are the
 *     PKCS#8 PrivateKeyInfo of the seed (RFC 9881), wrapped by SoftHSM itself
 *     through a session object that lives for the one call; an extractable key
 *     only, and with CKA_WRAP_WITH_TRUSTED only under a CKA_TRUSTED wrapping key;
 *   - C_DestroyObject, and C_InitToken clears them with the token.
 * Token objects persist with the token: DIR/mldsa-TESTONLY-SERIAL.keys, DIR the
 * directories.tokendir of SOFTHSM2_CONF (so a copied token store carries them).
 */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#include "runner/token.h"   /* the PKCS#11 3.2 values p11-kit's header lacks */

#define REAL_DEFAULT "/usr/lib/softhsm/libsofthsm2.so"
#define HANDLE_BASE 0x6d6c0000UL   /* "ml": far above SoftHSM's handles */
#define MAX_OBJ 256
#define MAX_SESS 128
#define SEED_LEN 32
#define PK_MAX 2592
#ifndef CKR_PARAMETER_SET_NOT_SUPPORTED
#define CKR_PARAMETER_SET_NOT_SUPPORTED 0x209UL
#endif
#ifndef CKA_SEED
#define CKA_SEED 0x61cUL
#endif
/* PKCS#11 3.2 §6.67.4 CK_SIGN_ADDITIONAL_CONTEXT. */
struct sign_ctx_param {
	CK_ULONG hedge;   /* 0 preferred, 1 required, 2 deterministic required */
	CK_BYTE_PTR ctx;
	CK_ULONG ctx_len;
};

static const struct pset {
	CK_ULONG id;
	const char *name;
	size_t pk_len, sig_len;
	uint8_t oid_last;   /* 2.16.840.1.101.3.4.3.(17|18|19) */
} psets[] = {
	{CKP_ML_DSA_44, "ML-DSA-44", 1312, 2420, 17},
	{CKP_ML_DSA_65, "ML-DSA-65", 1952, 3309, 18},
	{CKP_ML_DSA_87, "ML-DSA-87", 2592, 4627, 19},
};

struct obj {
	bool used, token, priv, sensitive, extractable, wwt, local, always_sensitive, never_extractable, sign, verify;
	CK_OBJECT_CLASS cls;
	const struct pset *ps;
	char serial[17];
	CK_SESSION_HANDLE owner;   /* a session object's session */
	uint8_t label[256], id[256];
	size_t label_len, id_len;
	uint8_t pk[PK_MAX];
	uint8_t seed[SEED_LEN];    /* the private key's */
};

struct sess {
	CK_SESSION_HANDLE h;
	char serial[17];
	CK_OBJECT_HANDLE found[MAX_OBJ];
	size_t n_found, next_found;
	bool finding;
	CK_OBJECT_HANDLE signing;  /* 0: no ML-DSA operation */
	struct sign_ctx_param sp;
	uint8_t sp_ctx[255];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static CK_FUNCTION_LIST_PTR real;
static CK_FUNCTION_LIST list;
static struct obj objs[MAX_OBJ];
static struct sess sessions[MAX_SESS];
static char loaded[MAX_SESS][17];   /* the serials whose store file was read */
static size_t n_loaded;

static bool have_mldsa(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30500000L
	return OpenSSL_version_num() >= 0x30500000L;
#else
	return false;
#endif
}

static CK_OBJECT_HANDLE handle_of(const struct obj *o)
{
	return HANDLE_BASE + (CK_OBJECT_HANDLE)(o - objs) + 1;
}

static struct obj *obj_of(CK_OBJECT_HANDLE h)
{
	if (h <= HANDLE_BASE || h > HANDLE_BASE + MAX_OBJ || !objs[h - HANDLE_BASE - 1].used)
		return NULL;
	return &objs[h - HANDLE_BASE - 1];
}

static struct sess *sess_of(CK_SESSION_HANDLE h)
{
	for (size_t i = 0; i < MAX_SESS; i++)
		if (sessions[i].h == h && h)
			return &sessions[i];
	return NULL;
}

static void wipe_obj(struct obj *o)
{
	OPENSSL_cleanse(o, sizeof *o);
}

static void serial_of(CK_SLOT_ID slot, char out[17])
{
	CK_TOKEN_INFO ti;
	out[0] = 0;
	if (real->C_GetTokenInfo(slot, &ti) != CKR_OK)
		return;
	memcpy(out, ti.serialNumber, 16);
	out[16] = 0;
	for (int i = 15; i >= 0 && out[i] == ' '; i--)
		out[i] = 0;
}

/* --- the store: DIR/mldsa-TESTONLY-SERIAL.keys, one line a token object --------- */

static int store_path(const char *serial, char *out, size_t len)
{
	const char *conf = getenv("SOFTHSM2_CONF");
	char line[4096], dir[3072] = "";
	FILE *f = fopen(conf && *conf ? conf : "/etc/softhsm/softhsm2.conf", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, "directories.tokendir", 20))
			continue;
		p = strchr(p, '=');
		if (!p)
			continue;
		for (p++; isspace((unsigned char)*p); p++)
			;
		size_t n = strcspn(p, "\r\n");
		while (n && isspace((unsigned char)p[n - 1]))
			n--;
		if (n < sizeof dir)
			snprintf(dir, sizeof dir, "%.*s", (int)n, p);
	}
	fclose(f);
	if (!dir[0] || !serial[0] || strchr(serial, '/'))
		return -1;
	return (size_t)snprintf(out, len, "%s/mldsa-TESTONLY-%s.keys", dir, serial) < len ? 0 : -1;
}

static void hex_put(FILE *f, const uint8_t *p, size_t n)
{
	fputc(' ', f);
	if (!n)
		fputc('-', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static size_t hex_get(const char *s, uint8_t *out, size_t max, bool *ok)
{
	size_t n = 0;
	if (!strcmp(s, "-"))
		return 0;
	if (strlen(s) % 2 || strlen(s) / 2 > max) {
		*ok = false;
		return 0;
	}
	for (; s[0] && s[1]; s += 2) {
		unsigned v;
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) || sscanf(s, "%2x", &v) != 1) {
			*ok = false;
			return 0;
		}
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* Writes the token objects of serial (a new file, then renamed over the old). */
static void store_save(const char *serial)
{
	char path[4096], tmp[4200];
	if (store_path(serial, path, sizeof path))
		return;
	snprintf(tmp, sizeof tmp, "%s.new", path);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "p11mldsa: cannot write %s: %s\n", tmp, strerror(errno));
		return;
	}
	for (size_t i = 0; i < MAX_OBJ; i++) {
		const struct obj *o = &objs[i];
		if (!o->used || !o->token || strcmp(o->serial, serial))
			continue;
		fprintf(f, "%s %lu %d%d%d%d%d%d%d%d%d%d", o->cls == CKO_PRIVATE_KEY ? "private" : "public",
			(unsigned long)o->ps->id, o->priv, o->sensitive, o->extractable, o->wwt, o->local,
			o->always_sensitive, o->never_extractable, o->sign, o->verify, 0);
		hex_put(f, o->label, o->label_len);
		hex_put(f, o->id, o->id_len);
		hex_put(f, o->pk, o->ps->pk_len);
		hex_put(f, o->seed, o->cls == CKO_PRIVATE_KEY ? SEED_LEN : 0);
		fputc('\n', f);
	}
	if (fclose(f) || rename(tmp, path))
		fprintf(stderr, "p11mldsa: cannot save %s: %s\n", path, strerror(errno));
}

static struct obj *obj_new(void)
{
	for (size_t i = 0; i < MAX_OBJ; i++)
		if (!objs[i].used) {
			memset(&objs[i], 0, sizeof objs[i]);
			objs[i].used = true;
			return &objs[i];
		}
	return NULL;
}

/* Reads serial's file once a process (its objects then live in objs). */
static void store_load(const char *serial)
{
	char path[4096];
	static char line[16384];
	if (!serial[0])
		return;
	for (size_t i = 0; i < n_loaded; i++)
		if (!strcmp(loaded[i], serial))
			return;
	if (n_loaded < MAX_SESS)
		snprintf(loaded[n_loaded++], sizeof loaded[0], "%s", serial);
	if (store_path(serial, path, sizeof path))
		return;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char kind[16], flags[16], label[600], id[600], pk[2 * PK_MAX + 2], seed[80];
		unsigned long ps;
		bool ok = true;
		if (sscanf(line, "%15s %lu %15s %599s %599s %5185s %79s", kind, &ps, flags, label, id, pk, seed) != 7 ||
		    strlen(flags) != 10)
			continue;
		struct obj *o = obj_new();
		if (!o)
			break;
		for (size_t i = 0; i < sizeof psets / sizeof psets[0]; i++)
			if (psets[i].id == ps)
				o->ps = &psets[i];
		o->cls = !strcmp(kind, "private") ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY;
		o->token = true;
		snprintf(o->serial, sizeof o->serial, "%s", serial);
		bool *b[] = {&o->priv, &o->sensitive, &o->extractable, &o->wwt, &o->local, &o->always_sensitive,
			     &o->never_extractable, &o->sign, &o->verify};
		for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
			*b[i] = flags[i] == '1';
		o->label_len = hex_get(label, o->label, sizeof o->label, &ok);
		o->id_len = hex_get(id, o->id, sizeof o->id, &ok);
		if (!o->ps || hex_get(pk, o->pk, sizeof o->pk, &ok) != o->ps->pk_len ||
		    (o->cls == CKO_PRIVATE_KEY && hex_get(seed, o->seed, sizeof o->seed, &ok) != SEED_LEN) || !ok) {
			fprintf(stderr, "p11mldsa: %s: a line it cannot read (left out)\n", path);
			wipe_obj(o);
		}
	}
	OPENSSL_cleanse(line, sizeof line);
	fclose(f);
}

/* --- ML-DSA through OpenSSL ------------------------------------------------------ */

#if OPENSSL_VERSION_NUMBER >= 0x30500000L
#include <openssl/core_names.h>
#include <openssl/params.h>

static EVP_PKEY *pkey_of_seed(const struct pset *ps, const uint8_t seed[SEED_LEN])
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, ps->name, NULL);
	OSSL_PARAM p[] = {OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ML_DSA_SEED, (void *)seed, SEED_LEN), OSSL_PARAM_END};
	if (!c || EVP_PKEY_fromdata_init(c) != 1 || EVP_PKEY_fromdata(c, &k, EVP_PKEY_KEYPAIR, p) != 1)
		k = NULL;
	EVP_PKEY_CTX_free(c);
	return k;
}

/* The public key of the seed into pk (ps->pk_len bytes): 0, or -1. */
static int public_of_seed(const struct pset *ps, const uint8_t seed[SEED_LEN], uint8_t *pk)
{
	EVP_PKEY *k = pkey_of_seed(ps, seed);
	size_t n = 0;
	int ok = k && EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pk, ps->pk_len, &n) == 1 &&
		 n == ps->pk_len;
	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

static CK_RV mldsa_sign(const struct obj *o, const struct sign_ctx_param *sp, const uint8_t *msg, size_t len,
			uint8_t *sig, size_t *sig_len)
{
	EVP_PKEY *k = pkey_of_seed(o->ps, o->seed);
	EVP_PKEY_CTX *c = k ? EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL) : NULL;
	EVP_SIGNATURE *alg = EVP_SIGNATURE_fetch(NULL, o->ps->name, NULL);
	int det = sp->hedge == 2;
	OSSL_PARAM p[3], *q = p;
	if (sp->ctx_len)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_SIGNATURE_PARAM_CONTEXT_STRING, (void *)sp->ctx, sp->ctx_len);
	*q++ = OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_DETERMINISTIC, &det);
	*q = OSSL_PARAM_construct_end();
	CK_RV rv = c && alg && EVP_PKEY_sign_message_init(c, alg, p) == 1 && EVP_PKEY_sign(c, sig, sig_len, msg, len) == 1
			   ? CKR_OK
			   : CKR_FUNCTION_FAILED;
	EVP_SIGNATURE_free(alg);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(k);
	return rv;
}
#else
static int public_of_seed(const struct pset *ps, const uint8_t seed[SEED_LEN], uint8_t *pk)
{
	(void)ps, (void)seed, (void)pk;
	return -1;
}

static CK_RV mldsa_sign(const struct obj *o, const struct sign_ctx_param *sp, const uint8_t *msg, size_t len,
			uint8_t *sig, size_t *sig_len)
{
	(void)o, (void)sp, (void)msg, (void)len, (void)sig, (void)sig_len;
	return CKR_MECHANISM_INVALID;
}
#endif

/* --- attributes ------------------------------------------------------------------ */

/* The SubjectPublicKeyInfo of an ML-DSA key (RFC 9881: the OID, no parameters). */
static size_t spki_of(const struct obj *o, uint8_t *out)
{
	static const uint8_t oid[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03};
	size_t n = o->ps->pk_len, bits = n + 1, seq = 2 + 11 + 4 + bits, i = 0;
	out[i++] = 0x30, out[i++] = 0x82, out[i++] = (uint8_t)(seq >> 8), out[i++] = (uint8_t)seq;
	out[i++] = 0x30, out[i++] = 11;
	memcpy(out + i, oid, sizeof oid);
	i += sizeof oid;
	out[i++] = o->ps->oid_last;
	out[i++] = 0x03, out[i++] = 0x82, out[i++] = (uint8_t)(bits >> 8), out[i++] = (uint8_t)bits, out[i++] = 0;
	memcpy(out + i, o->pk, n);
	return i + n;
}

/* One attribute of o into (*p, *len), using tmp for small values: CKR_OK,
 * CKR_ATTRIBUTE_SENSITIVE or CKR_ATTRIBUTE_TYPE_INVALID. */
static CK_RV attr_of(const struct obj *o, CK_ATTRIBUTE_TYPE t, const void **p, size_t *len, uint8_t *tmp)
{
	static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	bool pub = o->cls == CKO_PUBLIC_KEY;
	const CK_BBOOL *b = NULL;
	CK_ULONG u = 0;
	bool is_u = false;
	switch (t) {
	case CKA_CLASS: u = o->cls, is_u = true; break;
	case CKA_KEY_TYPE: u = CKK_ML_DSA, is_u = true; break;
	case CKA_PARAMETER_SET: u = o->ps->id, is_u = true; break;
	case CKA_KEY_GEN_MECHANISM: u = o->local ? CKM_ML_DSA_KEY_PAIR_GEN : CK_UNAVAILABLE_INFORMATION, is_u = true; break;
	case CKA_TOKEN: b = o->token ? &yes : &no; break;
	case CKA_PRIVATE: b = o->priv ? &yes : &no; break;
	case CKA_MODIFIABLE: case CKA_DESTROYABLE: b = &yes; break;
	case CKA_COPYABLE: case CKA_DERIVE: b = &no; break;
	case CKA_LOCAL: b = o->local ? &yes : &no; break;
	case CKA_LABEL: *p = o->label, *len = o->label_len; return CKR_OK;
	case CKA_ID: *p = o->id, *len = o->id_len; return CKR_OK;
	case CKA_START_DATE: case CKA_END_DATE: case CKA_SUBJECT: *p = tmp, *len = 0; return CKR_OK;
	case CKA_PUBLIC_KEY_INFO: *len = spki_of(o, tmp), *p = tmp; return CKR_OK;
	case CKA_VALUE:
		if (!pub)
			return CKR_ATTRIBUTE_SENSITIVE;
		*p = o->pk, *len = o->ps->pk_len;
		return CKR_OK;
	case CKA_SEED: return pub ? CKR_ATTRIBUTE_TYPE_INVALID : CKR_ATTRIBUTE_SENSITIVE;
	case CKA_VERIFY: if (pub) b = o->verify ? &yes : &no; break;
	case CKA_ENCRYPT: case CKA_WRAP: case CKA_VERIFY_RECOVER: case CKA_TRUSTED: if (pub) b = &no; break;
	case CKA_SIGN: if (!pub) b = o->sign ? &yes : &no; break;
	case CKA_SENSITIVE: if (!pub) b = o->sensitive ? &yes : &no; break;
	case CKA_EXTRACTABLE: if (!pub) b = o->extractable ? &yes : &no; break;
	case CKA_ALWAYS_SENSITIVE: if (!pub) b = o->always_sensitive ? &yes : &no; break;
	case CKA_NEVER_EXTRACTABLE: if (!pub) b = o->never_extractable ? &yes : &no; break;
	case CKA_WRAP_WITH_TRUSTED: if (!pub) b = o->wwt ? &yes : &no; break;
	case CKA_DECRYPT: case CKA_UNWRAP: case CKA_SIGN_RECOVER: case CKA_ALWAYS_AUTHENTICATE: if (!pub) b = &no; break;
	default: break;
	}
	if (is_u) {
		memcpy(tmp, &u, sizeof u);
		*p = tmp, *len = sizeof u;
		return CKR_OK;
	}
	if (!b)
		return CKR_ATTRIBUTE_TYPE_INVALID;
	*p = b, *len = sizeof *b;
	return CKR_OK;
}

static bool logged_in(CK_SESSION_HANDLE s)
{
	CK_SESSION_INFO si;
	return real->C_GetSessionInfo(s, &si) == CKR_OK &&
	       (si.state == CKS_RO_USER_FUNCTIONS || si.state == CKS_RW_USER_FUNCTIONS);
}

static bool visible(const struct obj *o, const struct sess *s)
{
	return o->used && !strcmp(o->serial, s->serial) && (!o->priv || logged_in(s->h)) && (o->token || o->owner == s->h);
}

static bool matches(const struct obj *o, const CK_ATTRIBUTE *t, CK_ULONG n)
{
	static uint8_t tmp[PK_MAX + 64];
	for (CK_ULONG i = 0; i < n; i++) {
		const void *p;
		size_t len;
		if (attr_of(o, t[i].type, &p, &len, tmp) != CKR_OK || len != t[i].ulValueLen ||
		    (len && (!t[i].pValue || memcmp(p, t[i].pValue, len))))
			return false;
	}
	return true;
}

/* A template's values into o: the attributes a key template may hold, with the
 * values an ML-DSA key can have. */
static CK_RV take_template(struct obj *o, const CK_ATTRIBUTE *t, CK_ULONG n, CK_ULONG *pset)
{
	for (CK_ULONG i = 0; i < n; i++) {
		const CK_ATTRIBUTE *a = &t[i];
		bool isb = a->ulValueLen == sizeof(CK_BBOOL) && a->pValue, v = isb && *(const CK_BBOOL *)a->pValue;
		bool isu = a->ulValueLen == sizeof(CK_ULONG) && a->pValue;
		CK_ULONG u = isu ? *(const CK_ULONG *)a->pValue : 0;
		bool pub = o->cls == CKO_PUBLIC_KEY;
		switch (a->type) {
		case CKA_CLASS: if (!isu || u != o->cls) return CKR_TEMPLATE_INCONSISTENT; break;
		case CKA_KEY_TYPE: if (!isu || u != CKK_ML_DSA) return CKR_TEMPLATE_INCONSISTENT; break;
		case CKA_PARAMETER_SET:
			if (!isu || !pset)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			*pset = u;
			break;
		case CKA_TOKEN: if (!isb) return CKR_ATTRIBUTE_VALUE_INVALID; o->token = v; break;
		case CKA_PRIVATE: if (!isb) return CKR_ATTRIBUTE_VALUE_INVALID; o->priv = v; break;
		case CKA_LABEL:
			if (a->ulValueLen > sizeof o->label || (a->ulValueLen && !a->pValue))
				return CKR_ATTRIBUTE_VALUE_INVALID;
			memcpy(o->label, a->pValue, o->label_len = a->ulValueLen);
			break;
		case CKA_ID:
			if (a->ulValueLen > sizeof o->id || (a->ulValueLen && !a->pValue))
				return CKR_ATTRIBUTE_VALUE_INVALID;
			memcpy(o->id, a->pValue, o->id_len = a->ulValueLen);
			break;
		case CKA_VERIFY: if (!isb || !pub) return CKR_ATTRIBUTE_TYPE_INVALID; o->verify = v; break;
		case CKA_SIGN: if (!isb || pub) return CKR_ATTRIBUTE_TYPE_INVALID; o->sign = v; break;
		case CKA_SENSITIVE: if (!isb || pub) return CKR_ATTRIBUTE_TYPE_INVALID; o->sensitive = v; break;
		case CKA_EXTRACTABLE: if (!isb || pub) return CKR_ATTRIBUTE_TYPE_INVALID; o->extractable = v; break;
		case CKA_WRAP_WITH_TRUSTED: if (!isb || pub) return CKR_ATTRIBUTE_TYPE_INVALID; o->wwt = v; break;
		/* What an ML-DSA key cannot do: false, or refused. */
		case CKA_ENCRYPT: case CKA_DECRYPT: case CKA_WRAP: case CKA_UNWRAP: case CKA_DERIVE:
		case CKA_SIGN_RECOVER: case CKA_VERIFY_RECOVER:
			if (!isb || v)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			break;
		default: return CKR_ATTRIBUTE_TYPE_INVALID;
		}
	}
	return CKR_OK;
}

static const struct pset *pset_find(CK_ULONG id)
{
	for (size_t i = 0; i < sizeof psets / sizeof psets[0]; i++)
		if (psets[i].id == id)
			return &psets[i];
	return NULL;
}

/* --- the wrapped calls ------------------------------------------------------------ */

static CK_RV m_C_Initialize(void *args)
{
	CK_RV rv = real->C_Initialize(args);
	pthread_mutex_lock(&lock);
	if (rv == CKR_OK) {
		for (size_t i = 0; i < MAX_OBJ; i++)
			wipe_obj(&objs[i]);
		memset(sessions, 0, sizeof sessions);
		n_loaded = 0;
	}
	pthread_mutex_unlock(&lock);
	return rv;
}

static CK_RV m_C_Finalize(void *r)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < MAX_OBJ; i++)
		wipe_obj(&objs[i]);
	memset(sessions, 0, sizeof sessions);
	n_loaded = 0;
	pthread_mutex_unlock(&lock);
	return real->C_Finalize(r);
}

static const CK_MECHANISM_TYPE ours[] = {CKM_ML_DSA_KEY_PAIR_GEN, CKM_ML_DSA};

static CK_RV m_C_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR out, CK_ULONG_PTR n)
{
	CK_ULONG have = 0, extra = have_mldsa() ? 2 : 0;
	if (!n)
		return CKR_ARGUMENTS_BAD;
	CK_RV rv = real->C_GetMechanismList(slot, NULL, &have);
	if (rv != CKR_OK)
		return rv;
	CK_MECHANISM_TYPE *all = calloc(have + 2, sizeof *all);
	if (!all)
		return CKR_HOST_MEMORY;
	if ((rv = real->C_GetMechanismList(slot, all, &have)) == CKR_OK) {
		for (CK_ULONG i = 0; i < extra; i++)
			all[have++] = ours[i];
		if (out && *n < have)
			rv = CKR_BUFFER_TOO_SMALL;
		else if (out)
			memcpy(out, all, have * sizeof *all);
		*n = have;
	}
	free(all);
	return rv;
}

static CK_RV m_C_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE t, CK_MECHANISM_INFO_PTR info)
{
	if (have_mldsa() && (t == CKM_ML_DSA_KEY_PAIR_GEN || t == CKM_ML_DSA)) {
		CK_TOKEN_INFO ti;
		CK_RV rv = real->C_GetTokenInfo(slot, &ti);
		if (rv != CKR_OK)
			return rv;
		if (!info)
			return CKR_ARGUMENTS_BAD;
		/* Key sizes: the parameter sets, 44 to 87 (as the HSMs that have it report). */
		info->ulMinKeySize = 44;
		info->ulMaxKeySize = 87;
		info->flags = CKF_HW | (t == CKM_ML_DSA ? CKF_SIGN | CKF_VERIFY : CKF_GENERATE_KEY_PAIR);
		return CKR_OK;
	}
	return real->C_GetMechanismInfo(slot, t, info);
}

static CK_RV m_C_InitToken(CK_SLOT_ID slot, CK_UTF8CHAR_PTR pin, CK_ULONG len, CK_UTF8CHAR_PTR label)
{
	char before[17], after[17];
	pthread_mutex_lock(&lock);
	serial_of(slot, before);
	pthread_mutex_unlock(&lock);
	CK_RV rv = real->C_InitToken(slot, pin, len, label);
	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&lock);
	serial_of(slot, after);
	for (int k = 0; k < 2; k++) {
		const char *s = k ? after : before;
		if (!s[0])
			continue;
		store_load(s);
		for (size_t i = 0; i < MAX_OBJ; i++)
			if (objs[i].used && !strcmp(objs[i].serial, s))
				wipe_obj(&objs[i]);
		store_save(s);
	}
	pthread_mutex_unlock(&lock);
	return rv;
}

static CK_RV m_C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, void *app, CK_NOTIFY notify, CK_SESSION_HANDLE_PTR h)
{
	CK_RV rv = real->C_OpenSession(slot, flags, app, notify, h);
	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&lock);
	struct sess *s = sess_of(0);
	for (size_t i = 0; !s && i < MAX_SESS; i++)
		if (!sessions[i].h)
			s = &sessions[i];
	if (!s) {
		pthread_mutex_unlock(&lock);
		real->C_CloseSession(*h);
		return CKR_SESSION_COUNT;
	}
	memset(s, 0, sizeof *s);
	s->h = *h;
	serial_of(slot, s->serial);
	store_load(s->serial);
	pthread_mutex_unlock(&lock);
	return CKR_OK;
}

static void session_gone(CK_SESSION_HANDLE h)
{
	struct sess *s = sess_of(h);
	for (size_t i = 0; i < MAX_OBJ; i++)
		if (objs[i].used && !objs[i].token && objs[i].owner == h)
			wipe_obj(&objs[i]);
	if (s)
		memset(s, 0, sizeof *s);
}

static CK_RV m_C_CloseSession(CK_SESSION_HANDLE h)
{
	CK_RV rv = real->C_CloseSession(h);
	pthread_mutex_lock(&lock);
	if (rv == CKR_OK)
		session_gone(h);
	pthread_mutex_unlock(&lock);
	return rv;
}

static CK_RV m_C_CloseAllSessions(CK_SLOT_ID slot)
{
	CK_RV rv = real->C_CloseAllSessions(slot);
	char serial[17];
	pthread_mutex_lock(&lock);
	serial_of(slot, serial);
	for (size_t i = 0; rv == CKR_OK && i < MAX_SESS; i++)
		if (sessions[i].h && !strcmp(sessions[i].serial, serial))
			session_gone(sessions[i].h);
	pthread_mutex_unlock(&lock);
	return rv;
}

static CK_RV m_C_DestroyObject(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o)
{
	pthread_mutex_lock(&lock);
	struct obj *x = obj_of(o);
	struct sess *s = sess_of(h);
	if (!x) {
		pthread_mutex_unlock(&lock);
		return real->C_DestroyObject(h, o);
	}
	CK_RV rv = !s || !visible(x, s) ? CKR_OBJECT_HANDLE_INVALID : CKR_OK;
	if (rv == CKR_OK) {
		char serial[17];
		bool token = x->token;
		snprintf(serial, sizeof serial, "%s", x->serial);
		wipe_obj(x);
		if (token)
			store_save(serial);
	}
	pthread_mutex_unlock(&lock);
	return rv;
}

static CK_RV m_C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	static uint8_t tmp[PK_MAX + 64];
	pthread_mutex_lock(&lock);
	struct obj *x = obj_of(o);
	struct sess *s = sess_of(h);
	if (!x) {
		pthread_mutex_unlock(&lock);
		return real->C_GetAttributeValue(h, o, t, n);
	}
	CK_RV rv = !s || !visible(x, s) ? CKR_OBJECT_HANDLE_INVALID : CKR_OK;
	for (CK_ULONG i = 0; rv != CKR_OBJECT_HANDLE_INVALID && i < n; i++) {
		const void *p;
		size_t len;
		CK_RV r = attr_of(x, t[i].type, &p, &len, tmp);
		if (r == CKR_OK && t[i].pValue && t[i].ulValueLen < len)
			r = CKR_BUFFER_TOO_SMALL;
		if (r != CKR_OK) {
			t[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = r;
			continue;
		}
		if (t[i].pValue)
			memcpy(t[i].pValue, p, len);
		t[i].ulValueLen = len;
	}
	pthread_mutex_unlock(&lock);
	return rv;
}

static CK_RV m_C_SetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	pthread_mutex_lock(&lock);
	bool ours_ = obj_of(o) != NULL;
	pthread_mutex_unlock(&lock);
	return ours_ ? CKR_ACTION_PROHIBITED : real->C_SetAttributeValue(h, o, t, n);
}

static CK_RV m_C_FindObjectsInit(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	CK_RV rv = real->C_FindObjectsInit(h, t, n);
	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&lock);
	struct sess *s = sess_of(h);
	if (s) {
		s->n_found = s->next_found = 0;
		s->finding = true;
		for (size_t i = 0; i < MAX_OBJ; i++)
			if (visible(&objs[i], s) && matches(&objs[i], t, n))
				s->found[s->n_found++] = handle_of(&objs[i]);
	}
	pthread_mutex_unlock(&lock);
	return CKR_OK;
}

static CK_RV m_C_FindObjects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max, CK_ULONG_PTR n)
{
	CK_ULONG got = 0, more = 0;
	if (!out || !n)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&lock);
	struct sess *s = sess_of(h);
	while (s && s->finding && got < max && s->next_found < s->n_found)
		out[got++] = s->found[s->next_found++];
	pthread_mutex_unlock(&lock);
	CK_RV rv = real->C_FindObjects(h, out + got, max - got, &more);
	*n = rv == CKR_OK ? got + more : 0;
	return rv;
}

static CK_RV m_C_FindObjectsFinal(CK_SESSION_HANDLE h)
{
	pthread_mutex_lock(&lock);
	struct sess *s = sess_of(h);
	if (s)
		s->finding = false, s->n_found = s->next_found = 0;
	pthread_mutex_unlock(&lock);
	return real->C_FindObjectsFinal(h);
}

/* May this session make (or unwrap) token/private objects: CKR_OK or why not. */
static CK_RV may_create(CK_SESSION_HANDLE h, bool token, bool priv)
{
	CK_SESSION_INFO si;
	CK_RV rv = real->C_GetSessionInfo(h, &si);
	if (rv != CKR_OK)
		return rv;
	if (token && !(si.flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	if (priv && si.state != CKS_RO_USER_FUNCTIONS && si.state != CKS_RW_USER_FUNCTIONS)
		return CKR_USER_NOT_LOGGED_IN;
	return CKR_OK;
}

static CK_RV m_C_GenerateKeyPair(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pt, CK_ULONG pn,
				 CK_ATTRIBUTE_PTR vt, CK_ULONG vn, CK_OBJECT_HANDLE_PTR pk, CK_OBJECT_HANDLE_PTR vk)
{
	if (!m || m->mechanism != CKM_ML_DSA_KEY_PAIR_GEN || !have_mldsa())
		return real->C_GenerateKeyPair(h, m, pt, pn, vt, vn, pk, vk);
	if (!pk || !vk || (pn && !pt) || (vn && !vt))
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&lock);
	struct sess *s = sess_of(h);
	struct obj *pub = obj_new(), *priv = pub ? obj_new() : NULL;
	CK_ULONG pset = 0;
	CK_RV rv = !s ? CKR_SESSION_HANDLE_INVALID : !priv ? CKR_DEVICE_MEMORY : CKR_OK;
	if (rv == CKR_OK) {
		pub->cls = CKO_PUBLIC_KEY, priv->cls = CKO_PRIVATE_KEY;
		pub->verify = true;
		priv->priv = priv->sensitive = priv->sign = true;   /* an HSM's defaults */
		rv = take_template(pub, pt, pn, &pset);
	}
	if (rv == CKR_OK)
		rv = take_template(priv, vt, vn, NULL);
	if (rv == CKR_OK && !pset)
		rv = CKR_TEMPLATE_INCOMPLETE;
	if (rv == CKR_OK && !(pub->ps = priv->ps = pset_find(pset)))
		rv = CKR_PARAMETER_SET_NOT_SUPPORTED;
	if (rv == CKR_OK && (rv = may_create(h, pub->token || priv->token, pub->priv || priv->priv)) == CKR_OK) {
		priv->local = pub->local = true;
		priv->always_sensitive = priv->sensitive;
		priv->never_extractable = !priv->extractable;
		if (RAND_priv_bytes(priv->seed, SEED_LEN) != 1 || public_of_seed(priv->ps, priv->seed, priv->pk))
			rv = CKR_FUNCTION_FAILED;
	}
	if (rv == CKR_OK) {
		memcpy(pub->pk, priv->pk, priv->ps->pk_len);
		snprintf(pub->serial, sizeof pub->serial, "%s", s->serial);
		snprintf(priv->serial, sizeof priv->serial, "%s", s->serial);
		pub->owner = priv->owner = h;
		*pk = handle_of(pub);
		*vk = handle_of(priv);
		if (pub->token || priv->token)
			store_save(s->serial);
	} else {
		if (pub)
			wipe_obj(pub);
		if (priv)
			wipe_obj(priv);
	}
	pthread_mutex_unlock(&lock);
	return rv;
}

static CK_RV m_C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	pthread_mutex_lock(&lock);
	struct obj *x = obj_of(k);
	struct sess *s = sess_of(h);
	if (!x) {
		pthread_mutex_unlock(&lock);
		return real->C_SignInit(h, m, k);
	}
	CK_RV rv = CKR_OK;
	if (!s || !visible(x, s))
		rv = CKR_KEY_HANDLE_INVALID;
	else if (!m || m->mechanism != CKM_ML_DSA)
		rv = CKR_KEY_TYPE_INCONSISTENT;
	else if (x->cls != CKO_PRIVATE_KEY || !x->sign)
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
	else if (s->signing)
		rv = CKR_OPERATION_ACTIVE;
	else if (m->pParameter && m->ulParameterLen != sizeof(struct sign_ctx_param))
		rv = CKR_MECHANISM_PARAM_INVALID;
	if (rv == CKR_OK) {
		memset(&s->sp, 0, sizeof s->sp);
		if (m->pParameter) {
			const struct sign_ctx_param *sp = m->pParameter;
			if (sp->hedge > 2 || sp->ctx_len > sizeof s->sp_ctx || (sp->ctx_len && !sp->ctx))
				rv = CKR_MECHANISM_PARAM_INVALID;
			else {
				s->sp.hedge = sp->hedge;
				s->sp.ctx_len = sp->ctx_len;
				if (sp->ctx_len)
					memcpy(s->sp_ctx, sp->ctx, sp->ctx_len);
				s->sp.ctx = s->sp_ctx;
			}
		}
	}
	if (rv == CKR_OK)
		s->signing = k;
	pthread_mutex_unlock(&lock);
	return rv;
}

static CK_RV m_C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR sig, CK_ULONG_PTR sl)
{
	pthread_mutex_lock(&lock);
	struct sess *s = sess_of(h);
	if (!s || !s->signing) {
		pthread_mutex_unlock(&lock);
		return real->C_Sign(h, d, dl, sig, sl);
	}
	struct obj *x = obj_of(s->signing);
	CK_RV rv = CKR_OK;
	if (!sl || (dl && !d))
		rv = CKR_ARGUMENTS_BAD;
	else if (!x)
		rv = CKR_KEY_HANDLE_INVALID;
	else if (!sig)
		*sl = x->ps->sig_len;   /* the length only: the operation stays */
	else if (*sl < x->ps->sig_len) {
		*sl = x->ps->sig_len;
		rv = CKR_BUFFER_TOO_SMALL;
	} else {
		size_t n = *sl;
		rv = mldsa_sign(x, &s->sp, d, dl, sig, &n);
		*sl = (CK_ULONG)n;
	}
	if (!(rv == CKR_OK && !sig) && rv != CKR_BUFFER_TOO_SMALL)
		s->signing = 0;
	pthread_mutex_unlock(&lock);
	return rv;
}

/* The PKCS#8 PrivateKeyInfo of a seed (RFC 9881 §6: ML-DSA-PrivateKey's seed [0]):
 * SEQUENCE { INTEGER 0, SEQUENCE { OID }, OCTET STRING { [0] 32 bytes } }. */
enum { P8_LEN = 54 };
static void pkcs8_of(const struct obj *o, uint8_t out[P8_LEN])
{
	static const uint8_t head[] = {0x30, 0x34, 0x02, 0x01, 0x00, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86,
				       0x48, 0x01, 0x65, 0x03, 0x04, 0x03};
	memcpy(out, head, sizeof head);
	out[sizeof head] = o->ps->oid_last;
	memcpy(out + sizeof head + 1, (const uint8_t[]){0x04, 0x22, 0x80, 0x20}, 4);
	memcpy(out + sizeof head + 5, o->seed, SEED_LEN);
}

static CK_RV m_C_WrapKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE wk, CK_OBJECT_HANDLE k,
			 CK_BYTE_PTR out, CK_ULONG_PTR outl)
{
	pthread_mutex_lock(&lock);
	struct obj *x = obj_of(k);
	struct sess *s = sess_of(h);
	if (!x) {
		pthread_mutex_unlock(&lock);
		return real->C_WrapKey(h, m, wk, k, out, outl);
	}
	CK_RV rv = CKR_OK;
	uint8_t p8[P8_LEN];
	if (!s || !visible(x, s))
		rv = CKR_KEY_HANDLE_INVALID;
	else if (x->cls != CKO_PRIVATE_KEY)
		rv = CKR_KEY_NOT_WRAPPABLE;
	else if (!x->extractable)
		rv = CKR_KEY_UNEXTRACTABLE;
	else if (x->wwt) {
		CK_BBOOL trusted = CK_FALSE;
		CK_ATTRIBUTE a = {CKA_TRUSTED, &trusted, sizeof trusted};
		if (real->C_GetAttributeValue(h, wk, &a, 1) != CKR_OK || !trusted)
			rv = CKR_KEY_NOT_WRAPPABLE;
	}
	if (rv == CKR_OK)
		pkcs8_of(x, p8);
	pthread_mutex_unlock(&lock);
	if (rv != CKR_OK)
		return rv;
	/* SoftHSM wraps the PKCS#8 bytes as a secret key's value, in a session object that
	 * lives for this call only. */
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE t[] = {
		{CKA_CLASS, &cls, sizeof cls}, {CKA_KEY_TYPE, &kt, sizeof kt}, {CKA_TOKEN, &no, sizeof no},
		{CKA_PRIVATE, &yes, sizeof yes}, {CKA_SENSITIVE, &yes, sizeof yes}, {CKA_EXTRACTABLE, &yes, sizeof yes},
		{CKA_VALUE, p8, sizeof p8},
	};
	CK_OBJECT_HANDLE tmp = CK_INVALID_HANDLE;
	rv = real->C_CreateObject(h, t, sizeof t / sizeof t[0], &tmp);
	OPENSSL_cleanse(p8, sizeof p8);
	if (rv != CKR_OK)
		return rv;
	rv = real->C_WrapKey(h, m, wk, tmp, out, outl);
	real->C_DestroyObject(h, tmp);
	return rv;
}

static CK_RV m_C_UnwrapKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE uk, CK_BYTE_PTR w, CK_ULONG wl,
			   CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k)
{
	bool mldsa = false;
	for (CK_ULONG i = 0; t && i < n; i++)
		mldsa |= t[i].type == CKA_KEY_TYPE && t[i].ulValueLen == sizeof(CK_KEY_TYPE) && t[i].pValue &&
			 *(CK_KEY_TYPE *)t[i].pValue == CKK_ML_DSA;
	if (!mldsa || !have_mldsa())
		return real->C_UnwrapKey(h, m, uk, w, wl, t, n, k);
	if (!k)
		return CKR_ARGUMENTS_BAD;
	/* SoftHSM unwraps the bytes into a session secret this module reads and destroys. */
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE tt[] = {
		{CKA_CLASS, &cls, sizeof cls}, {CKA_KEY_TYPE, &kt, sizeof kt}, {CKA_TOKEN, &no, sizeof no},
		{CKA_PRIVATE, &yes, sizeof yes}, {CKA_SENSITIVE, &no, sizeof no}, {CKA_EXTRACTABLE, &yes, sizeof yes},
	};
	CK_OBJECT_HANDLE tmp = CK_INVALID_HANDLE;
	CK_RV rv = real->C_UnwrapKey(h, m, uk, w, wl, tt, sizeof tt / sizeof tt[0], &tmp);
	if (rv != CKR_OK)
		return rv;
	uint8_t p8[P8_LEN + 64];
	CK_ATTRIBUTE v = {CKA_VALUE, p8, sizeof p8};
	rv = real->C_GetAttributeValue(h, tmp, &v, 1);
	/* SoftHSM 2.6.1 unwraps a CKM_AES_KEY_WRAP_PAD secret with its padding left on
	 * (56 bytes for these 54): zeros up to a multiple of 8 (RFC 5649 §4.1) are taken
	 * off here, the PKCS#8 says its own length. */
	bool padded = rv == CKR_OK && v.ulValueLen >= P8_LEN && v.ulValueLen < P8_LEN + 8;
	for (CK_ULONG i = P8_LEN; padded && i < v.ulValueLen; i++)
		padded = p8[i] == 0;
	if (padded)
		v.ulValueLen = P8_LEN;
	real->C_DestroyObject(h, tmp);
	pthread_mutex_lock(&lock);
	struct sess *s = sess_of(h);
	struct obj *x = NULL, probe = {.cls = CKO_PRIVATE_KEY};
	if (rv == CKR_OK && v.ulValueLen == P8_LEN) {
		for (size_t i = 0; i < sizeof psets / sizeof psets[0]; i++) {
			uint8_t want[P8_LEN];
			probe.ps = &psets[i];
			memcpy(probe.seed, p8 + P8_LEN - SEED_LEN, SEED_LEN);
			pkcs8_of(&probe, want);
			if (!memcmp(want, p8, P8_LEN - SEED_LEN))
				x = obj_new();
			OPENSSL_cleanse(want, sizeof want);
			if (x)
				break;
		}
	}
	if (rv == CKR_OK && !x)
		rv = CKR_WRAPPED_KEY_INVALID;
	if (rv == CKR_OK) {
		x->cls = CKO_PRIVATE_KEY;
		x->ps = probe.ps;
		memcpy(x->seed, probe.seed, SEED_LEN);
		x->priv = x->sensitive = x->sign = true;
		rv = !s ? CKR_SESSION_HANDLE_INVALID : take_template(x, t, n, NULL);
	}
	if (rv == CKR_OK)
		rv = may_create(h, x->token, x->priv);
	/* Unwrapped: neither local nor always sensitive (PKCS#11 3.0 §4.9). */
	if (rv == CKR_OK && public_of_seed(x->ps, x->seed, x->pk))
		rv = CKR_FUNCTION_FAILED;
	if (rv == CKR_OK) {
		snprintf(x->serial, sizeof x->serial, "%s", s->serial);
		x->owner = h;
		*k = handle_of(x);
		if (x->token)
			store_save(s->serial);
	} else if (x) {
		wipe_obj(x);
	}
	OPENSSL_cleanse(&probe, sizeof probe);
	OPENSSL_cleanse(p8, sizeof p8);
	pthread_mutex_unlock(&lock);
	return rv;
}

static CK_RV m_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out);

static CK_RV load_real(void)
{
	CK_RV rv = CKR_OK;
	pthread_mutex_lock(&lock);
	if (real)
		goto out;
	const char *path = getenv("CEREMONY_MLDSA_MODULE");
	if (!path || !*path)
		path = REAL_DEFAULT;
	void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	CK_C_GetFunctionList get = NULL;
	CK_FUNCTION_LIST_PTR f = NULL;
	if (dl)
		*(void **)&get = dlsym(dl, "C_GetFunctionList");
	if (!dl || !get || get(&f) != CKR_OK || !f) {
		fprintf(stderr, "p11mldsa: cannot use %s: %s\n", path, dl ? "no C_GetFunctionList" : dlerror());
		if (dl)
			dlclose(dl);
		rv = CKR_GENERAL_ERROR;
		goto out;
	}
	real = f;
	list = *f;
	list.C_GetFunctionList = m_C_GetFunctionList;
#define W(name) list.name = m_##name
	W(C_Initialize);
	W(C_Finalize);
	W(C_GetMechanismList);
	W(C_GetMechanismInfo);
	W(C_InitToken);
	W(C_OpenSession);
	W(C_CloseSession);
	W(C_CloseAllSessions);
	W(C_DestroyObject);
	W(C_GetAttributeValue);
	W(C_SetAttributeValue);
	W(C_FindObjectsInit);
	W(C_FindObjects);
	W(C_FindObjectsFinal);
	W(C_GenerateKeyPair);
	W(C_SignInit);
	W(C_Sign);
	W(C_WrapKey);
	W(C_UnwrapKey);
#undef W
out:
	pthread_mutex_unlock(&lock);
	return rv;
}

static CK_RV m_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
	CK_RV rv;
	if (!out)
		return CKR_ARGUMENTS_BAD;
	if ((rv = load_real()) != CKR_OK)
		return rv;
	*out = &list;
	return CKR_OK;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
	return m_C_GetFunctionList(out);
}
