/* transcript: writer and verifier of `ceremony-transcript/1` (TRANSCRIPT.md).
 *
 * The writer and the verifier share one per-record shape check (check_entry),
 * so the runner can never write a record its own verifier would reject for its
 * shape: a bug in a step type stops the ceremony before the record is written.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "files.h"
#include "hash.h"
#include "transcript.h"
#include "ts_contents.h"
#include "ts_source.h"
#include "words.h"

enum {
	HASH_LEN = 32,
	CID_LEN = 16,
};

static const uint8_t zero_hash[HASH_LEN];

/* ======================================================================= */
/* Shape checks (TRANSCRIPT.md "Entry"): check 2 of the verifier.           */
/* ======================================================================= */

static bool is_tstr(const cbor_item_t *it)
{
	return it && cbor_isa_string(it) && cbor_string_is_definite(it);
}

static bool is_bstr(const cbor_item_t *it, size_t want)
{
	return it && cbor_isa_bytestring(it) && cbor_bytestring_is_definite(it) &&
	       (want == SIZE_MAX || cbor_bytestring_length(it) == want);
}

static bool is_uint_max(const cbor_item_t *it, uint64_t max)
{
	return it && cbor_isa_uint(it) && cbor_get_int(it) <= max;
}

static bool is_bool(const cbor_item_t *it)
{
	/* libcbor's ctrl accessors assert on a float, so ask for a ctrl first. */
	return it && cbor_isa_float_ctrl(it) && cbor_float_ctrl_is_ctrl(it) && cbor_is_bool(it);
}

/* `{ * tstr => ... }`: every key a text string (the empty map qualifies). */
static bool is_tstr_map(const cbor_item_t *it)
{
	if (!it || !cbor_isa_map(it))
		return false;
	for (size_t i = 0; i < cbor_map_size(it); i++) {
		if (!is_tstr(cbor_map_handle(it)[i].key))
			return false;
	}
	return true;
}

/* The map has uint keys only, all of `required` (bit k = key k) and nothing
 * outside required|optional: an unknown key is an error, because the format
 * grows only by keys a later revision of TRANSCRIPT.md names. */
static int check_keys(const cbor_item_t *m, uint32_t required, uint32_t optional, const char *what, struct err *e)
{
	uint32_t seen = 0;
	if (!m || !cbor_isa_map(m)) /* mutate: keys-map */
		return err_set(e, ERR_SHAPE, "%s is not a map", what);
	for (size_t i = 0; i < cbor_map_size(m); i++) {
		const cbor_item_t *k = cbor_map_handle(m)[i].key;
		uint64_t v;
		if (!dcbor_as_u64(k, &v)) /* mutate: keys-uint */
			return err_set(e, ERR_SHAPE, "%s has a key that is not an unsigned integer", what);
		if (v >= 32 || !((required | optional) & (UINT32_C(1) << v))) /* mutate: keys-unknown */
			return err_set(e, ERR_SHAPE, "%s has unknown key %" PRIu64, what, v);
		seen |= UINT32_C(1) << v;
	}
	for (unsigned k = 0; k < 32; k++) {
		if ((required & (UINT32_C(1) << k)) && !(seen & (UINT32_C(1) << k))) /* mutate: keys-required */
			return err_set(e, ERR_SHAPE, "%s lacks key %u", what, k);
	}
	return 0;
}

#define K(n) (UINT32_C(1) << (n))
#define G(m, k) dcbor_get_u((m), (k))

/* signer = { 0: kid bstr 32, 1: SPKI DER bstr, 2: alg int, ? 3: where tstr } */
static int check_signer(const cbor_item_t *s, const char *what, struct err *e)
{
	const cbor_item_t *kid, *spki, *alg;
	uint8_t h[HASH_LEN];
	if (check_keys(s, K(0) | K(1) | K(2), K(3), what, e) != 0) /* mutate: signer-keys */
		return -1;
	kid = G(s, 0);
	spki = G(s, 1);
	alg = G(s, 2);
	if (!is_bstr(kid, HASH_LEN) || !is_bstr(spki, SIZE_MAX)) /* mutate: signer-kid-spki-types */
		return err_set(e, ERR_SHAPE, "%s kid must be bstr 32 and SPKI a bstr", what);
	if (!cbor_isa_negint(alg) && !cbor_isa_uint(alg)) /* mutate: signer-alg-int */
		return err_set(e, ERR_SHAPE, "%s alg is not an integer", what);
	if (G(s, 3) && !is_tstr(G(s, 3))) /* mutate: signer-location */
		return err_set(e, ERR_SHAPE, "%s location is not text", what);
	cose_kid(cbor_bytestring_handle(spki), cbor_bytestring_length(spki), h);
	if (memcmp(h, cbor_bytestring_handle(kid), HASH_LEN) != 0) /* mutate: signer-kid-is-spki-hash */
		return err_set(e, ERR_SHAPE, "%s kid is not the SHA-256 of its SPKI", what);
	return 0;
}

/* signoff = { 0: role, 1: name, 2: statement, 3: time uint, 4: method 0|1,
 *             ? 5: COSE_Sign1 bstr, ? 6: signer's SPKI DER bstr }
 * Keys 5 and 6 come together, with method 1 and only then. */
static int check_signoffs(const cbor_item_t *a, struct err *e)
{
	if (!a || !cbor_isa_array(a)) /* mutate: signoffs-array */
		return err_set(e, ERR_SHAPE, "signoffs is not an array");
	for (size_t i = 0; i < cbor_array_size(a); i++) {
		const cbor_item_t *s = cbor_array_handle(a)[i];
		if (check_keys(s, K(0) | K(1) | K(2) | K(3) | K(4), K(5) | K(6), "signoff", e) != 0) /* mutate: signoff-keys */
			return -1;
		if (!is_tstr(G(s, 0)) || !is_tstr(G(s, 1)) || !is_tstr(G(s, 2)) || !is_uint_max(G(s, 3), UINT64_MAX) || /* mutate: signoff-types */
		    !is_uint_max(G(s, 4), 1) || (G(s, 5) && !is_bstr(G(s, 5), SIZE_MAX)) ||
		    (G(s, 6) && !is_bstr(G(s, 6), SIZE_MAX)))
			return err_set(e, ERR_SHAPE, "signoff %zu has a value of the wrong type", i);
		bool is_signed = cbor_get_int(G(s, 4)) == 1;
		if (is_signed && (!G(s, 5) || !G(s, 6))) /* mutate: signoff-signed-has-sig */
			return err_set(e, ERR_SHAPE, "signoff %zu is signed (method 1) but lacks its COSE_Sign1 (key 5) or "
				       "the signer's SPKI (key 6)", i);
		if (!is_signed && (G(s, 5) || G(s, 6))) /* mutate: signoff-attested-no-sig */
			return err_set(e, ERR_SHAPE, "signoff %zu is attested (method 0) but carries a signature", i);
	}
	return 0;
}

int ts_signoff_payload(const uint8_t cid[16], uint64_t begin_seq, const uint8_t begin_hash[32],
		       const cbor_item_t *outputs, const cbor_item_t *role, const cbor_item_t *name,
		       const cbor_item_t *statement, struct buf *out, struct err *e)
{
	struct buf ob = {0};
	uint8_t oh[HASH_LEN];
	cbor_item_t *m = dcbor_map();
	int rc = -1;
	if (!m)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (dcbor_encode(outputs, &ob, e))
		goto out;
	hash_sha256(ob.p, ob.len, oh);
	if (dcbor_put_u(m, 0, dcbor_bytes(cid, CID_LEN), e) || dcbor_put_u(m, 1, dcbor_uint(begin_seq), e) ||
	    dcbor_put_u(m, 2, dcbor_bytes(begin_hash, HASH_LEN), e) || dcbor_put_u(m, 3, dcbor_bytes(oh, HASH_LEN), e) ||
	    dcbor_put_u(m, 4, cbor_incref((cbor_item_t *)role), e) ||
	    dcbor_put_u(m, 5, cbor_incref((cbor_item_t *)name), e) ||
	    dcbor_put_u(m, 6, cbor_incref((cbor_item_t *)statement), e))
		goto out;
	rc = dcbor_encode(m, out, e);
out:
	buf_free(&ob);
	cbor_decref(&m);
	return rc;
}

