/* der: a strict DER walk (see der.h for what it checks and why). Offsets in the
 * messages are from the start of the outermost element, so a reader can find the
 * byte with `openssl asn1parse -inform DER -i`. */
#include <stdbool.h>
#include <string.h>
#include "der.h"
#include "utf8.h"

enum {
	MAX_DEPTH = 32,   /* X.509 nests about ten deep; a hostile file may try thousands */
	CLASS_UNIVERSAL = 0,
	T_BOOLEAN = 1,
	T_INTEGER = 2,
	T_BIT_STRING = 3,
	T_OCTET_STRING = 4,
	T_NULL = 5,
	T_OID = 6,
	T_ENUMERATED = 10,
	T_UTF8 = 12,
	T_SEQUENCE = 16,
	T_SET = 17,
	T_NUMERIC = 18,
	T_PRINTABLE = 19,
	T_T61 = 20,
	T_VIDEOTEX = 21,
	T_IA5 = 22,
	T_UTCTIME = 23,
	T_GENTIME = 24,
	T_VISIBLE = 26,
	T_UNIVERSAL_STR = 28,
	T_BMP = 30,
};

/* One element as found: where it starts, its identifier, where its contents are. */
struct tlv {
	size_t off;        /* of the identifier */
	unsigned cls;      /* 0 universal, 1 application, 2 context, 3 private */
	bool cons;
	uint32_t tag;
	size_t v, len;     /* offset and length of the contents */
};

struct walk {
	const uint8_t *b;
	struct err *e;
};

static int bad(struct walk *w, size_t off, const char *what)
{
	return err_set(w->e, ERR_DER, "not DER at byte offset %zu: %s", off, what);
}

static int read_tlv(struct walk *w, size_t off, size_t end, struct tlv *t)
{
	const uint8_t *b = w->b;
	size_t p = off;
	t->off = off;
	if (p >= end)
		return bad(w, off, "an element is missing");
	t->cls = b[p] >> 6;
	t->cons = (b[p] & 0x20) != 0;
	t->tag = b[p] & 0x1f;
	p++;
	if (t->tag == 0x1f) {
		/* High tag number form (X.690 §8.1.2.4): base 128, no leading 0x80, and only
		 * for numbers that do not fit the low form. */
		uint32_t v = 0;
		if (p >= end)
			return bad(w, off, "the identifier is cut short");
		if (b[p] == 0x80)
			return bad(w, off, "a tag number with a leading zero group");
		do {
			if (p >= end || v > (UINT32_MAX >> 7))
				return bad(w, off, "the identifier is cut short or too long");
			v = (v << 7) | (b[p] & 0x7f);
		} while (b[p++] & 0x80);
		if (v < 0x1f)
			return bad(w, off, "a tag number below 31 in the high-tag form");
		t->tag = v;
	}
	if (p >= end)
		return bad(w, off, "the length is missing");
	uint8_t l0 = b[p++];
	if (l0 < 0x80) {
		t->len = l0;
	} else if (l0 == 0x80) {
		return bad(w, off, "an indefinite length (DER allows definite lengths only)");
	} else {
		size_t n = l0 & 0x7f, v = 0;
		if (n > 4)
			return bad(w, off, "a length of more than four bytes");
		if (end - p < n)
			return bad(w, off, "the length is cut short");
		if (b[p] == 0)
			return bad(w, off, "a long-form length with a leading zero byte");
		for (size_t i = 0; i < n; i++)
			v = (v << 8) | b[p++];
		if (v < 0x80)
			return bad(w, off, "a long-form length below 128 (the short form is required)");
		t->len = v;
	}
	if (end - p < t->len)
		return bad(w, off, "the contents run past the end of their container");
	t->v = p;
	return 0;
}

static bool printable_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       strchr(" '()+,-./:=?", c) != NULL;
}

