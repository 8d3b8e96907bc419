#include <stdio.h>
#include <string.h>
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
