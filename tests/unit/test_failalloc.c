/* Allocation-failure injection (tests/tools/failalloc.c) for the runner's own code.
 *
 * For each entry point below the operation runs with the 1st, 2nd, 3rd ...
 * allocation failing (the runner's, libcbor's, libyaml's, libgfshare's and
 * OpenSSL's alike) until it runs with no failure left to inject. At every n:
 *   - it must not crash;
 *   - it fails cleanly: -1 with code ERR_NOMEM (ERR_CRYPTO where OpenSSL's own
 *     allocation failed: OpenSSL does not tell which; ERR_IO saying "Cannot
 *     allocate memory" where the C library's own fopen failed), or it succeeds
 *     with the right result (a failure it could absorb) - never another code,
 *     never a verdict or a wrong answer made of a failed allocation;
 *   - it leaks nothing: every block allocated during the operation is freed by
 *     its end (the operation frees what it returns).
 * FAILALLOC_VERBOSE=1 prints each n to stderr (to find the n of a crash).
 * FAILALLOC_STRIDE=k tries every kth n after the first 200; unset, every 7th (make
 * check); 1, every n (make failalloc).
 * FAILALLOC_ONLY=text runs only the sweeps whose name contains text.
 * Not built with ASan (whose allocator must own every block): it then skips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include "runner/binding.h"
#include "runner/cose.h"
#include "runner/dcbor.h"
#include "runner/der.h"
#include "runner/files.h"
#include "runner/prompt.h"
#include "runner/script.h"
#include "runner/secret.h"
#include "runner/shamir.h"
#include "runner/step.h"
#include "runner/transcript.h"
#include "runner/words.h"
#include "runner/ynode.h"
#include "tests/tools/failalloc.h"

#if defined(__SANITIZE_ADDRESS__)
#define FAILALLOC_SKIP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FAILALLOC_SKIP 1
#endif
#endif

/* OpenSSL 3.0 reports some of its own allocation failures as answers: d2i_PUBKEY
 * (x509_pubkey_ex_d2i_ex) drops its key decoders' errors and says "decode error";
 * EVP_DigestVerify returns 0, "does not verify", when EVP_PKEY_CTX_dup or the final
 * digest fails, with nothing queued; EVP_DigestVerifyInit_ex says "initialization
 * error" with no allocation failure queued. None can be told from bad input. Such a
 * result is accepted only when the failed allocation was libcrypto's own, and
 * counted: the sweep prints how often. Everywhere else a failed allocation must
 * come back as a failure. */
static unsigned long openssl_ambiguous;

/* OpenSSL 3.5 (Debian 13) leaks a few of its own blocks when one of its own
 * allocations fails (seen in d2i_PUBKEY's decoders and in the signature
 * operations' fetch caches). There, and only there, a leak is OpenSSL's when the
 * failed allocation and the leaked block were both libcrypto's: counted and
 * printed, not failed. OpenSSL 3.0 (Debian 12) leaks none of them, so there every
 * leak fails the sweep, ours among them. */
#if OPENSSL_VERSION_NUMBER >= 0x30500000L
#define OPENSSL_OWN_LEAKS 1
#else
#define OPENSSL_OWN_LEAKS 0
#endif
static unsigned long openssl_leaks;

static bool in_libcrypto(void *addr)
{
	Dl_info di;
	return addr && dladdr(addr, &di) && di.dli_fname && strstr(di.dli_fname, "libcrypto");
}

/* Codes a failed operation may return (a bit per enum err_code). */
#define OK_NOMEM (1u << ERR_NOMEM)
#define OK_CRYPTO (1u << ERR_CRYPTO)
#define OK_IO (1u << ERR_IO)
/* Only when libcrypto's own allocation failed (see openssl_ambiguous). */
#define OK_OPENSSL_SIGNATURE (1u << ERR_SIGNATURE)

