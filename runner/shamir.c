/* shamir: m-of-n sharing on libgfshare (GF(2^8), Shamir 1979), random from OpenSSL.
 *
 * Text form of a share (what a custodian reads and types back):
 *
 *     cs1 PURPOSE M-of-N #I GGGGC-GGGGC-...-SSSSC
 *
 * "cs1" names the format. The groups carry, in Crockford base32 (digits and
 * letters without I L O U; typed I/L read as 1 and O as 0, any case), the bytes
 *     len(1) || split_id(8) || share(len)
 * four characters per group, the last group zero-padded. Each group ends with a
 * check character C = (v0 + 3 v1 + 5 v2 + 7 v3 + 11 g) mod 32, g the group's
 * number from 1: every weight is odd, hence invertible mod 32, so any single
 * mistyped character of a group changes C and the group is named. The last group
 * SSSS is the share's checksum: 20 bits of SHA-256 over the header fields and
 * the bytes, which catches a wrong purpose, numbers or index and swapped groups;
 * a custodian confirms they hold their share by re-typing it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libgfshare.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include "hash.h"
#include "shamir.h"

enum { GROUP_CHARS = 4, GROUP_LEN = GROUP_CHARS + 1, MAX_PAYLOAD = 1 + SHAMIR_ID_LEN + 255 };

static const char B32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* libgfshare asks this for its polynomial coefficients; it cannot report failure,
 * so a failure is remembered and the split refused (never a weak coefficient). */
static int rand_failed;

static void fill_rand(unsigned char *buf, unsigned int n)
{
	if (RAND_priv_bytes(buf, (int)n) != 1) {
		rand_failed = 1;
		memset(buf, 0, n);
	}
}

static void use_openssl_rand(void)
{
	gfshare_fill_rand = fill_rand;
}

static int b32_value(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'I' || c == 'L')
		c = '1';
	if (c == 'O')
		c = '0';
	const char *p = c ? strchr(B32, c) : NULL;
	return p ? (int)(p - B32) : -1;
}

static unsigned group_check(const int v[GROUP_CHARS], unsigned g)
{
	return (unsigned)(v[0] + 3 * v[1] + 5 * v[2] + 7 * v[3] + 11 * (int)g) % 32;
}

