/* bench_transcript: the measuring tools bench/run.sh uses. No target is asserted
 * here (the machines are shared and noisy); run.sh alternates what it compares and
 * reports medians and ratios of one run.
 *
 *   bench_transcript write PAIRS IDS FILE
 *       writes a ceremony-shaped transcript (genesis, PAIRS step-begin/step-result
 *       pairs, seal) as a ceremony does: every record signed (ES256) and fdatasync'ed.
 *       Each result embeds a 1 200-byte artifact (a certificate's size). Step ids come
 *       from a script of IDS steps, repeated (a long transcript is many runs of a
 *       script's steps); IDS 0: every step its own id.
 *   bench_transcript append N DIR
 *       N times, alternately: one record appended to a transcript (sign, write,
 *       fdatasync) and a bare write + fdatasync of the same bytes to another file in
 *       DIR. Prints both medians and their ratio.
 *   bench_transcript time CMD ARG...
 *       runs CMD once, output to /dev/null; prints "WALL_S CPU_S MAXRSS_KB" (CPU is
 *       user + system of CMD and every child it waited for).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "runner/cose.h"
#include "runner/dcbor.h"
#include "runner/files.h"
#include "runner/hash.h"
#include "runner/transcript.h"

enum { ART_LEN = 1200 };

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
	fprintf(stderr, "bench: %s: %s\n", what, e ? e->msg : strerror(errno));
	exit(1);
}

static cbor_item_t *body(int kind, const char *id, uint64_t begin_seq, const uint8_t *art)
{
	struct err e;
	cbor_item_t *b = dcbor_map(), *m = dcbor_map();
	if (dcbor_put_u(b, 0, dcbor_text(id), &e))
		die("build", &e);
	if (kind == TS_STEP_BEGIN) {
		if (dcbor_put(m, "label", dcbor_text("root-ca-key"), &e) || dcbor_put_u(b, 1, dcbor_uint(begin_seq), &e) ||
		    dcbor_put_u(b, 2, dcbor_text("manual"), &e) || dcbor_put_u(b, 3, m, &e))
			die("build", &e);
	} else {
		cbor_item_t *arts = dcbor_array(), *a = dcbor_map();
		uint8_t h[32];
		hash_sha256(art, ART_LEN, h);
		if (dcbor_put(m, "curve", dcbor_text("P-384"), &e) || dcbor_put_u(a, 0, dcbor_text("certificate"), &e) ||
		    dcbor_put_u(a, 1, dcbor_bytes(h, 32), &e) || dcbor_put_u(a, 2, dcbor_uint(ART_LEN), &e) ||
		    dcbor_put_u(a, 4, dcbor_bytes(art, ART_LEN), &e) || dcbor_push(arts, a, &e) ||
		    dcbor_put_u(b, 1, dcbor_uint(begin_seq), &e) || dcbor_put_u(b, 2, dcbor_uint(0), &e) ||
		    dcbor_put_u(b, 3, m, &e) || dcbor_put_u(b, 6, arts, &e))
			die("build", &e);
	}
	return b;
}

static struct ts_writer *open_transcript(const char *path, struct cose_signer *s)
{
	struct err e;
	struct ts_genesis g = {.title = "bench", .script = (const uint8_t *)"x", .script_len = 1, .rehearsal = true,
			       .runner = "bench", .signer_where = "memory"};
	struct ts_writer *w;
	if (ts_writer_open(path, s, &g, &w, &e))
		die("open", &e);
	return w;
}

static void one_pair(struct ts_writer *w, const char *id, const uint8_t *art, double *times)
{
	struct err e;
	uint64_t seq = 0;
	for (int k = TS_STEP_BEGIN; k <= TS_STEP_RESULT; k++) {
		cbor_item_t *b = body(k, id, k == TS_STEP_RESULT ? seq : 0, art);
		double t0 = now();
		if (ts_append(w, (enum ts_kind)k, b, &seq, &e))
			die("append", &e);
		if (times)
			times[k - TS_STEP_BEGIN] = now() - t0;
		cbor_decref(&b);
	}
}

static int do_write(unsigned pairs, unsigned ids, const char *path)
{
	struct err e;
	uint8_t art[ART_LEN];
	memset(art, 0xA5, sizeof art);
	struct cose_signer *s = cose_signer_new_memory_es256(&e);
	if (!s)
		die("signer", &e);
	struct ts_writer *w = open_transcript(path, s);
	for (unsigned i = 0; i < pairs; i++) {
		char id[32];
		snprintf(id, sizeof id, "step-%u", ids ? i % ids : i);
		one_pair(w, id, art, NULL);
	}
	cbor_item_t *sb = dcbor_map(), *sum = dcbor_map();
	if (dcbor_put(sum, "passed", dcbor_uint(pairs), &e) || dcbor_put_u(sb, 0, dcbor_uint(0), &e) ||
	    dcbor_put_u(sb, 1, sum, &e) || ts_append(w, TS_SEAL, sb, NULL, &e))
		die("seal", &e);
	cbor_decref(&sb);
	ts_writer_close(w);
	cose_signer_free(s);
	return 0;
}

/* The record sizes of a pair, as the writer made them: the bare writes use them. */
static void record_sizes(const char *path, size_t *sizes)
{
	uint8_t *data;
	size_t len, off = 0, n = 0;
	struct err e;
	if (files_read(path, 1u << 30, &data, &len, &e))
		die("read", &e);
	while (off < len) {
		cbor_item_t *it;
		size_t used;
		if (dcbor_decode_strict(data + off, len - off, true, &it, &used, &e))
			die("decode", &e);
		cbor_decref(&it);
		sizes[n < 3 ? n : 2] = used;
		n++;
		off += used;
	}
	free(data);
}