static int check_genesis(const cbor_item_t *b, struct err *e)
{
	const cbor_item_t *fmt, *script, *hosts, *inputs;
	uint8_t h[HASH_LEN];

	if (check_keys(b, K(0) | K(1) | K(2) | K(3) | K(4) | K(5) | K(6), K(7) | K(8) | K(9) | K(10), "genesis", e) != 0) /* mutate: genesis-keys */
		return -1;
	fmt = G(b, 0);
	if (!is_tstr(fmt) || cbor_string_length(fmt) != strlen(TS_FORMAT) || /* mutate: genesis-format */
	    memcmp(cbor_string_handle(fmt), TS_FORMAT, strlen(TS_FORMAT)) != 0)
		return err_set(e, ERR_SHAPE, "genesis format is not '%s'", TS_FORMAT);
	script = G(b, 3);
	if (!is_tstr(G(b, 1)) || !is_bstr(G(b, 2), HASH_LEN) || !is_bstr(script, SIZE_MAX) || /* mutate: genesis-types */
	    !is_uint_max(G(b, 5), 1) || !is_tstr(G(b, 6)) || (G(b, 7) && !is_bstr(G(b, 7), HASH_LEN)))
		return err_set(e, ERR_SHAPE, "genesis has a value of the wrong type");
	/* The script travels with its hash so the transcript replays on its own. */
	hash_sha256(cbor_bytestring_handle(script), cbor_bytestring_length(script), h);
	if (memcmp(h, cbor_bytestring_handle(G(b, 2)), HASH_LEN) != 0) /* mutate: genesis-script-hash */
		return err_set(e, ERR_SHAPE, "genesis script does not hash to script-sha256");
	if (check_signer(G(b, 4), "genesis signer", e) != 0) /* mutate: genesis-signer */
		return -1;
	hosts = G(b, 8);
	if (hosts) {
		if (!is_tstr_map(hosts)) /* mutate: genesis-host-keys */
			return err_set(e, ERR_SHAPE, "genesis host is not a map of text");
		for (size_t i = 0; i < cbor_map_size(hosts); i++) {
			if (!is_tstr(cbor_map_handle(hosts)[i].value)) /* mutate: genesis-host-values */
				return err_set(e, ERR_SHAPE, "genesis host is not a map of text");
		}
	}
	/* 10: tokens { * tstr => { * tstr => tstr } }: what each token name was bound to */
	if (G(b, 10)) {
		const cbor_item_t *t = G(b, 10);
		if (!is_tstr_map(t)) /* mutate: genesis-tokens-keys */
			return err_set(e, ERR_SHAPE, "genesis tokens is not a map of text");
		for (size_t i = 0; i < cbor_map_size(t); i++) {
			const cbor_item_t *m = cbor_map_handle(t)[i].value;
			if (!is_tstr_map(m)) /* mutate: genesis-tokens-inner-keys */
				return err_set(e, ERR_SHAPE, "genesis tokens is not a map of text to maps of text");
			for (size_t j = 0; j < cbor_map_size(m); j++)
				if (!is_tstr(cbor_map_handle(m)[j].value)) /* mutate: genesis-tokens-inner-values */
					return err_set(e, ERR_SHAPE, "genesis tokens is not a map of text to maps of text");
		}
	}
	inputs = G(b, 9);
	if (inputs) {
		if (!cbor_isa_array(inputs)) /* mutate: genesis-inputs-array */
			return err_set(e, ERR_SHAPE, "genesis inputs is not an array");
		for (size_t i = 0; i < cbor_array_size(inputs); i++) {
			const cbor_item_t *in = cbor_array_handle(inputs)[i];
			if (check_keys(in, K(0) | K(1) | K(2), 0, "genesis input", e) != 0) /* mutate: input-keys */
				return -1;
			if (!is_tstr(G(in, 0)) || !is_bstr(G(in, 1), HASH_LEN) || !is_uint_max(G(in, 2), UINT64_MAX)) /* mutate: input-types */
				return err_set(e, ERR_SHAPE, "genesis input %zu has a value of the wrong type", i);
		}
	}
	return 0;
}

static int check_step_begin(const cbor_item_t *b, struct err *e)
{
	if (check_keys(b, K(0) | K(1) | K(2) | K(3), K(4), "step-begin", e) != 0) /* mutate: begin-keys */
		return -1;
	if (!is_tstr(G(b, 0)) || !is_uint_max(G(b, 1), UINT64_MAX) || !is_tstr(G(b, 2)) || !is_tstr_map(G(b, 3)) || /* mutate: begin-types */
	    (G(b, 4) && !is_tstr(G(b, 4))))
		return err_set(e, ERR_SHAPE, "step-begin has a value of the wrong type");
	return 0;
}

/* artifact = { 0: name, 1: sha256 bstr 32, 2: size uint, ? 3: media type, ? 4: content }.
 * An embedded artifact must hash to its recorded sha256 and have its size:
 * part of check 6, done always because it needs nothing from outside. */
static int check_artifacts(const cbor_item_t *a, struct err *e)
{
	if (!cbor_isa_array(a)) /* mutate: artifacts-array */
		return err_set(e, ERR_SHAPE, "artifacts is not an array");
	for (size_t i = 0; i < cbor_array_size(a); i++) {
		const cbor_item_t *art = cbor_array_handle(a)[i], *content;
		uint8_t h[HASH_LEN];
		uint64_t size;
		if (check_keys(art, K(0) | K(1) | K(2), K(3) | K(4), "artifact", e) != 0) /* mutate: artifact-keys */
			return -1;
		content = G(art, 4);
		if (!is_tstr(G(art, 0)) || !is_bstr(G(art, 1), HASH_LEN) || !dcbor_as_u64(G(art, 2), &size) || /* mutate: artifact-types */
		    (G(art, 3) && !is_tstr(G(art, 3))) || (content && !is_bstr(content, SIZE_MAX)))
			return err_set(e, ERR_SHAPE, "artifact %zu has a value of the wrong type", i);
		if (!content)
			continue;
		if (size != cbor_bytestring_length(content)) /* mutate: artifact-size */
			return err_set(e, ERR_ARTIFACT, "artifact %zu size %" PRIu64 " differs from its content (%zu bytes)",
				       i, size, cbor_bytestring_length(content));
		hash_sha256(cbor_bytestring_handle(content), cbor_bytestring_length(content), h);
		if (memcmp(h, cbor_bytestring_handle(G(art, 1)), HASH_LEN) != 0) /* mutate: artifact-hash */
			return err_set(e, ERR_ARTIFACT, "artifact %zu content does not hash to its sha256", i);
	}
	return 0;
}

static int check_step_result(const cbor_item_t *b, struct err *e)
{
	const cbor_item_t *checks, *dec, *er;
	if (check_keys(b, K(0) | K(1) | K(2) | K(3), /* mutate: result-keys */
		       K(4) | K(5) | K(6) | K(7) | K(8) | K(9) | K(10) | K(11) | K(12), "step-result", e) != 0)
		return -1;
	if (!is_tstr(G(b, 0)) || !is_uint_max(G(b, 1), UINT64_MAX) || !is_uint_max(G(b, 2), TS_DEVIATION) || /* mutate: result-types */
	    !is_tstr_map(G(b, 3)) || (G(b, 8) && !is_tstr(G(b, 8))))
		return err_set(e, ERR_SHAPE, "step-result has a value of the wrong type");
	checks = G(b, 4);
	if (checks) {
		if (!cbor_isa_array(checks)) /* mutate: checks-array */
			return err_set(e, ERR_SHAPE, "step-result checks is not an array");
		for (size_t i = 0; i < cbor_array_size(checks); i++) {
			const cbor_item_t *c = cbor_array_handle(checks)[i];
			if (check_keys(c, K(0) | K(1) | K(2) | K(3), 0, "check", e) != 0) /* mutate: check-keys */
				return -1;
			if (!is_tstr(G(c, 0)) || !is_bool(G(c, 3))) /* mutate: check-types */
				return err_set(e, ERR_SHAPE, "check %zu has a value of the wrong type", i);
		}
	}
	if (G(b, 5) && check_signoffs(G(b, 5), e) != 0) /* mutate: result-signoffs */
		return -1;
	if (G(b, 6) && check_artifacts(G(b, 6), e) != 0) /* mutate: result-artifacts */
		return -1;
	dec = G(b, 7);
	if (dec) {
		if (check_keys(dec, K(0) | K(1), K(2), "decision", e) != 0) /* mutate: decision-keys */
			return -1;
		if (!is_tstr(G(dec, 0)) || !is_tstr(G(dec, 1)) || (G(dec, 2) && !is_tstr(G(dec, 2)))) /* mutate: decision-types */
			return err_set(e, ERR_SHAPE, "decision has a value of the wrong type");
	}
	er = G(b, 9);
	if (er) {
		if (check_keys(er, K(0) | K(1), 0, "error", e) != 0) /* mutate: error-keys */
			return -1;
		if (!is_tstr(G(er, 0)) || !is_tstr(G(er, 1))) /* mutate: error-types */
			return err_set(e, ERR_SHAPE, "error has a value of the wrong type");
	}
	/* 10: each Actual confirmation as given: a sign-off attested at the prompt */
	if (G(b, 10)) {
		if (check_signoffs(G(b, 10), e) != 0) /* mutate: confirmations-shape */
			return -1;
		for (size_t i = 0; i < cbor_array_size(G(b, 10)); i++)
			if (cbor_get_int(G(cbor_array_handle(G(b, 10))[i], 4)) != 0) /* mutate: confirmations-attested */
				return err_set(e, ERR_SHAPE, "confirmation %zu is not attested (method 0)", i);
	}
	/* 11: attempts refused and asked again, 12: refusals — each {0, 1, 2: tstr, 3: time} */
	for (int k = 11; k <= 12; k++) {
		const cbor_item_t *a = G(b, k);
		const char *what = k == 11 ? "attempt" : "refusal";
		if (!a)
			continue;
		if (!cbor_isa_array(a)) /* mutate: attempts-array */
			return err_set(e, ERR_SHAPE, "step-result %ss is not an array", what);
		for (size_t i = 0; i < cbor_array_size(a); i++) {
			const cbor_item_t *x = cbor_array_handle(a)[i];
			if (check_keys(x, K(0) | K(1) | K(2) | K(3), 0, what, e) != 0) /* mutate: attempt-keys */
				return -1;
			if (!is_tstr(G(x, 0)) || !is_tstr(G(x, 1)) || !is_tstr(G(x, 2)) || !is_uint_max(G(x, 3), UINT64_MAX)) /* mutate: attempt-types */
				return err_set(e, ERR_SHAPE, "%s %zu has a value of the wrong type", what, i);
		}
	}
	return 0;
}