static bool purpose_ok(const char *p)
{
	size_t n = strlen(p);
	if (n == 0 || n > SHAMIR_PURPOSE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789:._-", p[i]))
			return false;
	return true;
}

/* 20 bits of SHA-256 over the header and the payload, as four base32 values. */
static void share_sum(const struct shamir_share *s, const uint8_t *payload, size_t plen, int out[GROUP_CHARS])
{
	uint8_t h[SHA256_DIGEST_LENGTH], buf[96 + MAX_PAYLOAD];
	int n = snprintf((char *)buf, 96, "cs1|%s|%u|%u|%u|", s->purpose, s->threshold, s->count, s->index);
	memcpy(buf + n, payload, plen);
	hash_sha256(buf, (size_t)n + plen, h);
	uint32_t v = ((uint32_t)h[0] << 12) | ((uint32_t)h[1] << 4) | (h[2] >> 4);
	for (int i = 0; i < GROUP_CHARS; i++)
		out[i] = (int)((v >> (5 * (GROUP_CHARS - 1 - i))) & 31);
	secret_wipe(buf, sizeof buf);
	secret_wipe(h, sizeof h);
}

static size_t payload_of(const struct shamir_share *s, uint8_t *p)
{
	p[0] = (uint8_t)s->data->len;
	memcpy(p + 1, s->split_id, SHAMIR_ID_LEN);
	memcpy(p + 1 + SHAMIR_ID_LEN, s->data->p, s->data->len);
	return 1 + SHAMIR_ID_LEN + s->data->len;
}

static size_t groups_for(size_t plen)
{
	size_t chars = (plen * 8 + 4) / 5;
	return (chars + GROUP_CHARS - 1) / GROUP_CHARS;
}

int shamir_split(const struct secret *secret, unsigned m, unsigned n, const char *purpose,
		 struct shamir_share **shares, struct err *e)
{
	uint8_t nrs[SHAMIR_MAX_SHARES], id[SHAMIR_ID_LEN];
	struct shamir_share *out = NULL;
	gfshare_ctx *ctx = NULL;
	int ret = -1;

	*shares = NULL;
	if (m < 2 || m > n || n > SHAMIR_MAX_SHARES)
		return err_set(e, ERR_SHARES, "a split needs 2 <= threshold <= count <= %d, found %u of %u",
			       SHAMIR_MAX_SHARES, m, n);
	if (!secret || secret->len == 0 || secret->len > 255)
		return err_set(e, ERR_SHARES, "a secret to split must have 1 to 255 bytes");
	if (!purpose || !purpose_ok(purpose))
		return err_set(e, ERR_SHARES, "a split's purpose must be 1 to %d characters of a-z 0-9 : . _ -",
			       SHAMIR_PURPOSE_MAX);
	use_openssl_rand();
	rand_failed = 0;
	if (RAND_bytes(id, sizeof id) != 1)
		return err_openssl(e, "split id");
	if (!(out = calloc(n, sizeof *out)))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		nrs[i] = (uint8_t)(i + 1); /* x = 0 would be the secret itself */
		out[i].index = nrs[i];
		out[i].threshold = (uint8_t)m;
		out[i].count = (uint8_t)n;
		memcpy(out[i].split_id, id, sizeof id);
		snprintf(out[i].purpose, sizeof out[i].purpose, "%s", purpose);
		if (!(out[i].data = secret_new(secret->len, e)))
			goto out;
		out[i].data->len = secret->len;
	}
	if (!(ctx = gfshare_ctx_init_enc(nrs, n, (unsigned char)m, (unsigned)secret->len))) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	gfshare_ctx_enc_setsecret(ctx, secret->p);
	for (unsigned i = 0; i < n; i++)
		gfshare_ctx_enc_getshare(ctx, (unsigned char)i, out[i].data->p);
	if (rand_failed) {
		err_set(e, ERR_CRYPTO, "RAND_priv_bytes failed while splitting: no shares were made");
		goto out;
	}
	*shares = out;
	out = NULL;
	ret = 0;
out:
	if (ctx)
		gfshare_ctx_free(ctx); /* libgfshare overwrites its coefficients before freeing */
	shamir_shares_free(out, n);
	return ret;
}

int shamir_combine(const struct shamir_share *shares, size_t k, struct secret *out, struct err *e)
{
	uint8_t nrs[SHAMIR_MAX_SHARES];
	gfshare_ctx *ctx;

	if (k == 0)
		return err_set(e, ERR_SHARES, "no shares were given");
	const struct shamir_share *a = &shares[0];
	for (size_t i = 1; i < k; i++) {
		const struct shamir_share *b = &shares[i];
		if (memcmp(a->split_id, b->split_id, SHAMIR_ID_LEN) || strcmp(a->purpose, b->purpose) ||
		    a->threshold != b->threshold || a->count != b->count || a->data->len != b->data->len)
			return err_set(e, ERR_SHARES,
				       "share %zu (#%u) belongs to another split than share 1 (#%u): shares of "
				       "different splits never combine",
				       i + 1, b->index, a->index);
		for (size_t j = 0; j < i; j++)
			if (shares[j].index == b->index)
				return err_set(e, ERR_SHARES, "share #%u was given twice: each share counts once", b->index);
	}
	if (k < a->threshold)
		return err_set(e, ERR_SHARES, "%zu share%s given, %u needed: fewer than the threshold rebuild nothing", k,
			       k == 1 ? "" : "s", a->threshold);
	if (k > SHAMIR_MAX_SHARES)
		return err_set(e, ERR_SHARES, "too many shares");
	for (size_t i = 0; i < k; i++) {
		if (shares[i].index == 0 || shares[i].index > a->count)
			return err_set(e, ERR_SHARES, "share index #%u is outside 1..%u", shares[i].index, a->count);
		nrs[i] = shares[i].index;
	}
	if (out->cap < a->data->len)
		return err_set(e, ERR_SHARES, "the secret (%zu bytes) does not fit its buffer", a->data->len);
	use_openssl_rand(); /* gfshare_ctx_free overwrites the context with it */
	if (!(ctx = gfshare_ctx_init_dec(nrs, (unsigned)k, (unsigned)a->data->len)))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < k; i++)
		gfshare_ctx_dec_giveshare(ctx, (unsigned char)i, shares[i].data->p);
	secret_wipe(out->p, out->cap);
	gfshare_ctx_dec_extract(ctx, out->p);
	out->len = a->data->len;
	gfshare_ctx_free(ctx);
	return 0;
}

