/* ceremony diff A B [--gap SECONDS]: two transcripts of one script (a rehearsal and
 * the live run, two rehearsals) side by side, apart from what differs in any two runs
 * (times, ids, keys, signatures, serials, fingerprints): steps that ran in one only,
 * steps that ran a different number of times, different outcomes, decisions, checks
 * (what was expected, whether it held) and values typed in the room; and, in each,
 * the pauses longer than the gap between two records. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "dcbor.h"
#include "files.h"
#include "transcript.h"
#include "words.h"

enum { MAX_TRANSCRIPT = 256 * 1024 * 1024, MAX_STEPS = 2048 };

void cmd_diff_usage(FILE *f)
{
	fputs("usage: ceremony diff A.cts B.cts [--gap SECONDS]\n"
	      "\n"
	      "Compares two transcripts of one script (a rehearsal and the live run): the steps\n"
	      "that ran in one only or a different number of times, and for each step the\n"
	      "outcome, the decision taken, every check (what was expected and whether it\n"
	      "held) and the values that are the same in any two runs unless people or tokens\n"
	      "made them differ (typed values, counts, labels; not times, ids, keys,\n"
	      "signatures, serials or fingerprints, which differ in any two runs). Then the\n"
	      "pauses between two records longer than SECONDS (default 600) in each. Says\n"
	      "whether the two ran the same script.\n"
	      "\n"
	      "EXIT STATUS\n"
	      "  0 no difference; 1 differences (listed); 2 bad usage or an unreadable file.\n",
	      f);
}

struct dstep {
	char id[64];
	uint64_t seq;
	cbor_item_t *body;
};

struct side {
	const char *file;
	struct ts_report r;
	uint8_t script[32];
	bool rehearsal;
	struct dstep *v;
	size_t n;
	uint64_t last_ms, gap_ms;
	unsigned gaps;
	char gap_text[16][160];
};

static int take(void *ctx, uint64_t seq, uint64_t ms, enum ts_kind kind, const cbor_item_t *body, struct err *e)
{
	struct side *s = ctx;
	if (s->last_ms && ms - s->last_ms > s->gap_ms && s->gaps < 16)
		snprintf(s->gap_text[s->gaps++], sizeof s->gap_text[0], "%s: %" PRIu64 " s between records %" PRIu64
									   " and %" PRIu64,
			 s->file, (ms - s->last_ms) / 1000, seq - 1, seq);
	s->last_ms = ms;
	if (kind == TS_GENESIS) {
		const cbor_item_t *h = dcbor_get_u(body, 2);
		memcpy(s->script, cbor_bytestring_handle(h), 32);
		return 0;
	}
	if (kind != TS_STEP_RESULT)
		return 0;
	if (s->n == MAX_STEPS)
		return err_set(e, ERR_INPUT, "more than %d steps", MAX_STEPS);
	struct dstep *nv = realloc(s->v, (s->n + 1) * sizeof *nv);
	if (!nv)
		return err_set(e, ERR_NOMEM, "out of memory");
	s->v = nv;
	struct dstep *d = &s->v[s->n++];
	dcbor_text_into(dcbor_get_u(body, 0), d->id, sizeof d->id);
	d->seq = seq;
	d->body = cbor_incref((cbor_item_t *)body);
	return 0;
}

/* The k-th run of step id in s, or NULL. */
static const struct dstep *run_of(const struct side *s, const char *id, unsigned k)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].id, id) && k-- == 0)
			return &s->v[i];
	return NULL;
}

static unsigned runs(const struct side *s, const char *id)
{
	unsigned n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += !strcmp(s->v[i].id, id);
	return n;
}

/* A value that is the same in any two runs unless people or tokens made it differ:
 * not a long hex run (keys, ids, fingerprints, signatures), not hex groups (a
 * fingerprint's last groups read back), not a time. */
static bool comparable(const char *key, const char *v)
{
	static const char *const varying[] = {"serial", "split_id", "ceremony_id", "head", "file", "file_sha256",
					      "first_record", "last_record", "signers", "continues", "expected",
					      "found", "readback", "hex_groups", "pgp_words", "sha256_colons", NULL};
	for (size_t i = 0; varying[i]; i++)
		if (!strcmp(key, varying[i]) || (strstr(key, "readback") && !strcmp(varying[i], "readback")))
			return false;
	size_t run = 0, digits = 0;
	bool only_hex = *v != 0;
	for (const char *c = v; *c; c++) {
		bool h = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || (*c >= 'A' && *c <= 'F');
		run = h ? run + 1 : 0;
		digits += h;
		only_hex &= h || *c == ' ' || *c == ':';
		if (run >= 12)
			return false;
	}
	if (only_hex && digits >= 8)
		return false;
	return !strstr(v, "T") || !strstr(v, "Z") || !strchr(v, ':');
}

