/* p11shim: a test-only PKCS#11 module that sits in front of a real one (SoftHSM).
 *
 * TEST-ONLY. Built by the Makefile as build/tests/p11shim.so for `make check`; it is
 * never linked into or installed with ceremony, and no ceremony code refers to it.
 *
 * It dlopens the real module (CEREMONY_SHIM_MODULE, default Debian's SoftHSM path)
 * and hands out a copy of its function list in which the functions below are
 * wrapped; every other entry is the real module's own. C_GetInfo is passed through
 * unchanged, so the shim looks like SoftHSM (rehearse refuses other modules).
 *
 * CEREMONY_SHIM_SECRETS=FILE
 *   Appends to FILE, one per line in lowercase hex, every PIN given to C_InitToken,
 *   C_InitPIN, C_SetPIN and C_Login and every CKA_VALUE given to C_CreateObject.
 *   Why this exists: a rehearsal makes its PINs and wrap-key bytes in locked memory
 *   and never shows them, so a test cannot otherwise know what to look for when it
 *   checks that no PIN or key value reached a transcript, an output folder or the
 *   screen. Writing secrets to a file is exactly what ceremony must never do, which
 *   is why this lives only here, in a test module, and only with the variable set.
 *
 * CEREMONY_SHIM_FAIL=FUNCTION:N:CODE   (e.g. C_Sign:2:CKR_DEVICE_REMOVED)
 *   The Nth call (from 1) of FUNCTION returns CODE (a CKR_ name known below, or a
 *   number such as 0x32) without reaching the real module; the other calls pass.
 *   A FUNCTION the shim does not wrap, or a CODE it cannot read, makes C_Initialize
 *   fail with CKR_GENERAL_ERROR and a message on stderr, so a test cannot silently
 *   inject nothing.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <p11-kit/pkcs11.h>

#define SHIM_DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void *real_dl;
static CK_FUNCTION_LIST_PTR real;  /* the real module's list */
static CK_FUNCTION_LIST shim_list; /* what we hand out */

/* The failure to inject, parsed once from CEREMONY_SHIM_FAIL. */
static struct {
	int parsed, bad;
	char fn[64];
	unsigned long nth;
	CK_RV rv;
	unsigned long calls; /* calls of fn so far */
} fail;

static const struct {
	const char *name;
	CK_RV rv;
} codes[] = {
	{"CKR_GENERAL_ERROR", CKR_GENERAL_ERROR},
	{"CKR_FUNCTION_FAILED", CKR_FUNCTION_FAILED},
	{"CKR_DEVICE_ERROR", CKR_DEVICE_ERROR},
	{"CKR_DEVICE_MEMORY", CKR_DEVICE_MEMORY},
	{"CKR_DEVICE_REMOVED", CKR_DEVICE_REMOVED},
	{"CKR_TOKEN_NOT_PRESENT", CKR_TOKEN_NOT_PRESENT},
	{"CKR_PIN_INCORRECT", CKR_PIN_INCORRECT},
	{"CKR_PIN_LOCKED", CKR_PIN_LOCKED},
	{"CKR_SESSION_HANDLE_INVALID", CKR_SESSION_HANDLE_INVALID},
	{"CKR_SESSION_CLOSED", CKR_SESSION_CLOSED},
	{"CKR_USER_NOT_LOGGED_IN", CKR_USER_NOT_LOGGED_IN},
	{"CKR_KEY_HANDLE_INVALID", CKR_KEY_HANDLE_INVALID},
	{"CKR_OBJECT_HANDLE_INVALID", CKR_OBJECT_HANDLE_INVALID},
	{"CKR_TOKEN_WRITE_PROTECTED", CKR_TOKEN_WRITE_PROTECTED},
	{"CKR_MECHANISM_INVALID", CKR_MECHANISM_INVALID},
};

/* Names of the wrapped functions, for checking CEREMONY_SHIM_FAIL. */
static const char *const wrapped[] = {
	"C_GetSlotList", "C_GetSlotInfo", "C_GetTokenInfo", "C_GetMechanismList", "C_GetMechanismInfo",
	"C_InitToken", "C_InitPIN", "C_SetPIN", "C_OpenSession", "C_CloseSession", "C_Login", "C_Logout",
	"C_CreateObject", "C_DestroyObject", "C_GetAttributeValue", "C_SetAttributeValue", "C_FindObjectsInit",
	"C_FindObjects", "C_FindObjectsFinal", "C_SignInit", "C_Sign", "C_GenerateKey", "C_GenerateKeyPair",
	"C_WrapKey", "C_UnwrapKey", "C_GenerateRandom",
};