/* One operation: 0 and the right result, or -1 with e set, or 2 for a result
 * OpenSSL made of a failed allocation (see openssl_ambiguous). It must free all it makes.
 * A wrong result is reported with WRONG (not cmocka's fail_msg, which would jump
 * out of the window with it still open). */
typedef int (*op_fn)(void *ctx, struct err *e);
static char wrong[256];
#define WRONG(...) snprintf(wrong, sizeof wrong, __VA_ARGS__)

static void sweep(const char *name, op_fn op, void *ctx, unsigned ok_codes)
{
	struct failalloc_stats st;
	struct err e;
	char where[256], where2[256];
	const char *v = getenv("FAILALLOC_VERBOSE"), *s = getenv("FAILALLOC_STRIDE");
	unsigned long stride = s ? strtoul(s, NULL, 10) : 7, n, total = 0;
	const char *only = getenv("FAILALLOC_ONLY");
	int rc;

	if (only && !strstr(name, only))
		return;
	openssl_ambiguous = openssl_leaks = 0;
	/* Once without failures: OpenSSL's and the C library's lazily made global state
	 * (method stores, error queues, stdio buffers) is made here, not counted as a leak. */
	err_clear(&e);
	wrong[0] = 0;
	failalloc_start(0);
	rc = op(ctx, &e);
	ERR_clear_error();
	failalloc_stop(&st);
	if (wrong[0])
		fail_msg("%s: %s", name, wrong);
	if (rc != 0)
		fail_msg("%s: fails without injection: %s", name, e.msg);
	for (n = 1;; n = stride > 1 && n >= 200 ? n + stride : n + 1) {
		if (v)
			fprintf(stderr, "# %s: failing allocation %lu\n", name, n);
		err_clear(&e);
		failalloc_start(n);
		rc = op(ctx, &e);
		/* OpenSSL keeps each error's file and function names (strdup'ed) in its
		 * per-thread queue until cleared: state, not a leak. */
		ERR_clear_error();
		failalloc_stop(&st);
		if (wrong[0])
			fail_msg("%s: allocation %lu failed (%s): %s", name, n,
				 failalloc_where(st.failed_caller, where, sizeof where), wrong);
		if (st.leaks && OPENSSL_OWN_LEAKS && in_libcrypto(st.failed_caller) && in_libcrypto(st.leak_caller)) {
			openssl_leaks++;
			st.leaks = 0;
		}
		if (st.leaks)
			fail_msg("%s: allocation %lu failed (%s): %zu blocks (%zu bytes) leaked, the first %zu bytes from %s;"
				 " %zu older blocks freed; rc %d: %s", name, n, failalloc_where(st.failed_caller, where, sizeof where), st.leaks,
				 st.leaked_bytes, st.leak_size, failalloc_where(st.leak_caller, where2, sizeof where2), st.freed_older, rc,
				 rc ? e.msg : "(success)");
		if (!st.injected) {
			if (rc != 0)
				fail_msg("%s: fails with no failure injected (n %lu): %s", name, n, e.msg);
			total = st.allocs;
			break;
		}
		if (rc == 0)
			continue;
		if (rc == 2 && in_libcrypto(st.failed_caller)) {
			openssl_ambiguous++;
			continue;
		}
		if (rc != -1)
			fail_msg("%s: allocation %lu failed: returned %d", name, n, rc);
		bool ok = e.kind < 32 && (ok_codes & (1u << e.kind));
		if (ok && e.kind == ERR_SIGNATURE) {
			ok = in_libcrypto(st.failed_caller);
			openssl_ambiguous++;
		}
		if (ok && e.kind == ERR_IO && !strstr(e.msg, strerror(ENOMEM)))
			ok = false;
		if (!ok)
			fail_msg("%s: allocation %lu failed (%s): wrong error code '%s': %s", name, n,
				 failalloc_where(st.failed_caller, where, sizeof where), e.code, e.msg);
	}
	print_message("# %s: %lu allocations, each failed in turn; OpenSSL answered instead of failing %lu times\n",
		      name, total, openssl_ambiguous);
	if (openssl_leaks)
		print_message("# %s: OpenSSL leaked its own blocks after its own allocation failed %lu times\n", name,
			      openssl_leaks);
}