static int check_body(uint64_t kind, const cbor_item_t *b, struct err *e)
{
	switch (kind) {
	case TS_GENESIS:
		return check_genesis(b, e);
	case TS_STEP_BEGIN:
		return check_step_begin(b, e);
	case TS_STEP_RESULT:
		return check_step_result(b, e);
	case TS_CHECKPOINT:
		if (check_keys(b, K(0), K(1), "checkpoint", e) != 0) /* mutate: checkpoint-keys */
			return -1;
		if (!is_tstr(G(b, 0))) /* mutate: checkpoint-label */
			return err_set(e, ERR_SHAPE, "checkpoint label is not text");
		return G(b, 1) ? check_signoffs(G(b, 1), e) : 0; /* mutate: checkpoint-signoffs */
	case TS_RESUME:
		if (check_keys(b, K(0) | K(1) | K(2) | K(3), K(4) | K(5), "resume", e) != 0) /* mutate: resume-keys */
			return -1;
		if (!is_uint_max(G(b, 0), UINT64_MAX) || !is_uint_max(G(b, 1), UINT64_MAX) || !is_bstr(G(b, 2), HASH_LEN) || /* mutate: resume-types */
		    !is_tstr(G(b, 3)))
			return err_set(e, ERR_SHAPE, "resume has a value of the wrong type");
		if (G(b, 5) && check_signoffs(G(b, 5), e) != 0) /* mutate: resume-signoffs */
			return -1;
		return G(b, 4) ? check_signer(G(b, 4), "resume signer", e) : 0; /* mutate: resume-signer */
	case TS_SEAL:
		if (check_keys(b, K(0) | K(1), K(2), "seal", e) != 0) /* mutate: seal-keys */
			return -1;
		if (!is_uint_max(G(b, 0), TS_HALTED) || !is_tstr_map(G(b, 1))) /* mutate: seal-types */
			return err_set(e, ERR_SHAPE, "seal has a value of the wrong type");
		return G(b, 2) ? check_signoffs(G(b, 2), e) : 0; /* mutate: seal-signoffs */
	}
	return err_set(e, ERR_SHAPE, "unknown kind %" PRIu64, kind); /* mutate: kind-unknown */
}

/* The fields of an entry, borrowed from its decoded item. */
struct entry_view {
	uint64_t seq, time, kind;
	const uint8_t *prev, *cid;
	const cbor_item_t *body;
};

/* entry = { 0: seq, 1: prev bstr 32, 2: cid bstr 16, 3: time, 4: kind, 5: body } */
static int check_entry(const cbor_item_t *m, struct entry_view *v, struct err *e)
{
	if (check_keys(m, K(0) | K(1) | K(2) | K(3) | K(4) | K(5), 0, "entry", e) != 0) /* mutate: entry-keys */
		return -1;
	if (!dcbor_as_u64(G(m, 0), &v->seq) || !is_bstr(G(m, 1), HASH_LEN) || !is_bstr(G(m, 2), CID_LEN) || /* mutate: entry-types */
	    !dcbor_as_u64(G(m, 3), &v->time) || !dcbor_as_u64(G(m, 4), &v->kind))
		return err_set(e, ERR_SHAPE, "entry has a value of the wrong type");
	if (v->kind > TS_SEAL) /* mutate: kind-unknown */
		return err_set(e, ERR_SHAPE, "unknown kind %" PRIu64, v->kind);
	v->prev = cbor_bytestring_handle(G(m, 1));
	v->cid = cbor_bytestring_handle(G(m, 2));
	v->body = G(m, 5);
	return check_body(v->kind, v->body, e);
}

/* ======================================================================= */
/* Writer                                                                   */
/* ======================================================================= */

struct ts_writer {
	int fd;
	struct cose_signer *signer;   /* borrowed */
	uint8_t cid[CID_LEN];
	uint8_t head[HASH_LEN];
	uint64_t next_seq;
	uint64_t last_ms;
	uint64_t outcomes[5];   /* step-results written, by outcome */
	bool sealed;
	bool broken;   /* a write or sync failed: the file's state is unknown, stop */
	bool signer_change;   /* reopened with another signer: the next record must name it */
};

uint64_t ts_now_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int put_uint(struct buf *b, uint64_t v, struct err *e)
{
	unsigned char h[9];
	return buf_append(b, h, cbor_encode_uint(v, h, sizeof h), e);
}

static int put_bytes(struct buf *b, const uint8_t *p, size_t n, struct err *e)
{
	unsigned char h[9];
	if (buf_append(b, h, cbor_encode_bytestring_start(n, h, sizeof h), e) != 0)
		return -1;
	return buf_append(b, p, n, e);
}

static int write_all(int fd, const uint8_t *p, size_t n, struct err *e)
{
	if (files_write_all(fd, p, n) != 0)
		return err_errno(e, "writing the transcript");
	return 0;
}

/* The crash tests' hook (tests/cli/t0740): CEREMONY_TEST_CRASH=WHEN:SEQ kills the
 * process with SIGKILL before record SEQ is written, after it is durable, or inside
 * its write (half of it written and synced) — the three places a power cut can fall.
 * It only ever ends the process, as a power cut would, so it needs no guard. */
enum crash_at { CRASH_BEFORE, CRASH_INSIDE, CRASH_AFTER };

static bool crash_wanted(enum crash_at when, uint64_t seq)
{
	static const char *const names[] = {"before", "inside", "after"};
	const char *v = getenv("CEREMONY_TEST_CRASH");
	size_t n = strlen(names[when]);
	char *end;
	if (!v || strncmp(v, names[when], n) || v[n] != ':')
		return false;
	errno = 0;
	unsigned long long at = strtoull(v + n + 1, &end, 10);
	return !errno && !*end && end != v + n + 1 && at == seq;
}

static void crash_hook(enum crash_at when, uint64_t seq)
{
	if (crash_wanted(when, seq))
		raise(SIGKILL);
}

/* Builds, checks, signs, writes and syncs one record. */
static int append_record(struct ts_writer *w, uint64_t kind, const cbor_item_t *body, uint64_t *seq, struct err *e)
{
	struct buf entry = {0}, rec = {0};
	cbor_item_t *back = NULL;
	struct entry_view v;
	uint64_t t = ts_now_ms();
	size_t used = 0;
	int ret = -1;

	if (w->broken) {
		err_set(e, ERR_TRANSCRIPT, "the transcript writer stopped after an earlier failure");
		goto out;
	}
	if (w->sealed) {
		err_set(e, ERR_TRANSCRIPT, "the transcript is sealed; nothing may follow the seal");
		goto out;
	}
	/* Never decreasing (TRANSCRIPT.md entry 3): a clock stepped back is clamped. */
	if (t < w->last_ms)
		t = w->last_ms;
	/* The entry's keys 0..5 are single bytes in ascending order, so it is
	 * assembled directly in its deterministic form. */
	if (buf_append(&entry, "\xa6", 1, e) != 0 || put_uint(&entry, 0, e) != 0 || put_uint(&entry, w->next_seq, e) != 0 ||
	    put_uint(&entry, 1, e) != 0 || put_bytes(&entry, w->head, HASH_LEN, e) != 0 || put_uint(&entry, 2, e) != 0 ||
	    put_bytes(&entry, w->cid, CID_LEN, e) != 0 || put_uint(&entry, 3, e) != 0 || put_uint(&entry, t, e) != 0 ||
	    put_uint(&entry, 4, e) != 0 || put_uint(&entry, kind, e) != 0 || put_uint(&entry, 5, e) != 0 ||
	    dcbor_encode(body, &entry, e) != 0)
		goto out;
	/* Read it back as the verifier will: fail closed on a malformed body. */
	if (dcbor_decode_strict(entry.p, entry.len, false, &back, &used, e) != 0 || check_entry(back, &v, e) != 0) {
		err_wrap(e, "refusing to write a malformed record");
		goto out;
	}
	if (cose_sign1(w->signer, entry.p, entry.len, &rec, e) != 0) {
		err_wrap(e, "signing a transcript record");
		goto out;
	}
	/* From here on a failure leaves the file in an unknown state. */
	w->broken = true;
	crash_hook(CRASH_BEFORE, w->next_seq);
	if (crash_wanted(CRASH_INSIDE, w->next_seq) && write_all(w->fd, rec.p, rec.len / 2, e) == 0 &&
	    fdatasync(w->fd) == 0) {
		raise(SIGKILL);
	} else if (write_all(w->fd, rec.p, rec.len, e) != 0) {
		goto out;
	}
	/* The record is durable before the ceremony acts on it (fail closed). */
	if (fdatasync(w->fd) != 0) {
		err_errno(e, "syncing the transcript");
		goto out;
	}
	w->broken = false;
	crash_hook(CRASH_AFTER, w->next_seq);
	hash_sha256(rec.p, rec.len, w->head);
	w->last_ms = t;
	if (seq)
		*seq = w->next_seq;
	w->next_seq++;
	if (kind == TS_SEAL)
		w->sealed = true;
	if (kind == TS_STEP_RESULT)
		w->outcomes[cbor_get_int(G(v.body, 2))]++;   /* check_entry bounded it */
	ret = 0;
out:
	if (back)
		cbor_decref(&back);
	buf_free(&entry);
	buf_free(&rec);
	return ret;
}

