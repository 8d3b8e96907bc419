/* ynode: YAML to a node tree with source marks, under limits (ynode.h).
 *
 * The only file that calls libyaml. The input is checked before libyaml sees it
 * (size, NUL bytes, UTF-8) so that those problems get our positions and
 * messages, then parsed event by event; every limit is enforced as soon as the
 * event that breaks it arrives, so hostile input costs at most one pass over at
 * most limits.file bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>
#include "ynode.h"
#include "utf8.h"

static const struct ylimits default_limits = {
	.file = 1024 * 1024,
	.scalar = 64 * 1024,
	.depth = 32,
	.nodes = 100000,
};

/* What a document of this error code is, for "expected ..." in whole-file messages. */
static const char *doc_kind(enum err_code code)
{
	switch (code) {
	case ERR_SCRIPT:
		return "a ceremony script";
	case ERR_ANSWERS:
		return "an answers file";
	case ERR_BINDING:
		return "a binding file";
	default:
		return "a YAML document";
	}
}

/* --- messages --- */

static int verr_at(const struct ydoc *d, unsigned line, unsigned col, struct err *e, const char *fmt,
		   va_list ap) __attribute__((format(printf, 5, 0)));
static int verr_at(const struct ydoc *d, unsigned line, unsigned col, struct err *e, const char *fmt,
		   va_list ap)
{
	char msg[ERR_MSG_MAX];
	const char *name = d && d->name ? d->name : "(input)";
	enum err_code code = d ? d->code : ERR_SCRIPT;

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (line > 0)
		return err_set(e, code, "%s:%u:%u: %s", name, line, col, msg);
	return err_set(e, code, "%s: %s", name, msg);
}

static int err_at(const struct ydoc *d, unsigned line, unsigned col, struct err *e, const char *fmt, ...)
	CER_PRINTF(5, 6);
static int err_at(const struct ydoc *d, unsigned line, unsigned col, struct err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr_at(d, line, col, e, fmt, ap);
	va_end(ap);
	return -1;
}

int ydoc_err(const struct ydoc *d, const struct ynode *n, struct err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr_at(d, n ? n->line : 0, n ? n->col : 0, e, fmt, ap);
	va_end(ap);
	return -1;
}

