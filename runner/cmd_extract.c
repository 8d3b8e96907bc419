/* ceremony extract TRANSCRIPT --out DIR: what the transcript embeds, as files an
 * auditor hands to other tools (openssl, certtool): the script the ceremony ran and
 * every public artifact (certificates, CSRs, CRLs, public keys as DER and PEM;
 * anything else as it was recorded). Each artifact is checked against the SHA-256
 * and size its record gives before anything is written; no file is overwritten. */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"
#include "buf.h"
#include "files.h"
#include "hash.h"
#include "transcript.h"
#include "words.h"
#include "x509_read.h"

enum { MAX_TRANSCRIPT = 256 * 1024 * 1024, MAX_FILES = 4096 };

void cmd_extract_usage(FILE *f)
{
	fputs("usage: ceremony extract TRANSCRIPT --out DIR\n"
	      "\n"
	      "Writes what the transcript embeds into DIR (made when missing): script.yaml, the\n"
	      "exact script the ceremony ran, and each artifact of each step as\n"
	      "STEP.ARTIFACT.der and .pem for a certificate, CSR, CRL or public key (a PEM\n"
	      "twin the step also recorded is not written again), else STEP.ARTIFACT.bin.\n"
	      "Every artifact is first checked against the SHA-256 and size its record gives.\n"
	      "The transcript is verified first; a file that is INVALID is not extracted. No\n"
	      "file in DIR is ever overwritten.\n"
	      "\n"
	      "EXIT STATUS\n"
	      "  0 written (the verdict is printed first: VALID, ABORTED, INCOMPLETE or\n"
	      "  UNANCHORED); 1 the transcript is INVALID or an embedded artifact does not\n"
	      "  match its record (nothing is written); 2 bad usage, an unreadable file, or a\n"
	      "  file of that name already in DIR.\n",
	      f);
}

struct one {
	char name[PATH_MAX];
	struct buf data;
};

struct extract {
	struct one *v;
	size_t n;
};

static int add(struct extract *x, const char *name, const uint8_t *p, size_t len, struct err *e)
{
	if (x->n == MAX_FILES)
		return err_set(e, ERR_INPUT, "more than %d artifacts", MAX_FILES);
	struct one *nv = realloc(x->v, (x->n + 1) * sizeof *nv);
	if (!nv)
		return err_set(e, ERR_NOMEM, "out of memory");
	x->v = nv;
	struct one *o = &x->v[x->n];
	memset(o, 0, sizeof *o);
	snprintf(o->name, sizeof o->name, "%s", name);
	/* A name from the file: no folder, no dot file, nothing but what a shell leaves be. */
	for (char *c = o->name; *c; c++)
		if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') && !(*c >= '0' && *c <= '9') && *c != '.' &&
		    *c != '-' && *c != '_')
			*c = '_';
	if (o->name[0] == '.')
		o->name[0] = '_';
	if (buf_append(&o->data, p, len, e))
		return -1;
	x->n++;
	return 0;
}

