/* gen: makes the transcript test vectors of tests/vectors/ (see EXPECTED).
 *
 * Built by `make check` (build/tests/gen, linked with the runner's modules like the
 * unit tests) so that it keeps compiling against the runner, but never run by it:
 * the vectors are committed, and regenerating them changes every byte (fresh keys,
 * ceremony ids and times). To regenerate the ones it writes, by hand:
 *
 *   make build/tests/gen
 *   mkdir /tmp/vectors && build/tests/gen /tmp/vectors   (it refuses to overwrite)
 *   cp /tmp/vectors/NAME.cts tests/vectors/   (each one meant; then fix EXPECTED)
 *
 * It writes good-*.cts, aborted, halted, resumed-new-key, flipped-byte,
 * dropped-record, swapped-records, truncated-tail, no-seal, spliced and
 * nondeterministic-int; the other vectors come from tests/vectors/forge.py (the
 * forgeries of issue 8, and one tamper vector per verifier check), which is
 * deterministic and rewrites its own byte for byte.
 *
 * The good transcripts are written by the runner's own writer (ts_writer), so
 * an independent verifier accepting them checks the writer too. The damaged
 * copies are made from good-es256.cts at the byte level; the one with a
 * non-deterministic integer is re-signed (and the chain after it rebuilt) with
 * the same audit key, so only the determinism rule can catch it.
 * One vector (resumed-new-key.cts) needs a signer change, which ts_writer
 * refuses, so its records are assembled here with cose_sign1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/sha.h>
#include "runner/files.h"
#include "runner/transcript.h"

static const char script[] =
	"# test vector script\n"
	"title: Test root key ceremony\n"
	"roles: [crypto-officer, witness]\n"
	"steps:\n"
	"  - id: generate\n"
	"    type: key.generate\n"
	"    curve: P-384\n";

static const char pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEtestvectortestvectortestvectortest\n"
	"-----END PUBLIC KEY-----\n";

static const char *outdir;

static void die(const char *what, const struct err *e)
{
	fprintf(stderr, "gen: %s: %s\n", what, e ? e->msg : strerror(errno));
	exit(1);
}

static void check(int rc, const char *what, const struct err *e)
{
	if (rc != 0)
		die(what, e);
}

static cbor_item_t *map(void)
{
	cbor_item_t *m = dcbor_map();
	if (!m)
		die("out of memory", NULL);
	return m;
}

static void put_u(cbor_item_t *m, uint64_t k, cbor_item_t *v)
{
	struct err e;
	check(dcbor_put_u(m, k, v, &e), "building a map", &e);
}

static void put(cbor_item_t *m, const char *k, cbor_item_t *v)
{
	struct err e;
	check(dcbor_put(m, k, v, &e), "building a map", &e);
}

static void push(cbor_item_t *a, cbor_item_t *v)
{
	struct err e;
	check(dcbor_push(a, v, &e), "building an array", &e);
}

static void path_of(const char *name, char *p, size_t cap)
{
	snprintf(p, cap, "%s/%s", outdir, name);
}

static void write_file(const char *name, const uint8_t *data, size_t len)
{
	char p[4096];
	int fd;
	path_of(name, p, sizeof p);
	fd = open(p, O_EXCL | O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) != 0)
		die(p, NULL);
}

static void read_vec(const char *name, uint8_t **data, size_t *len)
{
	char p[4096];
	struct err e;
	path_of(name, p, sizeof p);
	check(files_read(p, 1 << 24, data, len, &e), p, &e);
}

/* --- bodies ----------------------------------------------------------------- */

static cbor_item_t *begin_body(const char *id, uint64_t pos, const char *type)
{
	cbor_item_t *b = map(), *params = map();
	put(params, "label", dcbor_text("root-2024"));
	put(params, "curve", dcbor_text("P-384"));
	put(params, "extractable", dcbor_bool(false));
	put_u(b, 0, dcbor_text(id));
	put_u(b, 1, dcbor_uint(pos));
	put_u(b, 2, dcbor_text(type));
	put_u(b, 3, params);
	put_u(b, 4, dcbor_text("crypto-officer"));
	return b;
}

