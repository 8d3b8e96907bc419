/* ceremony verify: the auditor's check of a transcript (TRANSCRIPT.md,
 * "What a verifier checks"). The exit status carries the verdict so scripts
 * need not parse the text. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"
#include "files.h"
#include "transcript.h"
#include "ts_contents.h"
#include "utf8.h"
#include "words.h"

enum {
	MAX_RECORD = 256 * 1024 * 1024,   /* far above any record; bounds memory on a hostile file */
	MAX_SCRIPT = 16 * 1024 * 1024,
	MAX_ANCHORS = 256,
	MAX_FILES = 32,
};

/* What one verification found besides the records' verdict, for both printers. */
struct found {
	const struct ts_verify_opts *o;
	const struct ts_story *story;
	const char *file, *prev_file;   /* prev_file: the transcript before it in a chain, or NULL */
	int link;                       /* a chain: 1 continues prev_file's head, 0 not, -1 no chain */
	uint8_t continues[32];
	bool has_continues;
};

void cmd_verify_usage(FILE *f)
{
	fputs("usage: ceremony verify FILE [--script S] [--anchor SEQ:HEAD]... [--kid KID]... [--json]\n"
	      "       ceremony verify EARLIER.cts LATER.cts... [--json]\n"
	      "\n"
	      "Checks a transcript (ceremony-transcript/1): each record's COSE signature and\n"
	      "deterministic encoding, the shape of each entry, the hash chain, the ceremony id,\n"
	      "the time order, the order of steps, the signer, and the seal and its summary;\n"
	      "then what the records contain: every embedded artifact against its record,\n"
	      "every certificate, CRL and request against the key that signed it (its own, or\n"
	      "its issuer's when the issuer is in the transcript), and every SHA-256 a step\n"
	      "shows against the artifact it names. Prints the verdict first, then the title,\n"
	      "mode, record count, time span, each signer kid with the records it signed, the\n"
	      "head (hex and PGP words, to compare with the paper log), what was checked and\n"
	      "matched, and the steps that failed, deviated or ran again and who refused what.\n"
	      "\n"
	      "Several transcripts are a chain, the earliest first (the root ceremony, then the\n"
	      "intermediate that builds on it...): each must continue the head of the one\n"
	      "before (its genesis `continues`), and its certificates may be signed by the\n"
	      "certificates of the ones before. The exit status is the worst verdict; a broken\n"
	      "link is INVALID.\n"
	      "\n"
	      "options:\n"
	      "  --script S         also check that S is byte for byte the script the ceremony ran\n"
	      "  --anchor SEQ:HEAD  also check a head from the paper log: HEAD is the head before\n"
	      "                     record SEQ as shown at a checkpoint, the resume or the seal,\n"
	      "                     in hex (64 digits, spaces allowed) or its 32 PGP words;\n"
	      "                     may be given more than once\n"
	      "  --kid KID          a signer's kid from the paper log (shown at genesis and at a\n"
	      "                     resume), in hex or PGP words: it must have signed records,\n"
	      "                     and it vouches for a signer that took over at a resume;\n"
	      "                     may be given more than once\n"
	      "  --json             print one JSON object instead of text\n"
	      "  -h, --help         print this help\n"
	      "\n"
	      "EXIT STATUS\n"
	      "  0  VALID: sealed, the ceremony completed\n"
	      "  3  VALID, ABORTED: sealed, the ceremony was aborted or halted at a decision\n"
	      "  4  INCOMPLETE: every record is good but there is no seal (truncated, a torn\n"
	      "     tail or zero fill after a crash, or still running)\n"
	      "  5  UNANCHORED: every record is good, but the signer changed at a resume and\n"
	      "     neither an anchor after it nor a --kid vouches for the new signer: anyone\n"
	      "     with the file could have cut it there and written the rest\n"
	      "  1  INVALID: a record is bad; its seq and the reason are printed\n"
	      "  2  the file or script could not be read, or bad usage\n"
	      "\n"
	      "WHAT VALID MEANS\n"
	      "  From the file alone: every record is signed by the key its genesis names, in\n"
	      "  order, unchanged, nothing removed or inserted, and it was sealed. The file\n"
	      "  cannot prove that nobody re-signed all of it with a key of their own: only the\n"
	      "  paper log can. Give the kid written there at genesis (--kid) and the heads\n"
	      "  written at checkpoints and the seal (--anchor).\n"
	      "\n"
	      "EXAMPLES\n"
	      "  ceremony verify out/transcript.cts --script ceremonies/course-exercise.yaml\n"
	      "  ceremony verify transcript.cts --anchor '7:E582 94F2 ...' --kid '6C7F B0F4 ...' --json\n",
	      f);
}

