/* utf8: see utf8.h. */
#include "utf8.h"

size_t utf8_seq(const uint8_t *p, size_t left, uint32_t *cp)
{
	uint8_t b;
	size_t n;
	uint32_t c, min;

	if (left == 0)
		return 0;
	b = p[0];
	if (b < 0x80) {
		n = 1, c = b, min = 0;
	} else if (b >= 0xC2 && b <= 0xDF) {
		n = 2, c = b & 0x1F, min = 0x80;
	} else if (b >= 0xE0 && b <= 0xEF) {
		n = 3, c = b & 0x0F, min = 0x800;
	} else if (b >= 0xF0 && b <= 0xF4) {
		n = 4, c = b & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	if (cp)
		*cp = c;
	return n;
}

bool utf8_valid(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(s + i, n - i, NULL);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}