static cbor_item_t *result_body(const char *id, uint64_t begin_seq, uint64_t outcome)
{
	cbor_item_t *b = map(), *out = map(), *checks = dcbor_array(), *chk = map(), *sos = dcbor_array(),
		    *so = map(), *arts = dcbor_array(), *art = map(), *list = dcbor_array();
	uint8_t h[32];

	SHA256((const uint8_t *)pem, strlen(pem), h);
	put(out, "key_id", dcbor_text("01"));
	put(out, "public_key_sha256", dcbor_bytes(h, 32));
	put(out, "attempts", dcbor_uint(1));
	put(out, "offset", dcbor_int(-300));
	put(out, "token_serial", dcbor_null());
	push(list, dcbor_uint(65536));
	push(list, dcbor_text("two"));
	put(out, "list", list);
	put_u(chk, 0, dcbor_text("key is not extractable"));
	put_u(chk, 1, dcbor_bool(false));
	put_u(chk, 2, dcbor_bool(false));
	put_u(chk, 3, dcbor_bool(true));
	push(checks, chk);
	put_u(so, 0, dcbor_text("witness"));
	put_u(so, 1, dcbor_text("Alice Example"));
	put_u(so, 2, dcbor_text("I saw the key generated on the token"));
	put_u(so, 3, dcbor_uint(1714550400000ULL));
	put_u(so, 4, dcbor_uint(0));
	push(sos, so);
	put_u(art, 0, dcbor_text("root.pub.pem"));
	put_u(art, 1, dcbor_bytes(h, 32));
	put_u(art, 2, dcbor_uint(strlen(pem)));
	put_u(art, 3, dcbor_text("application/x-pem-file"));
	put_u(art, 4, dcbor_bytes(pem, strlen(pem)));
	push(arts, art);
	put_u(b, 0, dcbor_text(id));
	put_u(b, 1, dcbor_uint(begin_seq));
	put_u(b, 2, dcbor_uint(outcome));
	put_u(b, 3, out);
	put_u(b, 4, checks);
	put_u(b, 5, sos);
	put_u(b, 6, arts);
	if (outcome == TS_ABORTED)
		put_u(b, 8, dcbor_text("the witness left the room; ceremony aborted"));
	return b;
}

static cbor_item_t *decision_result_body(const char *id, uint64_t begin_seq)
{
	cbor_item_t *b = map(), *dec = map();
	put_u(dec, 0, dcbor_text("Proceed to sign the intermediate?"));
	put_u(dec, 1, dcbor_text("halt"));
	put_u(b, 0, dcbor_text(id));
	put_u(b, 1, dcbor_uint(begin_seq));
	put_u(b, 2, dcbor_uint(TS_PASSED));
	put_u(b, 3, map());
	put_u(b, 7, dec);
	return b;
}

static cbor_item_t *checkpoint_body(const char *label)
{
	cbor_item_t *b = map();
	put_u(b, 0, dcbor_text(label));
	return b;
}

static cbor_item_t *seal_body(uint64_t status)
{
	cbor_item_t *b = map(), *sum = map();
	put(sum, "steps", dcbor_uint(1));
	put(sum, "status", dcbor_text(status == 0 ? "completed" : status == 1 ? "aborted" : "halted"));
	put_u(b, 0, dcbor_uint(status));
	put_u(b, 1, sum);
	return b;
}

static void append(struct ts_writer *w, enum ts_kind kind, cbor_item_t *body)
{
	struct err e;
	check(ts_append(w, kind, body, NULL, &e), "appending", &e);
	cbor_decref(&body);
}

static struct ts_writer *open_vec(const char *name, struct cose_signer *s, const char *title)
{
	char p[4096];
	struct ts_genesis g = {
		.title = title,
		.script = (const uint8_t *)script,
		.script_len = strlen(script),
		.rehearsal = true,
		.runner = "ceremony 0.1.0 (test vector generator)",
		.signer_where = "memory",
	};
	struct ts_writer *w = NULL;
	cbor_item_t *host = map();
	struct err e;
	put(host, "hostname", dcbor_text("vectors"));
	put(host, "os", dcbor_text("Debian GNU/Linux 12"));
	g.host = host;
	path_of(name, p, sizeof p);
	check(ts_writer_open(p, s, &g, &w, &e), p, &e);
	cbor_decref(&host);
	return w;
}