/* --- dcbor ------------------------------------------------------------------- */

static struct buf dcbor_ref;

/* Builds a record-like item with every type the format has. NULL when out of memory. */
static cbor_item_t *build_item(struct err *e)
{
	cbor_item_t *m = dcbor_map(), *a = dcbor_array(), *inner = dcbor_map();
	static const uint8_t bytes[40] = {1, 2, 3};
	if (!m || !a || !inner) {
		if (m)
			cbor_decref(&m);
		if (a)
			cbor_decref(&a);
		if (inner)
			cbor_decref(&inner);
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (dcbor_put(inner, "title", dcbor_text("Example root key generation"), e) ||
	    dcbor_put(inner, "n", dcbor_int(-300), e) || dcbor_put(inner, "flag", dcbor_bool(true), e) ||
	    dcbor_put(inner, "none", dcbor_null(), e) || dcbor_push(a, dcbor_uint(70000), e) ||
	    dcbor_push(a, dcbor_bytes(bytes, sizeof bytes), e) || dcbor_push(a, dcbor_text(""), e) ||
	    dcbor_push(a, dcbor_int(INT64_MIN), e) || dcbor_put_u(m, 0, dcbor_uint(2), e) ||
	    dcbor_put_u(m, 1, dcbor_uint(UINT64_MAX), e) || dcbor_put_u(m, 7, dcbor_bytes(bytes, 32), e)) {
		cbor_decref(&m);
		cbor_decref(&a);
		cbor_decref(&inner);
		return NULL;
	}
	/* dcbor_put takes ownership even on failure. */
	int rc = dcbor_put_u(m, 3, a, e);
	if (dcbor_put_u(m, 2, inner, e) || rc) {
		cbor_decref(&m);
		return NULL;
	}
	return m;
}

static int op_dcbor_encode(void *ctx, struct err *e)
{
	struct buf out = {0};
	cbor_item_t *item = build_item(e);
	int ret = -1;
	(void)ctx;
	if (!item)
		return -1;
	if (dcbor_encode_tagged(18, item, &out, e))
		goto out;
	if (!dcbor_ref.p) {
		if (buf_append(&dcbor_ref, out.p, out.len, e))
			goto out;
	} else if (out.len != dcbor_ref.len || memcmp(out.p, dcbor_ref.p, out.len)) {
		WRONG("dcbor_encode: different bytes after a failure it absorbed");
	}
	ret = 0;
out:
	buf_free(&out);
	cbor_decref(&item);
	return ret;
}

static int op_dcbor_decode(void *ctx, struct err *e)
{
	struct buf re = {0};
	cbor_item_t *item = NULL;
	size_t used = 0;
	int ret = -1;
	(void)ctx;
	if (dcbor_decode_strict(dcbor_ref.p, dcbor_ref.len, true, &item, &used, e))
		goto out;
	if (used != dcbor_ref.len || !cbor_isa_tag(item))
		WRONG("dcbor_decode_strict: wrong item after a failure it absorbed");
	cbor_item_t *inner = cbor_tag_item(item);   /* a new reference */
	int rc = dcbor_encode(inner, &re, e);
	cbor_decref(&inner);
	if (rc)
		goto out;
	if (re.len + 1 != dcbor_ref.len || memcmp(re.p, dcbor_ref.p + 1, re.len))
		WRONG("dcbor_decode_strict: different item after a failure it absorbed");
	ret = 0;
out:
	buf_free(&re);
	if (item)
		cbor_decref(&item);
	return ret;
}

static void dcbor_encode_decode(void **state)
{
	(void)state;
	struct err e;
	assert_int_equal(op_dcbor_encode(NULL, &e), 0);   /* the reference bytes */
	sweep("dcbor_encode (and the builders)", op_dcbor_encode, NULL, OK_NOMEM);
	sweep("dcbor_decode_strict", op_dcbor_decode, NULL, OK_NOMEM);
	buf_free(&dcbor_ref);
}

/* --- cose -------------------------------------------------------------------- */

struct cose_ctx {
	struct cose_signer *s;
	const uint8_t *payload;
	size_t len;
};

static int op_cose(void *ctx, struct err *e)
{
	struct cose_ctx *c = ctx;
	struct buf rec = {0};
	cbor_item_t *item = NULL;
	const uint8_t *payload;
	size_t plen;
	int alg, ret = -1;
	uint8_t kid[32];
	if (cose_sign1(c->s, c->payload, c->len, &rec, e) ||
	    dcbor_decode_strict(rec.p, rec.len, true, &item, NULL, e) || cose_peek(item, &alg, kid, e) ||
	    cose_verify1(item, c->s->spki, c->s->spki_len, &payload, &plen, &alg, e))
		goto out;
	if (plen != c->len || memcmp(payload, c->payload, plen) || alg != c->s->alg || memcmp(kid, c->s->kid, 32))
		WRONG("cose: wrong payload, alg or kid after a failure it absorbed");
	ret = 0;
out:
	if (item)
		cbor_decref(&item);
	buf_free(&rec);
	return ret;
}

static int op_cose_new(void *ctx, struct err *e)
{
	struct cose_signer *s = cose_signer_new_memory(*(int *)ctx, e);
	if (!s)
		return -1;
	cose_signer_free(s);
	return 0;
}

static void cose_sign_verify(void **state)
{
	(void)state;
	static const int algs[] = {COSE_ALG_ES256, COSE_ALG_ES384, COSE_ALG_EDDSA};
	static const uint8_t payload[] = "{0: 1, 1: 2} and so on: any bytes";
	struct err e;
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		struct cose_ctx c = {.payload = payload, .len = sizeof payload};
		char what[64];
		c.s = cose_signer_new_memory(algs[i], &e);
		assert_non_null(c.s);
		snprintf(what, sizeof what, "cose_sign1 and cose_verify1 (alg %d)", algs[i]);
		sweep(what, op_cose, &c, OK_NOMEM | OK_CRYPTO | OK_OPENSSL_SIGNATURE);
		cose_signer_free(c.s);
	}
	int alg = COSE_ALG_ES256;
	sweep("cose_signer_new_memory (ES256)", op_cose_new, &alg, OK_NOMEM | OK_CRYPTO);
}