cbor_item_t *ts_signer_map(const struct cose_signer *s, const char *where, struct err *e)
{
	cbor_item_t *m = dcbor_map();
	if (!m) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (dcbor_put_u(m, 0, dcbor_bytes(s->kid, HASH_LEN), e) != 0 ||
	    dcbor_put_u(m, 1, dcbor_bytes(s->spki, s->spki_len), e) != 0 || dcbor_put_u(m, 2, dcbor_int(s->alg), e) != 0 ||
	    (where && dcbor_put_u(m, 3, dcbor_text(where), e) != 0)) {
		cbor_decref(&m);
		return NULL;
	}
	return m;
}

/* A new directory entry is durable only once its directory is synced. */
static int sync_parent(const char *path, struct err *e)
{
	char *copy = strdup(path);
	int fd = -1, ret = -1;
	if (!copy) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		err_errno(e, "syncing the directory of '%s'", path);
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(copy);
	return ret;
}

int ts_writer_open(const char *path, struct cose_signer *signer, const struct ts_genesis *g, struct ts_writer **out,
		   struct err *e)
{
	struct ts_writer *w = NULL;
	cbor_item_t *body = NULL;
	uint8_t h[HASH_LEN];
	bool created = false;
	int ret = -1;

	*out = NULL;
	if (!g->title || !g->runner || (!g->script && g->script_len)) {
		err_set(e, ERR_TRANSCRIPT, "genesis needs a title, the script and the runner's name");
		goto out;
	}
	w = calloc(1, sizeof *w);
	if (!w) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	w->signer = signer;
	/* O_EXCL: a transcript is never overwritten; O_APPEND: only ever grows. */
	w->fd = open(path, O_EXCL | O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		err_errno(e, "creating transcript '%s'", path);
		goto out;
	}
	created = true;
	if (RAND_bytes(w->cid, CID_LEN) != 1) {
		err_openssl(e, "drawing the ceremony id");
		goto out;
	}
	hash_sha256(g->script, g->script_len, h);
	body = dcbor_map();
	if (!body) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (dcbor_put_u(body, 0, dcbor_text(TS_FORMAT), e) != 0 || dcbor_put_u(body, 1, dcbor_text(g->title), e) != 0 ||
	    dcbor_put_u(body, 2, dcbor_bytes(h, HASH_LEN), e) != 0 ||
	    dcbor_put_u(body, 3, dcbor_bytes(g->script, g->script_len), e) != 0 ||
	    dcbor_put_u(body, 4, ts_signer_map(signer, g->signer_where, e), e) != 0 ||
	    dcbor_put_u(body, 5, dcbor_uint(g->rehearsal ? 1 : 0), e) != 0 ||
	    dcbor_put_u(body, 6, dcbor_text(g->runner), e) != 0)
		goto out;
	if (g->continues && dcbor_put_u(body, 7, dcbor_bytes(g->continues, 32), e) != 0)
		goto out;
	if (g->host) {
		cbor_incref(g->host);   /* borrowed from the caller; dcbor_put_u consumes a reference */
		if (dcbor_put_u(body, 8, g->host, e) != 0)
			goto out;
	}
	if (g->inputs) {
		cbor_incref(g->inputs);
		if (dcbor_put_u(body, 9, g->inputs, e) != 0)
			goto out;
	}
	if (g->tokens) {
		cbor_incref(g->tokens);
		if (dcbor_put_u(body, 10, g->tokens, e) != 0)
			goto out;
	}
	if (sync_parent(path, e) != 0 || append_record(w, TS_GENESIS, body, NULL, e) != 0)
		goto out;
	*out = w;
	w = NULL;
	ret = 0;
out:
	if (body)
		cbor_decref(&body);
	if (w) {
		if (w->fd >= 0)
			close(w->fd);
		/* Nothing of a ceremony has happened yet: do not leave a half genesis. */
		if (created)
			unlink(path);
		free(w);
	}
	return ret;
}

int ts_append(struct ts_writer *w, enum ts_kind kind, const cbor_item_t *body, uint64_t *seq, struct err *e)
{
	if (kind == TS_GENESIS || (unsigned)kind > TS_SEAL)
		return err_set(e, ERR_TRANSCRIPT, "cannot append a record of kind %d", (int)kind);
	/* A new signer must sign its own resume record, and only a writer reopened with
	 * one (ts_writer_reopen) holds a new signer. */
	bool names_signer = kind == TS_RESUME && dcbor_get_u(body, 4);
	if (names_signer != w->signer_change)
		return err_set(e, ERR_TRANSCRIPT, w->signer_change ? "the first record after a signer change must be the "
								     "resume record naming the new signer"
								   : "a signer change needs a writer reopened with the new signer");
	if (append_record(w, kind, body, seq, e) != 0)
		return -1;
	w->signer_change = false;
	return 0;
}

int ts_writer_reopen(const char *path, struct cose_signer *signer, const struct ts_report *r, struct ts_writer **out,
		     struct err *e)
{
	struct ts_writer *w = NULL;
	struct stat st;

	*out = NULL;
	if (r->verdict == TS_INVALID || r->seal_status >= 0 || r->records == 0)
		return err_set(e, ERR_TRANSCRIPT, "only an unsealed transcript whose every record is good can be taken on");
	if (!(w = calloc(1, sizeof *w)))
		return err_set(e, ERR_NOMEM, "out of memory");
	/* No O_CREAT: the file is the one that was verified; O_APPEND: it only grows. */
	w->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (w->fd < 0 || fstat(w->fd, &st) != 0) {
		err_errno(e, "opening transcript '%s' to go on", path);
		goto fail;
	}
	if ((uint64_t)st.st_size != (uint64_t)r->whole_len) {
		err_set(e, ERR_TRANSCRIPT, "'%s' is %lld bytes, not the %zu of its whole records: it changed since it was "
					 "verified, or its torn tail was not cut", path, (long long)st.st_size, r->whole_len);
		goto fail;
	}
	w->signer = signer;
	memcpy(w->cid, r->cid, CID_LEN);
	memcpy(w->head, r->head, HASH_LEN);
	w->next_seq = r->records;
	w->last_ms = r->last_ms;
	memcpy(w->outcomes, r->outcomes, sizeof w->outcomes);
	w->signer_change = r->n_signers == 0 || r->n_signers != r->n_signers_total ||
			   memcmp(r->signers[r->n_signers - 1].kid, signer->kid, HASH_LEN) != 0;
	*out = w;
	return 0;
fail:
	if (w->fd >= 0)
		close(w->fd);
	free(w);
	return -1;
}

int ts_cut_torn(const char *path, size_t whole_len, size_t *moved, uint8_t sha256[32], char *side, size_t cap,
		struct err *e)
{
	uint8_t *tail = NULL;
	struct stat st;
	int fd = -1, sfd = -1, ret = -1;

	*moved = 0;
	hash_sha256(NULL, 0, sha256);   /* of nothing discarded, until something is */
	if (cap)
		side[0] = 0;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		err_errno(e, "opening transcript '%s'", path);
		goto out;
	}
	if ((uint64_t)st.st_size <= (uint64_t)whole_len) {
		ret = 0;
		goto out;
	}
	size_t n = (size_t)st.st_size - whole_len;
	if (!(tail = malloc(n))) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	ssize_t got = pread(fd, tail, n, (off_t)whole_len);
	if (got < 0 || (size_t)got != n) {
		err_errno(e, "reading the torn tail of '%s'", path);
		goto out;
	}
	/* The torn bytes are kept, never deleted: a new side file, durable before the cut. */
	for (unsigned k = 1; sfd < 0; k++) {
		int w = k == 1 ? snprintf(side, cap, "%s.torn-%zu", path, whole_len)
			       : snprintf(side, cap, "%s.torn-%zu-%u", path, whole_len, k);
		if (w < 0 || (size_t)w >= cap) {
			err_set(e, ERR_IO, "path too long: '%s'", path);
			goto out;
		}
		sfd = open(side, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (sfd < 0 && (errno != EEXIST || k >= 100)) {
			err_errno(e, "creating '%s' for the torn tail", side);
			goto out;
		}
	}
	if (write_all(sfd, tail, n, e) != 0)
		goto out;
	if (fsync(sfd) != 0) {
		err_errno(e, "syncing '%s'", side);
		goto out;
	}
	if (sync_parent(side, e) != 0)
		goto out;
	if (ftruncate(fd, (off_t)whole_len) != 0 || fsync(fd) != 0) {
		err_errno(e, "cutting '%s' back to its last whole record", path);
		goto out;
	}
	hash_sha256(tail, n, sha256);
	*moved = n;
	ret = 0;
out:
	if (sfd >= 0)
		close(sfd);
	if (fd >= 0)
		close(fd);
	free(tail);
	return ret;
}

void ts_writer_head(const struct ts_writer *w, uint8_t head[32])
{
	memcpy(head, w->head, HASH_LEN);
}

uint64_t ts_writer_next_seq(const struct ts_writer *w)
{
	return w->next_seq;
}

void ts_writer_outcomes(const struct ts_writer *w, uint64_t counts[5])
{
	memcpy(counts, w->outcomes, sizeof w->outcomes);
}

const uint8_t *ts_writer_cid(const struct ts_writer *w)
{
	return w->cid;
}

