/* fuzz_resign: the transcript verifier past its signatures. The input is a CBOR
 * sequence of record payloads (entries, TRANSCRIPT.md "Entry"); each is signed
 * here into a COSE_Sign1 record by one fixed Ed25519 key, with its `prev` set to
 * the hash of the record before and, in a genesis, the signer set to that key, so
 * a mutation of any other part of a payload reaches the record, shape, chain and
 * content checks instead of stopping at a signature or a hash. What does not
 * decode as one deterministic item is signed as it is, as the last record.
 * (corpus/resign holds the payloads of the test vectors: tests/fuzz/payloads.py.) */
#include <string.h>
#include "runner/buf.h"
#include "runner/cose.h"
#include "runner/dcbor.h"
#include "runner/hash.h"
#include "runner/transcript.h"
#include "tests/fuzz/fuzz.h"

static struct cose_signer *signer;
static cbor_item_t *signer_map;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct err e = {0};
	signer = cose_signer_new_memory(COSE_ALG_EDDSA, &e);
	signer_map = signer ? ts_signer_map(signer, "memory", &e) : NULL;
	return 0;
}

/* Replaces the value of uint key k in map m (when m is a map holding k) by v (borrowed). */
static void replace(cbor_item_t *m, uint64_t k, cbor_item_t *v)
{
	if (!m || !cbor_isa_map(m))
		return;
	struct cbor_pair *p = cbor_map_handle(m);
	for (size_t i = 0; i < cbor_map_size(m); i++) {
		if (cbor_isa_uint(p[i].key) && cbor_get_int(p[i].key) == k) {
			cbor_decref(&p[i].value);
			p[i].value = cbor_incref(v);
		}
	}
}

static cbor_item_t *get(const cbor_item_t *m, uint64_t k)
{
	if (!m || !cbor_isa_map(m))
		return NULL;
	struct cbor_pair *p = cbor_map_handle(m);
	for (size_t i = 0; i < cbor_map_size(m); i++)
		if (cbor_isa_uint(p[i].key) && cbor_get_int(p[i].key) == k)
			return p[i].value;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!signer_map)
		__builtin_trap(); /* no key: nothing would be fuzzed */
	struct buf file = {0}, payload = {0};
	struct err e = {0};
	uint8_t prev[32] = {0};
	size_t off = 0;
	int records = 0;
	while (off < size && records < 4096) {
		cbor_item_t *entry = NULL;
		size_t used = 0;
		const uint8_t *p;
		size_t n;
		payload.len = 0;
		if (dcbor_decode_strict(data + off, size - off, false, &entry, &used, &e) == 0) {
			cbor_item_t *h = dcbor_bytes(prev, sizeof prev);
			if (h) {
				replace(entry, 1, h);
				cbor_decref(&h);
			}
			cbor_item_t *kind = get(entry, 4);
			if (kind && cbor_isa_uint(kind) && cbor_get_int(kind) == 0)
				replace(get(entry, 5), 4, signer_map);
			int bad = dcbor_encode(entry, &payload, &e);
			cbor_decref(&entry);
			if (bad)
				break;
			p = payload.p;
			n = payload.len;
			off += used;
		} else {
			p = data + off;
			n = size - off;
			off = size;
		}
		size_t start = file.len;
		if (cose_sign1(signer, p, n, &file, &e) != 0)
			break;
		hash_sha256(file.p + start, file.len - start, prev);
		records++;
	}
	struct ts_report r;
	if (ts_verify(file.p, file.len, NULL, &r, &e) == 0 && r.verdict != TS_UNREADABLE) {
		cbor_item_t *g = ts_genesis_body(file.p, r.whole_len, &e);
		if (g)
			cbor_decref(&g);
	}
	buf_free(&file);
	buf_free(&payload);
	return 0;
}