const char *ynode_quote(const char *s, char *buf, size_t size)
{
	/* Room for the closing quote, an ellipsis and the NUL. */
	size_t used = 0, limit;
	const unsigned char *p = (const unsigned char *)s;

	if (size < 8) {
		if (size)
			buf[0] = 0;
		return buf;
	}
	limit = size - 6;
	buf[used++] = '\'';
	for (; *p && used < limit; p++) {
		char esc[5];
		size_t k;
		/* Control characters are escaped so a message stays one readable line. */
		if (*p == '\n')
			snprintf(esc, sizeof esc, "\\n");
		else if (*p == '\t')
			snprintf(esc, sizeof esc, "\\t");
		else if (*p == '\r')
			snprintf(esc, sizeof esc, "\\r");
		else if (*p == '\\' || *p == '\'')
			snprintf(esc, sizeof esc, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			snprintf(esc, sizeof esc, "\\x%02x", *p);
		else {
			esc[0] = (char)*p;
			esc[1] = 0;
		}
		k = strlen(esc);
		if (used + k > limit)
			break;
		memcpy(buf + used, esc, k);
		used += k;
	}
	if (*p) {
		/* Cut on a character boundary: drop a partial UTF-8 sequence. */
		while (used > 1 && ((unsigned char)buf[used - 1] & 0xC0) == 0x80)
			used--;
		if (used > 1 && ((unsigned char)buf[used - 1] & 0xC0) == 0xC0)
			used--;
		memcpy(buf + used, "...", 3);
		used += 3;
	}
	buf[used++] = '\'';
	buf[used] = 0;
	return buf;
}

const char *ynode_what(const struct ynode *n, char *buf, size_t size)
{
	const char *fixed = NULL, *prefix;
	size_t used;

	if (!n)
		fixed = "nothing";
	else if (n->kind == YN_MAP)
		fixed = "a map";
	else if (n->kind == YN_SEQ)
		fixed = "a list";
	else if (n->plain && n->len == 0)
		fixed = "nothing";
	if (fixed) {
		snprintf(buf, size, "%s", fixed);
		return buf;
	}
	/* Quoted scalars are always text; saying so explains why "5" is not a number. */
	prefix = n->plain ? "" : "the quoted text ";
	snprintf(buf, size, "%s", prefix);
	used = strlen(buf);
	ynode_quote(n->str, buf + used, size - used);
	return buf;
}

/* --- positions and text checks --- */

/* A cursor that counts lines and columns the way libyaml's marks do (columns in
 * characters; CR LF, CR, LF, NEL, LS and PS end a line; a leading UTF-8 BOM is
 * skipped), so that positions we compute agree with the parser's. */
struct cursor {
	const uint8_t *p;
	size_t len, off;
	unsigned line, col; /* 0-based, as libyaml */
};

static void cursor_init(struct cursor *k, const uint8_t *p, size_t len)
{
	k->p = p;
	k->len = len;
	k->off = 0;
	k->line = 0;
	k->col = 0;
	if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		k->off = 3;
}

/* Steps over one character, or over one byte when it is not UTF-8; returns
 * false for the latter. */
static bool cursor_step(struct cursor *k)
{
	uint32_t cp = 0;
	size_t n = utf8_seq(k->p + k->off, k->len - k->off, &cp);
	bool valid = n > 0;

	if (!valid)
		n = 1;
	if (valid && cp == '\r' && k->off + 1 < k->len && k->p[k->off + 1] == '\n')
		n = 2;
	k->off += n;
	if (valid && (cp == '\n' || cp == '\r' || cp == 0x85 || cp == 0x2028 || cp == 0x2029)) {
		k->line++;
		k->col = 0;
	} else {
		k->col++;
	}
	return valid;
}

static void offset_pos(const uint8_t *p, size_t len, size_t off, unsigned *line, unsigned *col)
{
	struct cursor k;
	cursor_init(&k, p, len);
	while (k.off < off && k.off < k.len)
		cursor_step(&k);
	*line = k.line + 1;
	*col = k.col + 1;
}

/* NUL bytes and malformed UTF-8, each reported at its first occurrence (NUL
 * first: a NUL usually means a binary file was given). */
static int check_text(const struct ydoc *d, struct err *e)
{
	struct cursor k;
	bool bad = false;
	unsigned bad_line = 0, bad_col = 0;
	uint8_t bad_byte = 0;

	cursor_init(&k, d->bytes, d->len);
	while (k.off < k.len) {
		size_t at = k.off;
		unsigned line = k.line, col = k.col;
		if (d->bytes[at] == 0)
			return err_at(d, line + 1, col + 1, e,
				      "expected text, found a NUL byte (%s is UTF-8 text)", doc_kind(d->code));
		if (!cursor_step(&k) && !bad) {
			bad = true;
			bad_line = line + 1;
			bad_col = col + 1;
			bad_byte = d->bytes[at];
		}
	}
	if (bad)
		return err_at(d, bad_line, bad_col, e,
			      "expected UTF-8 text, found the byte 0x%02x that is not valid UTF-8 there", bad_byte);
	return 0;
}

/* --- the tree --- */

static void node_free(struct ynode *n)
{
	size_t i;
	if (!n)
		return;
	free(n->str);
	for (i = 0; i < n->n; i++) {
		if (n->keys)
			node_free(n->keys[i]);
		if (n->vals)
			node_free(n->vals[i]);
	}
	free(n->keys);
	free(n->vals);
	free(n);
}

void ydoc_free(struct ydoc *d)
{
	if (!d)
		return;
	node_free(d->root);
	free(d->bytes);
	free(d->name);
	free(d);
}

struct frame {
	struct ynode *node;
	size_t cap;
	bool want_key; /* maps: the next node is a key */
};

struct builder {
	struct ydoc *d;
	const struct ylimits *lim;
	struct frame *stack; /* lim->depth frames */
	unsigned depth;
	size_t nodes;
	struct err *e;
};

static int mark_err(const struct builder *b, const yaml_mark_t *m, const char *fmt, ...) CER_PRINTF(3, 4);
static int mark_err(const struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr_at(b->d, (unsigned)m->line + 1, (unsigned)m->column + 1, b->e, fmt, ap);
	va_end(ap);
	return -1;
}

static int oom(const struct ydoc *d, struct err *e)
{
	return err_set(e, ERR_NOMEM, "%s: out of memory while reading the file", d && d->name ? d->name : "(input)");
}

static int node_new(struct builder *b, enum ynode_kind kind, const yaml_mark_t *m, struct ynode **out)
{
	struct ynode *n;
	if (b->nodes >= b->lim->nodes)
		return mark_err(b, m, "too many values: expected at most %zu maps, lists and values in the file",
				b->lim->nodes);
	n = calloc(1, sizeof *n);
	if (!n)
		return oom(b->d, b->e);
	b->nodes++;
	n->kind = kind;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	*out = n;
	return 0;
}

/* Hangs n under the open container (or makes it the root). On failure n is not
 * attached and stays the caller's to free. */
static int attach(struct builder *b, struct ynode *n)
{
	struct frame *f;
	struct ynode *p;
	char what[YNODE_WHAT_MAX];

	if (b->depth == 0) {
		b->d->root = n;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	p = f->node;
	if (p->kind == YN_MAP && !f->want_key) {
		p->vals[p->n - 1] = n;
		f->want_key = true;
		return 0;
	}
	if (p->kind == YN_MAP && n->kind != YN_SCALAR)
		return ydoc_err(b->d, n, b->e, "expected a plain key in the map at line %u, column %u, found %s as a key",
				p->line, p->col, ynode_what(n, what, sizeof what));
	if (p->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct ynode **vals = realloc(p->vals, cap * sizeof *vals);
		if (!vals)
			return oom(b->d, b->e);
		p->vals = vals;
		if (p->kind == YN_MAP) {
			struct ynode **keys = realloc(p->keys, cap * sizeof *keys);
			if (!keys)
				return oom(b->d, b->e);
			p->keys = keys;
		}
		f->cap = cap;
	}
	if (p->kind == YN_MAP) {
		p->keys[p->n] = n;
		p->vals[p->n] = NULL;
		f->want_key = false;
	} else {
		p->vals[p->n] = n;
	}
	p->n++;
	return 0;
}

static int key_order(const void *a, const void *b)
{
	const struct ynode *x = *(const struct ynode *const *)a;
	const struct ynode *y = *(const struct ynode *const *)b;
	int c = strcmp(x->str, y->str);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return (x->col > y->col) - (x->col < y->col);
}

/* Sorting makes this O(n log n): a hostile map of 50000 keys must not cost n². */
static int check_duplicates(struct builder *b, const struct ynode *map)
{
	struct ynode **sorted = NULL;
	const struct ynode *first = NULL, *again = NULL;
	size_t i;
	int ret = -1;
	char q[YNODE_WHAT_MAX];

	if (map->n < 2)
		return 0;
	sorted = malloc(map->n * sizeof *sorted);
	if (!sorted) {
		oom(b->d, b->e);
		goto out;
	}
	memcpy(sorted, map->keys, map->n * sizeof *sorted);
	qsort(sorted, map->n, sizeof *sorted, key_order);
	/* Report the repeat that comes first in the file, naming where the key was
	 * first given. */
	for (i = 1; i < map->n; i++) {
		if (strcmp(sorted[i - 1]->str, sorted[i]->str) != 0)
			continue;
		if (i >= 2 && strcmp(sorted[i - 2]->str, sorted[i]->str) == 0)
			continue;
		if (!again || sorted[i]->line < again->line ||
		    (sorted[i]->line == again->line && sorted[i]->col < again->col)) {
			first = sorted[i - 1];
			again = sorted[i];
		}
	}
	if (again) {
		ydoc_err(b->d, again, b->e, "duplicate key %s (first at line %u, column %u): expected each key once in a map",
			 ynode_quote(again->str, q, sizeof q), first->line, first->col);
		goto out;
	}
	ret = 0;
out:
	free(sorted);
	return ret;
}

/* libyaml's three error families, converted once (STYLE.md: one guard per foreign API). */
static int yaml_error(const struct ydoc *d, const yaml_parser_t *p, struct err *e)
{
	const char *problem = p->problem ? p->problem : "unknown error";
	unsigned line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return oom(d, e);
	case YAML_READER_ERROR:
		offset_pos(d->bytes, d->len, p->problem_offset, &line, &col);
		if (p->problem_value >= 0)
			return err_at(d, line, col, e, "expected printable text, found the character 0x%02x (%s)",
				      (unsigned)p->problem_value, problem);
		return err_at(d, line, col, e, "expected readable text: %s", problem);
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		line = (unsigned)p->problem_mark.line + 1;
		col = (unsigned)p->problem_mark.column + 1;
		if (p->context && (p->context_mark.line != p->problem_mark.line ||
				   p->context_mark.column != p->problem_mark.column))
			return err_at(d, line, col, e, "invalid YAML: %s (%s at line %u, column %u)", problem, p->context,
				      (unsigned)p->context_mark.line + 1, (unsigned)p->context_mark.column + 1);
		if (p->context)
			return err_at(d, line, col, e, "invalid YAML: %s (%s)", problem, p->context);
		return err_at(d, line, col, e, "invalid YAML: %s", problem);
	default:
		return err_at(d, 0, 0, e, "invalid YAML: %s", problem);
	}
}

/* Anchors and tags are refused wherever they appear: an alias is how a small
 * file becomes a huge tree (billion laughs), and a tag would give a scalar a
 * meaning other than the one the loader reads. */
static int check_props(struct builder *b, const yaml_event_t *ev, const yaml_char_t *anchor, const yaml_char_t *tag)
{
	char q[YNODE_WHAT_MAX], amp[YNODE_WHAT_MAX];
	if (anchor) {
		snprintf(amp, sizeof amp, "&%s", (const char *)anchor);
		return mark_err(b, &ev->start_mark, "anchors and aliases are not allowed; found the anchor %s",
				ynode_quote(amp, q, sizeof q));
	}
	if (tag)
		return mark_err(b, &ev->start_mark, "tags are not allowed; found the tag %s",
				ynode_quote((const char *)tag, q, sizeof q));
	return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct ynode *n = NULL;
	size_t len = ev->data.scalar.length;

	if (check_props(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag))
		return -1;
	if (len > b->lim->scalar)
		return mark_err(b, &ev->start_mark, "value too long: expected at most %zu bytes, found %zu", b->lim->scalar,
				len);
	/* A double-quoted "\0" escape is the one way a NUL survives the text check. */
	if (memchr(ev->data.scalar.value, 0, len))
		return mark_err(b, &ev->start_mark, "expected text, found a NUL character (\\0) in a quoted value");
	if (node_new(b, YN_SCALAR, &ev->start_mark, &n))
		return -1;
	n->str = malloc(len + 1);
	if (!n->str) {
		node_free(n);
		return oom(b->d, b->e);
	}
	memcpy(n->str, ev->data.scalar.value, len);
	n->str[len] = 0;
	n->len = len;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (attach(b, n)) {
		node_free(n);
		return -1;
	}
	return 0;
}

static int on_start(struct builder *b, const yaml_event_t *ev, enum ynode_kind kind)
{
	struct ynode *n = NULL;
	const yaml_char_t *anchor, *tag;

	if (kind == YN_MAP) {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	} else {
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
	}
	if (check_props(b, ev, anchor, tag))
		return -1;
	if (b->depth >= b->lim->depth)
		return mark_err(b, &ev->start_mark, "nesting too deep: expected at most %u levels of maps and lists",
				b->lim->depth);
	if (node_new(b, kind, &ev->start_mark, &n))
		return -1;
	if (attach(b, n)) {
		node_free(n);
		return -1;
	}
	b->stack[b->depth].node = n;
	b->stack[b->depth].cap = 0;
	b->stack[b->depth].want_key = true;
	b->depth++;
	return 0;
}

static int on_end(struct builder *b)
{
	struct ynode *n;
	if (b->depth == 0)
		return err_at(b->d, 0, 0, b->e, "invalid YAML: unbalanced end of a map or list");
	n = b->stack[--b->depth].node;
	if (n->kind == YN_MAP)
		return check_duplicates(b, n);
	return 0;
}

static int build(struct builder *b)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	bool have_ev = false, done = false;
	unsigned docs = 0;
	int ret = -1;
	const struct ydoc *d = b->d;

	if (!yaml_parser_initialize(&parser))
		return oom(d, b->e);
	yaml_parser_set_input_string(&parser, d->bytes, d->len);
	/* The encoding is left to libyaml's detection so that it strips a leading BOM;
	 * the bytes were checked to be UTF-8 above, so it cannot guess UTF-16. */
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			yaml_error(d, &parser, b->e);
			goto out;
		}
		have_ev = true;
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (docs++ > 0) {
				mark_err(b, &ev.start_mark, "expected %s in one YAML document, found a second document",
					 doc_kind(d->code));
				goto out;
			}
			break;
		case YAML_ALIAS_EVENT:
			mark_err(b, &ev.start_mark, "anchors and aliases are not allowed; found an alias");
			goto out;
		case YAML_SCALAR_EVENT:
			if (on_scalar(b, &ev))
				goto out;
			break;
		case YAML_SEQUENCE_START_EVENT:
			if (on_start(b, &ev, YN_SEQ))
				goto out;
			break;
		case YAML_MAPPING_START_EVENT:
			if (on_start(b, &ev, YN_MAP))
				goto out;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (on_end(b))
				goto out;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		have_ev = false;
	}
	/* No document at all (only comments or blank lines), or one that is a single
	 * empty value ("---" alone): nothing a loader could use. */
	if (!d->root || (d->root->kind == YN_SCALAR && d->root->plain && d->root->len == 0)) {
		err_at(d, 0, 0, b->e, "the file is empty; expected %s", doc_kind(d->code));
		goto out;
	}
	ret = 0;