/* --- ynode ------------------------------------------------------------------- */

static const char yaml_text[] =
	"# a comment\n"
	"answers: 1\n"
	"title: \"quoted \\u00e9 text\"\n"
	"list: [a, 'b', {c: d}]\n"
	"block: |\n"
	"  line one\n"
	"  line two\n"
	"nested:\n"
	"  - x: 1\n"
	"    y: [1, 2, 3]\n"
	"  - plain text\n";

static int op_ydoc(void *ctx, struct err *e)
{
	struct ydoc *d = NULL;
	(void)ctx;
	if (ydoc_parse("test.yaml", (const uint8_t *)yaml_text, strlen(yaml_text), NULL, ERR_SCRIPT, &d, e))
		return -1;
	const struct ynode *n = ynode_get(d->root, "nested");
	if (!n || n->kind != YN_SEQ || n->n != 2 || strcmp(ynode_get(d->root, "block")->str, "line one\nline two\n"))
		WRONG("ydoc_parse: wrong tree after a failure it absorbed");
	ydoc_free(d);
	return 0;
}

static void ydoc_parse_nomem(void **state)
{
	(void)state;
	sweep("ydoc_parse", op_ydoc, NULL, OK_NOMEM);
}

/* --- script ------------------------------------------------------------------ */

static const char script_text[] =
	"ceremony: 1\n"
	"title: Example root key generation\n"
	"description: A small test ceremony.\n"
	"separation: relaxed\n"
	"roles:\n"
	"  administrator: {count: 1, description: runs the ceremony}\n"
	"  operator: {count: 1}\n"
	"  witness: {count: 2}\n"
	"tokens:\n"
	"  root: {label: EXAMPLE-ROOT, description: the root HSM}\n"
	"  backup: {label: EXAMPLE-BACKUP}\n"
	"steps:\n"
	"  - id: attendance\n"
	"    type: attendance\n"
	"    say: Each participant states name and role.\n"
	"  - id: pre\n"
	"    type: checklist\n"
	"    items: [Room is sealed, Cameras are on]\n"
	"    performed_by: administrator\n"
	"  - id: info\n"
	"    type: token.info\n"
	"    token: root\n"
	"    mechanisms: true\n"
	"    expect: {manufacturer: SoftHSM project}\n"
	"  - id: root-key\n"
	"    type: key.generate\n"
	"    title: Generate the root key\n"
	"    token: root\n"
	"    algorithm: ec-p384\n"
	"    label: EXAMPLE-ROOT-2026\n"
	"    performed_by: operator\n"
	"    confirm: [operator, witness]\n"
	"    signoff: witness\n"
	"    expect: {key_type: EC, curve: P-384}\n"
	"    on_fail: {decision: what-now}\n"
	"  - id: fpr\n"
	"    type: fingerprint\n"
	"    of: root-key.public_key_pem\n"
	"    on_fail: retry\n"
	"    confirm: []\n"
	"  - id: what-now\n"
	"    type: decision\n"
	"    question: Go on?\n"
	"    choices: {again: root-key, stop: halt}\n"
	"  - id: seal\n"
	"    type: manual\n"
	"    say: Seal the HSM.\n"
	"    record:\n"
	"      seal_number: What is the seal number?\n"
	"      bag:\n"
	"    expect: {seal_number: \"123\"}\n"
	"    signoff: [administrator, witness]\n"
	"    on_fail: {retry: 5}\n";

