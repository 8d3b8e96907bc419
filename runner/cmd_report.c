/* ceremony report TRANSCRIPT... [--html]: the completed ceremony log for the legal
 * archive, in the layout of seed 004 §10: date, location, type, participants and
 * roles, equipment (tokens, workstation), the steps table, the results (each
 * certificate's subject, serial, SHA-256 in hex and PGP words, algorithm, validity,
 * SKI), the seal numbers, the post-ceremony verification boxes ticked from what the
 * transcript recorded (left empty, visibly, where nothing did), the destruction
 * checklist, the signature blocks, a picture of the CA hierarchy, and the verdict,
 * head and signer kids. Given several transcripts of one PKI, the Historical
 * Ceremony Records table too. Everything comes from the records that verify. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd.h"
#include "dcbor.h"
#include "docout.h"
#include "files.h"
#include "transcript.h"
#include "words.h"
#include "x509_read.h"

enum { MAX_TRANSCRIPT = 256 * 1024 * 1024, MAX_FILES = 16, MAX_STEPS = 2048 };

void cmd_report_usage(FILE *f)
{
	fputs("usage: ceremony report TRANSCRIPT... [--html]\n"
	      "\n"
	      "Writes the ceremony log (seed 004 §10) of each transcript: date, location, type,\n"
	      "participants and roles, equipment, the steps table (time, performed by, verified\n"
	      "by, notes), the results (each certificate's subject, serial, SHA-256 in hex and\n"
	      "PGP words, algorithm, validity, SKI), seal numbers, the post-ceremony\n"
	      "verification boxes ticked from what the transcript recorded (left empty, and\n"
	      "said so, where nothing did), the destruction checklist, signature blocks, the\n"
	      "CA hierarchy (HTML: a picture), and the transcript's verdict, head and signer\n"
	      "kids. Several transcripts of one PKI add the Historical Ceremony Records table.\n"
	      "Markdown on standard output, or one self-contained HTML file with --html.\n"
	      "\n"
	      "EXIT STATUS\n"
	      "  0 written (the verdict of each transcript is in its log); 2 bad usage or an\n"
	      "  unreadable file.\n",
	      f);
}

struct rstep {
	char id[64], type[64];
	uint64_t begin_ms, ms, outcome;
	cbor_item_t *body;
};

struct rlog {
	const char *file;
	struct ts_report r;
	cbor_item_t *genesis;
	struct rstep *v;
	size_t n;
	char type[64];       /* of the step-begin awaiting its result */
	uint64_t begin_ms;
};

static int take(void *ctx, uint64_t seq, uint64_t ms, enum ts_kind kind, const cbor_item_t *body, struct err *e)
{
	struct rlog *l = ctx;
	(void)seq;
	if (kind == TS_GENESIS) {
		l->genesis = cbor_incref((cbor_item_t *)body);
	} else if (kind == TS_STEP_BEGIN) {
		dcbor_text_into(dcbor_get_u(body, 2), l->type, sizeof l->type);
		l->begin_ms = ms;
	} else if (kind == TS_STEP_RESULT) {
		if (l->n == MAX_STEPS)
			return err_set(e, ERR_INPUT, "more than %d steps", MAX_STEPS);
		struct rstep *nv = realloc(l->v, (l->n + 1) * sizeof *nv);
		if (!nv)
			return err_set(e, ERR_NOMEM, "out of memory");
		l->v = nv;
		struct rstep *s = &l->v[l->n++];
		memset(s, 0, sizeof *s);
		dcbor_text_into(dcbor_get_u(body, 0), s->id, sizeof s->id);
		snprintf(s->type, sizeof s->type, "%s", l->type);
		s->begin_ms = l->begin_ms;
		s->ms = ms;
		(void)dcbor_as_u64(dcbor_get_u(body, 2), &s->outcome);
		s->body = cbor_incref((cbor_item_t *)body);
	}
	return 0;
}

static void cell(const struct docout *o, const char *s)
{
	doc_raw(o, " ", "<td>");
	doc_put(o, s);
	doc_raw(o, " |", "</td>");
}