out:
	if (have_ev)
		yaml_event_delete(&ev);
	yaml_parser_delete(&parser);
	return ret;
}

/* Parses d->bytes into d->root. */
static int parse_doc(struct ydoc *d, const struct ylimits *lim, struct err *e)
{
	struct builder b = {.d = d, .lim = lim, .e = e};
	int ret = -1;

	if (d->len == 0) {
		err_at(d, 0, 0, e, "the file is empty; expected %s", doc_kind(d->code));
		goto out;
	}
	if (d->len > lim->file) {
		err_at(d, 0, 0, e, "the file is too large: expected at most %zu bytes, found %zu", lim->file, d->len);
		goto out;
	}
	if (check_text(d, e))
		goto out;
	b.stack = calloc(lim->depth ? lim->depth : 1, sizeof *b.stack);
	if (!b.stack) {
		oom(d, e);
		goto out;
	}
	if (build(&b))
		goto out;
	ret = 0;
out:
	free(b.stack);
	return ret;
}

/* An empty document carrying the name and code for messages; NULL (e set) when out of memory. */
static struct ydoc *doc_new(const char *name, enum err_code code, struct err *e)
{
	struct ydoc *d = calloc(1, sizeof *d);
	if (!d || !(d->name = strdup(name ? name : "(input)"))) {
		free(d);
		err_set(e, ERR_NOMEM, "%s: out of memory", name ? name : "(input)");
		return NULL;
	}
	d->code = code;
	return d;
}