static int op_script(void *ctx, struct err *e)
{
	struct ceremony *c = NULL;
	(void)ctx;
	if (script_parse("test.yaml", (const uint8_t *)script_text, strlen(script_text), &step_registry, &c, e))
		return -1;
	if (c->n_steps != 7 || c->n_roles != 3 || !script_step(c, "fpr"))
		WRONG("script_parse: wrong model after a failure it absorbed");
	script_free(c);
	return 0;
}

static void script_parse_nomem(void **state)
{
	(void)state;
	sweep("script_parse", op_script, NULL, OK_NOMEM);
}

/* --- files, answers and binding (loaded from files) -------------------------- */

static void write_tmp(char *path, const char *text)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int op_files_read(void *ctx, struct err *e)
{
	uint8_t *data = NULL;
	size_t len = 0;
	if (files_read(ctx, 1 << 20, &data, &len, e))
		return -1;
	if (len != strlen(yaml_text))
		WRONG("files_read: wrong length after a failure it absorbed");
	free(data);
	return 0;
}

struct answers_ctx {
	const char *path;
	FILE *out;
};

static int op_answers(void *ctx, struct err *e)
{
	struct answers_ctx *a = ctx;
	char *ans = NULL;
	struct prompt *p = prompt_answers_new(a->path, a->out, e);
	int ret = -1;
	if (!p)
		return -1;
	struct prompt_q q = {.step = "s1", .role = "witness", .key = "name", .text = "name"};
	if (prompt_ask(p, &q, &ans, e))
		goto out;
	if (strcmp(ans, "Ann"))
		WRONG("prompt_answers_new: wrong answer after a failure it absorbed");
	q.key = "signoff";
	if (prompt_confirm(p, &q, e))
		goto out;
	ret = 0;
out:
	free(ans);
	prompt_free(p);
	return ret;
}

struct binding_ctx {
	const char *path;
	const struct ceremony *c;
};

