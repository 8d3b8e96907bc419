/* shamir: known vectors, properties of m-of-n, and the text form's checksums. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "runner/shamir.h"

static struct secret *sec(const void *p, size_t n)
{
	struct err e;
	struct secret *s = secret_new(n < 16 ? 16 : n, &e);
	assert_non_null(s);
	assert_int_equal(secret_set(s, p, n, &e), 0);
	return s;
}

static struct shamir_share hand(uint8_t index, uint8_t m, uint8_t n, uint8_t value)
{
	struct shamir_share s = {.index = index, .threshold = m, .count = n};
	memcpy(s.split_id, "12345678", SHAMIR_ID_LEN);
	strcpy(s.purpose, "test");
	s.data = sec(&value, 1);
	return s;
}

/* Shares made by hand from fixed polynomials over libgfshare's field GF(2^8) mod
 * x^8+x^4+x^3+x^2+1 (0x11d); the second vector needs the reduction. */
static void known_vectors(void **state)
{
	(void)state;
	struct err e;
	struct secret *out = secret_new(16, &e);
	/* f(x) = 0x42 + 0x05 x: f(1) = 0x47, f(2) = 0x48, f(3) = 0x4d */
	struct shamir_share v[3] = {hand(1, 2, 3, 0x47), hand(2, 2, 3, 0x48), hand(3, 2, 3, 0x4d)};
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++) {
			if (a == b)
				continue;
			struct shamir_share two[2] = {v[a], v[b]};
			assert_int_equal(shamir_combine(two, 2, out, &e), 0);
			assert_int_equal(out->len, 1);
			assert_int_equal(out->p[0], 0x42);
		}
	/* f(x) = 0x80 x: f(1) = 0x80, f(2) = 0x100 mod 0x11d = 0x1d */
	struct shamir_share w[2] = {hand(1, 2, 2, 0x80), hand(2, 2, 2, 0x1d)};
	assert_int_equal(shamir_combine(w, 2, out, &e), 0);
	assert_int_equal(out->p[0], 0x00);
	for (int i = 0; i < 3; i++)
		shamir_share_clear(&v[i]);
	shamir_share_clear(&w[0]);
	shamir_share_clear(&w[1]);
	secret_free(out);
}

/* Every m-subset of n shares rebuilds the secret; m-1 are refused. */
static void every_subset(void **state)
{
	(void)state;
	static const unsigned mn[][2] = {{2, 2}, {2, 3}, {3, 5}, {4, 6}, {5, 7}};
	struct err e;
	for (size_t t = 0; t < sizeof mn / sizeof mn[0]; t++) {
		unsigned m = mn[t][0], n = mn[t][1];
		struct secret *s = secret_new(32, &e), *out = secret_new(32, &e);
		struct shamir_share *sh = NULL, pick[8];
		assert_int_equal(secret_random(s, 32, &e), 0);
		assert_int_equal(shamir_split(s, m, n, "pin:root", &sh, &e), 0);
		unsigned subsets = 0;
		for (unsigned mask = 0; mask < (1u << n); mask++) {
			unsigned k = 0;
			for (unsigned i = 0; i < n; i++)
				if (mask & (1u << i))
					pick[k++] = sh[i];
			if (k == m) {
				assert_int_equal(shamir_combine(pick, k, out, &e), 0);
				assert_memory_equal(out->p, s->p, 32);
				subsets++;
			} else if (k == m - 1) {
				assert_int_equal(shamir_combine(pick, k, out, &e), -1);
				assert_string_equal(e.code, "shares");
				assert_non_null(strstr(e.msg, "needed"));
			}
		}
		assert_true(subsets > 0);
		shamir_shares_free(sh, n);
		secret_free(s);
		secret_free(out);
	}
}

/* A one-byte secret split 3-of-5: for two shares, every one of the 256 possible
 * secrets has a polynomial of degree 2 through them (a third point at x = 3 that
 * rebuilds it), so m-1 shares say nothing about the secret. */
static void m_minus_one_reveals_nothing(void **state)
{
	(void)state;
	struct err e;
	struct secret *s = sec("\x5a", 1), *out = secret_new(16, &e);
	struct shamir_share *sh = NULL;
	assert_int_equal(shamir_split(s, 3, 5, "one-byte", &sh, &e), 0);
	bool seen[256] = {false};
	for (unsigned y = 0; y < 256; y++) {
		struct shamir_share third = sh[2]; /* index 3, same split */
		uint8_t b = (uint8_t)y;
		third.data = sec(&b, 1);
		struct shamir_share pick[3] = {sh[0], sh[4], third};
		assert_int_equal(shamir_combine(pick, 3, out, &e), 0);
		seen[out->p[0]] = true;
		secret_free(third.data);
	}
	for (unsigned c = 0; c < 256; c++)
		assert_true(seen[c]);
	shamir_shares_free(sh, 5);
	secret_free(s);
	secret_free(out);
}