static void row_start(const struct docout *o)
{
	doc_raw(o, "|", "<tr>");
}

static void row_end(const struct docout *o)
{
	doc_raw(o, "\n", "</tr>\n");
}

static void table(const struct docout *o, const char *const *heads, size_t n)
{
	doc_raw(o, "\n|", "<table><tr>");
	for (size_t i = 0; i < n; i++) {
		doc_raw(o, " ", "<th>");
		doc_put(o, heads[i]);
		doc_raw(o, " |", "</th>");
	}
	doc_raw(o, "\n|", "</tr>\n");
	for (size_t i = 0; !o->html && i < n; i++)
		fputs("---|", o->f);
	doc_raw(o, "\n", "");
}

static void table_end(const struct docout *o)
{
	doc_raw(o, "\n", "</table>\n");
}

/* Names of the people in a list of sign-offs (or confirmations), "Name (role)". */
static void names(const cbor_item_t *list, char *out, size_t cap)
{
	out[0] = 0;
	for (size_t i = 0; list && i < cbor_array_size(list); i++) {
		char role[64], name[128];
		dcbor_text_into(dcbor_get_u(cbor_array_handle(list)[i], 0), role, sizeof role);
		dcbor_text_into(dcbor_get_u(cbor_array_handle(list)[i], 1), name, sizeof name);
		snprintf(out + strlen(out), cap - strlen(out), "%s%s (%s)", i ? ", " : "", name, role);
	}
}

struct cert {
	char step[64], subject[512], issuer[512], cn[128], issuer_cn[128];
	struct x509_info info;
	char alg[64], words[1024];
	bool root;
	bool context;   /* not made here: an input or an imported one, shown in the hierarchy only */
};

static void cn_of(const char *dn, char *out, size_t cap)
{
	const char *p = strstr(dn, "CN=");
	size_t n = p ? strcspn(p + 3, ",") : 0;
	snprintf(out, cap, "%.*s", p ? (int)n : (int)strlen(dn), p ? p + 3 : dn);
}

/* The certificates the ceremony made (a step's own "certificate" artifact); with
 * context, also those it used from outside (a file, an earlier transcript), once each. */
static size_t certificates(const struct rlog *l, struct cert *out, size_t max, bool context)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n && n < max; i++) {
		const cbor_item_t *arts = dcbor_get_u(l->v[i].body, 6);
		for (size_t k = 0; arts && k < cbor_array_size(arts) && n < max; k++) {
			const cbor_item_t *a = cbor_array_handle(arts)[k], *content = dcbor_get_u(a, 4);
			struct x509_obj o = {0};
			struct err none;
			bool made = dcbor_text_is(dcbor_get_u(a, 0), "certificate");
			if (!content || (!made && !context) || (made && l->v[i].outcome != TS_PASSED) ||
			    x509_cert_info(cbor_bytestring_handle(content), cbor_bytestring_length(content), &out[n].info, &none))
				continue;
			bool again = false;
			for (size_t j = 0; j < n && !again; j++)
				again = !strcmp(out[j].info.sha256, out[n].info.sha256);
			if (again)
				continue;
			out[n].context = !made;
			if (x509_obj_parse(cbor_bytestring_handle(content), cbor_bytestring_length(content), &o, &none) == 0 &&
			    o.cert)
				x509_alg_name(X509_get0_tbs_sigalg(o.cert), out[n].alg, sizeof out[n].alg);
			x509_obj_free(&o);
			snprintf(out[n].step, sizeof out[n].step, "%s", l->v[i].id);
			snprintf(out[n].subject, sizeof out[n].subject, "%s", out[n].info.subject);
			snprintf(out[n].issuer, sizeof out[n].issuer, "%s", out[n].info.issuer);
			cn_of(out[n].subject, out[n].cn, sizeof out[n].cn);
			cn_of(out[n].issuer, out[n].issuer_cn, sizeof out[n].issuer_cn);
			out[n].root = !strcmp(out[n].subject, out[n].issuer);
			uint8_t h[32];
			words_parse(out[n].info.sha256, h, 32);
			words_pgp_line(h, 32, out[n].words, sizeof out[n].words);
			n++;
		}
	}
	return n;
}