int ydoc_parse(const char *name, const uint8_t *data, size_t len, const struct ylimits *lim, enum err_code code,
	       struct ydoc **out, struct err *e)
{
	struct ydoc *d = NULL;
	int ret = -1;

	*out = NULL;
	if (!lim)
		lim = &default_limits;
	if (!(d = doc_new(name, code, e)))
		goto out;
	/* Refuse before copying: the size limit also bounds our own memory. */
	if (len > lim->file) {
		err_at(d, 0, 0, e, "the file is too large: expected at most %zu bytes, found %zu", lim->file, len);
		goto out;
	}
	d->bytes = malloc(len + 1);
	if (!d->bytes) {
		oom(d, e);
		goto out;
	}
	if (len)
		memcpy(d->bytes, data, len);
	d->bytes[len] = 0;
	d->len = len;
	if (parse_doc(d, lim, e))
		goto out;
	*out = d;
	d = NULL;
	ret = 0;
out:
	ydoc_free(d);
	return ret;
}

static const char *file_type(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a pipe";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "not a regular file";
}

int ydoc_load(const char *path, const struct ylimits *lim, enum err_code code, struct ydoc **out, struct err *e)
{
	struct ydoc *d = NULL;
	struct stat st;
	int fd = -1, ret = -1;
	size_t cap, len = 0;

	*out = NULL;
	if (!lim)
		lim = &default_limits;
	if (!(d = doc_new(path, code, e)))
		goto out;
	/* O_NONBLOCK: opening a FIFO must not hang the check; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		err_errno(e, "%s: cannot open %s", path, doc_kind(d->code));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		err_errno(e, "%s: cannot read", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_at(d, 0, 0, e, "expected a regular file holding %s, found %s", doc_kind(d->code),
		       file_type(st.st_mode));
		goto out;
	}
	if ((uint64_t)st.st_size > lim->file) {
		err_at(d, 0, 0, e, "the file is too large: expected at most %zu bytes, found %jd", lim->file,
		       (intmax_t)st.st_size);
		goto out;
	}
	/* Read at most one byte past the limit so a file that grows meanwhile is
	 * still refused without being read whole. */
	cap = lim->file + 1;
	d->bytes = malloc(cap + 1);
	if (!d->bytes) {
		oom(d, e);
		goto out;
	}
	while (len < cap) {
		ssize_t got = read(fd, d->bytes + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err_errno(e, "%s: cannot read", path);
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	d->bytes[len] = 0;
	d->len = len;
	if (parse_doc(d, lim, e))
		goto out;
	*out = d;
	d = NULL;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	ydoc_free(d);
	return ret;
}

/* --- readers --- */

struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	size_t i;
	if (!map || map->kind != YN_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->str, key) == 0)
			return map->vals[i];
	return NULL;
}