static int usage_error(const char *fmt, ...) CER_PRINTF(1, 2);

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("ceremony verify: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nusage: ceremony verify FILE [--script S] [--anchor SEQ:HEAD]... [--kid KID]... [--json]\n"
	      "(ceremony verify --help for more)\n",
	      stderr);
	return EXIT_USAGE;
}

static const char *seal_text(int status)
{
	switch (status) {
	case TS_COMPLETED:
		return "completed";
	case TS_SEAL_ABORTED:
		return "aborted";
	case TS_HALTED:
		return "halted at a decision";
	}
	return "none";
}

/* Length of the well-formed UTF-8 character at the NUL-terminated p (1..4), 0 if
 * there is none. Titles and step ids come from the file being audited: a reason cut
 * inside a character, or a title with terminal escapes, must not reach the auditor's
 * terminal or a JSON parser as is. */
static size_t utf8_char(const unsigned char *p)
{
	return utf8_seq(p, strnlen((const char *)p, 4), NULL);
}

/* Text from the transcript for the terminal: control characters and broken
 * UTF-8 become '?'. */
static void put_safe(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_char(p);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			fputc('?', f);
			p++;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
}

static void json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	fputc('"', f);
	while (*p) {
		size_t n = utf8_char(p);
		if (n == 0) {
			fputs("\\ufffd", f);   /* broken UTF-8: JSON must be valid Unicode */
			p++;
			continue;
		}
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (n == 1 && (*p < 0x20 || *p == 0x7f))
			fprintf(f, "\\u%04x", *p);
		else
			fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

/* Whether range i is the first one of its kid (a signer may come back). */
static bool first_of_kid(const struct ts_report *r, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (memcmp(r->signers[j].kid, r->signers[i].kid, 32) == 0)
			return false;
	return true;
}

static const char *vouch_text(const struct ts_signer_range *g, char *buf, size_t cap)
{
	switch (g->vouch) {
	case TS_VOUCH_FILE:
		return "genesis";
	case TS_VOUCH_KID:
		return "kid";
	case TS_VOUCH_ANCHOR:
		snprintf(buf, cap, "anchor %" PRIu64, g->anchor_seq);
		return buf;
	case TS_VOUCH_NONE:
		break;
	}
	return "nothing";
}

static void print_json(FILE *f, const struct ts_report *r, const struct found *x)
{
	char hex[65], t0[40], t1[40];

	fputs("{\"verdict\":", f);
	json_string(f, ts_verdict_word(r->verdict));
	if (x && x->file) {
		fputs(",\"file\":", f);
		json_string(f, x->file);
	}
	fprintf(f, ",\"records\":%" PRIu64, r->records);
	fputs(",\"head\":", f);
	if (r->records)
		json_string(f, words_hex(r->head, 32, hex, sizeof hex));
	else
		fputs("null", f);
	fputs(",\"kids\":[", f);
	for (size_t i = 0, n = 0; i < r->n_signers; i++) {
		if (first_of_kid(r, i)) {
			fputs(n++ ? "," : "", f);
			json_string(f, words_hex(r->signers[i].kid, 32, hex, sizeof hex));
		}
	}
	fputs("],\"signers\":[", f);
	for (size_t i = 0; i < r->n_signers; i++) {
		const struct ts_signer_range *g = &r->signers[i];
		char by[40];
		fputs(i ? ",{\"kid\":" : "{\"kid\":", f);
		json_string(f, words_hex(g->kid, 32, hex, sizeof hex));
		fprintf(f, ",\"first\":%" PRIu64 ",\"last\":%" PRIu64 ",\"resume_seq\":", g->first, g->last);
		if (g->resume_seq >= 0)
			fprintf(f, "%" PRId64, g->resume_seq);
		else
			fputs("null", f);
		fputs(",\"vouched_by\":", f);
		json_string(f, vouch_text(g, by, sizeof by));
		fputc('}', f);
	}
	fputc(']', f);
	if (r->unanchored_seq >= 0)
		fprintf(f, ",\"unanchored_from\":%" PRId64, r->unanchored_seq);
	else
		fputs(",\"unanchored_from\":null", f);
	if (r->bad_seq >= 0)
		fprintf(f, ",\"bad_seq\":%" PRId64, r->bad_seq);
	else
		fputs(",\"bad_seq\":null", f);
	fputs(",\"reason\":", f);
	json_string(f, r->reason);
	if (r->records) {
		fputs(",\"title\":", f);
		json_string(f, r->title);
		fputs(",\"mode\":", f);
		json_string(f, r->rehearsal ? "rehearsal" : "live");
		fputs(",\"cid\":", f);
		json_string(f, words_hex(r->cid, 16, hex, sizeof hex));
		ts_time_text(r->first_ms, TS_TIME_ISO_MS, t0, sizeof t0);
		ts_time_text(r->last_ms, TS_TIME_ISO_MS, t1, sizeof t1);
		fputs(",\"first_time\":", f);
		json_string(f, t0);
		fputs(",\"last_time\":", f);
		json_string(f, t1);
	}
	fprintf(f, ",\"signed_signoffs\":%" PRIu64 ",\"signoff_kids\":[", r->signed_signoffs);
	for (size_t i = 0; i < r->n_signoff_kids; i++) {
		if (i)
			fputc(',', f);
		json_string(f, words_hex(r->signoff_kids[i], 32, hex, sizeof hex));
	}
	fputc(']', f);
	if (r->seal_status >= 0)
		fprintf(f, ",\"seal_status\":%d", r->seal_status);
	else
		fputs(",\"seal_status\":null", f);
	if (x && r->records) {
		bool good = r->verdict != TS_INVALID;
		fputs(",\"checked\":{\"script\":", f);
		fputs(!x->o->script ? "null" : good ? "\"matches\"" : "\"see reason\"", f);
		fputs(",\"anchors\":[", f);
		for (size_t i = 0; i < x->o->n_anchors; i++)
			fprintf(f, "%s{\"seq\":%" PRIu64 ",\"matches\":%s}", i ? "," : "", x->o->anchors[i].seq,
				good ? "true" : "null");
		fputs("],\"kids\":[", f);
		for (size_t i = 0; i < x->o->n_kids; i++) {
			fputs(i ? "," : "", f);
			json_string(f, words_hex(x->o->kids[i], 32, hex, sizeof hex));
		}
		fprintf(f, "],\"artifacts\":%" PRIu64 ",\"x509_verified\":%" PRIu64 ",\"x509_chained\":%" PRIu64
			   ",\"x509_unchained\":%" PRIu64 ",\"x509_unverifiable\":%" PRIu64 ",\"fingerprints\":%" PRIu64 "}",
			r->artifacts_checked, r->x509_verified, r->x509_chained, r->x509_unchained, r->x509_unverifiable,
			r->fingerprints_checked);
		fputs(",\"continues\":", f);
		if (x->has_continues)
			json_string(f, words_hex(x->continues, 32, hex, sizeof hex));
		else
			fputs("null", f);
		if (x->link >= 0)
			fprintf(f, ",\"continues_previous\":%s", x->link ? "true" : "false");
		const struct ts_story *st = x->story;
		fprintf(f, ",\"steps\":{\"failed\":%" PRIu64 ",\"deviations\":%" PRIu64 ",\"run_again\":%" PRIu64
			   ",\"refusals\":%" PRIu64 ",\"slips\":%" PRIu64 ",\"decisions\":%" PRIu64 ",\"notes\":[",
			st->failed, st->deviations, st->retried, st->refusals, st->slips, st->decisions);
		for (size_t i = 0; i < st->n; i++) {
			fprintf(f, "%s{\"seq\":%" PRIu64 ",\"step\":", i ? "," : "", st->lines[i].seq);
			json_string(f, st->lines[i].step);
			fputs(",\"what\":", f);
			json_string(f, st->lines[i].what);
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fputs("}\n", f);
}

static void print_text(FILE *f, const struct ts_report *r, const struct found *x)
{
	char hex[96], words[1024], t0[40], t1[40];

	if (x->file) {
		fputs("== ", f);
		put_safe(f, x->file);
		fputc('\n', f);
	}
	switch (r->verdict) {
	case TS_VALID:
		fputs("VALID\n", f);
		break;
	case TS_VALID_ABORTED:
		fputs("VALID, ABORTED\n", f);
		break;
	case TS_INCOMPLETE:
		fputs("INCOMPLETE: ", f);
		put_safe(f, r->reason);
		fputc('\n', f);
		break;
	case TS_UNANCHORED:
		fprintf(f, "UNANCHORED from seq %" PRId64 ": ", r->unanchored_seq);
		put_safe(f, r->reason);
		fputc('\n', f);
		break;
	case TS_INVALID:
		fprintf(f, "INVALID at seq %" PRId64 ": ", r->bad_seq);
		put_safe(f, r->reason);
		fputc('\n', f);
		break;
	case TS_UNREADABLE:
		fputs("UNREADABLE: ", f);
		put_safe(f, r->reason);
		fputc('\n', f);
		return;
	}
	if (r->records == 0)
		return;
	fputs("title:    ", f);
	put_safe(f, r->title);
	fputc('\n', f);
	fprintf(f, "mode:     %s\n", r->rehearsal ? "rehearsal" : "live");
	if (r->seal_status >= 0)
		fprintf(f, "seal:     %s\n", seal_text(r->seal_status));
	fprintf(f, "records:  %" PRIu64 "%s\n", r->records, r->verdict == TS_INVALID ? " good before the bad one" : "");
	ts_time_text(r->first_ms, TS_TIME_ISO_MS, t0, sizeof t0);
	ts_time_text(r->last_ms, TS_TIME_ISO_MS, t1, sizeof t1);
	fprintf(f, "time:     %s .. %s\n", t0, t1);
	fprintf(f, "ceremony: %s\n", words_hex(r->cid, 16, hex, sizeof hex));
	for (size_t i = 0; i < r->n_signers; i++) {
		const struct ts_signer_range *g = &r->signers[i];
		char by[40];
		fprintf(f, "signer:   %s\n", words_hex_groups(g->kid, 32, 2, hex, sizeof hex));
		fprintf(f, "          %s\n", words_pgp_line(g->kid, 32, words, sizeof words));
		if (g->resume_seq < 0)
			fprintf(f, "          records %" PRIu64 "..%" PRIu64 " (from genesis%s)\n", g->first, g->last,
				g->vouch == TS_VOUCH_KID ? "; its kid matches the paper log's" : "");
		else
			fprintf(f, "          records %" PRIu64 "..%" PRIu64 " (from the resume at seq %" PRId64
				   "; vouched for by %s)\n",
				g->first, g->last, g->resume_seq,
				g->vouch == TS_VOUCH_NONE ? "NOTHING" : g->vouch == TS_VOUCH_KID ? "--kid"
										 : vouch_text(g, by, sizeof by));
	}
	if (r->n_signers_total > r->n_signers)
		fprintf(f, "          ... and %zu more signer changes\n", r->n_signers_total - r->n_signers);
	fprintf(f, "head:     %s\n", words_hex_groups(r->head, 32, 2, hex, sizeof hex));
	fprintf(f, "          %s\n", words_pgp_line(r->head, 32, words, sizeof words));
	if (x->has_continues)
		fprintf(f, "builds on: the transcript whose head is %s\n", words_hex_groups(x->continues, 32, 2, hex, sizeof hex));
	if (x->link >= 0) {
		fputs(x->link ? "          which is " : "          which is NOT ", f);
		put_safe(f, x->prev_file);
		fputs(x->link ? "'s: the chain holds\n" : "'s: the chain is broken here\n", f);
	} else if (x->prev_file) {
		fputs("builds on: nothing, so it does NOT continue ", f);
		put_safe(f, x->prev_file);
		fputs(": the chain is broken here\n", f);
	}
	if (r->verdict == TS_INVALID)
		return;
	/* What was checked besides the records, and what matched. */
	fputs("checked:  every record: signature, encoding, shape, chain, order, seal\n", f);
	if (x->o->script)
		fputs("          script: matches the file given\n", f);
	for (size_t i = 0; i < x->o->n_anchors; i++)
		fprintf(f, "          anchor %" PRIu64 ": matches\n", x->o->anchors[i].seq);
	for (size_t i = 0; i < x->o->n_kids; i++)
		fprintf(f, "          kid %s: signed records here\n", words_hex_groups(x->o->kids[i], 32, 2, hex, sizeof hex));
	fprintf(f, "          artifacts: %" PRIu64 " embedded, each hashes to its record\n", r->artifacts_checked);
	fprintf(f, "          signatures: %" PRIu64 " on certificates, CRLs and requests, each verifies", r->x509_verified);
	if (r->x509_chained)
		fprintf(f, " (%" PRIu64 " with an issuer's key found in the transcript%s)", r->x509_chained,
			x->prev_file ? "s" : "");
	fputc('\n', f);
	if (r->x509_unchained)
		fprintf(f, "          %" PRIu64 " whose issuer is in no transcript given (give the earlier ones first)\n",
			r->x509_unchained);
	if (r->x509_unverifiable)
		fprintf(f, "          %" PRIu64 " signed with an algorithm this OpenSSL cannot check\n", r->x509_unverifiable);
	fprintf(f, "          fingerprints: %" PRIu64 " shown by steps, each the artifact's\n", r->fingerprints_checked);
	if (r->signed_signoffs) {
		fprintf(f, "          signed sign-offs: %" PRIu64 " verified, by kid", r->signed_signoffs);
		for (size_t i = 0; i < r->n_signoff_kids; i++)
			fprintf(f, "%s %s", i ? "," : "", words_hex(r->signoff_kids[i], 32, hex, sizeof hex));
		fputc('\n', f);
	}
	const struct ts_story *st = x->story;
	fprintf(f, "steps:    %" PRIu64 " failed or aborted, %" PRIu64 " deviation%s, %" PRIu64 " run again, %" PRIu64
		   " refusal%s, %" PRIu64 " slip%s asked again, %" PRIu64 " decision%s\n",
		st->failed, st->deviations, st->deviations == 1 ? "" : "s", st->retried, st->refusals,
		st->refusals == 1 ? "" : "s", st->slips, st->slips == 1 ? "" : "s", st->decisions,
		st->decisions == 1 ? "" : "s");
	for (size_t i = 0; i < st->n; i++) {
		fprintf(f, "  seq %" PRIu64 " %s: ", st->lines[i].seq, st->lines[i].step);
		put_safe(f, st->lines[i].what);
		fputc('\n', f);
	}
	if (st->total > st->n)
		fprintf(f, "  ... and %zu more\n", st->total - st->n);
}

/* Whether a is option name, as "--name" or "--name=VALUE". */
static bool is_opt(const char *a, const char *name)
{
	size_t n = strlen(name);
	return strncmp(a, name, n) == 0 && (a[n] == 0 || a[n] == '=');
}

/* The value of option name at argv[*i]: after '=', or the next argument (*i moves
 * on); NULL when there is none. */
static const char *opt_arg(const char *a, const char *name, int argc, char **argv, int *i)
{
	size_t n = strlen(name);
	if (a[n] == '=')
		return a + n + 1;
	return *i + 1 < argc ? argv[++*i] : NULL;
}

/* An unreadable input still gets a verdict object in --json mode, so a caller
 * parsing stdout always finds one. */
/* What the printers need besides the verdict, gathered as the records are verified
 * (one pass over the file): the story, the genesis `continues`, and the
 * certificates a later transcript of the chain may be signed by. */
struct walk {
	struct ts_story *story;
	struct found *x;
	struct ts_certs *certs;   /* NULL: no later transcript */
};

static int observe(void *ctx, uint64_t seq, uint64_t time_ms, enum ts_kind kind, const cbor_item_t *body,
		   struct err *e)
{
	struct walk *w = ctx;
	(void)time_ms;
	if (kind == TS_GENESIS)
		w->x->has_continues = ts_continues_of(body, w->x->continues) == 1;
	if (ts_story_take(w->story, seq, kind, body, e))
		return -1;
	return w->certs ? ts_certs_take(w->certs, seq, kind, body, e) : 0;
}

static int unreadable(bool json, const struct err *e)
{
	if (json) {
		struct ts_report r = {.verdict = TS_UNREADABLE, .bad_seq = -1, .seal_status = -1, .unanchored_seq = -1};
		snprintf(r.reason, sizeof r.reason, "%s", e->msg);
		print_json(stdout, &r, NULL);
	}
	fprintf(stderr, "ceremony verify: %s\n", e->msg);
	return EXIT_USAGE;
}

/* The worse of two verdicts, as the exit status says it for a chain. */
static int worse(int a, int b)
{
	static const int order[] = {TS_VALID, TS_VALID_ABORTED, TS_INCOMPLETE, TS_UNANCHORED, TS_INVALID, TS_UNREADABLE};
	int ra = 0, rb = 0;
	for (int i = 0; i < 6; i++) {
		if (order[i] == a)
			ra = i;
		if (order[i] == b)
			rb = i;
	}
	return ra >= rb ? a : b;
}

int cmd_verify(int argc, char **argv)
{
	const char *files[MAX_FILES], *script_path = NULL;
	size_t n_files = 0;
	struct ts_anchor *anchors = NULL;
	uint8_t (*kids)[32] = NULL;
	struct ts_verify_opts o = {0};
	struct ts_report r;
	struct ts_story story;
	struct err e = {.kind = ERR_NONE};
	uint8_t *script = NULL, prev_head[32];
	struct ts_certs issuers = {0};
	size_t script_len = 0, n_anchors = 0, n_kids = 0;
	int fd = -1;
	bool json = false;
	int ret = EXIT_USAGE;

	anchors = calloc(MAX_ANCHORS, sizeof *anchors);
	kids = calloc(MAX_ANCHORS, sizeof *kids);
	if (!anchors || !kids) {
		fprintf(stderr, "ceremony verify: out of memory\n");
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (cmd_is_help(a)) {
			cmd_verify_usage(stdout);
			ret = EXIT_OK;
			goto out;
		} else if (strcmp(a, "--json") == 0) {
			json = true;
		} else if (is_opt(a, "--script")) {
			const char *v = opt_arg(a, "--script", argc, argv, &i);
			if (!v || !*v) {
				ret = usage_error("%s needs a file", "--script");
				goto out;
			}
			script_path = v;
		} else if (is_opt(a, "--anchor")) {
			const char *v = opt_arg(a, "--anchor", argc, argv, &i);
			if (!v || n_anchors == MAX_ANCHORS || !ts_anchor_parse(v, &anchors[n_anchors])) {
				ret = usage_error("%s wants SEQ:HEAD, HEAD 64 hex digits or 32 PGP words (at most %d anchors)%s%s",
						  "--anchor", MAX_ANCHORS, v ? "; found " : "", v ? v : "");
				goto out;
			}
			n_anchors++;
		} else if (is_opt(a, "--kid")) {
			const char *v = opt_arg(a, "--kid", argc, argv, &i);
			if (!v || n_kids == MAX_ANCHORS || words_parse(v, kids[n_kids], 32) != 0) {
				ret = usage_error("%s wants 64 hex digits or 32 PGP words (at most %d kids)%s%s", "--kid",
						  MAX_ANCHORS, v ? "; found " : "", v ? v : "");
				goto out;
			}
			n_kids++;
		} else if (a[0] == '-' && a[1]) {
			ret = usage_error("unknown option '%s'", a);
			goto out;
		} else if (n_files == MAX_FILES) {
			ret = usage_error("at most %d transcripts in a chain", MAX_FILES);
			goto out;
		} else {
			files[n_files++] = a;
		}
	}
	if (!n_files) {
		ret = usage_error("no transcript given");
		goto out;
	}
	if (n_files > 1 && (script_path || n_anchors || n_kids)) {
		ret = usage_error("--script, --anchor and --kid belong to one transcript: verify it alone with them");
		goto out;
	}
	if (script_path) {
		if (files_read(script_path, MAX_SCRIPT, &script, &script_len, &e) != 0) {
			ret = unreadable(json, &e);
			goto out;
		}
		o.script = script;
		o.script_len = script_len;
	}
	o.anchors = anchors;
	o.n_anchors = n_anchors;
	o.kids = (const uint8_t(*)[32])kids;
	o.n_kids = n_kids;
	/* A chain (root, then the intermediate that builds on it...): each later one must
	 * continue the head of the one before, and may be signed by its certificates. */
	int status = TS_VALID;
	for (size_t k = 0; k < n_files; k++) {
		struct found x = {.o = &o, .story = &story, .file = n_files > 1 ? files[k] : NULL,
				  .prev_file = k ? files[k - 1] : NULL, .link = -1};
		struct walk w = {.story = &story, .x = &x, .certs = k + 1 < n_files ? &issuers : NULL};
		memset(&story, 0, sizeof story);
		/* The issuers the transcripts before this one embed (gathered as they were verified). */
		o.issuers = issuers.v;
		o.n_issuers = issuers.n;
		o.each = observe;
		o.each_ctx = &w;
		if ((fd = files_open_read(files[k], &e)) < 0 || ts_verify_fd(fd, MAX_RECORD, &o, &r, &e) != 0) {
			ts_story_free(&story);
			ret = unreadable(json, &e);
			goto out;
		}
		ts_story_free(&story);
		close(fd);
		fd = -1;
		int verdict = (int)r.verdict;
		if (k) {
			x.link = x.has_continues && !memcmp(x.continues, prev_head, 32);
			if (!x.link)
				verdict = TS_INVALID;   /* a chain that does not hold is not VALID */
			if (!x.has_continues)
				x.link = -1;
		}
		if (json)
			print_json(stdout, &r, &x);
		else
			print_text(stdout, &r, &x);
		status = worse(status, verdict);
		memcpy(prev_head, r.head, 32);
	}
	/* The verdict values are the exit statuses (transcript.h). */
	ret = status;
out:
	for (size_t i = 0; i < issuers.n; i++)
		buf_free(&issuers.v[i]);
	free(issuers.v);
	if (fd >= 0)
		close(fd);
	free(anchors);
	free(kids);
	free(script);
	return ret;
}