/* Whether a step of type passed (and, for key, whether its output is true). */
static int recorded(const struct rlog *l, const char *type, const char *key, char *by, size_t cap)
{
	int seen = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].type, type))
			continue;
		const cbor_item_t *v = key ? dcbor_get(dcbor_get_u(l->v[i].body, 3), key) : NULL;
		bool good = (l->v[i].outcome == TS_PASSED || l->v[i].outcome == TS_DEVIATION) &&
			    (!key || (v && cbor_is_bool(v) && cbor_get_bool(v)));
		seen = good ? 1 : seen ? seen : -1;
		if (good) {
			snprintf(by, cap, "step %s", l->v[i].id);
			return 1;
		}
	}
	return seen;
}

static void box(const struct docout *o, int state, const char *what, const char *by)
{
	doc_raw(o, state == 1 ? "- [x] " : "- [ ] ", state == 1 ? "<div>&#9745; " : "<div>&#9744; ");
	doc_put(o, what);
	if (state == 1)
		doc_putf(o, " (%s)", by);
	else
		doc_put(o, state == 0 ? " - NOT RECORDED by this transcript" : " - recorded, but it did not pass");
	doc_raw(o, "\n", "</div>\n");
}

/* The CA hierarchy as an inline SVG: each certificate a box, under its issuer. */
static void hierarchy(const struct docout *o, const struct cert *c, size_t n)
{
	if (!o->html || !n)
		return;
	int depth[64] = {0}, maxd = 0, perdepth[64] = {0}, x[64], y[64];
	for (size_t i = 0; i < n && i < 64; i++) {
		int d = 0;
		const struct cert *p = &c[i];
		for (int guard = 0; !p->root && guard < 8; guard++) {
			const struct cert *up = NULL;
			for (size_t j = 0; j < n && !up; j++)
				if (j != (size_t)(p - c) && !strcmp(c[j].subject, p->issuer))
					up = &c[j];
			if (!up)
				break;
			d++;
			p = up;
		}
		depth[i] = d;
		maxd = d > maxd ? d : maxd;
	}
	for (size_t i = 0; i < n && i < 64; i++) {
		x[i] = 20 + 240 * perdepth[depth[i]]++;
		y[i] = 20 + 80 * depth[i];
	}
	int w = 20;
	for (int d = 0; d <= maxd; d++)
		w = 20 + 240 * perdepth[d] > w ? 20 + 240 * perdepth[d] : w;
	fprintf(o->f, "<svg width=\"%d\" height=\"%d\" role=\"img\" "
		      "aria-label=\"CA hierarchy\">\n", w, 20 + 80 * (maxd + 1));
	for (size_t i = 0; i < n && i < 64; i++)
		for (size_t j = 0; j < n && j < 64; j++)
			if (i != j && !c[i].root && !strcmp(c[j].subject, c[i].issuer))
				fprintf(o->f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>\n", x[j] + 110,
					y[j] + 46, x[i] + 110, y[i]);
	for (size_t i = 0; i < n && i < 64; i++) {
		fprintf(o->f, "<rect x=\"%d\" y=\"%d\" width=\"220\" height=\"46\" fill=\"#fff\" stroke=\"#000\"/>"
			      "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">", x[i], y[i], x[i] + 110, y[i] + 19);
		doc_put(o, c[i].cn);
		fprintf(o->f, "</text><text x=\"%d\" y=\"%d\" font-size=\"9\" text-anchor=\"middle\">serial %.16s...</text>\n",
			x[i] + 110, y[i] + 36, c[i].info.serial);
	}
	fputs("</svg>\n", o->f);
}

static void one_log(const struct docout *o, const struct rlog *l)
{
	char buf[4096], t[40], hex[96];
	const cbor_item_t *g = l->genesis;
	dcbor_text_into(g ? dcbor_get_u(g, 1) : NULL, buf, sizeof buf);
	doc_heading(o, 1, "Key ceremony log");
	doc_fact(o, "Ceremony type", buf);
	ts_time_text(l->r.first_ms, TS_TIME_DAY, t, sizeof t);
	doc_fact(o, "Date", t);
	ts_time_text(l->r.first_ms, TS_TIME_CLOCK, t, sizeof t);
	char t2[40];
	ts_time_text(l->r.last_ms, TS_TIME_CLOCK, t2, sizeof t2);
	snprintf(buf, sizeof buf, "%s to %s (UTC, the workstation's clock)", t, t2);
	doc_fact(o, "Time", buf);
	/* A location the room typed (a record field named location), else a blank. */
	const char *loc = NULL;
	for (size_t i = 0; i < l->n && !loc; i++) {
		const cbor_item_t *v = dcbor_get(dcbor_get_u(l->v[i].body, 3), "location");
		if (v) {
			dcbor_text_into(v, buf, sizeof buf);
			loc = buf;
		}
	}
	doc_fact(o, "Location", loc ? loc : "____________________ (not recorded by the transcript)");
	doc_fact(o, "Mode", l->r.rehearsal ? "REHEARSAL on throwaway tokens" : "live");
	doc_fact(o, "Transcript", l->file);
	snprintf(buf, sizeof buf, "%s%s%s", ts_verdict_word(l->r.verdict), l->r.reason[0] ? ": " : "", l->r.reason);
	doc_fact(o, "Verdict", buf);
	doc_fact(o, "Head", words_hex_groups(l->r.head, 32, 2, hex, sizeof hex));
	for (size_t i = 0; i < l->r.n_signers; i++)
		doc_fact(o, "Audit key id", words_hex_groups(l->r.signers[i].kid, 32, 2, hex, sizeof hex));

	doc_heading(o, 2, "Participants");
	static const char *const ph[] = {"Role", "Name", "ID checked", "Signature"};
	table(o, ph, 4);
	for (size_t i = 0; i < l->n; i++) {
		const cbor_item_t *ps = dcbor_get(dcbor_get_u(l->v[i].body, 3), "participants");
		for (size_t k = 0; ps && cbor_isa_array(ps) && k < cbor_array_size(ps); k++) {
			const cbor_item_t *p = cbor_array_handle(ps)[k], *idc = dcbor_get(p, "id_checked");
			char role[64], name[128];
			dcbor_text_into(dcbor_get(p, "role"), role, sizeof role);
			dcbor_text_into(dcbor_get(p, "name"), name, sizeof name);
			row_start(o);
			cell(o, role);
			cell(o, name);
			cell(o, idc && cbor_is_bool(idc) && cbor_get_bool(idc) ? "yes" : "no");
			cell(o, "");
			row_end(o);
		}
	}
	table_end(o);

	doc_heading(o, 2, "Equipment");
	const cbor_item_t *toks = g ? dcbor_get_u(g, 10) : NULL, *host = g ? dcbor_get_u(g, 8) : NULL;
	static const char *const eh[] = {"Token", "Label", "Manufacturer / model", "Serial", "Firmware"};
	table(o, eh, 5);
	for (size_t i = 0; toks && cbor_isa_map(toks) && i < cbor_map_size(toks); i++) {
		const cbor_item_t *v = cbor_map_handle(toks)[i].value;
		char a[128], b[128];
		row_start(o);
		dcbor_text_into(cbor_map_handle(toks)[i].key, buf, sizeof buf);
		cell(o, buf);
		dcbor_text_into(dcbor_get(v, "label"), buf, sizeof buf);
		cell(o, buf);
		dcbor_text_into(dcbor_get(v, "manufacturer"), a, sizeof a);
		dcbor_text_into(dcbor_get(v, "model"), b, sizeof b);
		snprintf(buf, sizeof buf, "%s / %s", a, b);
		cell(o, buf);
		dcbor_text_into(dcbor_get(v, "serial"), buf, sizeof buf);
		cell(o, buf);
		dcbor_text_into(dcbor_get(v, "firmware"), buf, sizeof buf);
		cell(o, buf);
		row_end(o);
	}
	table_end(o);
	for (size_t i = 0; host && cbor_isa_map(host) && i < cbor_map_size(host); i++) {
		char k[64];
		dcbor_text_into(cbor_map_handle(host)[i].key, k, sizeof k);
		dcbor_text_into(cbor_map_handle(host)[i].value, buf, sizeof buf);
		snprintf(hex, sizeof hex, "Workstation %s", k);
		doc_fact(o, hex, buf);
	}
	/* What a system.info step recorded of the workstation, in full. */
	for (size_t i = 0; i < l->n; i++) {
		const cbor_item_t *out = dcbor_get_u(l->v[i].body, 3);
		if (strcmp(l->v[i].type, "system.info"))
			continue;
		for (size_t k = 0; out && cbor_isa_map(out) && k < cbor_map_size(out); k++) {
			char key[128];
			dcbor_text_into(cbor_map_handle(out)[k].key, key, sizeof key);
			dcbor_text_into(cbor_map_handle(out)[k].value, buf, sizeof buf);
			char label[256];
			snprintf(label, sizeof label, "Workstation (%s) %s", l->v[i].id, key);
			doc_fact(o, label, buf);
		}
	}
	for (size_t i = 0; i < l->n; i++) {
		const cbor_item_t *out = dcbor_get_u(l->v[i].body, 3);
		for (size_t k = 0; out && cbor_isa_map(out) && k < cbor_map_size(out); k++) {
			char key[128];
			dcbor_text_into(cbor_map_handle(out)[k].key, key, sizeof key);
			if (!strstr(key, "usb") || !strstr(key, "serial"))
				continue;
			dcbor_text_into(cbor_map_handle(out)[k].value, buf, sizeof buf);
			doc_fact(o, key, buf);
		}
	}

	doc_heading(o, 2, "Ceremony steps");
	static const char *const sh[] = {"Step", "Time", "Performed by", "Verified by", "Result and notes"};
	table(o, sh, 5);
	for (size_t i = 0; i < l->n; i++) {
		const struct rstep *s = &l->v[i];
		char perf[1024], ver[1024], note[1024];
		static const char *const word[] = {"passed", "FAILED", "skipped", "ABORTED", "DEVIATION"};
		names(dcbor_get_u(s->body, 10), perf, sizeof perf);
		names(dcbor_get_u(s->body, 5), ver, sizeof ver);
		dcbor_text_into(dcbor_get_u(s->body, 8), buf, sizeof buf);
		const cbor_item_t *err = dcbor_get_u(s->body, 9);
		char em[512] = "";
		if (err)
			dcbor_text_into(dcbor_get_u(err, 1), em, sizeof em);
		snprintf(note, sizeof note, "%s%s%.400s%s%.500s", s->outcome < 5 ? word[s->outcome] : "?", em[0] ? ": " : "", em,
			 buf[0] ? "; " : "", buf);
		ts_time_text(s->begin_ms, TS_TIME_CLOCK, t, sizeof t);
		snprintf(buf, sizeof buf, "%s (%s)", s->id, s->type);
		row_start(o);
		cell(o, buf);
		cell(o, t);
		cell(o, perf[0] ? perf : "-");
		cell(o, ver[0] ? ver : "-");
		cell(o, note);
		row_end(o);
	}
	table_end(o);

	struct cert *c = calloc(32, sizeof *c);
	size_t nc = c ? certificates(l, c, 32, true) : 0, made = 0;
	doc_heading(o, 2, "Results");
	for (size_t i = 0; i < nc; i++)
		made += !c[i].context;
	if (!made)
		doc_put(o, "No certificate was made in this ceremony.");
	for (size_t i = 0; i < nc; i++) {
		if (c[i].context)
			continue;
		snprintf(buf, sizeof buf, "%s (step %s)", c[i].root ? "Root certificate" : "Certificate", c[i].step);
		doc_heading(o, 3, buf);
		doc_fact(o, "Certificate subject", c[i].subject);
		doc_fact(o, "Issuer", c[i].issuer);
		doc_fact(o, "Certificate serial", c[i].info.serial);
		doc_fact(o, "SHA-256 fingerprint", c[i].info.sha256);
		doc_fact(o, "In PGP words", c[i].words);
		doc_fact(o, "Algorithm", c[i].alg);
		doc_fact(o, "Validity start", c[i].info.not_before);
		doc_fact(o, "Validity end", c[i].info.not_after);
		doc_fact(o, "SKI", c[i].info.ski[0] ? c[i].info.ski : "(none)");
	}
	if (nc) {
		doc_heading(o, 3, "CA hierarchy");
		hierarchy(o, c, nc);
		for (size_t i = 0; i < nc && !o->html; i++)
			fprintf(o->f, "- %s%s%s%s\n", c[i].cn, c[i].root ? " (root)" : ", issued by ", c[i].root ? "" : c[i].issuer_cn,
				c[i].context ? " (from an earlier ceremony or a file)" : "");
	}
	free(c);

	doc_heading(o, 2, "Seal numbers");
	bool any = false;
	for (size_t i = 0; i < l->n; i++) {
		const cbor_item_t *out = dcbor_get_u(l->v[i].body, 3);
		for (size_t k = 0; out && cbor_isa_map(out) && k < cbor_map_size(out); k++) {
			char key[128];
			dcbor_text_into(cbor_map_handle(out)[k].key, key, sizeof key);
			if (!strstr(key, "seal_number"))
				continue;
			dcbor_text_into(cbor_map_handle(out)[k].value, buf, sizeof buf);
			doc_fact(o, key, buf);
			any = true;
		}
	}
	if (!any)
		doc_put(o, "No seal number was recorded by this transcript.");

	doc_heading(o, 2, "Post-ceremony verification");
	char by[128];
	int st = recorded(l, "chain.verify", "chain_valid", by, sizeof by);
	box(o, st, "Chain validation passed", by);
	st = recorded(l, "fingerprint", NULL, by, sizeof by);
	box(o, st, "Fingerprint matches recorded value", by);
	st = recorded(l, "chain.verify", "profile_ok", by, sizeof by);
	box(o, st, "Extensions verified", by);
	st = recorded(l, "chain.verify", NULL, by, sizeof by);
	box(o, st, "Algorithm confirmed", by);
	st = recorded(l, "key.restore", "signature_valid", by, sizeof by);
	box(o, st, "Backup test signature passed", by);
	st = recorded(l, "crl.create", NULL, by, sizeof by);
	box(o, st, "CRL generation test passed", by);

	doc_heading(o, 2, "Material destruction and checklists");
	any = false;
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].type, "checklist"))
			continue;
		const cbor_item_t *items = dcbor_get(dcbor_get_u(l->v[i].body, 3), "items");
		bool done = l->v[i].outcome == TS_PASSED || l->v[i].outcome == TS_DEVIATION;
		snprintf(buf, sizeof buf, "step %s", l->v[i].id);
		doc_heading(o, 3, buf);
		for (size_t k = 0; items && cbor_isa_array(items) && k < cbor_array_size(items); k++) {
			dcbor_text_into(cbor_array_handle(items)[k], buf, sizeof buf);
			box(o, done ? 1 : -1, buf, "confirmed");
			any = true;
		}
	}
	if (!any)
		doc_put(o, "No checklist was recorded by this transcript.");

	doc_heading(o, 2, "Signatures");
	doc_put(o, "All participants confirm this log is a true and accurate record of the ceremony as performed.");
	static const char *const gh[] = {"Role", "Name", "Signature", "Date"};
	table(o, gh, 4);
	for (size_t i = 0; i < l->n; i++) {
		const cbor_item_t *ps = dcbor_get(dcbor_get_u(l->v[i].body, 3), "participants");
		for (size_t k = 0; ps && cbor_isa_array(ps) && k < cbor_array_size(ps); k++) {
			char role[64], name[128];
			dcbor_text_into(dcbor_get(cbor_array_handle(ps)[k], "role"), role, sizeof role);
			dcbor_text_into(dcbor_get(cbor_array_handle(ps)[k], "name"), name, sizeof name);
			row_start(o);
			cell(o, role);
			cell(o, name);
			cell(o, "");
			cell(o, "");
			row_end(o);
		}
	}
	table_end(o);
}

