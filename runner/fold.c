/* fold: case and white space forgiven where people type (fold.h). */
#include "fold.h"

/* Not <ctype.h>: its answers follow the locale, and a name must match the same way
 * whatever the room's terminal is set to. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static void put(char *out, size_t cap, size_t n, char c)
{
	if (n + 1 < cap)
		out[n] = c;
}

static void end(char *out, size_t cap, size_t n)
{
	if (cap)
		out[n < cap ? n : cap - 1] = 0;
}

size_t fold_space(const char *in, char *out, size_t cap)
{
	size_t n = 0;
	bool gap = false;
	for (; *in; in++) {
		if (is_space(*in)) {
			gap = n > 0;
			continue;
		}
		if (gap)
			put(out, cap, n++, ' ');
		gap = false;
		put(out, cap, n++, *in);
	}
	end(out, cap, n);
	return n;
}

/* The next character of s as fold_same sees it (0 at the end), a run of white space
 * inside being one ' ' and white space at either end none. */
static char next_folded(const char **s, bool *started)
{
	const char *p = *s;
	if (*started && is_space(*p)) {
		while (is_space(*p))
			p++;
		*s = p;
		return *p ? ' ' : 0;
	}
	while (is_space(*p))
		p++;
	*started = true;
	if (!*p) {
		*s = p;
		return 0;
	}
	*s = p + 1;
	return lower(*p);
}

bool fold_same(const char *a, const char *b)
{
	bool sa = false, sb = false;
	for (;;) {
		char x = next_folded(&a, &sa), y = next_folded(&b, &sb);
		if (x != y)
			return false;
		if (!x)
			return true;
	}
}

size_t fold_hex(const char *in, char *out, size_t cap)
{
	size_t n = 0;
	for (; *in; in++)
		if (!is_space(*in) && *in != ':')
			put(out, cap, n++, upper(*in));
	end(out, cap, n);
	return n;
}