static int take(void *ctx, uint64_t seq, enum ts_kind kind, const cbor_item_t *body, struct err *e)
{
	struct extract *x = ctx;
	(void)seq;
	if (kind == TS_GENESIS) {
		const cbor_item_t *sc = dcbor_get_u(body, 3);
		return add(x, "script.yaml", cbor_bytestring_handle(sc), cbor_bytestring_length(sc), e);
	}
	const cbor_item_t *arts = kind == TS_STEP_RESULT ? dcbor_get_u(body, 6) : NULL;
	char step[256];
	if (!arts)
		return 0;
	const cbor_item_t *id = dcbor_get_u(body, 0);
	snprintf(step, sizeof step, "%.*s", (int)cbor_string_length(id), (const char *)cbor_string_handle(id));
	for (size_t i = 0; i < cbor_array_size(arts); i++) {
		const cbor_item_t *a = cbor_array_handle(arts)[i], *nm = dcbor_get_u(a, 0), *content = dcbor_get_u(a, 4);
		char name[600], base[512];
		if (!content)
			continue;   /* recorded by hash only (a backup blob) */
		snprintf(base, sizeof base, "%s.%.*s", step, (int)cbor_string_length(nm), (const char *)cbor_string_handle(nm));
		const uint8_t *p = cbor_bytestring_handle(content);
		size_t len = cbor_bytestring_length(content);
		/* Its size and hash are its record's: ts_verify refused the file otherwise. */
		size_t nl = cbor_string_length(nm);
		if (nl > 4 && !memcmp(cbor_string_handle(nm) + nl - 4, "_pem", 4) && dcbor_text_is(dcbor_get_u(a, 3), "application/x-pem-file"))
			continue;   /* the DER twin is written, as DER and PEM */
		struct x509_obj o = {0};
		struct err none;
		if (x509_obj_parse(p, len, &o, &none) == 0 && o.kind != X509_OBJ_UNKNOWN) {
			struct buf pem = {0};
			int rc = x509_obj_pem(&o, &pem, e);
			snprintf(name, sizeof name, "%s.der", base);
			rc = rc || add(x, name, o.der.p, o.der.len, e);
			snprintf(name, sizeof name, "%s.pem", base);
			rc = rc || add(x, name, pem.p, pem.len, e);
			buf_free(&pem);
			x509_obj_free(&o);
			if (rc)
				return -1;
			continue;
		}
		x509_obj_free(&o);
		snprintf(name, sizeof name, "%s.bin", base);
		if (add(x, name, p, len, e))
			return -1;
	}
	return 0;
}

int cmd_extract(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *out = NULL;
	struct err e = {.kind = ERR_NONE};
	struct extract x = {0};
	struct ts_report r;
	uint8_t *data = NULL;
	size_t len = 0;
	int ret = EXIT_USAGE, opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'h': cmd_extract_usage(stdout); return EXIT_OK;
		default: cmd_extract_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !out) {
		cmd_extract_usage(stderr);
		return EXIT_USAGE;
	}
	if (files_read(argv[optind], MAX_TRANSCRIPT, &data, &len, &e) || ts_verify(data, len, NULL, &r, &e))
		goto fail;
	printf("%s: %s\n", argv[optind], ts_verdict_word(r.verdict));
	if (r.verdict == TS_UNREADABLE || r.verdict == TS_INVALID) {
		fprintf(stderr, "ceremony extract: %s is %s%s%s: nothing is extracted from it\n", argv[optind],
			ts_verdict_word(r.verdict), r.reason[0] ? ": " : "", r.reason);
		ret = r.verdict == TS_INVALID ? EXIT_FAILED : EXIT_USAGE;
		goto out;
	}
	if (ts_each_entry(data, r.whole_len, take, &x, &e))
		goto fail;
	if (files_mkdirs(out, &e))
		goto fail;
	/* Every name is free before the first is written: all or nothing. */
	for (size_t i = 0; i < x.n; i++) {
		char path[PATH_MAX * 2];
		snprintf(path, sizeof path, "%s/%s", out, x.v[i].name);
		if (access(path, F_OK) == 0) {
			fprintf(stderr, "ceremony extract: '%s' exists: nothing is written, nothing overwritten\n", path);
			goto out;
		}
	}
	for (size_t i = 0; i < x.n; i++) {
		char path[PATH_MAX * 2], hex[65];
		uint8_t h[32];
		snprintf(path, sizeof path, "%s/%s", out, x.v[i].name);
		if (files_write_new(path, x.v[i].data.p, x.v[i].data.len, &e))
			goto fail;
		hash_sha256(x.v[i].data.p, x.v[i].data.len, h);
		printf("%s  %s\n", words_hex(h, 32, hex, sizeof hex), path);
	}
	ret = EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "ceremony extract: %s\n", e.msg);
out:
	for (size_t i = 0; i < x.n; i++)
		buf_free(&x.v[i].data);
	free(x.v);
	free(data);
	return ret;
}