void shamir_share_clear(struct shamir_share *s)
{
	if (!s)
		return;
	secret_free(s->data);
	secret_wipe(s, sizeof *s);
}

void shamir_shares_free(struct shamir_share *shares, size_t n)
{
	if (!shares)
		return;
	for (size_t i = 0; i < n; i++)
		shamir_share_clear(&shares[i]);
	free(shares);
}

/* Values of the groups: plen bytes as base32, padded to whole groups. */
static size_t to_values(const uint8_t *p, size_t plen, int *v)
{
	size_t ng = groups_for(plen), nc = ng * GROUP_CHARS;
	for (size_t c = 0; c < nc; c++) {
		int x = 0;
		for (size_t b = 0; b < 5; b++) {
			size_t bit = c * 5 + b;
			int one = bit < plen * 8 ? (p[bit / 8] >> (7 - bit % 8)) & 1 : 0;
			x = (x << 1) | one;
		}
		v[c] = x;
	}
	return ng;
}

int shamir_share_format(const struct shamir_share *s, struct secret *out, struct err *e)
{
	uint8_t payload[MAX_PAYLOAD];
	int v[(MAX_PAYLOAD * 8 + 4) / 5 + GROUP_CHARS], sum[GROUP_CHARS];
	size_t plen = payload_of(s, payload), ng = to_values(payload, plen, v), used;
	size_t need = 64 + (ng + 1) * (GROUP_LEN + 1);
	int ret = -1;

	if (out->cap < need) {
		err_set(e, ERR_SHARES, "a share's text needs %zu bytes, the buffer has %zu", need, out->cap);
		goto out;
	}
	share_sum(s, payload, plen, sum);
	used = (size_t)snprintf((char *)out->p, out->cap + 1, "cs1 %s %u-of-%u #%u ", s->purpose, s->threshold,
				s->count, s->index);
	for (size_t g = 0; g <= ng; g++) {
		const int *gv = g < ng ? &v[g * GROUP_CHARS] : sum;
		char *o = (char *)out->p + used;
		for (int i = 0; i < GROUP_CHARS; i++)
			o[i] = B32[gv[i]];
		o[GROUP_CHARS] = B32[group_check(gv, (unsigned)g + 1)];
		o[GROUP_LEN] = g < ng ? '-' : 0;
		used += GROUP_LEN + (g < ng);
	}
	out->len = used;
	out->p[used] = 0;
	ret = 0;
out:
	secret_wipe(payload, sizeof payload);
	secret_wipe(v, sizeof v);
	return ret;
}

int shamir_share_format_rows(const struct shamir_share *s, struct secret *out, struct err *e)
{
	struct secret *flat = secret_new(out->cap, e);
	int ret = -1;
	if (!flat || shamir_share_format(s, flat, e))
		goto out;
	const char *t = (const char *)flat->p, *g = t;
	for (int sp = 0; sp < 4; sp++)
		g = strchr(g, ' ') + 1;   /* past the header's four fields, which format wrote */
	size_t used = (size_t)snprintf((char *)out->p, out->cap + 1, "%.*s", (int)(g - t - 1), t);
	for (size_t k = 0; *g; k++) {
		if (used + 16 + GROUP_LEN > out->cap) {
			err_set(e, ERR_SHARES, "a share's rows need more than %zu bytes", out->cap);
			goto out;
		}
		if (k % SHAMIR_ROW == 0)
			used += (size_t)snprintf((char *)out->p + used, out->cap + 1 - used, "\n%3zu ", k + 1);
		used += (size_t)snprintf((char *)out->p + used, out->cap + 1 - used, " %.*s", GROUP_LEN, g);
		g += g[GROUP_LEN] ? GROUP_LEN + 1 : GROUP_LEN;
	}
	out->len = used;
	ret = 0;
out:
	secret_free(flat);
	if (ret)
		secret_wipe(out->p, out->cap);
	return ret;
}

