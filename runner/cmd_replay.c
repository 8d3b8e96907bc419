/* ceremony replay TRANSCRIPT [--step ID]: the ceremony as it happened, step by step,
 * for an auditor at a terminal: when each step began, who performed it, what was
 * read aloud (from the script the transcript embeds), Expected against Actual with
 * each check, the confirmations, decisions and sign-offs, and what went wrong —
 * failures, deviations, slips, refusals, runs again, resumes — marked. It reads the
 * records that verify (an INCOMPLETE or UNANCHORED transcript too, said at the top). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"
#include "dcbor.h"
#include "files.h"
#include "transcript.h"
#include "words.h"
#include "ynode.h"

enum { MAX_TRANSCRIPT = 256 * 1024 * 1024 };

void cmd_replay_usage(FILE *f)
{
	fputs("usage: ceremony replay TRANSCRIPT [--step ID]\n"
	      "\n"
	      "Tells the ceremony as its transcript recorded it: for each step in the order it\n"
	      "ran, the time it began, its type and title, who performed it, what was read\n"
	      "aloud (from the script the transcript embeds), each check as Expected against\n"
	      "Actual, the other outputs, the confirmations, the decision taken and the\n"
	      "sign-offs; failures, deviations, slips asked again, refusals, runs again,\n"
	      "resumes and checkpoints are marked. The transcript's verdict comes first; an\n"
	      "INCOMPLETE or UNANCHORED one is replayed as far as its records are good, an\n"
	      "INVALID one up to its first bad record. Colour only on a terminal.\n"
	      "\n"
	      "  --step ID   only that step (every time it ran)\n"
	      "\n"
	      "EXIT STATUS\n"
	      "  0 replayed (whatever the verdict); 1 --step names no step that ran; 2 bad\n"
	      "  usage or an unreadable file.\n",
	      f);
}

struct replay {
	FILE *f;
	bool colour;
	const char *only;
	const struct ynode *steps;   /* the embedded script's steps, or NULL */
	unsigned shown;
	char begun_type[64];
	uint64_t begun_seq, begun_ms;
	char runs[256][64];          /* step ids seen, for "run again" */
	unsigned run_count[256];
	size_t n_runs;
};

static const char *on(const struct replay *p, const char *code)
{
	return p->colour ? code : "";
}

/* Whoever wrote the file chose these bytes: no control character reaches the
 * terminal (an escape sequence could rewrite what the auditor sees). */
static void tame(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* The script's step of that id: its say and title. */
static const struct ynode *script_step_of(const struct replay *p, const char *id)
{
	for (size_t i = 0; p->steps && p->steps->kind == YN_SEQ && i < p->steps->n; i++) {
		const struct ynode *s = p->steps->vals[i], *sid = ynode_get(s, "id");
		if (sid && sid->kind == YN_SCALAR && !strcmp(sid->str, id))
			return s;
	}
	return NULL;
}

/* Folded prose, wrapped at 78 columns under a prefix. */
static void wrapped(FILE *f, const char *prefix, const char *from)
{
	size_t col = 0, plen = strlen(prefix);
	char copy[8192];
	snprintf(copy, sizeof copy, "%s", from);
	for (char *c = copy; *c; c++)
		if (((unsigned char)*c < 0x20 && *c != '\n') || *c == 0x7f)
			*c = '?';
	const char *s = copy;
	fputs(prefix, f);
	col = plen;
	while (*s) {
		while (*s == ' ' || *s == '\n')
			s++;
		size_t w = strcspn(s, " \n");
		if (!w)
			break;
		if (col > plen && col + 1 + w > 78) {
			fprintf(f, "\n%s", prefix);
			col = plen;
		} else if (col > plen) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)w, s);
		col += w;
		s += w;
	}
	fputc('\n', f);
}

static void signoffs(struct replay *p, const cbor_item_t *list, const char *what)
{
	char role[64], name[128], t[32], stmt[512];
	for (size_t i = 0; list && i < cbor_array_size(list); i++) {
		const cbor_item_t *so = cbor_array_handle(list)[i];
		uint64_t ms = 0, method = 0;
		dcbor_text_into(dcbor_get_u(so, 0), role, sizeof role);
		dcbor_text_into(dcbor_get_u(so, 1), name, sizeof name);
		dcbor_text_into(dcbor_get_u(so, 2), stmt, sizeof stmt);
		(void)dcbor_as_u64(dcbor_get_u(so, 3), &ms);
		(void)dcbor_as_u64(dcbor_get_u(so, 4), &method);
		ts_time_text(ms, TS_TIME_LOG, t, sizeof t);
		fprintf(p->f, "   %s %s (%s), %s, %s\n", what, name, role, t, method == 1 ? "signed with their own key" : "attested");
	}
}