static void history(const struct docout *o, struct rlog *logs, size_t n)
{
	doc_heading(o, 1, "Historical Ceremony Records");
	static const char *const hh[] = {"Date", "Type", "Root fingerprint / serial", "Intermediate fingerprint / serial",
					 "Algorithm", "Status"};
	table(o, hh, 6);
	for (size_t i = 0; i < n; i++) {
		struct cert c[32];
		size_t nc = certificates(&logs[i], c, 32, false);
		char t[40], type[512], root[256] = "-", inter[256] = "-", alg[64] = "-";
		ts_time_text(logs[i].r.first_ms, TS_TIME_DAY, t, sizeof t);
		dcbor_text_into(logs[i].genesis ? dcbor_get_u(logs[i].genesis, 1) : NULL, type, sizeof type);
		for (size_t k = 0; k < nc; k++) {
			snprintf(c[k].root ? root : inter, 256, "%s / %s", c[k].info.sha256, c[k].info.serial);
			snprintf(alg, sizeof alg, "%s", c[k].alg);
		}
		row_start(o);
		cell(o, t);
		cell(o, type);
		cell(o, root);
		cell(o, inter);
		cell(o, alg);
		snprintf(type, sizeof type, "%s%s", ts_verdict_word(logs[i].r.verdict), logs[i].r.rehearsal ? " (rehearsal)" : "");
		cell(o, type);
		row_end(o);
	}
	table_end(o);
}