/* Words longer than this get no suggestion: the distance costs len², and a
 * key that long is not a typo. */
#define NEAR_MAX_LEN 128

size_t ynode_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, ret;
	size_t small[NEAR_MAX_LEN + 1], *row = small;

	if (lb > NEAR_MAX_LEN) {
		row = malloc((lb + 1) * sizeof *row);
		if (!row)
			return SIZE_MAX;
	}
	/* Levenshtein, one row: row[j] is the distance between a[0..i) and b[0..j). */
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	ret = row[lb];
	if (row != small)
		free(row);
	return ret;
}

void ynode_near_init(struct ynode_near *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->dist = SIZE_MAX;
}

void ynode_near_add(struct ynode_near *s, const char *cand)
{
	size_t lw = strlen(s->word), lc = strlen(cand), d;

	if (lw > NEAR_MAX_LEN || lc > NEAR_MAX_LEN)
		return;
	d = ynode_distance(s->word, cand);
	/* Close enough to be a typo: at most 2 edits, or a third of the word, but
	 * never a rewrite of the whole word ("x" is not a typo of "id"). */
	if (d >= lw || d >= lc || (d > 2 && d > lw / 3))
		return;
	if (d < s->dist) {
		s->dist = d;
		s->best = cand;
	}
}

const char *ynode_near_best(const struct ynode_near *s)
{
	return s->best;
}