static int op_binding(void *ctx, struct err *e)
{
	struct binding_ctx *b = ctx;
	struct binding *bf = NULL;
	if (binding_load(b->path, b->c, &bf, e))
		return -1;
	if (bf->n != 2 || bf->n_signers != 2 || strcmp(bf->signers[1].label, "wendy key") ||
	    strcmp(bf->signers[1].token_uri, "pkcs11:token=WENDY;serial=1"))
		WRONG("binding_load: wrong binding after a failure it absorbed");
	binding_free(bf);
	return 0;
}

static void loaders_nomem(void **state)
{
	(void)state;
	char ypath[] = "/tmp/ceremony-failalloc.XXXXXX", apath[] = "/tmp/ceremony-failalloc.XXXXXX",
	     bpath[] = "/tmp/ceremony-failalloc.XXXXXX";
	struct ceremony *c = NULL;
	struct err e;
	write_tmp(ypath, yaml_text);
	sweep("files_read", op_files_read, ypath, OK_NOMEM | OK_IO);
	unlink(ypath);

	write_tmp(apath, "answers: 1\nsteps:\n  s1:\n    witness: {name: [Ann, Bob], signoff: \"yes\"}\n"
			 "  s2:\n    operator: {pin: \"246810\", confirm: \"yes\"}\n");
	struct answers_ctx a = {.path = apath, .out = fopen("/dev/null", "w")};
	assert_non_null(a.out);
	sweep("prompt_answers_new", op_answers, &a, OK_NOMEM | OK_IO);
	fclose(a.out);
	unlink(apath);

	assert_int_equal(script_parse("test.yaml", (const uint8_t *)script_text, strlen(script_text), &step_registry, &c, &e), 0);
	write_tmp(bpath, "binding: 1\nmodule: /usr/lib/softhsm/libsofthsm2.so\ntokens:\n"
			 "  root: \"pkcs11:token=EXAMPLE-ROOT\"\n  backup: \"pkcs11:token=EXAMPLE-BACKUP;serial=2\"\n"
			 "signers:\n  Ann: \"pkcs11:token=ANN;object=ann\"\n"
			 "  \"Wendy Wu\": \"pkcs11:token=WENDY;object=wendy%20key;type=private;serial=1\"\n");
	struct binding_ctx b = {.path = bpath, .c = c};
	sweep("binding_load", op_binding, &b, OK_NOMEM | OK_IO);
	unlink(bpath);
	script_free(c);
}

/* --- transcript verifier ----------------------------------------------------- */

struct ts_ctx {
	uint8_t *data;
	size_t len;
	struct ts_report want;
};

static int op_ts_verify(void *ctx, struct err *e)
{
	struct ts_ctx *t = ctx;
	struct ts_report *r = malloc(sizeof *r);
	if (!r)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (ts_verify(t->data, t->len, NULL, r, e)) {
		free(r);
		return -1;
	}
	/* A failed allocation is never a verdict about the transcript, except where
	 * OpenSSL gives an answer instead of a failure (openssl_ambiguous). */
	if (r->verdict == TS_INVALID &&
	    ((strstr(r->reason, "SubjectPublicKeyInfo") && strstr(r->reason, "decode error")) ||
	     strstr(r->reason, "signature does not verify") ||
	     strstr(r->reason, "starting signature verification"))) {
		free(r);
		return 2;
	}
	if (r->verdict != t->want.verdict || r->records != t->want.records || strcmp(r->reason, t->want.reason) ||
	    memcmp(r->head, t->want.head, 32))
		WRONG("ts_verify: verdict %d (%.100s) after a failed allocation, wanted %d", r->verdict, r->reason,
			 t->want.verdict);
	free(r);
	return 0;
}