int shamir_share_checksum(const struct shamir_share *s, char out[SHAMIR_CHECK_LEN + 1])
{
	uint8_t payload[MAX_PAYLOAD];
	int sum[GROUP_CHARS];
	size_t plen = payload_of(s, payload);
	share_sum(s, payload, plen, sum);
	secret_wipe(payload, sizeof payload);
	for (int i = 0; i < GROUP_CHARS; i++)
		out[i] = B32[sum[i]];
	out[GROUP_CHARS] = 0;
	return 0;
}

/* A blank between fields and groups: a share shown in rows spans lines. */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The next space-separated field of text at *pos, into f (cap bytes). */
static bool next_field(const char *t, size_t len, size_t *pos, char *f, size_t cap)
{
	while (*pos < len && is_blank(t[*pos]))
		(*pos)++;
	size_t n = 0;
	while (*pos < len && !is_blank(t[*pos])) {
		if (n + 1 >= cap)
			return false;
		f[n++] = t[(*pos)++];
	}
	f[n] = 0;
	return n > 0;
}

/* The header "cs1 PURPOSE M-of-N #I" at the start of text into out; *pos after it. */
static int parse_header(const char *text, size_t len, size_t *pos_out, struct shamir_share *out, struct err *e)
{
	char f[64], *end;
	size_t pos = 0;
	unsigned long m, n, idx;

	if (!next_field(text, len, &pos, f, sizeof f) || strcasecmp(f, "cs1"))
		return err_set(e, ERR_SHARES, "this is not a share: a share starts with 'cs1'");
	if (!next_field(text, len, &pos, out->purpose, sizeof out->purpose) || !purpose_ok(out->purpose))
		return err_set(e, ERR_SHARES, "the share's purpose (second field) is missing or not a purpose");
	if (!next_field(text, len, &pos, f, sizeof f) || (m = strtoul(f, &end, 10), strncmp(end, "-of-", 4)) ||
	    (n = strtoul(end + 4, &end, 10), *end) || m < 2 || m > n || n > SHAMIR_MAX_SHARES)
		return err_set(e, ERR_SHARES, "the share's third field must be 'M-of-N' (e.g. 2-of-3)");
	if (!next_field(text, len, &pos, f, sizeof f) || f[0] != '#' || (idx = strtoul(f + 1, &end, 10), *end) ||
	    idx == 0 || idx > n)
		return err_set(e, ERR_SHARES, "the share's fourth field must be its index '#I' with I from 1 to %lu", n);
	out->threshold = (uint8_t)m;
	out->count = (uint8_t)n;
	out->index = (uint8_t)idx;
	*pos_out = pos;
	return 0;
}

/* Whether text starts with the header's first field (blanks before it allowed). */
static bool has_header(const char *text, size_t len)
{
	size_t pos = 0;
	while (pos < len && is_blank(text[pos]))
		pos++;
	return len - pos >= 4 && (text[pos] == 'c' || text[pos] == 'C') && (text[pos + 1] == 's' || text[pos + 1] == 'S') &&
	       text[pos + 2] == '1' && is_blank(text[pos + 3]);
}

int shamir_share_parse(const char *text, size_t len, struct shamir_share *out, struct err *e)
{
	return shamir_share_parse_known(text, len, NULL, out, e);
}

int shamir_share_parse_known(const char *text, size_t len, const struct shamir_share *known, struct shamir_share *out,
			     struct err *e)
{
	size_t pos = 0;
	int v[(MAX_PAYLOAD * 8 + 4) / 5 + 2 * GROUP_CHARS], sum[GROUP_CHARS];
	uint8_t payload[MAX_PAYLOAD];
	size_t nv = 0, ng = 0;
	int ret = -1;

	memset(out, 0, sizeof *out);
	if (known && !has_header(text, len)) {
		memcpy(out->purpose, known->purpose, sizeof out->purpose);
		out->threshold = known->threshold;
		out->count = known->count;
		out->index = known->index;
	} else if (parse_header(text, len, &pos, out, e)) {
		return -1;
	}