static unsigned differ(const char *id, unsigned run, const char *what, const char *a, const char *b)
{
	if (!strcmp(a, b))
		return 0;
	printf("  %s%s%.0u: %s: %s | %s\n", id, run ? " run " : "", run ? run + 1 : 0, what, a, b);
	return 1;
}

static unsigned compare_run(const struct dstep *a, const struct dstep *b, unsigned run)
{
	char x[1024], y[1024], what[300];
	unsigned n = 0;
	dcbor_text_into(dcbor_get_u(a->body, 2), x, sizeof x);
	dcbor_text_into(dcbor_get_u(b->body, 2), y, sizeof y);
	n += differ(a->id, run, "outcome (0 passed, 1 failed, 2 skipped, 3 aborted, 4 deviation)", x, y);
	dcbor_text_into(dcbor_get_u(dcbor_get_u(a->body, 7), 1), x, sizeof x);
	dcbor_text_into(dcbor_get_u(dcbor_get_u(b->body, 7), 1), y, sizeof y);
	n += differ(a->id, run, "decision", x, y);
	/* Checks by what they check: one in A only, in B only, or the same with another
	 * expectation or result. */
	const cbor_item_t *ca = dcbor_get_u(a->body, 4), *cb = dcbor_get_u(b->body, 4);
	size_t na = ca ? cbor_array_size(ca) : 0, nb = cb ? cbor_array_size(cb) : 0;
	bool used[512] = {false};
	for (size_t i = 0; i < na; i++) {
		const cbor_item_t *p = cbor_array_handle(ca)[i], *q = NULL;
		char wa[256], wb[256], ea[512], eb[512];
		dcbor_text_into(dcbor_get_u(p, 0), wa, sizeof wa);
		for (size_t j = 0; j < nb && j < 512 && !q; j++) {
			dcbor_text_into(dcbor_get_u(cbor_array_handle(cb)[j], 0), wb, sizeof wb);
			if (!used[j] && !strcmp(wa, wb)) {
				used[j] = true;
				q = cbor_array_handle(cb)[j];
			}
		}
		snprintf(what, sizeof what, "check %s", wa);
		if (!q) {
			n += differ(a->id, run, what, "made", "(not made)");
			continue;
		}
		dcbor_text_into(dcbor_get_u(p, 1), ea, sizeof ea);
		dcbor_text_into(dcbor_get_u(q, 1), eb, sizeof eb);
		snprintf(what, sizeof what, "check %s: expected", wa);
		if (comparable(wa, ea) && comparable(wa, eb))
			n += differ(a->id, run, what, ea, eb);
		dcbor_text_into(dcbor_get_u(p, 3), ea, sizeof ea);
		dcbor_text_into(dcbor_get_u(q, 3), eb, sizeof eb);
		snprintf(what, sizeof what, "check %s: held", wa);
		n += differ(a->id, run, what, ea, eb);
	}
	for (size_t j = 0; j < nb && j < 512; j++) {
		char wb[256];
		if (used[j])
			continue;
		dcbor_text_into(dcbor_get_u(cbor_array_handle(cb)[j], 0), wb, sizeof wb);
		snprintf(what, sizeof what, "check %s", wb);
		n += differ(a->id, run, what, "(not made)", "made");
	}
	const cbor_item_t *oa = dcbor_get_u(a->body, 3), *ob = dcbor_get_u(b->body, 3);
	for (size_t i = 0; oa && cbor_isa_map(oa) && i < cbor_map_size(oa); i++) {
		char key[128];
		dcbor_text_into(cbor_map_handle(oa)[i].key, key, sizeof key);
		dcbor_text_into(cbor_map_handle(oa)[i].value, x, sizeof x);
		const cbor_item_t *w = dcbor_get(ob, key);
		if (!w) {
			n += differ(a->id, run, key, x, "(not recorded)");
			continue;
		}
		dcbor_text_into(w, y, sizeof y);
		if (comparable(key, x) && comparable(key, y))
			n += differ(a->id, run, key, x, y);
	}
	for (size_t i = 0; ob && cbor_isa_map(ob) && i < cbor_map_size(ob); i++) {
		char key[128];
		dcbor_text_into(cbor_map_handle(ob)[i].key, key, sizeof key);
		if (!dcbor_get(oa, key)) {
			dcbor_text_into(cbor_map_handle(ob)[i].value, y, sizeof y);
			n += differ(a->id, run, key, "(not recorded)", y);
		}
	}
	return n;
}