static void ts_verify_nomem(void **state)
{
	(void)state;
	struct ts_ctx t;
	struct err e;
	assert_int_equal(files_read("tests/vectors/good-es256.cts", 1 << 24, &t.data, &t.len, &e), 0);
	assert_int_equal(ts_verify(t.data, t.len, NULL, &t.want, &e), 0);
	assert_int_equal(t.want.verdict, TS_VALID);
	sweep("ts_verify (good-es256.cts)", op_ts_verify, &t, OK_NOMEM | OK_CRYPTO);
	free(t.data);
}

/* --- shamir, words, der ------------------------------------------------------ */

static int op_shamir(void *ctx, struct err *e)
{
	const struct secret *s = ctx;
	struct shamir_share *sh = NULL, back[3];
	struct secret *text = NULL, *out = NULL;
	int ret = -1;
	size_t parsed = 0;
	memset(back, 0, sizeof back);
	if (shamir_split(s, 3, 5, "pin:root", &sh, e))
		goto out;
	/* Shares 2, 4 and 5 go through their text form, as a custodian types them. */
	static const size_t pick[3] = {1, 3, 4};
	for (size_t i = 0; i < 3; i++) {
		secret_free(text);
		if (!(text = secret_new(512, e)) || shamir_share_format(&sh[pick[i]], text, e) ||
		    shamir_share_parse((const char *)text->p, text->len, &back[i], e))
			goto out;
		parsed++;
	}
	if (!(out = secret_new(s->len, e)) || shamir_combine(back, 3, out, e))
		goto out;
	if (out->len != s->len || memcmp(out->p, s->p, s->len))
		WRONG("shamir: wrong secret after a failure it absorbed");
	ret = 0;
out:
	for (size_t i = 0; i < parsed; i++)
		shamir_share_clear(&back[i]);
	shamir_shares_free(sh, 5);
	secret_free(text);
	secret_free(out);
	return ret;
}

static int op_words(void *ctx, struct err *e)
{
	uint8_t out[4];
	(void)ctx;
	if (words_parse("topmost Istanbul Pluto vagabond", out, 4) || words_parse("E582 94F2", out, 4))
		return err_set(e, ERR_INPUT, "words_parse refused a good line");
	if (memcmp(out, "\xe5\x82\x94\xf2", 4))
		WRONG("words_parse: wrong bytes");
	return 0;
}

static int op_der(void *ctx, struct err *e)
{
	static const uint8_t good[] = {0x30, 0x08, 0x02, 0x01, 0x05, 0x0c, 0x03, 'a', 'b', 'c'};
	(void)ctx;
	return der_check(good, sizeof good, e);
}

static void shamir_words_der_nomem(void **state)
{
	(void)state;
	struct err e;
	struct secret *s = secret_new(32, &e);
	assert_non_null(s);
	assert_int_equal(secret_random(s, 32, &e), 0);
	sweep("shamir_split, format, parse and combine", op_shamir, s, OK_NOMEM | OK_CRYPTO);
	secret_free(s);
	sweep("words_parse", op_words, NULL, OK_NOMEM);
	sweep("der_check", op_der, NULL, OK_NOMEM);
}

static void skipped(void **state)
{
	(void)state;
	skip();
}

int main(void)
{
	/* OpenSSL's per-thread error state, made once here rather than in a window;
	 * each slot of its queue keeps the buffer of its error's text for the next
	 * error (ERR_clear_error empties it, does not free it). */
	ERR_clear_error();
	failalloc_state("ERR_add_error_vdata");
	failalloc_state("ERR_vset_error");
#ifdef FAILALLOC_SKIP
	const struct CMUnitTest tests[] = {cmocka_unit_test(skipped)};
#else
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dcbor_encode_decode), cmocka_unit_test(cose_sign_verify),
		cmocka_unit_test(ydoc_parse_nomem),    cmocka_unit_test(script_parse_nomem),
		cmocka_unit_test(loaders_nomem),       cmocka_unit_test(ts_verify_nomem),
		cmocka_unit_test(shamir_words_der_nomem),
	};
	(void)skipped;
#endif
	return cmocka_run_group_tests(tests, NULL, NULL);
}