void ts_writer_close(struct ts_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

/* ======================================================================= */
/* Verifier                                                                 */
/* ======================================================================= */

/* The key currently allowed to sign records. */
struct signer_state {
	uint8_t *spki;   /* malloc'ed copy */
	size_t spki_len;
	uint8_t kid[HASH_LEN];
	int alg;
};

struct vstate {
	struct ts_report *r;
	struct signer_state cur;
	struct cose_key key;           /* the current signer's, parsed once (cose.h) */
	const struct ts_verify_opts *o;
	uint8_t *anchor_met;          /* per anchor: 1 its record's prev is its head, 2 it is not */
	struct ts_contents *contents; /* what the good records contain (ts_contents.h) */
	uint8_t script_hash[HASH_LEN];
	bool have_genesis;
	bool sealed;
	bool signed_ok;               /* the record being checked carries a signature that verifies */
	int64_t pending;              /* seq of a step-begin awaiting its result, -1 none */
	char *pending_id;
	uint8_t pending_hash[HASH_LEN];   /* SHA-256 of that step-begin record's bytes */
	bool resumed;                 /* a resume came after the pending step-begin */
	char pending_what[400];       /* what that open step may have done (an INCOMPLETE verdict says it) */
	uint8_t genesis_kid[HASH_LEN];
	uint64_t outcomes[5];         /* good step-results by outcome, for the seal's summary */
	struct change {               /* each signer change at a resume record */
		uint64_t seq;
		uint8_t kid[HASH_LEN];
	} *changes;
	size_t n_changes, changes_cap;
};

static void invalid(struct ts_report *r, uint64_t seq, const char *fmt, ...) CER_PRINTF(3, 4);

static void invalid(struct ts_report *r, uint64_t seq, const char *fmt, ...)
{
	va_list ap;
	r->verdict = TS_INVALID;
	r->bad_seq = (int64_t)seq;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof r->reason, fmt, ap);
	va_end(ap);
}

static int signer_set(struct signer_state *s, const cbor_item_t *m, struct err *e)
{
	const cbor_item_t *spki = G(m, 1), *alg = G(m, 2);
	uint8_t *copy = malloc(cbor_bytestring_length(spki) + 1);
	if (!copy)
		return err_set(e, ERR_NOMEM, "out of memory");
	memcpy(copy, cbor_bytestring_handle(spki), cbor_bytestring_length(spki));
	free(s->spki);
	s->spki = copy;
	s->spki_len = cbor_bytestring_length(spki);
	memcpy(s->kid, cbor_bytestring_handle(G(m, 0)), HASH_LEN);
	/* check_signer made sure it is an integer; an absurd one fails the alg check later. */
	if (cbor_isa_negint(alg))
		s->alg = cbor_get_int(alg) > 1000000 ? 0 : -1 - (int)cbor_get_int(alg);
	else
		s->alg = cbor_get_int(alg) > 1000000 ? 0 : (int)cbor_get_int(alg);
	return 0;
}

/* Accounts record pos to the current signer: a new range when the signer differs
 * from the last record's. */
static void signer_range(struct ts_report *r, uint64_t pos, const uint8_t kid[HASH_LEN])
{
	struct ts_signer_range *last = r->n_signers ? &r->signers[r->n_signers - 1] : NULL;
	if (last && r->n_signers == r->n_signers_total && memcmp(last->kid, kid, HASH_LEN) == 0) {
		last->last = pos;
		return;
	}
	if (r->n_signers_total++ == r->n_signers && r->n_signers < sizeof r->signers / sizeof r->signers[0]) {
		struct ts_signer_range *n = &r->signers[r->n_signers++];
		memcpy(n->kid, kid, HASH_LEN);
		n->first = n->last = pos;
		n->resume_seq = pos == 0 ? -1 : (int64_t)pos;
		n->vouch = pos == 0 ? TS_VOUCH_FILE : TS_VOUCH_NONE;
	}
}

static int add_change(struct vstate *st, uint64_t pos, const uint8_t kid[HASH_LEN], struct err *e)
{
	if (st->n_changes == st->changes_cap) {
		size_t cap = st->changes_cap ? st->changes_cap * 2 : 4;
		void *p = realloc(st->changes, cap * sizeof *st->changes);
		if (!p)
			return err_set(e, ERR_NOMEM, "out of memory");
		st->changes = p;
		st->changes_cap = cap;
	}
	st->changes[st->n_changes].seq = pos;
	memcpy(st->changes[st->n_changes].kid, kid, HASH_LEN);
	st->n_changes++;
	return 0;
}

/* TRANSCRIPT.md seal: every count the summary states equals what the records hold. */
static bool summary_lies(const struct vstate *st, const cbor_item_t *sum, char *why, size_t cap)
{
	static const char *const names[] = {"passed", "failed", "skipped", "aborted", "deviation", "steps_run"};
	uint64_t total = 0;
	for (size_t i = 0; i < 5; i++)
		total += st->outcomes[i];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const cbor_item_t *v = dcbor_get(sum, names[i]);
		uint64_t want = i < 5 ? st->outcomes[i] : total;
		if (!v)
			continue;
		if (!cbor_isa_uint(v)) { /* mutate: summary-count */
			snprintf(why, cap, "the seal's summary '%s' is not a count", names[i]);
			return true;
		}
		if (cbor_get_int(v) != want) { /* mutate: summary-matches */
			snprintf(why, cap, "the seal's summary says %s %" PRIu64 ", the step-results hold %" PRIu64, names[i],
				 (uint64_t)cbor_get_int(v), want);
			return true;
		}
	}
	return false;
}

/* The payload of a COSE_Sign1 without verifying it (to learn a new signer). */
static int record_payload(const cbor_item_t *rec, const uint8_t **p, size_t *n, struct err *e)
{
	cbor_item_t *arr = NULL, *pl;
	int ret = -1;
	if (!cbor_isa_tag(rec) || cbor_tag_value(rec) != 18) {
		err_set(e, ERR_COSE, "record is not a COSE_Sign1 (tag 18)");
		goto out;
	}
	arr = cbor_tag_item(rec);
	if (!cbor_isa_array(arr) || cbor_array_size(arr) != 4) {
		err_set(e, ERR_COSE, "COSE_Sign1 is not an array of 4");
		goto out;
	}
	pl = cbor_array_handle(arr)[2];
	if (!is_bstr(pl, SIZE_MAX)) {
		err_set(e, ERR_COSE, "COSE_Sign1 payload is not a byte string");
		goto out;
	}
	*p = cbor_bytestring_handle(pl);
	*n = cbor_bytestring_length(pl);
	ret = 0;
out:
	if (arr)
		cbor_decref(&arr);
	return ret;
}