static void refusals(void **state)
{
	(void)state;
	struct err e;
	struct secret *s = sec("0123456789abcdef", 16), *out = secret_new(16, &e);
	struct shamir_share *a = NULL, *b = NULL;
	assert_int_equal(shamir_split(s, 2, 3, "pin:root", &a, &e), 0);
	assert_int_equal(shamir_split(s, 2, 3, "pin:root", &b, &e), 0);
	assert_memory_not_equal(a[0].split_id, b[0].split_id, SHAMIR_ID_LEN);
	struct shamir_share mixed[2] = {a[0], b[1]};
	assert_int_equal(shamir_combine(mixed, 2, out, &e), -1);
	assert_non_null(strstr(e.msg, "another split"));
	struct shamir_share twice[2] = {a[1], a[1]};
	assert_int_equal(shamir_combine(twice, 2, out, &e), -1);
	assert_non_null(strstr(e.msg, "given twice"));
	assert_int_equal(shamir_combine(a, 1, out, &e), -1);
	assert_non_null(strstr(e.msg, "1 share given, 2 needed"));
	/* bad parameters */
	struct shamir_share *c = NULL;
	assert_int_equal(shamir_split(s, 1, 3, "x", &c, &e), -1);
	assert_int_equal(shamir_split(s, 4, 3, "x", &c, &e), -1);
	assert_int_equal(shamir_split(s, 2, 3, "Bad Purpose", &c, &e), -1);
	assert_null(c);
	shamir_shares_free(a, 3);
	shamir_shares_free(b, 3);
	shamir_shares_free(NULL, 3);
	secret_free(s);
	secret_free(out);
}

static void text_roundtrip(void **state)
{
	(void)state;
	struct err e;
	struct secret *s = secret_new(32, &e), *t = secret_new(512, &e), *out = secret_new(32, &e);
	struct shamir_share *sh = NULL, back[3];
	assert_int_equal(secret_random(s, 32, &e), 0);
	assert_int_equal(shamir_split(s, 3, 3, "wrap:backup", &sh, &e), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(shamir_share_format(&sh[i], t, &e), 0);
		assert_memory_equal(t->p, SHAMIR_TEXT_PREFIX "wrap:backup 3-of-3 #", 24);
		/* Typed in lower case, with blanks for dashes and I/L/O for 1/1/0: the same share. */
		char typed[512];
		strcpy(typed, (char *)t->p);
		for (char *p = strchr(strchr(typed, '#'), ' '); *p; p++) {
			if (*p == '-')
				*p = ' ';
			else if (*p == '1')
				*p = 'l';
			else if (*p == '0')
				*p = 'o';
			else if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		}
		assert_int_equal(shamir_share_parse(typed, strlen(typed), &back[i], &e), 0);
		assert_int_equal(back[i].index, i + 1);
		assert_int_equal(back[i].threshold, 3);
		assert_int_equal(back[i].count, 3);
		assert_string_equal(back[i].purpose, "wrap:backup");
		assert_memory_equal(back[i].split_id, sh[i].split_id, SHAMIR_ID_LEN);
		assert_memory_equal(back[i].data->p, sh[i].data->p, 32);
		char sum[SHAMIR_CHECK_LEN + 1];
		assert_int_equal(shamir_share_checksum(&sh[i], sum), 0);
		/* The checksum is the last group without its check character. */
		const char *last = strrchr((char *)t->p, '-') + 1;
		assert_memory_equal(last, sum, SHAMIR_CHECK_LEN);
	}
	assert_int_equal(shamir_combine(back, 3, out, &e), 0);
	assert_memory_equal(out->p, s->p, 32);
	for (int i = 0; i < 3; i++)
		shamir_share_clear(&back[i]);
	shamir_shares_free(sh, 3);
	secret_free(s);
	secret_free(t);
	secret_free(out);
}

/* The rows shown to a holder read back as the same share: typed as shown (header
 * and row numbers), without the row numbers, or without the header when the runner
 * knows it; the header left out with no known share is refused. */