int ynode_only_keys(const struct ydoc *d, const struct ynode *map, const char *const *allowed, const char *what,
		    struct err *e)
{
	size_t i, j;
	char q[YNODE_WHAT_MAX];

	if (ynode_want_map(d, map, what, e))
		return -1;
	for (i = 0; i < map->n; i++) {
		const char *k = map->keys[i]->str;
		struct ynode_near near;
		bool known = false;

		ynode_near_init(&near, k);
		for (j = 0; allowed[j]; j++) {
			if (strcmp(allowed[j], k) == 0) {
				known = true;
				break;
			}
			ynode_near_add(&near, allowed[j]);
		}
		if (known)
			continue;
		ynode_quote(k, q, sizeof q);
		if (ynode_near_best(&near))
			return ydoc_err(d, map->keys[i], e, "unknown key %s in %s (did you mean '%s'?)", q, what,
					ynode_near_best(&near));
		{
			char list[512] = "";
			size_t used = 0;
			for (j = 0; allowed[j] && used < sizeof list; j++)
				used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", allowed[j]);
			return ydoc_err(d, map->keys[i], e, "unknown key %s in %s; expected one of: %s", q, what, list);
		}
	}
	return 0;
}

static int want_err(const struct ydoc *d, const struct ynode *n, const char *what, const char *expected,
		    struct err *e)
{
	char found[YNODE_WHAT_MAX];
	return ydoc_err(d, n, e, "expected %s for %s, found %s", expected, what, ynode_what(n, found, sizeof found));
}