static bool digits(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* The rules for one universal primitive element's contents. */
static int check_primitive(struct walk *w, const struct tlv *t)
{
	const uint8_t *v = w->b + t->v;
	size_t n = t->len;
	switch (t->tag) {
	case T_BOOLEAN:
		if (n != 1)
			return bad(w, t->off, "a BOOLEAN that is not one byte");
		if (v[0] != 0x00 && v[0] != 0xff)
			return bad(w, t->off, v[0] == 0x01 ? "BOOLEAN TRUE written 0x01 (DER requires 0xFF)"
							   : "a BOOLEAN that is neither 0x00 nor 0xFF");
		return 0;
	case T_INTEGER:
	case T_ENUMERATED:
		if (n == 0)
			return bad(w, t->off, "an empty INTEGER");
		if (n > 1 && ((v[0] == 0x00 && !(v[1] & 0x80)) || (v[0] == 0xff && (v[1] & 0x80))))
			return bad(w, t->off, "an INTEGER not in its shortest form (a redundant leading byte)");
		return 0;
	case T_BIT_STRING:
		if (n == 0)
			return bad(w, t->off, "a BIT STRING without its unused-bits byte");
		if (v[0] > 7 || (n == 1 && v[0] != 0))
			return bad(w, t->off, "a BIT STRING with an impossible count of unused bits");
		if (n > 1 && (v[n - 1] & ((1u << v[0]) - 1)) != 0)
			return bad(w, t->off, "a BIT STRING whose unused bits are not zero");
		return 0;
	case T_NULL:
		return n == 0 ? 0 : bad(w, t->off, "a NULL with contents");
	case T_OID:
		if (n == 0)
			return bad(w, t->off, "an empty OBJECT IDENTIFIER");
		for (size_t i = 0; i < n; i++) {
			bool first = i == 0 || !(v[i - 1] & 0x80);
			if (first && v[i] == 0x80)
				return bad(w, t->off, "an OBJECT IDENTIFIER subidentifier with a leading zero group");
		}
		if (v[n - 1] & 0x80)
			return bad(w, t->off, "an OBJECT IDENTIFIER cut inside a subidentifier");
		return 0;
	case T_UTCTIME:
		if (n != 13 || !digits(v, 12) || v[12] != 'Z')
			return bad(w, t->off, "a UTCTime not of the form YYMMDDHHMMSSZ");
		return 0;
	case T_GENTIME:
		if (n != 15 || !digits(v, 14) || v[14] != 'Z')
			return bad(w, t->off, "a GeneralizedTime not of the form YYYYMMDDHHMMSSZ");
		return 0;
	case T_PRINTABLE:
		for (size_t i = 0; i < n; i++)
			if (!printable_char(v[i]))
				return bad(w, t->off, "a PrintableString with a character it may not hold");
		return 0;
	case T_IA5:
		for (size_t i = 0; i < n; i++)
			if (v[i] & 0x80)
				return bad(w, t->off, "an IA5String with a byte above 0x7F");
		return 0;
	case T_UTF8:
		return utf8_valid(v, n) ? 0 : bad(w, t->off, "a UTF8String that is not valid UTF-8");
	case T_BMP:
		return n % 2 == 0 ? 0 : bad(w, t->off, "a BMPString of an odd number of bytes");
	default:
		return 0;
	}
}

static bool primitive_only(uint32_t tag)
{
	switch (tag) {
	case T_BOOLEAN: case T_INTEGER: case T_BIT_STRING: case T_OCTET_STRING: case T_NULL: case T_OID:
	case T_ENUMERATED: case T_UTF8: case T_NUMERIC: case T_PRINTABLE: case T_T61: case T_VIDEOTEX: case T_IA5:
	case T_UTCTIME: case T_GENTIME: case T_VISIBLE: case T_UNIVERSAL_STR: case T_BMP:
		return true;
	default:
		return false;
	}
}

/* X.690 §11.6: compared as octet strings, the shorter padded with zero bytes. */
static int der_order(const uint8_t *b, const struct tlv *x, const struct tlv *y)
{
	size_t xn = x->v + x->len - x->off, yn = y->v + y->len - y->off, m = xn < yn ? xn : yn;
	int c = memcmp(b + x->off, b + y->off, m);
	if (c)
		return c;
	for (size_t i = m; i < xn; i++)
		if (b[x->off + i])
			return 1;
	for (size_t i = m; i < yn; i++)
		if (b[y->off + i])
			return -1;
	return 0;
}

static bool is_u(const struct tlv *t, uint32_t tag)
{
	return t->cls == CLASS_UNIVERSAL && t->tag == tag;
}

static int walk_one(struct walk *w, size_t start, size_t end, int depth);

/* Whether the AlgorithmIdentifier sequence a starts with an OID beginning with
 * prefix (its DER contents). */
static bool algorithm_is(struct walk *w, const struct tlv *a, const uint8_t *prefix, size_t n)
{
	struct tlv oid;
	struct err quiet;
	struct walk q = {w->b, &quiet};
	if (!is_u(a, T_SEQUENCE) || read_tlv(&q, a->v, a->v + a->len, &oid) != 0 || !is_u(&oid, T_OID))
		return false;
	return oid.len >= n && memcmp(w->b + oid.v, prefix, n) == 0;
}

/* Where X.509 carries DER inside a string (der.h): walk it too. */
static int nested(struct walk *w, const struct tlv *kids, size_t n, int depth)
{
	/* 1.2.840.10045.4.3 (ecdsa-with-SHA*) and 1.2.840.113549.1.1.1 (rsaEncryption) */
	static const uint8_t ecdsa_with[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03};
	static const uint8_t rsa_encryption[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};

	/* Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
	if ((n == 2 || n == 3) && is_u(&kids[0], T_OID) && is_u(&kids[n - 1], T_OCTET_STRING) &&
	    (n == 2 || is_u(&kids[1], T_BOOLEAN))) {
		if (n == 3 && w->b[kids[1].v] == 0x00)
			return bad(w, kids[1].off, "an extension's critical flag written FALSE (DEFAULT values are omitted)");
		return walk_one(w, kids[n - 1].v, kids[n - 1].v + kids[n - 1].len, depth + 1);
	}
	/* Certificate, CertificationRequest, CertificateList: SEQUENCE { tbs, signatureAlgorithm,
	 * signatureValue BIT STRING }; ECDSA's value is itself DER. */
	if (n == 3 && is_u(&kids[0], T_SEQUENCE) && is_u(&kids[2], T_BIT_STRING) && kids[2].len > 1 &&
	    algorithm_is(w, &kids[1], ecdsa_with, sizeof ecdsa_with))
		return walk_one(w, kids[2].v + 1, kids[2].v + kids[2].len, depth + 1);
	/* SubjectPublicKeyInfo of an RSA key: the BIT STRING holds RSAPublicKey. */
	if (n == 2 && is_u(&kids[1], T_BIT_STRING) && kids[1].len > 1 &&
	    algorithm_is(w, &kids[0], rsa_encryption, sizeof rsa_encryption))
		return walk_one(w, kids[1].v + 1, kids[1].v + kids[1].len, depth + 1);
	return 0;
}

/* The elements of [start, end), one after another; kids gets the first few for
 * the shape rules, *n their true count. In a SET (set: true) each element must
 * not sort before the one before it. */
static int walk_elements(struct walk *w, size_t start, size_t end, int depth, bool set, struct tlv *kids, size_t max,
			 size_t *n)
{
	struct tlv prev = {0};
	size_t count = 0;
	if (depth > MAX_DEPTH)
		return bad(w, start, "nested too deep");
	for (size_t p = start; p < end;) {
		struct tlv t;
		if (read_tlv(w, p, end, &t))
			return -1;
		if (t.cls == CLASS_UNIVERSAL) {
			if (t.cons && primitive_only(t.tag))
				return bad(w, t.off, "a constructed encoding of a type DER writes primitive");
			if (!t.cons && (t.tag == T_SEQUENCE || t.tag == T_SET))
				return bad(w, t.off, "a SEQUENCE or SET written primitive");
			if (!t.cons && check_primitive(w, &t))
				return -1;
		}
		if (t.cons) {
			struct tlv sub[3];
			size_t ns = 0;
			if (walk_elements(w, t.v, t.v + t.len, depth + 1, is_u(&t, T_SET), sub, 3, &ns))
				return -1;
			if (is_u(&t, T_SEQUENCE) && ns <= 3 && nested(w, sub, ns, depth))
				return -1;
		}
		if (set && count > 0 && der_order(w->b, &prev, &t) > 0)
			return bad(w, t.off, "a SET whose elements are not in ascending order");
		if (count < max)
			kids[count] = t;
		count++;
		prev = t;
		p = t.v + t.len;
	}
	*n = count;
	return 0;
}

/* Exactly one element spans [start, end). */
static int walk_one(struct walk *w, size_t start, size_t end, int depth)
{
	struct tlv t;
	size_t n = 0;
	if (read_tlv(w, start, end, &t))
		return -1;
	if (t.v + t.len != end)
		return bad(w, t.v + t.len, "bytes after the end of the element");
	return walk_elements(w, start, end, depth, false, &t, 1, &n);
}

int der_check(const uint8_t *data, size_t len, struct err *e)
{
	struct walk w = {data, e};
	return walk_one(&w, 0, len, 0);
}