/* genesis, step-begin, step-result (with an embedded artifact), checkpoint, seal */
static void write_good(const char *name, struct cose_signer *s, const char *title, uint64_t status)
{
	struct ts_writer *w = open_vec(name, s, title);
	append(w, TS_STEP_BEGIN, begin_body("generate", 0, "key.generate"));
	append(w, TS_STEP_RESULT, result_body("generate", 1, status == TS_SEAL_ABORTED ? TS_ABORTED : TS_PASSED));
	append(w, TS_CHECKPOINT, checkpoint_body("after key generation"));
	append(w, TS_SEAL, seal_body(status));
	ts_writer_close(w);
}

static void write_halted(struct cose_signer *s)
{
	struct ts_writer *w = open_vec("halted.cts", s, "Test vector: halted at a decision");
	append(w, TS_STEP_BEGIN, begin_body("generate", 0, "key.generate"));
	append(w, TS_STEP_RESULT, result_body("generate", 1, TS_PASSED));
	append(w, TS_STEP_BEGIN, begin_body("go-on", 1, "decision"));
	append(w, TS_STEP_RESULT, decision_result_body("go-on", 3));
	append(w, TS_SEAL, seal_body(TS_HALTED));
	ts_writer_close(w);
}

/* --- records by hand (for the signer change) ------------------------------------ */

struct chain {
	struct buf file;
	uint8_t head[32];
	uint8_t cid[16];
	uint64_t seq;
	uint64_t time;
};

static cbor_item_t *signer_map(const struct cose_signer *s)
{
	cbor_item_t *m = map();
	put_u(m, 0, dcbor_bytes(s->kid, 32));
	put_u(m, 1, dcbor_bytes(s->spki, s->spki_len));
	put_u(m, 2, dcbor_int(s->alg));
	put_u(m, 3, dcbor_text("memory"));
	return m;
}

static void chain_add(struct chain *c, struct cose_signer *s, uint64_t kind, cbor_item_t *body)
{
	cbor_item_t *ent = map();
	struct buf payload = {0}, rec = {0};
	struct err e;
	put_u(ent, 0, dcbor_uint(c->seq));
	put_u(ent, 1, dcbor_bytes(c->head, 32));
	put_u(ent, 2, dcbor_bytes(c->cid, 16));
	put_u(ent, 3, dcbor_uint(c->time));
	put_u(ent, 4, dcbor_uint(kind));
	put_u(ent, 5, body);
	check(dcbor_encode(ent, &payload, &e), "encoding an entry", &e);
	check(cose_sign1(s, payload.p, payload.len, &rec, &e), "signing", &e);
	check(buf_append(&c->file, rec.p, rec.len, &e), "appending", &e);
	SHA256(rec.p, rec.len, c->head);
	c->seq++;
	c->time += 61000;
	cbor_decref(&ent);
	buf_free(&payload);
	buf_free(&rec);
}

static void write_resumed_new_key(struct cose_signer *a, struct cose_signer *b)
{
	struct chain c = {.time = 1714550400000ULL};
	cbor_item_t *g = map(), *res = map();
	uint8_t h[32];
	memset(c.cid, 0x5c, sizeof c.cid);
	SHA256((const uint8_t *)script, strlen(script), h);
	put_u(g, 0, dcbor_text(TS_FORMAT));
	put_u(g, 1, dcbor_text("Test vector: resumed with a new audit key"));
	put_u(g, 2, dcbor_bytes(h, 32));
	put_u(g, 3, dcbor_bytes(script, strlen(script)));
	put_u(g, 4, signer_map(a));
	put_u(g, 5, dcbor_uint(1));
	put_u(g, 6, dcbor_text("ceremony 0.1.0 (test vector generator)"));
	chain_add(&c, a, TS_GENESIS, g);
	chain_add(&c, a, TS_STEP_BEGIN, begin_body("generate", 0, "key.generate"));
	/* the power went; the torn tail was 0 bytes; the audit key was lost with
	 * the process, so the resumed run has a new one and says so */
	SHA256((const uint8_t *)"", 0, h);
	put_u(res, 0, dcbor_uint(1));
	put_u(res, 1, dcbor_uint(0));
	put_u(res, 2, dcbor_bytes(h, 32));
	put_u(res, 3, dcbor_text("power cut during key generation"));
	put_u(res, 4, signer_map(b));
	chain_add(&c, b, TS_RESUME, res);
	chain_add(&c, b, TS_STEP_BEGIN, begin_body("generate", 0, "key.generate"));
	chain_add(&c, b, TS_STEP_RESULT, result_body("generate", 3, TS_PASSED));
	chain_add(&c, b, TS_SEAL, seal_body(TS_COMPLETED));
	write_file("resumed-new-key.cts", c.file.p, c.file.len);
	buf_free(&c.file);
}