/* Copies a tstr into a fixed buffer, cut at a UTF-8 character boundary. */
static void copy_text(char *dst, size_t cap, const cbor_item_t *t)
{
	size_t n = cbor_string_length(t);
	if (n > cap - 1) {
		n = cap - 1;
		while (n > 0 && (cbor_string_handle(t)[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, cbor_string_handle(t), n);
	dst[n] = 0;
}

static void add_signoff_kid(struct ts_report *r, const uint8_t kid[HASH_LEN])
{
	for (size_t i = 0; i < r->n_signoff_kids; i++) {
		if (memcmp(r->signoff_kids[i], kid, HASH_LEN) == 0)
			return;
	}
	if (r->n_signoff_kids < sizeof r->signoff_kids / sizeof r->signoff_kids[0])
		memcpy(r->signoff_kids[r->n_signoff_kids++], kid, HASH_LEN);
}

/* Signed sign-offs (method 1) of a step-result: each COSE_Sign1 at key 5 verifies with
 * the SPKI at key 6 and signs exactly ts_signoff_payload of this ceremony, this step's
 * begin record and outputs, and the sign-off's own role, name and statement.
 * Returns 1 good, 0 bad (r filled), -1 internal failure. */
static int verify_signoffs(struct vstate *st, uint64_t pos, const uint8_t *cid, const cbor_item_t *body,
			   struct err *e)
{
	struct ts_report *r = st->r;
	const cbor_item_t *a = G(body, 5);
	for (size_t i = 0; a && i < cbor_array_size(a); i++) {
		const cbor_item_t *so = cbor_array_handle(a)[i];
		cbor_item_t *sign1 = NULL;
		const uint8_t *pl = NULL;
		size_t pl_len = 0, used = 0;
		struct buf want = {0};
		struct err de = {.kind = ERR_NONE};
		uint8_t kid[HASH_LEN];
		int alg = 0, ok = 0;
		if (cbor_get_int(G(so, 4)) != 1)
			continue;
		const cbor_item_t *cs = G(so, 5), *spki = G(so, 6);
		if (dcbor_decode_strict(cbor_bytestring_handle(cs), cbor_bytestring_length(cs), true, &sign1, &used, &de) != /* mutate: signoff-cose-cbor */
		    0) {
			if (de.kind == ERR_NOMEM)
				return err_set(e, ERR_NOMEM, "%s", de.msg);
			invalid(r, pos, "signed sign-off %zu: its COSE_Sign1: %s", i, de.msg);
			return 0;
		}
		if (used != cbor_bytestring_length(cs)) /* mutate: signoff-cose-trailing */
			invalid(r, pos, "signed sign-off %zu: trailing bytes after its COSE_Sign1", i);
		else if (cose_verify1(sign1, cbor_bytestring_handle(spki), cbor_bytestring_length(spki), &pl, &pl_len, &alg, /* mutate: signoff-signature */
				      &de) != 0)
			invalid(r, pos, "signed sign-off %zu: %s", i, de.msg);
		else if (alg != COSE_ALG_ES256 && alg != COSE_ALG_ES384) /* mutate: signoff-alg */
			invalid(r, pos, "signed sign-off %zu: alg %d is not ES256 or ES384", i, alg);
		else if (ts_signoff_payload(cid, cbor_get_int(G(body, 1)), st->pending_hash, G(body, 3), G(so, 0), G(so, 1),
					    G(so, 2), &want, e) != 0) {
			cbor_decref(&sign1);
			buf_free(&want);
			return -1;
		} else if (want.len != pl_len || memcmp(want.p, pl, pl_len) != 0) /* mutate: signoff-covers */
			invalid(r, pos,
				"signed sign-off %zu: its signature does not cover this sign-off (ceremony id, step-begin "
				"seq or hash, outputs, role, name or statement differ)",
				i);
		else
			ok = 1;
		cbor_decref(&sign1);
		buf_free(&want);
		if (!ok && de.kind == ERR_NOMEM)
			return err_set(e, ERR_NOMEM, "%s", de.msg);
		if (!ok)
			return 0;
		cose_kid(cbor_bytestring_handle(spki), cbor_bytestring_length(spki), kid);
		r->signed_signoffs++;
		add_signoff_kid(r, kid);
	}
	return 1;
}

/* A signed sign-off outside a step-result has no step to sign over. */
static bool has_signed(const cbor_item_t *a)
{
	for (size_t i = 0; a && i < cbor_array_size(a); i++) {
		if (cbor_get_int(G(cbor_array_handle(a)[i], 4)) == 1)
			return true;
	}
	return false;
}

/* Checks 1-5 for the record at data[0..n) in position pos. Returns 1 when the
 * record is good, 0 when it is bad (r filled), -1 on internal failure. */

/* The text of a tstr item into out ("" when it is not one). */
static void text_of(const cbor_item_t *it, char *out, size_t len)
{
	out[0] = 0;
	if (it && cbor_isa_string(it) && cbor_string_is_definite(it))
		snprintf(out, len, "%.*s", (int)(cbor_string_length(it) < 120 ? cbor_string_length(it) : 120),
			 (const char *)cbor_string_handle(it));
}

/* For an INCOMPLETE verdict: the step that began and has no result, and what it may
 * have done ("step 'root-key' (key.generate) began at record 8 and has no result: it
 * may have acted on token 'root', where an object labelled 'root-ca-key' may exist"),
 * from its step-begin (TRANSCRIPT.md kind 1: id, type, params). */
static void open_step_what(const cbor_item_t *body, uint64_t seq, char *out, size_t len)
{
	char id[128], type[128], token[128] = "", label[128] = "";
	const cbor_item_t *params = G(body, 3);
	text_of(G(body, 0), id, sizeof id);
	text_of(G(body, 2), type, sizeof type);
	if (params && cbor_isa_map(params)) {
		text_of(dcbor_get(params, "token"), token, sizeof token);
		text_of(dcbor_get(params, "label"), label, sizeof label);
	}
	int n = snprintf(out, len, "step '%s' (%s) began at record %" PRIu64 " and has no result: it may have acted", id,
			 type, seq);
	if (n > 0 && (size_t)n < len && token[0])
		snprintf(out + n, len - (size_t)n, " on token '%s'%s%s%s", token, label[0] ? ", where an object labelled '" : "",
			 label, label[0] ? "' may exist" : "");
}

static int verify_record(struct vstate *st, uint64_t pos, const cbor_item_t *rec, const uint8_t *raw, size_t n,
			 struct err *e)
{
	struct ts_report *r = st->r;
	cbor_item_t *entry = NULL;
	const uint8_t *pl = NULL;
	size_t pl_len = 0, used = 0;
	struct entry_view v;
	struct err de = {.kind = ERR_NONE};
	const cbor_item_t *signer = NULL;   /* signer map of this record when it names one */
	uint8_t kid[HASH_LEN], h[HASH_LEN];
	int alg = 0, ret = 0;
	bool sig_done = false;

	st->signed_ok = false;
	/* Check 1, early when the current signer is known: the signature is
	 * checked before anything in the payload is believed. */
	if (cose_peek(rec, &alg, kid, &de) != 0) {
		invalid(r, pos, "%s", de.msg);
		goto out;
	}
	if (pos > 0 && memcmp(kid, st->cur.kid, HASH_LEN) == 0) {
		if (cose_verify1_keyed(rec, st->cur.spki, st->cur.spki_len, &st->key, &pl, &pl_len, &alg, &de) != 0) { /* mutate: signature */
			invalid(r, pos, "%s", de.msg);
			goto out;
		}
		sig_done = true;
		st->signed_ok = true;
	} else if (record_payload(rec, &pl, &pl_len, &de) != 0) {
		invalid(r, pos, "%s", de.msg);
		goto out;
	}

	/* Check 2: deterministic and shaped. */
	if (dcbor_decode_strict(pl, pl_len, false, &entry, &used, &de) != 0) { /* mutate: payload-cbor */
		if (de.kind == ERR_NOMEM) {
			ret = err_set(e, ERR_NOMEM, "%s", de.msg);
			goto out;
		}
		invalid(r, pos, "payload: %s", de.msg);
		goto out;
	}
	if (used != pl_len) { /* mutate: payload-trailing */
		invalid(r, pos, "payload: trailing bytes after the entry");
		goto out;
	}
	if (check_entry(entry, &v, &de) != 0) {
		invalid(r, pos, "payload: %s", de.msg);
		goto out;
	}

	/* Check 4 (signer part): record 0 is genesis and names the first signer;
	 * only a resume may name another. */
	if (pos == 0) {
		if (v.kind != TS_GENESIS) { /* mutate: record0-genesis */
			invalid(r, pos, "record 0 is not genesis");
			goto out;
		}
		signer = G(v.body, 4);
	} else if (v.kind == TS_GENESIS) { /* mutate: genesis-once */
		invalid(r, pos, "genesis after record 0");
		goto out;
	} else if (v.kind == TS_RESUME && G(v.body, 4)) {
		signer = G(v.body, 4);
	}
	if (sig_done && signer && memcmp(cbor_bytestring_handle(G(signer, 0)), st->cur.kid, HASH_LEN) != 0) { /* mutate: resume-signed-by-new */
		invalid(r, pos, "resume names a new signer but is not signed by it");
		goto out;
	}
	if (!sig_done) {
		struct signer_state next = {0};
		if (!signer) { /* mutate: signer-known */
			/* Not the current signer's kid and no new signer named here. */
			invalid(r, pos, "kid does not match the current signer");
			goto out;
		}
		if (signer_set(&next, signer, e) != 0) {
			ret = -1;
			goto out;
		}
		if (cose_verify1(rec, next.spki, next.spki_len, &pl, &pl_len, &alg, &de) != 0) { /* mutate: signature-new-signer */
			free(next.spki);
			invalid(r, pos, "%s", de.msg);
			goto out;
		}
		st->signed_ok = true;
		free(st->cur.spki);
		st->cur = next;
		if (pos > 0 && add_change(st, pos, st->cur.kid, e) != 0) {
			ret = -1;
			goto out;
		}
	}
	if (alg != st->cur.alg) { /* mutate: alg-declared */
		invalid(r, pos, "record alg differs from the signer's declared alg");
		goto out;
	}

	/* Check 3: the chain. */
	if (v.seq != pos) { /* mutate: seq-position */
		invalid(r, pos, "seq %" PRIu64 " at position %" PRIu64 " (record dropped, inserted or reordered)", v.seq,
			pos);
		goto out;
	}
	if (pos > 0 && memcmp(v.cid, r->cid, CID_LEN) != 0) { /* mutate: cid-same */
		invalid(r, pos, "ceremony id changed (record from another transcript)");
		goto out;
	}
	if (memcmp(v.prev, pos == 0 ? zero_hash : r->head, HASH_LEN) != 0) { /* mutate: prev-chain */
		invalid(r, pos, "prev is not the SHA-256 of the previous record");
		goto out;
	}
	if (pos > 0 && v.time < r->last_ms) { /* mutate: time-monotonic */
		invalid(r, pos, "time decreases");
		goto out;
	}

	/* Check 4: steps in order. */
	if (v.kind == TS_STEP_BEGIN) {
		if (st->pending >= 0 && !st->resumed) { /* mutate: begin-after-result */
			invalid(r, pos, "step-begin while step '%.200s' (seq %" PRId64 ") has no result", st->pending_id,
				st->pending);
			goto out;
		}
		free(st->pending_id);
		st->pending_id = dcbor_strdup(G(v.body, 0));
		if (!st->pending_id) {
			ret = err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		st->pending = (int64_t)pos;
		st->resumed = false;
		open_step_what(v.body, pos, st->pending_what, sizeof st->pending_what);
	} else if (v.kind == TS_STEP_RESULT) {
		uint64_t begin = 0;
		const cbor_item_t *id = G(v.body, 0);
		(void)dcbor_as_u64(G(v.body, 1), &begin);
		if (st->pending < 0 || begin != (uint64_t)st->pending) { /* mutate: result-names-begin */
			invalid(r, pos, "step-result names seq %" PRIu64 ", which is not the step-begin awaiting a result",
				begin);
			goto out;
		}
		if (cbor_string_length(id) != strlen(st->pending_id) || /* mutate: result-step-id */
		    memcmp(cbor_string_handle(id), st->pending_id, cbor_string_length(id)) != 0) {
			invalid(r, pos, "step-result step id differs from its step-begin");
			goto out;
		}
		int so = verify_signoffs(st, pos, v.cid, v.body, e);
		if (so <= 0) {
			ret = so;
			goto out;
		}
		st->pending = -1;
		st->resumed = false;
	} else if (v.kind == TS_RESUME) {
		st->resumed = true;
	}
	if ((v.kind == TS_CHECKPOINT && has_signed(G(v.body, 1))) || (v.kind == TS_SEAL && has_signed(G(v.body, 2))) || /* mutate: signed-signoff-placement */
	    (v.kind == TS_RESUME && has_signed(G(v.body, 5)))) {
		invalid(r, pos, "a signed sign-off (method 1) belongs in a step-result, where it signs over the step");
		goto out;
	}
	/* Check 5: the seal's summary is the records', not a claim of its own. */
	if (v.kind == TS_SEAL) {
		char why[200];
		if (summary_lies(st, G(v.body, 1), why, sizeof why)) {
			invalid(r, pos, "%s", why);
			goto out;
		}
	}

	/* The record is good: account for it. */
	if (pos == 0) {
		memcpy(r->cid, v.cid, CID_LEN);
		r->first_ms = v.time;
		copy_text(r->title, sizeof r->title, G(v.body, 1));
		r->rehearsal = cbor_get_int(G(v.body, 5)) == 1;
		memcpy(st->script_hash, cbor_bytestring_handle(G(v.body, 2)), HASH_LEN);
		memcpy(st->genesis_kid, st->cur.kid, HASH_LEN);
		st->have_genesis = true;
	}
	if (v.kind == TS_SEAL) {
		st->sealed = true;
		r->seal_status = (int)cbor_get_int(G(v.body, 0));
	}
	if (v.kind == TS_STEP_RESULT)
		st->outcomes[cbor_get_int(G(v.body, 2))]++;   /* the shape check bounded it */
	signer_range(r, pos, st->cur.kid);
	for (size_t i = 0; st->o && i < st->o->n_anchors; i++)
		if (st->o->anchors[i].seq == pos)
			st->anchor_met[i] = memcmp(v.prev, st->o->anchors[i].head, HASH_LEN) == 0 ? 1 : 2;
	if (ts_contents_take(st->contents, pos, (enum ts_kind)v.kind, v.body, e) ||
	    (st->o && st->o->each && st->o->each(st->o->each_ctx, pos, v.time, (enum ts_kind)v.kind, v.body, e))) {
		ret = -1;
		goto out;
	}
	hash_sha256(raw, n, h);
	memcpy(r->head, h, HASH_LEN);
	if (v.kind == TS_STEP_BEGIN)
		memcpy(st->pending_hash, h, HASH_LEN);   /* what its sign-offs will sign over */
	r->last_ms = v.time;
	r->records++;
	ret = 1;
out:
	/* Running out of memory is no verdict about the record: ts_verify fails instead. */
	if (ret == 0 && de.kind == ERR_NOMEM)
		ret = err_set(e, ERR_NOMEM, "%s", de.msg);
	if (entry)
		cbor_decref(&entry);
	return ret;
}

/* Check 6, the parts given from outside: the script and the paper log's anchors. */
static void verify_options(struct vstate *st, const struct ts_verify_opts *o)
{
	struct ts_report *r = st->r;
	/* Records known good; an earlier finding wins only when its seq is lower. */
	uint64_t good = r->records;

	if (o->script && st->have_genesis) {
		uint8_t h[HASH_LEN];
		hash_sha256(o->script, o->script_len, h);
		if (memcmp(h, st->script_hash, HASH_LEN) != 0 && (r->verdict != TS_INVALID || r->bad_seq > 0)) /* mutate: script-hash */
			invalid(r, 0, "the script given does not match script-sha256 of genesis");
	}
	for (size_t i = 0; i < o->n_anchors; i++) {
		const struct ts_anchor *a = &o->anchors[i];
		if (r->verdict == TS_INVALID && (uint64_t)r->bad_seq <= a->seq)
			continue;
		if (a->seq >= good) /* mutate: anchor-beyond */
			invalid(r, a->seq, "anchor %" PRIu64 " lies beyond the last good record (%" PRIu64 " records)",
				a->seq, good);
		else if (st->anchor_met[i] != 1) /* mutate: anchor-match */
			invalid(r, a->seq, "anchor %" PRIu64 " does not match the head before that record", a->seq);
	}
}

/* The paper log's kids and anchors against the signers (TRANSCRIPT.md "A new signer
 * is not trusted by the file alone"). Runs on a file with every record good: a kid
 * may belong to a signer past a bad record, which was never read. */
static void vouch(struct vstate *st, const struct ts_verify_opts *o)
{
	struct ts_report *r = st->r;
	char hex[65];

	/* A kid from the paper log that signed nothing: not the transcript the room made
	 * (e.g. one re-signed from genesis by another key). */
	for (size_t i = 0; o && i < o->n_kids; i++) {
		bool found = memcmp(o->kids[i], st->genesis_kid, HASH_LEN) == 0;
		for (size_t c = 0; c < st->n_changes && !found; c++)
			found = memcmp(o->kids[i], st->changes[c].kid, HASH_LEN) == 0;
		if (!found) { /* mutate: kid-signed-nothing */
			invalid(r, 0, "kid %s from the paper log signed no record of this transcript",
				words_hex(o->kids[i], HASH_LEN, hex, sizeof hex));
			return;
		}
	}
	for (size_t k = 0; o && k < o->n_kids && r->n_signers; k++)
		if (memcmp(o->kids[k], st->genesis_kid, HASH_LEN) == 0)
			r->signers[0].vouch = TS_VOUCH_KID;   /* the genesis signer, confirmed */
	for (size_t c = 0; c < st->n_changes; c++) {
		const struct change *ch = &st->changes[c];
		enum ts_vouch v = TS_VOUCH_NONE;
		uint64_t at = 0;
		for (size_t k = 0; o && k < o->n_kids && v == TS_VOUCH_NONE; k++)
			if (memcmp(o->kids[k], ch->kid, HASH_LEN) == 0) /* mutate: kid-vouches-own */
				v = TS_VOUCH_KID;
		/* An anchor SEQ:HEAD pins the records before SEQ: only SEQ > the resume's seq
		 * covers the resume record and so the key it names. verify_options has made
		 * every anchor given match, or the verdict INVALID. */
		for (size_t k = 0; o && k < o->n_anchors && v == TS_VOUCH_NONE; k++)
			if (o->anchors[k].seq > ch->seq && o->anchors[k].seq < r->records) { /* mutate: anchor-after-resume */
				v = TS_VOUCH_ANCHOR;
				at = o->anchors[k].seq;
			}
		for (size_t i = 0; i < r->n_signers; i++)
			if (r->signers[i].resume_seq == (int64_t)ch->seq) {
				r->signers[i].vouch = v;
				r->signers[i].anchor_seq = at;
			}
		if (v == TS_VOUCH_NONE && r->unanchored_seq < 0) { /* mutate: unanchored */
			char rest[ERR_MSG_MAX / 2];
			snprintf(rest, sizeof rest, "%.400s", r->verdict == TS_INCOMPLETE ? r->reason : "");
			r->unanchored_seq = (int64_t)ch->seq;
			snprintf(r->reason, sizeof r->reason,
				 "the signer changed at resume record %" PRIu64 " to kid %s, and no anchor after it nor a "
				 "--kid from the paper log vouches for records %" PRIu64 " to %" PRIu64 "%s%s",
				 ch->seq, words_hex(ch->kid, HASH_LEN, hex, sizeof hex), ch->seq, r->records - 1,
				 rest[0] ? "; also " : "", rest);
			r->verdict = TS_UNANCHORED;
		}
	}
}

/* Whether a whole record of this ceremony with a seq after pos starts anywhere in
 * data[from, end): a record that cannot be read but is followed by good ones was
 * damaged, not torn (a length made longer swallows the records after it). */
static bool later_record(const uint8_t *data, size_t end, size_t from, uint64_t pos, const uint8_t cid[CID_LEN])
{
	for (size_t i = from; i < end; i++) {
		cbor_item_t *rec = NULL, *entry = NULL;
		const uint8_t *pl;
		size_t used = 0, pl_len = 0;
		struct err de;
		struct entry_view v;
		bool hit = false;
		if (data[i] != 0xd2)   /* tag 18, the first byte of every record */
			continue;
		if (dcbor_decode_strict(data + i, end - i, true, &rec, &used, &de) != 0)
			continue;
		if (record_payload(rec, &pl, &pl_len, &de) == 0 &&
		    dcbor_decode_strict(pl, pl_len, false, &entry, &used, &de) == 0 && check_entry(entry, &v, &de) == 0)
			hit = v.seq > pos && memcmp(v.cid, cid, CID_LEN) == 0; /* mutate: later-record-seq later-record-cid */
		if (entry)
			cbor_decref(&entry);
		cbor_decref(&rec);
		if (hit)
			return true;
	}
	return false;
}

/* TRANSCRIPT.md: bytes after the last whole record that do not decode as a record —
 * a torn write, the zero fill a power cut can leave, or a record's prefix followed
 * by zero fill — are a torn tail. The tail (every byte from the record at pos on) is
 * that when, without the trailing zero bytes, it is empty or a strict prefix of a
 * CBOR item, and no later record of the ceremony is found inside it. */
static bool torn_tail(const uint8_t *tail, size_t len, uint64_t pos, const uint8_t cid[CID_LEN])
{
	size_t nz = len;
	cbor_item_t *it = NULL;
	size_t used = 0;
	struct err de;
	while (nz > 0 && tail[nz - 1] == 0) /* mutate: zero-fill */
		nz--;
	if (nz == 0)
		return true;
	if (dcbor_decode_strict(tail, nz, true, &it, &used, &de) == 0) {
		cbor_decref(&it);
		return false;
	}
	return de.kind == ERR_TRUNCATED && (pos == 0 || !later_record(tail, nz, 1, pos, cid)); /* mutate: torn-truncated torn-later-record */
}

static void report_init(struct ts_report *r)
{
	memset(r, 0, sizeof *r);
	r->verdict = TS_INCOMPLETE;
	r->bad_seq = -1;
	r->open_seq = -1;
	r->seal_status = -1;
	r->unanchored_seq = -1;
}

/* The checks of TRANSCRIPT.md "What a verifier checks", over the records of src in
 * order, each read, checked and let go before the next: the memory needed is the
 * largest record's and what the checks keep (signers, open step, contents), never
 * the file's. */
static int verify_source(struct ts_source *src, const struct ts_verify_opts *o, struct ts_report *r, struct err *e)
{
	struct vstate st = {0};
	uint64_t pos = 0;
	int ret = -1;

	report_init(r);
	st.r = r;
	st.o = o;
	st.pending = -1;
	if (o && o->n_anchors && !(st.anchor_met = calloc(o->n_anchors, 1))) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (!(st.contents = ts_contents_new(o, e)))
		goto out;

	for (;;) {
		cbor_item_t *rec = NULL;
		const uint8_t *raw = NULL;
		struct err de = {.kind = ERR_NONE};
		size_t used = 0;
		int rc, k = ts_source_next(src, &rec, &raw, &used, &de, e);

		if (k == -2)
			goto out;
		if (k == 0)
			break;
		if (st.sealed) { /* mutate: after-seal */
			if (rec)
				cbor_decref(&rec);
			invalid(r, pos, "data after the seal");
			break;
		}
		st.signed_ok = false;
		if (k < 0) { /* mutate: record-cbor */
			if (de.kind == ERR_NOMEM) {
				err_set(e, ERR_NOMEM, "%s", de.msg);
				goto out;
			}
			invalid(r, pos, "record: %s", de.msg);
			rc = 0;
		} else {
			rc = verify_record(&st, pos, rec, raw, used, e);
			cbor_decref(&rec);
			if (rc < 0)
				goto out;
		}
		if (rc == 0) {
			/* Every record before it is good: a crash mid-write, not a forgery. A record
			 * whose signature verifies is whole (its last byte may be a zero of its
			 * signature), so what is wrong with it is never a torn tail. */
			const uint8_t *tail;
			size_t tail_len;
			if (!st.signed_ok) {
				if (ts_source_rest(src, &tail, &tail_len, e))
					goto out;
				if (torn_tail(tail, tail_len, pos, r->cid)) { /* mutate: torn-tail */
					r->verdict = TS_INCOMPLETE;
					r->bad_seq = -1;
					snprintf(r->reason, sizeof r->reason,
						 "torn tail at byte offset %zu (%zu bytes after the last whole record)", src->off,
						 tail_len);
				}
			}
			break;
		}
		ts_source_take(src, used);
		pos++;
	}
	r->whole_len = src->off;
	memcpy(r->outcomes, st.outcomes, sizeof r->outcomes);
	r->open_seq = st.pending;
	if (r->verdict != TS_INVALID && !r->reason[0]) {
		if (st.sealed) /* mutate: seal-required */
			r->verdict = r->seal_status == TS_COMPLETED ? TS_VALID : TS_VALID_ABORTED; /* mutate: seal-status */
		else if (r->records == 0)
			snprintf(r->reason, sizeof r->reason, "empty transcript: no genesis");
		else if (st.pending >= 0)
			snprintf(r->reason, sizeof r->reason, "no seal: the transcript ends after %" PRIu64 " records; %s",
				 r->records, st.pending_what);
		else
			snprintf(r->reason, sizeof r->reason, "no seal: the transcript ends after %" PRIu64 " records",
				 r->records);
	}
	if (o)
		verify_options(&st, o);
	if (r->verdict != TS_INVALID)
		vouch(&st, o);
	/* What the good records contain (artifacts, certificates, fingerprints): a file is
	 * INVALID for its contents only when all its records are good. */
	if (r->verdict != TS_INVALID && r->records && ts_contents_finish(st.contents, r, e))
		goto out;
	ret = 0;
out:
	ts_contents_free(st.contents);
	cose_key_free(&st.key);
	free(st.cur.spki);
	free(st.anchor_met);
	free(st.pending_id);
	free(st.changes);
	return ret;
}

int ts_verify(const uint8_t *data, size_t len, const struct ts_verify_opts *o, struct ts_report *r, struct err *e)
{
	struct ts_source src;
	ts_source_memory(&src, data, len);
	return verify_source(&src, o, r, e);
}

int ts_verify_fd(int fd, size_t max_record, const struct ts_verify_opts *o, struct ts_report *r, struct err *e)
{
	struct ts_source src;
	ts_source_file(&src, fd, max_record);
	int rc = verify_source(&src, o, r, e);
	ts_source_free(&src);
	return rc;
}

struct untimed {
	ts_entry_each each;
	void *ctx;
};

static int drop_time(void *ctx, uint64_t seq, uint64_t time_ms, enum ts_kind kind, const cbor_item_t *body,
		     struct err *e)
{
	const struct untimed *u = ctx;
	(void)time_ms;
	return u->each(u->ctx, seq, kind, body, e);
}

int ts_each_entry(const uint8_t *data, size_t len, ts_entry_each each, void *ctx, struct err *e)
{
	struct untimed u = {each, ctx};
	return ts_each_entry_timed(data, len, drop_time, &u, e);
}

int ts_each_entry_timed(const uint8_t *data, size_t len, ts_entry_each_timed each, void *ctx, struct err *e)
{
	for (size_t off = 0; off < len;) {
		cbor_item_t *rec = NULL, *entry = NULL;
		const uint8_t *pl;
		size_t used = 0, pl_len = 0, eused = 0;
		struct entry_view v;
		int rc = -1;
		if (dcbor_decode_strict(data + off, len - off, true, &rec, &used, e) == 0 &&
		    record_payload(rec, &pl, &pl_len, e) == 0 &&
		    dcbor_decode_strict(pl, pl_len, false, &entry, &eused, e) == 0 && check_entry(entry, &v, e) == 0)
			rc = each(ctx, v.seq, v.time, (enum ts_kind)v.kind, v.body, e);
		if (entry)
			cbor_decref(&entry);
		if (rec)
			cbor_decref(&rec);
		if (rc)
			return -1;
		off += used;
	}
	return 0;
}

/* "SEQ:HEAD", HEAD as the paper log has it: 64 hex digits with any spaces between
 * them, or 32 PGP words (words_parse). */
bool ts_anchor_parse(const char *s, struct ts_anchor *a)
{
	const char *colon = strchr(s, ':');
	char *end;
	unsigned long long seq;

	if (!colon || colon == s || !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	seq = strtoull(s, &end, 10);
	if (errno || end != colon)
		return false;
	a->seq = seq;
	return words_parse(colon + 1, a->head, sizeof a->head) == 0;
}

const char *ts_verdict_word(enum ts_verdict v)
{
	switch (v) {
	case TS_VALID:
		return "VALID";
	case TS_VALID_ABORTED:
		return "ABORTED";
	case TS_INCOMPLETE:
		return "INCOMPLETE";
	case TS_INVALID:
		return "INVALID";
	case TS_UNANCHORED:
		return "UNANCHORED";
	case TS_UNREADABLE:
		break;
	}
	return "UNREADABLE";
}

void ts_time_text(uint64_t ms, enum ts_time_form form, char *out, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t n = 0;
	if (gmtime_r(&t, &tm)) {
		switch (form) {
		case TS_TIME_ISO_MS:
		case TS_TIME_ISO: n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm); break;
		case TS_TIME_LOG: n = strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm); break;
		case TS_TIME_DAY: n = strftime(out, cap, "%Y-%m-%d", &tm); break;
		case TS_TIME_CLOCK: n = strftime(out, cap, "%H:%M:%S", &tm); break;
		}
	}
	if (!n) {
		snprintf(out, cap, "?");
		return;
	}
	if (form == TS_TIME_ISO_MS)
		snprintf(out + n, cap - n, ".%03uZ", (unsigned)(ms % 1000));
	else if (form != TS_TIME_DAY)
		snprintf(out + n, cap - n, "Z");
}

static int keep_genesis(void *ctx, uint64_t seq, enum ts_kind kind, const cbor_item_t *body, struct err *e)
{
	cbor_item_t **g = ctx;
	(void)e;
	if (seq == 0 && kind == TS_GENESIS && !*g)
		*g = cbor_incref((cbor_item_t *)body);
	return 0;
}

cbor_item_t *ts_genesis_body(const uint8_t *data, size_t len, struct err *e)
{
	cbor_item_t *g = NULL;
	/* Genesis is record 0: only the first whole record is read. */
	size_t first = 0;
	cbor_item_t *rec = NULL;
	if (len && dcbor_decode_strict(data, len, true, &rec, &first, e) == 0)
		cbor_decref(&rec);
	if (!first || ts_each_entry(data, first, keep_genesis, &g, e))
		return NULL;
	if (!g)
		err_set(e, ERR_TRANSCRIPT, "no genesis record");
	return g;
}