static void rows_and_known_header(void **state)
{
	(void)state;
	struct err e;
	struct secret *s = secret_new(32, &e), *rows = secret_new(1024, &e), *flat = secret_new(512, &e);
	struct shamir_share *sh = NULL, back;
	assert_int_equal(secret_random(s, 32, &e), 0);
	assert_int_equal(shamir_split(s, 3, 5, "recovery:root", &sh, &e), 0);
	assert_int_equal(shamir_share_format_rows(&sh[3], rows, &e), 0);
	assert_int_equal(shamir_share_format(&sh[3], flat, &e), 0);
	char *r = (char *)rows->p;
	/* The header alone on the first line; then rows led by 1, 6, 11, ... */
	assert_memory_equal(r, "cs1 recovery:root 3-of-5 #4\n", 28);
	size_t groups = 0, lines = 0, dashes = 0;
	for (const char *p = strchr((char *)flat->p, '#'); *p; p++)
		dashes += *p == '-';
	char copy[1024];
	strcpy(copy, strchr(r, '\n') + 1);
	for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *save2 = NULL, *tok = strtok_r(line, " ", &save2);
		assert_non_null(tok);
		assert_int_equal(strtoul(tok, NULL, 10), groups + 1);
		size_t in_row = 0;
		for (tok = strtok_r(NULL, " ", &save2); tok; tok = strtok_r(NULL, " ", &save2), in_row++)
			assert_int_equal(strlen(tok), 5);
		assert_true(in_row >= 1 && in_row <= SHAMIR_ROW);
		groups += in_row;
		lines++;
	}
	assert_int_equal(groups, dashes + 1);
	assert_true(lines >= 2);
	/* as shown */
	assert_int_equal(shamir_share_parse(r, rows->len, &back, &e), 0);
	assert_memory_equal(back.data->p, sh[3].data->p, 32);
	assert_int_equal(back.index, 4);
	shamir_share_clear(&back);
	/* the groups alone, numbers and all, with the header known */
	const char *body = strchr(r, '\n') + 1;
	assert_int_equal(shamir_share_parse(body, strlen(body), &back, &e), -1);
	assert_non_null(strstr(e.msg, "not a share"));
	assert_int_equal(shamir_share_parse_known(body, strlen(body), &sh[3], &back, &e), 0);
	assert_memory_equal(back.data->p, sh[3].data->p, 32);
	assert_int_equal(back.index, 4);
	assert_string_equal(back.purpose, "recovery:root");
	shamir_share_clear(&back);
	/* the flat groups with the header known; a header typed is read as typed */
	const char *fg = strchr(strchr((char *)flat->p, '#'), ' ') + 1;
	assert_int_equal(shamir_share_parse_known(fg, strlen(fg), &sh[3], &back, &e), 0);
	shamir_share_clear(&back);
	assert_int_equal(shamir_share_parse_known((char *)flat->p, flat->len, &sh[0], &back, &e), 0);
	assert_int_equal(back.index, 4);
	shamir_share_clear(&back);
	/* known header of another share: the checksum catches it */
	assert_int_equal(shamir_share_parse_known(fg, strlen(fg), &sh[0], &back, &e), -1);
	assert_non_null(strstr(e.msg, "checksum"));
	shamir_shares_free(sh, 5);
	secret_free(s);
	secret_free(rows);
	secret_free(flat);
}

/* Every single mistyped character of every group is caught, and its group named;
 * a changed header field is caught by the share's checksum. */