/* --- damaged copies ------------------------------------------------------------ */

struct recs {
	uint8_t *data;
	size_t len, n;
	size_t off[32], rl[32];
};

static void split(const char *name, struct recs *r)
{
	size_t at = 0;
	read_vec(name, &r->data, &r->len);
	r->n = 0;
	while (at < r->len) {
		cbor_item_t *it = NULL;
		size_t used;
		struct err e;
		check(dcbor_decode_strict(r->data + at, r->len - at, true, &it, &used, &e), "splitting", &e);
		cbor_decref(&it);
		r->off[r->n] = at;
		r->rl[r->n++] = used;
		at += used;
	}
}

/* The payload bytes of a record (a copy). */
static void payload_of(const uint8_t *rec, size_t n, struct buf *out)
{
	cbor_item_t *it = NULL, *arr, *pl;
	size_t used;
	struct err e;
	check(dcbor_decode_strict(rec, n, true, &it, &used, &e), "decoding", &e);
	arr = cbor_tag_item(it);
	pl = cbor_array_handle(arr)[2];
	check(buf_append(out, cbor_bytestring_handle(pl), cbor_bytestring_length(pl), &e), "copying", &e);
	cbor_decref(&arr);
	cbor_decref(&it);
}

/* Record k's seq written as 0x18 k (two bytes where one is the rule), the
 * record re-signed, and every later record's prev fixed and re-signed: a
 * transcript whose signatures and chain are all good. */
static void write_nondeterministic(const struct recs *g, struct cose_signer *s, size_t k)
{
	struct buf out = {0};
	uint8_t head[32];
	struct err e;
	check(buf_append(&out, g->data, g->off[k], &e), "copying", &e);
	for (size_t i = k; i < g->n; i++) {
		struct buf pl = {0}, np = {0}, rec = {0};
		payload_of(g->data + g->off[i], g->rl[i], &pl);
		/* entry starts a6 00 <seq> 01 58 20 <prev 32> */
		if (pl.len < 38 || pl.p[0] != 0xa6 || pl.p[1] != 0x00 || pl.p[2] != i || pl.p[3] != 0x01 ||
		    pl.p[4] != 0x58 || pl.p[5] != 0x20) {
			fprintf(stderr, "gen: unexpected entry layout in record %zu\n", i);
			exit(1);
		}
		if (i > k)
			memcpy(pl.p + 6, head, 32);
		if (i == k) {
			check(buf_append(&np, "\xa6\x00\x18", 3, &e), "building", &e);
			check(buf_append(&np, pl.p + 2, pl.len - 2, &e), "building", &e);
		} else {
			check(buf_append(&np, pl.p, pl.len, &e), "building", &e);
		}
		check(cose_sign1(s, np.p, np.len, &rec, &e), "re-signing", &e);
		check(buf_append(&out, rec.p, rec.len, &e), "copying", &e);
		SHA256(rec.p, rec.len, head);
		buf_free(&pl);
		buf_free(&np);
		buf_free(&rec);
	}
	write_file("nondeterministic-int.cts", out.p, out.len);
	buf_free(&out);
}