int ynode_want_map(const struct ydoc *d, const struct ynode *n, const char *what, struct err *e)
{
	if (n && n->kind == YN_MAP)
		return 0;
	return want_err(d, n, what, "a map", e);
}

int ynode_want_seq(const struct ydoc *d, const struct ynode *n, const char *what, struct err *e)
{
	if (n && n->kind == YN_SEQ)
		return 0;
	return want_err(d, n, what, "a list", e);
}

int ynode_want_str(const struct ydoc *d, const struct ynode *n, const char *what, const char **s, struct err *e)
{
	/* An empty plain value ("key:" alone) is YAML's null, not text. */
	if (!n || n->kind != YN_SCALAR || (n->plain && n->len == 0))
		return want_err(d, n, what, "text", e);
	*s = n->str;
	return 0;
}

int ynode_want_uint(const struct ydoc *d, const struct ynode *n, const char *what, uint64_t min, uint64_t max,
		    uint64_t *v, struct err *e)
{
	char expected[96];
	uint64_t x = 0;
	size_t i;
	bool ok;

	if (max == UINT64_MAX)
		snprintf(expected, sizeof expected, "a whole number of at least %" PRIu64, min);
	else
		snprintf(expected, sizeof expected, "a whole number from %" PRIu64 " to %" PRIu64, min, max);
	/* Plain decimal only: no sign, no 0x or 0o, no leading zeros (YAML 1.1 reads
	 * 010 as octal), no underscores; what a reviewer reads is what is meant. */
	ok = n && n->kind == YN_SCALAR && n->plain && n->len > 0 && n->len <= 20 && (n->str[0] != '0' || n->len == 1);
	for (i = 0; ok && i < n->len; i++) {
		unsigned digit;
		if (n->str[i] < '0' || n->str[i] > '9') {
			ok = false;
			break;
		}
		digit = (unsigned)(n->str[i] - '0');
		if (x > (UINT64_MAX - digit) / 10) {
			ok = false;
			break;
		}
		x = x * 10 + digit;
	}
	if (!ok || x < min || x > max)
		return want_err(d, n, what, expected, e);
	*v = x;
	return 0;
}

int ynode_want_bool(const struct ydoc *d, const struct ynode *n, const char *what, bool *v, struct err *e)
{
	/* Only true/false: YAML 1.1's yes/no/on/off are the "Norway problem". */
	if (n && n->kind == YN_SCALAR && n->plain) {
		if (strcmp(n->str, "true") == 0) {
			*v = true;
			return 0;
		}
		if (strcmp(n->str, "false") == 0) {
			*v = false;
			return 0;
		}
	}
	return want_err(d, n, what, "true or false", e);
}

const char *ynode_yaml_version(void)
{
	return yaml_get_version_string();
}