static const char *outcome_word(uint64_t o)
{
	static const char *const w[] = {"PASSED", "FAILED", "SKIPPED", "ABORTED", "DEVIATION"};
	return o < 5 ? w[o] : "?";
}

static int each(void *ctx, uint64_t seq, uint64_t ms, enum ts_kind kind, const cbor_item_t *body, struct err *e)
{
	struct replay *p = ctx;
	FILE *f = p->f;
	char id[64], buf[2048], t[32];
	(void)e;
	if (kind == TS_STEP_BEGIN) {
		dcbor_text_into(dcbor_get_u(body, 0), id, sizeof id);
		dcbor_text_into(dcbor_get_u(body, 2), p->begun_type, sizeof p->begun_type);
		p->begun_seq = seq;
		p->begun_ms = ms;
		return 0;
	}
	if (kind == TS_CHECKPOINT || kind == TS_RESUME || kind == TS_SEAL) {
		if (p->only)
			return 0;
		if (kind == TS_CHECKPOINT) {
			dcbor_text_into(dcbor_get_u(body, 0), buf, sizeof buf);
			ts_time_text(ms, TS_TIME_LOG, t, sizeof t);
			fprintf(f, "\n%s-- %s  checkpoint (record %" PRIu64 "): %s%s\n", on(p, "\033[1m"), t, seq, buf,
				on(p, "\033[0m"));
			signoffs(p, dcbor_get_u(body, 1), "signed off by");
		} else if (kind == TS_RESUME) {
			uint64_t last = 0, cut = 0;
			(void)dcbor_as_u64(dcbor_get_u(body, 0), &last);
			(void)dcbor_as_u64(dcbor_get_u(body, 1), &cut);
			dcbor_text_into(dcbor_get_u(body, 3), buf, sizeof buf);
			fprintf(f, "\n%s!! RESUMED (record %" PRIu64 ") after record %" PRIu64 ", %" PRIu64 " torn bytes set aside%s\n",
				on(p, "\033[1;33m"), seq, last, cut, on(p, "\033[0m"));
			wrapped(f, "   ", buf);
			if (dcbor_get_u(body, 4))
				fprintf(f, "   %sa new audit key signs from here on%s\n", on(p, "\033[33m"), on(p, "\033[0m"));
			signoffs(p, dcbor_get_u(body, 5), "signed off by");
		} else {
			uint64_t status = 0;
			(void)dcbor_as_u64(dcbor_get_u(body, 0), &status);
			fprintf(f, "\n%s== SEALED (record %" PRIu64 "): %s%s\n", on(p, "\033[1m"), seq,
				status == 0 ? "completed" : status == 1 ? "aborted" : "halted at a decision", on(p, "\033[0m"));
			dcbor_text_into(dcbor_get_u(body, 1), buf, sizeof buf);
			fprintf(f, "   summary: %s\n", buf);
			signoffs(p, dcbor_get_u(body, 2), "signed off by");
		}
		return 0;
	}
	if (kind != TS_STEP_RESULT)
		return 0;
	dcbor_text_into(dcbor_get_u(body, 0), id, sizeof id);
	if (p->only && strcmp(p->only, id))
		return 0;
	size_t k = 0;
	while (k < p->n_runs && strcmp(p->runs[k], id))
		k++;
	if (k == p->n_runs && k < sizeof p->runs / sizeof p->runs[0]) {
		snprintf(p->runs[k], sizeof p->runs[k], "%s", id);
		p->run_count[k] = 0;
		p->n_runs++;
	}
	unsigned run = k < p->n_runs ? ++p->run_count[k] : 1;
	p->shown++;
	uint64_t outcome = 0;
	(void)dcbor_as_u64(dcbor_get_u(body, 2), &outcome);
	const struct ynode *ss = script_step_of(p, id), *title = ss ? ynode_get(ss, "title") : NULL,
			   *say = ss ? ynode_get(ss, "say") : NULL, *by = ss ? ynode_get(ss, "performed_by") : NULL;
	bool bad = outcome == 1 || outcome == 3;
	char tt[512] = "";
	if (title && title->kind == YN_SCALAR)
		snprintf(tt, sizeof tt, ": %s", title->str);
	tame(tt);
	tame(p->begun_type);
	ts_time_text(p->begun_ms, TS_TIME_LOG, t, sizeof t);
	fprintf(f, "\n%s== %s  %s (%s)%s - record %" PRIu64 "%s\n",
		on(p, bad ? "\033[1;31m" : outcome == 4 ? "\033[1;33m" : "\033[1m"), t, id, p->begun_type, tt, p->begun_seq,
		on(p, "\033[0m"));
	if (run > 1)
		fprintf(f, "   %s(run %u of this step)%s\n", on(p, "\033[33m"), run, on(p, "\033[0m"));
	if (by && by->kind == YN_SCALAR)
		wrapped(f, "   performed by: ", by->str);
	if (say && say->kind == YN_SCALAR)
		wrapped(f, "   | ", say->str);
	const cbor_item_t *checks = dcbor_get_u(body, 4), *out = dcbor_get_u(body, 3);
	for (size_t i = 0; checks && i < cbor_array_size(checks); i++) {
		const cbor_item_t *c = cbor_array_handle(checks)[i], *held = dcbor_get_u(c, 3);
		char what[256], want[512], got[512];
		dcbor_text_into(dcbor_get_u(c, 0), what, sizeof what);
		dcbor_text_into(dcbor_get_u(c, 1), want, sizeof want);
		dcbor_text_into(dcbor_get_u(c, 2), got, sizeof got);
		bool ok = held && cbor_is_bool(held) && cbor_get_bool(held);
		fprintf(f, "   %scheck %s: Expected %s, Actual %s %s%s\n", on(p, ok ? "" : "\033[31m"), what, want, got,
			ok ? "[holds]" : "[DOES NOT HOLD]", on(p, ok ? "" : "\033[0m"));
	}
	for (size_t i = 0; out && cbor_isa_map(out) && i < cbor_map_size(out); i++) {
		char key[128];
		dcbor_text_into(cbor_map_handle(out)[i].key, key, sizeof key);
		dcbor_text_into(cbor_map_handle(out)[i].value, buf, sizeof buf);
		fprintf(f, "   Actual %s: %s\n", key, buf);
	}
	const cbor_item_t *arts = dcbor_get_u(body, 6);
	for (size_t i = 0; arts && i < cbor_array_size(arts); i++) {
		const cbor_item_t *a = cbor_array_handle(arts)[i];
		char name[256], hex[65];
		uint64_t size = 0;
		dcbor_text_into(dcbor_get_u(a, 0), name, sizeof name);
		(void)dcbor_as_u64(dcbor_get_u(a, 2), &size);
		fprintf(f, "   artifact %s: %" PRIu64 " bytes, SHA-256 %s%s\n", name, size,
			words_hex(cbor_bytestring_handle(dcbor_get_u(a, 1)), 32, hex, sizeof hex),
			dcbor_get_u(a, 4) ? "" : " (not embedded)");
	}
	const cbor_item_t *att = dcbor_get_u(body, 11), *ref = dcbor_get_u(body, 12), *dec = dcbor_get_u(body, 7);
	for (size_t i = 0; att && i < cbor_array_size(att); i++) {
		const cbor_item_t *a = cbor_array_handle(att)[i];
		char role[64], q[128], wrong[512];
		dcbor_text_into(dcbor_get_u(a, 0), role, sizeof role);
		dcbor_text_into(dcbor_get_u(a, 1), q, sizeof q);
		dcbor_text_into(dcbor_get_u(a, 2), wrong, sizeof wrong);
		fprintf(f, "   %sslip%s (%s, %s): %s, asked again\n", on(p, "\033[33m"), on(p, "\033[0m"), role, q, wrong);
	}
	signoffs(p, dcbor_get_u(body, 10), "confirmed by");
	if (dec) {
		char q[512], choice[128], next[64];
		dcbor_text_into(dcbor_get_u(dec, 0), q, sizeof q);
		dcbor_text_into(dcbor_get_u(dec, 1), choice, sizeof choice);
		dcbor_text_into(dcbor_get_u(dec, 2), next, sizeof next);
		fprintf(f, "   decision: %s -> %s%s%s\n", q, choice, dcbor_get_u(dec, 2) ? ", next " : ", the ceremony halts",
			dcbor_get_u(dec, 2) ? next : "");
	}
	for (size_t i = 0; ref && i < cbor_array_size(ref); i++) {
		const cbor_item_t *r = cbor_array_handle(ref)[i];
		char role[64], name[128], why[512];
		dcbor_text_into(dcbor_get_u(r, 0), role, sizeof role);
		dcbor_text_into(dcbor_get_u(r, 1), name, sizeof name);
		dcbor_text_into(dcbor_get_u(r, 2), why, sizeof why);
		fprintf(f, "   %sREFUSED by %s (%s): %s%s\n", on(p, "\033[1;31m"), name, role, why, on(p, "\033[0m"));
	}
	signoffs(p, dcbor_get_u(body, 5), "signed off by");
	if (dcbor_get_u(body, 8)) {
		dcbor_text_into(dcbor_get_u(body, 8), buf, sizeof buf);
		wrapped(f, "   note: ", buf);
	}
	if (dcbor_get_u(body, 9)) {
		char code[64];
		dcbor_text_into(dcbor_get_u(dcbor_get_u(body, 9), 0), code, sizeof code);
		dcbor_text_into(dcbor_get_u(dcbor_get_u(body, 9), 1), buf, sizeof buf);
		fprintf(f, "   %serror %s: %s%s\n", on(p, "\033[31m"), code, buf, on(p, "\033[0m"));
	}
	ts_time_text(ms, TS_TIME_LOG, t, sizeof t);
	fprintf(f, "   %s%s%s at %s (record %" PRIu64 ")\n", on(p, bad ? "\033[1;31m" : outcome == 4 ? "\033[1;33m" : ""),
		outcome_word(outcome), on(p, bad || outcome == 4 ? "\033[0m" : ""), t, seq);
	return 0;
}