static int do_append(unsigned n, const char *dir)
{
	char tpath[512], bpath[512];
	struct err e;
	uint8_t art[ART_LEN];
	memset(art, 0xA5, sizeof art);
	snprintf(tpath, sizeof tpath, "%s/bench-append-%ld.cts", dir, (long)getpid());
	snprintf(bpath, sizeof bpath, "%s/bench-bare-%ld.bin", dir, (long)getpid());
	struct cose_signer *s = cose_signer_new_memory_es256(&e);
	if (!s)
		die("signer", &e);
	struct ts_writer *w = open_transcript(tpath, s);
	int bfd = open(bpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (bfd < 0)
		die(bpath, NULL);
	double *ta = calloc(2 * (size_t)n, sizeof *ta), *tb = calloc(2 * (size_t)n, sizeof *tb);
	size_t sizes[3] = {0};
	uint8_t *bytes = calloc(1, 4096);
	if (!ta || !tb || !bytes)
		die("memory", NULL);
	one_pair(w, "warm-up", art, NULL);
	record_sizes(tpath, sizes);   /* genesis, step-begin, step-result */
	memset(bytes, 0x5A, 4096);
	for (unsigned i = 0; i < n; i++) {
		one_pair(w, "step", art, ta + 2 * i);
		for (int k = 0; k < 2; k++) {
			double t0 = now();
			if (files_write_all(bfd, bytes, sizes[1 + k]) || fdatasync(bfd))
				die("bare write", NULL);
			tb[2 * i + k] = now() - t0;
		}
	}
	double ma = median(ta, 2 * (size_t)n), mb = median(tb, 2 * (size_t)n);
	printf("append: %u records of %zu and %zu bytes; median %.3f ms per record appended, %.3f ms per bare "
	       "write + fdatasync; ratio %.2f\n",
	       2 * n, sizes[1], sizes[2], ma * 1e3, mb * 1e3, ma / mb);
	ts_writer_close(w);
	cose_signer_free(s);
	close(bfd);
	unlink(tpath);
	unlink(bpath);
	free(ta);
	free(tb);
	free(bytes);
	return 0;
}

static int do_time(char **argv)
{
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0)
		die("fork", NULL);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) != pid)
		die("wait", NULL);
	double wall = now() - t0;
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		     (double)ru.ru_stime.tv_usec / 1e6;
	printf("%.6f %.6f %ld\n", wall, cpu, ru.ru_maxrss);
	if (!WIFEXITED(st)) {
		fprintf(stderr, "bench: %s did not exit\n", argv[0]);
		return 1;
	}
	return WEXITSTATUS(st) == 127 ? 127 : 0;   /* a verdict's exit status is the command's business */
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "write"))
		return do_write((unsigned)strtoul(argv[2], NULL, 10), (unsigned)strtoul(argv[3], NULL, 10), argv[4]);
	if (argc == 4 && !strcmp(argv[1], "append"))
		return do_append((unsigned)strtoul(argv[2], NULL, 10), argv[3]);
	if (argc >= 3 && !strcmp(argv[1], "time"))
		return do_time(argv + 2);
	fprintf(stderr, "usage: bench_transcript write PAIRS IDS FILE | append N DIR | time CMD ARG...\n");
	return 2;
}