int cmd_report(int argc, char **argv)
{
	const char *files[MAX_FILES];
	size_t n = 0;
	bool html = false;
	struct err e = {.kind = ERR_NONE};
	struct rlog logs[MAX_FILES];
	int ret = EXIT_USAGE;
	memset(logs, 0, sizeof logs);
	for (int i = 1; i < argc; i++) {
		if (cmd_is_help(argv[i])) {
			cmd_report_usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--html")) {
			html = true;
		} else if (argv[i][0] == '-' || n == MAX_FILES) {
			cmd_report_usage(stderr);
			return EXIT_USAGE;
		} else {
			files[n++] = argv[i];
		}
	}
	if (!n) {
		cmd_report_usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t *data = NULL;
		size_t len = 0;
		/* Named by the file's own name: the head says which one it is. */
		logs[i].file = strrchr(files[i], '/') ? strrchr(files[i], '/') + 1 : files[i];
		int rc = files_read(files[i], MAX_TRANSCRIPT, &data, &len, &e) || ts_verify(data, len, NULL, &logs[i].r, &e) ||
			 ts_each_entry_timed(data, logs[i].r.whole_len, take, &logs[i], &e);
		free(data);
		if (rc)
			goto fail;
		if (logs[i].r.verdict == TS_UNREADABLE) {
			err_set(&e, ERR_INPUT, "%s: %s", files[i], logs[i].r.reason);
			goto fail;
		}
	}
	struct docout o = {stdout, html};
	char foot[1024], hex[80];
	snprintf(foot, sizeof foot, "%s: %s, head %s", logs[0].file, ts_verdict_word(logs[0].r.verdict),
		 words_hex(logs[0].r.head, 32, hex, sizeof hex));
	doc_begin(&o, "Key ceremony log", foot);
	for (size_t i = 0; i < n; i++) {
		if (i)
			doc_raw(&o, "\n\n---\n", "<div style=\"break-before:page;page-break-before:always\"></div>\n");
		one_log(&o, &logs[i]);
	}
	if (n > 1)
		history(&o, logs, n);
	doc_end(&o, foot);
	ret = EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "ceremony report: %s\n", e.msg);
out:
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < logs[i].n; k++)
			cbor_decref(&logs[i].v[k].body);
		free(logs[i].v);
		if (logs[i].genesis)
			cbor_decref(&logs[i].genesis);
	}
	return ret;
}