static void write_damaged(struct cose_signer *s)
{
	struct recs g, o;
	uint8_t *c;
	size_t cl;

	split("good-es256.cts", &g);
	split("other-ceremony.tmp", &o);
	c = malloc(g.len + o.len);
	if (!c)
		die("out of memory", NULL);

	/* a byte inside record 2's prev hash (payload offset 6..37): the payload
	 * still decodes, so it is the signature that fails */
	memcpy(c, g.data, g.len);
	{
		struct buf pl = {0};
		size_t at;
		payload_of(g.data + g.off[2], g.rl[2], &pl);
		/* find the payload inside the record: it follows the 72-byte protected
		 * header, a0, and the payload's bstr head */
		at = g.off[2];
		while (at + pl.len <= g.off[2] + g.rl[2] && memcmp(g.data + at, pl.p, pl.len) != 0)
			at++;
		c[at + 6 + 10] ^= 0x01;
		buf_free(&pl);
	}
	write_file("flipped-byte.cts", c, g.len);

	/* record 2 dropped */
	memcpy(c, g.data, g.off[2]);
	memcpy(c + g.off[2], g.data + g.off[3], g.len - g.off[3]);
	write_file("dropped-record.cts", c, g.len - g.rl[2]);

	/* records 2 and 3 swapped */
	memcpy(c, g.data, g.off[2]);
	memcpy(c + g.off[2], g.data + g.off[3], g.rl[3]);
	memcpy(c + g.off[2] + g.rl[3], g.data + g.off[2], g.rl[2]);
	memcpy(c + g.off[4], g.data + g.off[4], g.len - g.off[4]);
	write_file("swapped-records.cts", c, g.len);

	/* cut in the middle of the last record: a torn tail */
	write_file("truncated-tail.cts", g.data, g.off[g.n - 1] + g.rl[g.n - 1] / 2);

	/* the seal removed: the file ends at a record boundary */
	write_file("no-seal.cts", g.data, g.off[g.n - 1]);

	/* record 2 of another ceremony (its own key and cid) in place of record 2 */
	memcpy(c, g.data, g.off[2]);
	memcpy(c + g.off[2], o.data + o.off[2], o.rl[2]);
	memcpy(c + g.off[2] + o.rl[2], g.data + g.off[3], g.len - g.off[3]);
	cl = g.len - g.rl[2] + o.rl[2];
	write_file("spliced.cts", c, cl);

	write_nondeterministic(&g, s, 2);

	free(c);
	free(g.data);
	free(o.data);
}

int main(int argc, char **argv)
{
	struct cose_signer *es256, *other, *es384, *es512, *ed, *ps, *b;
	char p[4096];
	struct err e;

	if (argc != 2) {
		fprintf(stderr, "usage: gen OUTDIR\n");
		return 2;
	}
	outdir = argv[1];
	es256 = cose_signer_new_memory(COSE_ALG_ES256, &e);
	other = cose_signer_new_memory(COSE_ALG_ES256, &e);
	es384 = cose_signer_new_memory(COSE_ALG_ES384, &e);
	es512 = cose_signer_new_memory(COSE_ALG_ES512, &e);
	ed = cose_signer_new_memory(COSE_ALG_EDDSA, &e);
	ps = cose_signer_new_memory(COSE_ALG_PS256, &e);
	b = cose_signer_new_memory(COSE_ALG_EDDSA, &e);
	if (!es256 || !other || !es384 || !es512 || !ed || !ps || !b)
		die("generating keys", &e);

	write_good("good-es256.cts", es256, "Test vector: root key ceremony (ES256)", TS_COMPLETED);
	write_good("good-es384.cts", es384, "Test vector: root key ceremony (ES384)", TS_COMPLETED);
	write_good("good-es512.cts", es512, "Test vector: root key ceremony (ES512)", TS_COMPLETED);
	write_good("good-eddsa.cts", ed, "Test vector: root key ceremony (EdDSA)", TS_COMPLETED);
	write_good("good-ps256.cts", ps, "Test vector: root key ceremony (PS256)", TS_COMPLETED);
	write_good("aborted.cts", es256, "Test vector: aborted ceremony", TS_SEAL_ABORTED);
	write_halted(es256);
	write_resumed_new_key(es256, b);
	write_good("other-ceremony.tmp", other, "Test vector: another ceremony", TS_COMPLETED);
	write_damaged(es256);
	path_of("other-ceremony.tmp", p, sizeof p);
	unlink(p);

	cose_signer_free(es256);
	cose_signer_free(other);
	cose_signer_free(es384);
	cose_signer_free(es512);
	cose_signer_free(ed);
	cose_signer_free(ps);
	cose_signer_free(b);
	return 0;
}