static void mistyped(void **state)
{
	(void)state;
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	struct err e;
	struct secret *s = secret_new(16, &e), *t = secret_new(512, &e);
	struct shamir_share *sh = NULL, back;
	assert_int_equal(secret_random(s, 16, &e), 0);
	assert_int_equal(shamir_split(s, 2, 3, "pin:root", &sh, &e), 0);
	assert_int_equal(shamir_share_format(&sh[1], t, &e), 0);
	char *text = (char *)t->p;
	char *groups = strchr(strchr(text, '#'), ' ') + 1;
	size_t tried = 0;
	for (char *p = groups; *p; p++) {
		if (*p == '-')
			continue;
		size_t group = 1;
		for (char *q = groups; q < p; q++)
			group += *q == '-';
		char was = *p, want[64];
		snprintf(want, sizeof want, "group %zu is wrong", group);
		for (const char *a = alphabet; *a; a++) {
			if (*a == was)
				continue;
			*p = *a;
			assert_int_equal(shamir_share_parse(text, strlen(text), &back, &e), -1);
			if (!strstr(e.msg, want))
				fail_msg("changing '%c' to '%c': %s", was, *a, e.msg);
			tried++;
		}
		*p = was;
	}
	assert_true(tried > 500);
	/* A character outside the alphabet, and a header mistyped. */
	groups[2] = 'U';
	assert_int_equal(shamir_share_parse(text, strlen(text), &back, &e), -1);
	assert_non_null(strstr(e.msg, "group 1 is wrong: 'U'"));
	assert_int_equal(shamir_share_format(&sh[1], t, &e), 0);
	char *hash = strchr(text, '#');
	hash[1] = '3';
	assert_int_equal(shamir_share_parse(text, strlen(text), &back, &e), -1);
	assert_non_null(strstr(e.msg, "checksum"));
	assert_int_equal(shamir_share_parse("cs2 x 2-of-3 #1 AAAAA", 21, &back, &e), -1);
	assert_non_null(strstr(e.msg, "not a share"));
	/* A group left out. */
	assert_int_equal(shamir_share_format(&sh[1], t, &e), 0);
	char *dash = strchr(groups, '-');
	memmove(groups, dash + 1, strlen(dash + 1) + 1);
	assert_int_equal(shamir_share_parse(text, strlen(text), &back, &e), -1);
	shamir_shares_free(sh, 3);
	secret_free(s);
	secret_free(t);
}

/* Tries every check character for group `group` (1-based) of text until the parser
 * no longer blames that group: a black-box way to make a group the parser accepts. */
static void fix_group_check(char *text, size_t group)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	char *g = strchr(strchr(text, '#'), ' ') + 1, want[64];
	struct shamir_share back;
	struct err e;
	for (size_t i = 1; i < group; i++)
		g = strchr(g, '-') + 1;
	snprintf(want, sizeof want, "group %zu is wrong: its check character", group);
	for (const char *a = alphabet; *a; a++) {
		g[4] = *a;
		if (shamir_share_parse(text, strlen(text), &back, &e) == 0) {
			shamir_share_clear(&back);
			return;
		}
		if (!strstr(e.msg, want))
			return;
	}
	fail_msg("no check character satisfies group %zu", group);
}

static void longest_secret_and_padding(void **state)
{
	(void)state;
	/* A 255-byte secret: 264 payload bytes in 106 groups of 4 characters = 265 bytes'
	 * worth of bits, the last 8 of them padding. Its share must round-trip, and a share
	 * whose padding bits are set (the check character made valid) must be refused, not
	 * decoded past the payload buffer (under `make asan` that overflow is caught). */
	struct err e;
	struct secret *s = secret_new(255, &e), *t = secret_new(1024, &e);
	struct shamir_share *sh = NULL, back;
	char text[1200];
	assert_int_equal(secret_random(s, 255, &e), 0);
	assert_int_equal(shamir_split(s, 2, 3, "wrap:big", &sh, &e), 0);
	assert_int_equal(shamir_share_format(&sh[0], t, &e), 0);
	snprintf(text, sizeof text, "%s", (char *)t->p);
	if (shamir_share_parse(text, strlen(text), &back, &e) != 0)
		fail_msg("a share of a 255-byte secret does not parse: %s", e.msg);
	assert_int_equal(back.data->len, 255);
	assert_memory_equal(back.data->p, sh[0].data->p, 255);
	shamir_share_clear(&back);
	size_t groups = 1;
	for (char *q = strchr(strchr(text, '#'), ' ') + 1; *q; q++)
		groups += *q == '-';
	char *last_data = strrchr(text, '-') - 5;   /* the last data group */
	last_data[3] = 'Z';                          /* its last character: padding bits set */
	fix_group_check(text, groups - 1);
	assert_int_equal(shamir_share_parse(text, strlen(text), &back, &e), -1);
	assert_string_equal(e.code, "shares");
	if (!strstr(e.msg, "unused last bits"))
		fail_msg("unexpected refusal: %s", e.msg);
	shamir_shares_free(sh, 3);
	secret_free(s);
	secret_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_vectors),  cmocka_unit_test(every_subset), cmocka_unit_test(m_minus_one_reveals_nothing),
		cmocka_unit_test(refusals),       cmocka_unit_test(text_roundtrip), cmocka_unit_test(mistyped), cmocka_unit_test(rows_and_known_header),
		cmocka_unit_test(longest_secret_and_padding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