int cmd_replay(int argc, char **argv)
{
	const char *file = NULL, *only = NULL;
	struct err e = {.kind = ERR_NONE};
	struct ts_report r;
	struct ydoc *doc = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	int ret = EXIT_USAGE;
	for (int i = 1; i < argc; i++) {
		if (cmd_is_help(argv[i])) {
			cmd_replay_usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--step") && i + 1 < argc) {
			only = argv[++i];
		} else if (argv[i][0] == '-' || file) {
			cmd_replay_usage(stderr);
			return EXIT_USAGE;
		} else {
			file = argv[i];
		}
	}
	if (!file) {
		cmd_replay_usage(stderr);
		return EXIT_USAGE;
	}
	if (files_read(file, MAX_TRANSCRIPT, &data, &len, &e) || ts_verify(data, len, NULL, &r, &e))
		goto fail;
	if (r.verdict == TS_UNREADABLE) {
		fprintf(stderr, "ceremony replay: %s: %s\n", file, r.reason);
		goto out;
	}
	struct replay p = {.f = stdout, .colour = isatty(STDOUT_FILENO) != 0, .only = only};
	char t0[32], t1[32];
	ts_time_text(r.first_ms, TS_TIME_LOG, t0, sizeof t0);
	ts_time_text(r.last_ms, TS_TIME_LOG, t1, sizeof t1);
	tame(r.reason);
	tame(r.title);
	printf("%s%s%s%s%s\n", p.colour ? "\033[1m" : "", ts_verdict_word(r.verdict), r.reason[0] ? ": " : "", r.reason,
	       p.colour ? "\033[0m" : "");
	if (r.verdict == TS_INCOMPLETE)
		printf("(the ceremony did not reach its seal: replayed as far as its records go)\n");
	else if (r.verdict == TS_UNANCHORED)
		printf("(from record %" PRId64 " on the records are vouched for by nothing from the paper log)\n",
		       r.unanchored_seq);
	else if (r.verdict == TS_INVALID)
		printf("(replayed up to record %" PRId64 ", the first bad one)\n", r.bad_seq);
	printf("%s, %s\n%s .. %s, %" PRIu64 " records\n", r.title, r.rehearsal ? "a rehearsal" : "live", t0, t1,
	       r.records);
	/* The embedded script: what was read aloud. */
	cbor_item_t *g = r.records ? ts_genesis_body(data, r.whole_len, &e) : NULL;
	const cbor_item_t *sc = g ? dcbor_get_u(g, 3) : NULL;
	struct err ignored;   /* a script that does not parse is replayed without its texts */
	if (sc && ydoc_parse("(the transcript's script)", cbor_bytestring_handle(sc), cbor_bytestring_length(sc), NULL,
			     ERR_SCRIPT, &doc, &ignored) == 0)
		p.steps = ynode_get(doc->root, "steps");
	if (g)
		cbor_decref(&g);
	if (ts_each_entry_timed(data, r.whole_len, each, &p, &e))
		goto fail;
	if (only && !p.shown) {
		fprintf(stderr, "ceremony replay: no step '%s' ran in %s\n", only, file);
		ret = EXIT_FAILED;
		goto out;
	}
	ret = EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "ceremony replay: %s\n", e.msg);
out:
	ydoc_free(doc);
	free(data);
	return ret;
}
