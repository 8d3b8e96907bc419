/* Benchmark: what a transcript costs. Writes a ceremony-shaped transcript of
 * N step-begin/step-result pairs (each record signed and fdatasync'ed, as in a
 * ceremony), then verifies it R times. Prints medians and peak memory; no targets
 * are asserted here (the machine is shared and noisy): compare runs, not numbers.
 * Usage: bench_transcript [PAIRS] [ROUNDS] [DIR] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <openssl/sha.h>
#include "runner/cose.h"
#include "runner/dcbor.h"
#include "runner/files.h"
#include "runner/transcript.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, const struct err *e)
{
	fprintf(stderr, "bench: %s: %s\n", what, e->msg);
	exit(1);
}

static cbor_item_t *body(int kind, uint64_t i, uint64_t begin_seq, const uint8_t *art, size_t art_len)
{
	struct err e;
	char id[32];
	cbor_item_t *b = dcbor_map(), *m = dcbor_map();
	snprintf(id, sizeof id, "step-%llu", (unsigned long long)i);
	if (dcbor_put_u(b, 0, dcbor_text(id), &e))
		die("build", &e);
	if (kind == TS_STEP_BEGIN) {
		if (dcbor_put(m, "label", dcbor_text("root-ca-key"), &e) || dcbor_put_u(b, 1, dcbor_uint(i), &e) ||
		    dcbor_put_u(b, 2, dcbor_text("manual"), &e) || dcbor_put_u(b, 3, m, &e))
			die("build", &e);
	} else {
		cbor_item_t *arts = dcbor_array(), *a = dcbor_map();
		uint8_t h[32] = {0};
		SHA256(art, art_len, h);
		if (dcbor_put(m, "curve", dcbor_text("P-384"), &e) || dcbor_put_u(a, 0, dcbor_text("certificate"), &e) ||
		    dcbor_put_u(a, 1, dcbor_bytes(h, 32), &e) || dcbor_put_u(a, 2, dcbor_uint(art_len), &e) ||
		    dcbor_put_u(a, 4, dcbor_bytes(art, art_len), &e) || dcbor_push(arts, a, &e) ||
		    dcbor_put_u(b, 1, dcbor_uint(begin_seq), &e) || dcbor_put_u(b, 2, dcbor_uint(0), &e) ||
		    dcbor_put_u(b, 3, m, &e) || dcbor_put_u(b, 6, arts, &e))
			die("build", &e);
	}
	return b;
}

int main(int argc, char **argv)
{
	unsigned pairs = argc > 1 ? (unsigned)atoi(argv[1]) : 500, rounds = argc > 2 ? (unsigned)atoi(argv[2]) : 5;
	const char *dir = argc > 3 ? argv[3] : "/tmp";
	char path[512];
	struct err e;
	uint8_t art[1200];
	memset(art, 0xA5, sizeof art); /* about a certificate's size */
	snprintf(path, sizeof path, "%s/bench-%ld.cts", dir, (long)getpid());

	struct cose_signer *s = cose_signer_new_memory_es256(&e);
	if (!s)
		die("signer", &e);
	struct ts_genesis g = {.title = "bench", .script = (const uint8_t *)"x", .script_len = 1, .rehearsal = true,
			       .runner = "bench", .signer_where = "memory"};
	struct ts_writer *w;
	if (ts_writer_open(path, s, &g, &w, &e))
		die("open", &e);
	double *append = calloc(2 * pairs + 1, sizeof *append);
	size_t na = 0;
	for (unsigned i = 0; i < pairs; i++) {
		uint64_t seq;
		for (int k = TS_STEP_BEGIN; k <= TS_STEP_RESULT; k++) {
			cbor_item_t *b = body(k, i, k == TS_STEP_RESULT ? seq : 0, art, sizeof art);
			double t0 = now();
			if (ts_append(w, (enum ts_kind)k, b, &seq, &e))
				die("append", &e);
			append[na++] = now() - t0;
			cbor_decref(&b);
		}
	}
	cbor_item_t *sb = dcbor_map(), *sum = dcbor_map();
	if (dcbor_put_u(sb, 0, dcbor_uint(0), &e) || dcbor_put_u(sb, 1, sum, &e) || ts_append(w, TS_SEAL, sb, NULL, &e))
		die("seal", &e);
	cbor_decref(&sb);
	ts_writer_close(w);
	cose_signer_free(s);

	uint8_t *data;
	size_t len;
	if (files_read(path, 1u << 30, &data, &len, &e))
		die("read", &e);
	double *ver = calloc(rounds, sizeof *ver);
	for (unsigned i = 0; i < rounds; i++) {
		struct ts_report r;
		struct ts_verify_opts o = {0};
		double t0 = now();
		if (ts_verify(data, len, &o, &r, &e) || r.verdict != TS_VALID)
			die("verify", &e);
		ver[i] = now() - t0;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double med_v = median(ver, rounds);
	printf("transcript: %u step pairs, %zu records, %zu bytes\n", pairs, na + 2, len);
	printf("append (sign + write + fdatasync): median %.3f ms per record\n", median(append, na) * 1e3);
	printf("verify: median %.1f ms for the file (%.0f records/s, %.1f MB/s) over %u rounds\n", med_v * 1e3,
	       (double)(na + 2) / med_v, (double)len / med_v / 1e6, rounds);
	printf("peak RSS: %ld KiB\n", ru.ru_maxrss);
	free(data);
	free(ver);
	free(append);
	unlink(path);
	return 0;
}