static void parse_fail(void)
{
	const char *s = getenv("CEREMONY_SHIM_FAIL");
	fail.parsed = 1;
	if (!s || !*s)
		return;
	const char *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c1 || !c2 || (size_t)(c1 - s) >= sizeof fail.fn) {
		fail.bad = 1;
		return;
	}
	memcpy(fail.fn, s, (size_t)(c1 - s));
	fail.fn[c1 - s] = '\0';
	char *end;
	errno = 0;
	fail.nth = strtoul(c1 + 1, &end, 10);
	if (errno || end != c2 || fail.nth == 0)
		fail.bad = 1;
	const char *code = c2 + 1;
	int found = 0;
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		if (strcmp(code, codes[i].name) == 0) {
			fail.rv = codes[i].rv;
			found = 1;
		}
	}
	if (!found) {
		errno = 0;
		fail.rv = strtoul(code, &end, 0);
		if (errno || !*code || *end || fail.rv == CKR_OK)
			fail.bad = 1;
	}
	found = 0;
	for (size_t i = 0; i < sizeof wrapped / sizeof wrapped[0]; i++)
		found |= strcmp(fail.fn, wrapped[i]) == 0;
	if (!found)
		fail.bad = 1;
	if (fail.bad)
		fprintf(stderr, "p11shim: cannot use CEREMONY_SHIM_FAIL='%s' (FUNCTION:N:CODE, a wrapped function)\n",
			s);
}

/* 1 if this call of fn is the one to fail (its code in *rv). */
static int should_fail(const char *fn, CK_RV *rv)
{
	int hit = 0;
	pthread_mutex_lock(&lock);
	if (!fail.parsed)
		parse_fail();
	if (!fail.bad && fail.fn[0] && strcmp(fn, fail.fn) == 0 && ++fail.calls == fail.nth) {
		*rv = fail.rv;
		hit = 1;
	}
	pthread_mutex_unlock(&lock);
	return hit;
}

/* Appends one secret, as a line of lowercase hex, to CEREMONY_SHIM_SECRETS. */
static void record_secret(const void *p, unsigned long len)
{
	const char *path = getenv("CEREMONY_SHIM_SECRETS");
	static const char hex[] = "0123456789abcdef";
	if (!path || !*path || !p || !len)
		return;
	char *line = malloc(2 * len + 1);
	if (!line)
		return;
	for (unsigned long i = 0; i < len; i++) {
		line[2 * i] = hex[((const unsigned char *)p)[i] >> 4];
		line[2 * i + 1] = hex[((const unsigned char *)p)[i] & 15];
	}
	line[2 * len] = '\n';
	pthread_mutex_lock(&lock);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		ssize_t w = write(fd, line, 2 * len + 1);
		if (w != (ssize_t)(2 * len + 1))
			fprintf(stderr, "p11shim: short write to %s\n", path);
		close(fd);
	} else {
		fprintf(stderr, "p11shim: cannot open %s: %s\n", path, strerror(errno));
	}
	pthread_mutex_unlock(&lock);
	free(line);
}

/* A wrapper that only injects the failure and forwards. */
#define FWD(name, params, args)                  \
	static CK_RV shim_##name params          \
	{                                        \
		CK_RV rv;                        \
		if (should_fail(#name, &rv))     \
			return rv;               \
		return real->name args;          \
	}

FWD(C_GetSlotList, (CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR n), (present, list, n))
FWD(C_GetSlotInfo, (CK_SLOT_ID slot, CK_SLOT_INFO_PTR info), (slot, info))
FWD(C_GetTokenInfo, (CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info), (slot, info))
FWD(C_GetMechanismList, (CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR n), (slot, list, n))
FWD(C_GetMechanismInfo, (CK_SLOT_ID slot, CK_MECHANISM_TYPE t, CK_MECHANISM_INFO_PTR info), (slot, t, info))
FWD(C_OpenSession, (CK_SLOT_ID slot, CK_FLAGS flags, void *app, CK_NOTIFY notify, CK_SESSION_HANDLE_PTR s),
    (slot, flags, app, notify, s))
FWD(C_CloseSession, (CK_SESSION_HANDLE s), (s))
FWD(C_Logout, (CK_SESSION_HANDLE s), (s))
FWD(C_DestroyObject, (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o), (s, o))
FWD(C_GetAttributeValue, (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n), (s, o, t, n))
FWD(C_SetAttributeValue, (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n), (s, o, t, n))
FWD(C_FindObjectsInit, (CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n), (s, t, n))
FWD(C_FindObjects, (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE_PTR o, CK_ULONG max, CK_ULONG_PTR n), (s, o, max, n))
FWD(C_FindObjectsFinal, (CK_SESSION_HANDLE s), (s))
FWD(C_SignInit, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (s, m, k))
FWD(C_Sign, (CK_SESSION_HANDLE s, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR sig, CK_ULONG_PTR sl),
    (s, d, dl, sig, sl))
FWD(C_GenerateKey, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k),
    (s, m, t, n, k))
FWD(C_GenerateKeyPair,
    (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pt, CK_ULONG pn, CK_ATTRIBUTE_PTR vt, CK_ULONG vn,
     CK_OBJECT_HANDLE_PTR pk, CK_OBJECT_HANDLE_PTR vk),
    (s, m, pt, pn, vt, vn, pk, vk))
FWD(C_WrapKey,
    (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE wk, CK_OBJECT_HANDLE k, CK_BYTE_PTR out,
     CK_ULONG_PTR outl),
    (s, m, wk, k, out, outl))
FWD(C_UnwrapKey,
    (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE uk, CK_BYTE_PTR w, CK_ULONG wl, CK_ATTRIBUTE_PTR t,
     CK_ULONG n, CK_OBJECT_HANDLE_PTR k),
    (s, m, uk, w, wl, t, n, k))
FWD(C_GenerateRandom, (CK_SESSION_HANDLE s, CK_BYTE_PTR p, CK_ULONG n), (s, p, n))

/* The wrappers that also record secrets (before the failure check: a PIN handed
 * to a failing call was still handed over). */
static CK_RV shim_C_InitToken(CK_SLOT_ID slot, CK_UTF8CHAR_PTR pin, CK_ULONG len, CK_UTF8CHAR_PTR label)
{
	CK_RV rv;
	record_secret(pin, len);
	if (should_fail("C_InitToken", &rv))
		return rv;
	return real->C_InitToken(slot, pin, len, label);
}

static CK_RV shim_C_InitPIN(CK_SESSION_HANDLE s, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	CK_RV rv;
	record_secret(pin, len);
	if (should_fail("C_InitPIN", &rv))
		return rv;
	return real->C_InitPIN(s, pin, len);
}

static CK_RV shim_C_SetPIN(CK_SESSION_HANDLE s, CK_UTF8CHAR_PTR old, CK_ULONG ol, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	CK_RV rv;
	record_secret(old, ol);
	record_secret(pin, len);
	if (should_fail("C_SetPIN", &rv))
		return rv;
	return real->C_SetPIN(s, old, ol, pin, len);
}

static CK_RV shim_C_Login(CK_SESSION_HANDLE s, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	CK_RV rv;
	record_secret(pin, len);
	if (should_fail("C_Login", &rv))
		return rv;
	return real->C_Login(s, user, pin, len);
}

static CK_RV shim_C_CreateObject(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR o)
{
	CK_RV rv;
	for (CK_ULONG i = 0; t && i < n; i++)
		if (t[i].type == CKA_VALUE && t[i].pValue && t[i].ulValueLen != (CK_ULONG)-1)
			record_secret(t[i].pValue, t[i].ulValueLen);
	if (should_fail("C_CreateObject", &rv))
		return rv;
	return real->C_CreateObject(s, t, n, o);
}

static CK_RV shim_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out);
static CK_RV shim_C_Initialize(void *args);

