/* fuzz_transcript: the transcript verifier (runner/transcript.c, and the content
 * checks of runner/ts_contents.c it calls when every record is good) on any bytes,
 * then the walks over good records that resume, replay and report make. */
#include "runner/transcript.h"
#include "tests/fuzz/fuzz.h"

static int each(void *ctx, uint64_t seq, uint64_t time_ms, enum ts_kind kind, const cbor_item_t *body,
		struct err *e)
{
	(void)seq;
	(void)time_ms;
	(void)kind;
	(void)body;
	(void)e;
	++*(uint64_t *)ctx;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_report r;
	struct err e = {0};
	if (ts_verify(data, size, NULL, &r, &e) != 0)
		return 0;
	uint64_t n = 0;
	if (ts_each_entry_timed(data, r.whole_len, each, &n, &e) == 0 && r.verdict == TS_VALID && n != r.records)
		__builtin_trap(); /* the walk saw other records than the verifier */
	cbor_item_t *g = ts_genesis_body(data, r.whole_len, &e);
	if (g)
		cbor_decref(&g);
	return 0;
}