	/* The groups: separated by '-' or blanks; each exactly five characters. */
	while (pos < len) {
		while (pos < len && (is_blank(text[pos]) || text[pos] == '-'))
			pos++;
		if (pos >= len)
			break;
		size_t start = pos;
		while (pos < len && !is_blank(text[pos]) && text[pos] != '-')
			pos++;
		/* A row number as shown to the holder (1 to 3 digits): never a group, which has
		 * five characters, so it may be typed or left out. */
		bool number = pos - start <= 3;
		for (size_t i = start; number && i < pos; i++)
			number = text[i] >= '0' && text[i] <= '9';
		if (number)
			continue;
		ng++;
		if (pos - start != GROUP_LEN) {
			err_set(e, ERR_SHARES, "group %zu is wrong: it has %zu characters, a group has %d", ng, pos - start,
				GROUP_LEN);
			goto out;
		}
		if (nv + GROUP_LEN > sizeof v / sizeof v[0]) {
			err_set(e, ERR_SHARES, "the share has too many groups");
			goto out;
		}
		int gv[GROUP_LEN];
		for (int i = 0; i < GROUP_LEN; i++) {
			if ((gv[i] = b32_value(text[start + (size_t)i])) < 0) {
				err_set(e, ERR_SHARES, "group %zu is wrong: '%c' is not a share character", ng,
					text[start + (size_t)i]);
				goto out;
			}
		}
		if ((unsigned)gv[GROUP_CHARS] != group_check(gv, (unsigned)ng)) {
			err_set(e, ERR_SHARES, "group %zu is wrong: its check character does not match (a mistyped "
					     "character in that group)",
				ng);
			goto out;
		}
		memcpy(&v[nv], gv, GROUP_CHARS * sizeof gv[0]);
		secret_wipe(gv, sizeof gv);
		nv += GROUP_CHARS;
	}
	if (ng < 2) {
		err_set(e, ERR_SHARES, "the share has %zu groups: groups are missing", ng);
		goto out;
	}
	/* The last group is the checksum; the others are the bytes. */
	memcpy(sum, &v[nv - GROUP_CHARS], sizeof sum);
	nv -= GROUP_CHARS;
	/* The groups carry whole characters, so the last one may hold padding bits past
	 * the longest payload: never decode past the buffer. */
	size_t nbytes = nv * 5 / 8;
	if (nbytes > sizeof payload)
		nbytes = sizeof payload;
	memset(payload, 0, sizeof payload);
	for (size_t bit = 0; bit < nbytes * 8; bit++)
		if ((v[bit / 5] >> (4 - bit % 5)) & 1)
			payload[bit / 8] |= (uint8_t)(1u << (7 - bit % 8));
	size_t dlen = payload[0], plen = 1 + SHAMIR_ID_LEN + dlen;
	if (dlen == 0 || groups_for(plen) != ng - 1) {
		err_set(e, ERR_SHARES, "the share has %zu groups, its length says %zu: a group is missing or extra", ng,
			groups_for(plen) + 1);
		goto out;
	}
	/* One share, one text: the unused bits after the payload must be zero. */
	for (size_t bit = plen * 8; bit < nv * 5; bit++)
		if ((v[bit / 5] >> (4 - bit % 5)) & 1) {
			err_set(e, ERR_SHARES, "group %zu is wrong: its unused last bits are not zero", ng - 1);
			goto out;
		}
	memcpy(out->split_id, payload + 1, SHAMIR_ID_LEN);
	if (!(out->data = secret_new(dlen, e)) || secret_set(out->data, payload + 1 + SHAMIR_ID_LEN, dlen, e))
		goto out;
	int want[GROUP_CHARS];
	share_sum(out, payload, plen, want);
	if (memcmp(want, sum, sizeof sum)) {
		err_set(e, ERR_SHARES, "group %zu (the share's checksum) does not match the rest: check the purpose, "
				     "M-of-N, index and the order of the groups",
			ng);
		goto out;
	}
	ret = 0;
out:
	secret_wipe(payload, sizeof payload);
	secret_wipe(v, sizeof v);
	if (ret)
		shamir_share_clear(out);
	return ret;
}
