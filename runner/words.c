#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "words.h"

/* Tables generated at build time from data/pgp-words.txt (tools/pgpwords.awk). */
extern const char *const words_pgp_even[256];
extern const char *const words_pgp_odd[256];

const char *words_pgp(uint8_t b, size_t pos)
{
	return (pos % 2 == 0) ? words_pgp_even[b] : words_pgp_odd[b];
}

/* Appends s to out at *used, never past cap, always NUL-terminated. */
static void put(char *out, size_t cap, size_t *used, const char *s)
{
	size_t n = strlen(s);
	if (*used >= cap)
		return;
	if (n > cap - 1 - *used)
		n = cap - 1 - *used;
	memcpy(out + *used, s, n);
	*used += n;
	out[*used] = 0;
}

char *words_pgp_line(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t used = 0;
	if (!cap)
		return out;
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(out, cap, &used, " ");
		put(out, cap, &used, words_pgp(p[i], i));
	}
	return out;
}

char *words_hex_groups(const uint8_t *p, size_t n, size_t group, char *out, size_t cap)
{
	size_t used = 0;
	char two[3];
	if (!cap)
		return out;
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && group && i % group == 0)
			put(out, cap, &used, " ");
		snprintf(two, sizeof two, "%02X", p[i]);
		put(out, cap, &used, two);
	}
	return out;
}

char *words_hex(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t used = 0;
	char two[3];
	if (!cap)
		return out;
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(two, sizeof two, "%02x", p[i]);
		put(out, cap, &used, two);
	}
	return out;
}

/* The word for position pos that w names (case-insensitive), or -1. A word read at
 * the wrong parity is refused: that is how a swapped or dropped word is caught. */
static int word_value(const char *w, size_t wl, size_t pos)
{
	for (int b = 0; b < 256; b++) {
		const char *c = words_pgp((uint8_t)b, pos);
		if (strlen(c) == wl && strncasecmp(c, w, wl) == 0)
			return b;
	}
	return -1;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int words_parse(const char *s, uint8_t *out, size_t n)
{
	size_t nd = 0, pos = 0;
	bool hex = true;
	for (const char *p = s; *p; p++)
		if (*p != ' ' && *p != '\t' && hex_value(*p) < 0)
			hex = false;
	if (hex) {
		for (const char *p = s; *p; p++) {
			if (*p == ' ' || *p == '\t')
				continue;
			if (nd >= 2 * n)
				return -1;
			int v = hex_value(*p);
			if (nd % 2 == 0)
				out[nd / 2] = (uint8_t)(v << 4);
			else
				out[nd / 2] |= (uint8_t)v;
			nd++;
		}
		return nd == 2 * n ? 0 : -1;
	}
	for (const char *p = s; *p;) {
		size_t wl;
		int v;
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		wl = strcspn(p, " \t\n");
		if (pos >= n || (v = word_value(p, wl, pos)) < 0)
			return -1;
		out[pos++] = (uint8_t)v;
		p += wl;
	}
	return pos == n ? 0 : -1;
}