int cmd_diff(int argc, char **argv)
{
	const char *f[2] = {NULL, NULL};
	uint64_t gap = 600;
	struct err e = {.kind = ERR_NONE};
	struct side s[2];
	int ret = EXIT_USAGE;
	memset(s, 0, sizeof s);
	for (int i = 1, k = 0; i < argc; i++) {
		if (cmd_is_help(argv[i])) {
			cmd_diff_usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--gap") && i + 1 < argc) {
			char *end;
			gap = strtoull(argv[++i], &end, 10);
			if (*end || !gap) {
				cmd_diff_usage(stderr);
				return EXIT_USAGE;
			}
		} else if (argv[i][0] == '-' || k == 2) {
			cmd_diff_usage(stderr);
			return EXIT_USAGE;
		} else {
			f[k++] = argv[i];
		}
	}
	if (!f[1]) {
		cmd_diff_usage(stderr);
		return EXIT_USAGE;
	}
	for (int k = 0; k < 2; k++) {
		uint8_t *data = NULL;
		size_t len = 0;
		s[k].file = f[k];
		s[k].gap_ms = gap * 1000;
		int rc = files_read(f[k], MAX_TRANSCRIPT, &data, &len, &e) || ts_verify(data, len, NULL, &s[k].r, &e) ||
			 ts_each_entry_timed(data, s[k].r.whole_len, take, &s[k], &e);
		free(data);
		if (rc)
			goto fail;
		if (s[k].r.verdict == TS_UNREADABLE) {
			err_set(&e, ERR_INPUT, "%s: %s", f[k], s[k].r.reason);
			goto fail;
		}
	}
	unsigned n = 0;
	char hex[2][80];
	printf("A: %s: %s, %s\nB: %s: %s, %s\n", f[0], ts_verdict_word(s[0].r.verdict), s[0].r.rehearsal ? "rehearsal" : "live",
	       f[1], ts_verdict_word(s[1].r.verdict), s[1].r.rehearsal ? "rehearsal" : "live");
	if (memcmp(s[0].script, s[1].script, 32)) {
		printf("scripts: DIFFERENT (A %s, B %s)\n", words_hex(s[0].script, 32, hex[0], sizeof hex[0]),
		       words_hex(s[1].script, 32, hex[1], sizeof hex[1]));
		n++;
	} else {
		printf("scripts: the same (SHA-256 %s)\n", words_hex(s[0].script, 32, hex[0], sizeof hex[0]));
	}
	printf("differences (step: what: A | B):\n");
	/* Each step in the order A ran it, then those only B ran. */
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < s[k].n; i++) {
			const char *id = s[k].v[i].id;
			if (run_of(&s[k], id, 0) != &s[k].v[i])
				continue;   /* its first run stands for it */
			unsigned ra = runs(&s[0], id), rb = runs(&s[1], id);
			if (k == 1 && ra)
				continue;   /* compared already */
			if (!ra || !rb) {
				printf("  %s: ran in %s only\n", id, ra ? "A" : "B");
				n++;
				continue;
			}
			if (ra != rb) {
				printf("  %s: ran %u times | %u times\n", id, ra, rb);
				n++;
			}
			for (unsigned r = 0; r < ra && r < rb; r++)
				n += compare_run(run_of(&s[0], id, r), run_of(&s[1], id, r), r);
		}
	if (!n)
		printf("  none\n");
	for (int k = 0; k < 2; k++)
		for (unsigned i = 0; i < s[k].gaps; i++)
			printf("pause: %s\n", s[k].gap_text[i]);
	ret = n ? EXIT_FAILED : EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "ceremony diff: %s\n", e.msg);
out:
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < s[k].n; i++)
			cbor_decref(&s[k].v[i].body);
		free(s[k].v);
	}
	return ret;
}