/* Loads the real module and builds shim_list; 0 or a CKR code. */
static CK_RV load_real(void)
{
	CK_RV rv = CKR_OK;
	pthread_mutex_lock(&lock);
	if (real)
		goto out;
	const char *path = getenv("CEREMONY_SHIM_MODULE");
	if (!path || !*path)
		path = SHIM_DEFAULT_MODULE;
	void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		fprintf(stderr, "p11shim: cannot load %s: %s\n", path, dlerror());
		rv = CKR_GENERAL_ERROR;
		goto out;
	}
	CK_C_GetFunctionList get;
	*(void **)&get = dlsym(dl, "C_GetFunctionList");
	CK_FUNCTION_LIST_PTR f = NULL;
	if (!get || (rv = get(&f)) != CKR_OK || !f) {
		fprintf(stderr, "p11shim: %s has no usable C_GetFunctionList\n", path);
		dlclose(dl);
		rv = CKR_GENERAL_ERROR;
		goto out;
	}
	real_dl = dl;
	real = f;
	shim_list = *f;
	shim_list.C_GetFunctionList = shim_C_GetFunctionList;
	shim_list.C_Initialize = shim_C_Initialize;
#define W(name) shim_list.name = shim_##name
	W(C_GetSlotList);
	W(C_GetSlotInfo);
	W(C_GetTokenInfo);
	W(C_GetMechanismList);
	W(C_GetMechanismInfo);
	W(C_InitToken);
	W(C_InitPIN);
	W(C_SetPIN);
	W(C_OpenSession);
	W(C_CloseSession);
	W(C_Login);
	W(C_Logout);
	W(C_CreateObject);
	W(C_DestroyObject);
	W(C_GetAttributeValue);
	W(C_SetAttributeValue);
	W(C_FindObjectsInit);
	W(C_FindObjects);
	W(C_FindObjectsFinal);
	W(C_SignInit);
	W(C_Sign);
	W(C_GenerateKey);
	W(C_GenerateKeyPair);
	W(C_WrapKey);
	W(C_UnwrapKey);
	W(C_GenerateRandom);
#undef W
out:
	pthread_mutex_unlock(&lock);
	return rv;
}

static CK_RV shim_C_Initialize(void *args)
{
	pthread_mutex_lock(&lock);
	if (!fail.parsed)
		parse_fail();
	int bad = fail.bad;
	pthread_mutex_unlock(&lock);
	if (bad)
		return CKR_GENERAL_ERROR;
	return real->C_Initialize(args);
}

static CK_RV shim_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
	CK_RV rv;
	if (!out)
		return CKR_ARGUMENTS_BAD;
	if ((rv = load_real()) != CKR_OK)
		return rv;
	*out = &shim_list;
	return CKR_OK;
}

/* The one exported symbol. */
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
	return shim_C_GetFunctionList(out);
}
