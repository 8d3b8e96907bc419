/* Unit tests for runner/ynode.c: the tree, the limits, hostile input and the
 * typed readers, each error checked with its exact position and message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "runner/ynode.h"

static int parse_lim(const char *text, size_t len, const struct ylimits *lim, struct ydoc **d, struct err *e)
{
	err_clear(e);
	return ydoc_parse("t.yaml", (const uint8_t *)text, len, lim, ERR_SCRIPT, d, e);
}

static int parse(const char *text, struct ydoc **d, struct err *e)
{
	return parse_lim(text, strlen(text), NULL, d, e);
}

/* Parsing must fail with exactly this message (and code "script"). */
static void fails_n(const char *text, size_t len, const struct ylimits *lim, const char *msg)
{
	struct ydoc *d = (struct ydoc *)1;
	struct err e;
	assert_int_equal(parse_lim(text, len, lim, &d, &e), -1);
	assert_null(d);
	assert_string_equal(e.msg, msg);
	assert_string_equal(e.code, "script");
}

static void fails(const char *text, const char *msg)
{
	fails_n(text, strlen(text), NULL, msg);
}

static void test_tree(void **state)
{
	struct ydoc *d = NULL;
	struct err e;
	const struct ynode *r, *v;
	const char *text = "a: 1\nb: \"two\"\nlist:\n  - x\n  - {k: v}\nempty:\n";
	(void)state;

	assert_int_equal(parse(text, &d, &e), 0);
	assert_non_null(d);
	assert_int_equal(d->len, strlen(text));
	assert_memory_equal(d->bytes, text, d->len);
	assert_string_equal(d->name, "t.yaml");
	r = d->root;
	assert_int_equal(r->kind, YN_MAP);
	assert_int_equal(r->n, 4);
	assert_int_equal(r->line, 1);
	assert_int_equal(r->col, 1);
	v = ynode_get(r, "a");
	assert_int_equal(v->kind, YN_SCALAR);
	assert_string_equal(v->str, "1");
	assert_true(v->plain);
	assert_int_equal(v->line, 1);
	assert_int_equal(v->col, 4);
	v = ynode_get(r, "b");
	assert_string_equal(v->str, "two");
	assert_false(v->plain);
	assert_int_equal(v->len, 3);
	v = ynode_get(r, "list");
	assert_int_equal(v->kind, YN_SEQ);
	assert_int_equal(v->n, 2);
	assert_null(v->keys);
	assert_int_equal(v->vals[1]->kind, YN_MAP);
	assert_int_equal(v->vals[1]->line, 5);
	assert_int_equal(v->vals[1]->col, 5);
	assert_string_equal(ynode_get(v->vals[1], "k")->str, "v");
	v = ynode_get(r, "empty");
	assert_int_equal(v->kind, YN_SCALAR);
	assert_int_equal(v->len, 0);
	assert_true(v->plain);
	assert_null(ynode_get(r, "missing"));
	assert_null(ynode_get(ynode_get(r, "a"), "a"));
	/* Keys keep their positions for messages. */
	assert_int_equal(r->keys[2]->line, 3);
	assert_int_equal(r->keys[2]->col, 1);
	ydoc_free(d);
	ydoc_free(NULL);
}

static void test_yaml_11_words_stay_text(void **state)
{
	struct ydoc *d = NULL;
	struct err e;
	(void)state;
	/* No YAML 1.1 resolution: the loader decides what "yes" or "010" means. */
	assert_int_equal(parse("a: yes\nb: 010\nc: ~\n", &d, &e), 0);
	assert_string_equal(ynode_get(d->root, "a")->str, "yes");
	assert_string_equal(ynode_get(d->root, "b")->str, "010");
	assert_string_equal(ynode_get(d->root, "c")->str, "~");
	ydoc_free(d);
}

static void test_empty(void **state)
{
	(void)state;
	fails("", "t.yaml: the file is empty; expected a ceremony script");
	fails("# only a comment\n\n", "t.yaml: the file is empty; expected a ceremony script");
	fails("---\n", "t.yaml: the file is empty; expected a ceremony script");
	fails("   \n", "t.yaml: the file is empty; expected a ceremony script");
}

static void test_nul(void **state)
{
	static const char text[] = "a: b\nxy: c\0d\n";
	(void)state;
	fails_n(text, sizeof text - 1, NULL,
		"t.yaml:2:6: expected text, found a NUL byte (a ceremony script is UTF-8 text)");
	/* A "\0" escape would smuggle a NUL into a value. */
	fails("a: \"x\\0y\"\n", "t.yaml:1:4: expected text, found a NUL character (\\0) in a quoted value");
}

static void test_utf8(void **state)
{
	(void)state;
	/* Columns count characters, like libyaml's marks: "é" is one column. */
	fails("a: b\n\xc3\xa9\xc3\xa9: \xff\n",
	      "t.yaml:2:5: expected UTF-8 text, found the byte 0xff that is not valid UTF-8 there");
	/* Overlong "/" */
	fails("a: \xc0\xaf\n", "t.yaml:1:4: expected UTF-8 text, found the byte 0xc0 that is not valid UTF-8 there");
	/* Overlong three-byte form of U+007F */
	fails("a: \xe0\x81\xbf\n", "t.yaml:1:4: expected UTF-8 text, found the byte 0xe0 that is not valid UTF-8 there");
	/* U+D800, a surrogate */
	fails("a: \xed\xa0\x80\n", "t.yaml:1:4: expected UTF-8 text, found the byte 0xed that is not valid UTF-8 there");
	/* Above U+10FFFF */
	fails("a: \xf4\x90\x80\x80\n",
	      "t.yaml:1:4: expected UTF-8 text, found the byte 0xf4 that is not valid UTF-8 there");
	/* Truncated at the end of the file */
	fails("a: \xe2\x82", "t.yaml:1:4: expected UTF-8 text, found the byte 0xe2 that is not valid UTF-8 there");
	/* CR LF and CR end lines as they do for libyaml. */
	fails("a: 1\r\nb: 2\rc: \x80\n",
	      "t.yaml:3:4: expected UTF-8 text, found the byte 0x80 that is not valid UTF-8 there");
	/* A UTF-16 file is not UTF-8. */
	fails("\xff\xfe" "a\0", "t.yaml:1:1: expected UTF-8 text, found the byte 0xff that is not valid UTF-8 there");
}

static void test_utf8_valid(void **state)
{
	struct ydoc *d = NULL;
	struct err e;
	(void)state;
	/* BOM, 2-, 3- and 4-byte sequences */
	assert_int_equal(parse("\xef\xbb\xbf" "a: \xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91\n", &d, &e), 0);
	assert_string_equal(ynode_get(d->root, "a")->str, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91");
	ydoc_free(d);
}

static void test_control_character(void **state)
{
	(void)state;
	fails("a: b\x01\n", "t.yaml:1:5: expected printable text, found the character 0x01 "
			    "(control characters are not allowed)");
}

static void test_anchors_aliases_tags(void **state)
{
	(void)state;
	fails("a: &x [1]\nb: *x\n", "t.yaml:1:4: anchors and aliases are not allowed; found the anchor '&x'");
	fails("a: &x 1\n", "t.yaml:1:4: anchors and aliases are not allowed; found the anchor '&x'");
	fails("a: 1\nb: [*x]\n", "t.yaml:2:5: anchors and aliases are not allowed; found an alias");
	fails("a: !!str 1\n", "t.yaml:1:4: tags are not allowed; found the tag 'tag:yaml.org,2002:str'");
	fails("a: !custom {b: 1}\n", "t.yaml:1:4: tags are not allowed; found the tag '!custom'");
	fails("a: ! x\n", "t.yaml:1:4: tags are not allowed; found the tag '!'");
	fails("- !!seq [1]\n", "t.yaml:1:3: tags are not allowed; found the tag 'tag:yaml.org,2002:seq'");
}

static void test_billion_laughs(void **state)
{
	(void)state;
	fails("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n",
	      "t.yaml:1:4: anchors and aliases are not allowed; found the anchor '&a'");
}

static void test_documents(void **state)
{
	(void)state;
	fails("a: 1\n---\nb: 2\n", "t.yaml:2:1: expected a ceremony script in one YAML document, found a second document");
	fails("--- a\n--- b\n", "t.yaml:2:1: expected a ceremony script in one YAML document, found a second document");
}

static void test_duplicates(void **state)
{
	(void)state;
	fails("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: duplicate key 'a' (first at line 1, column 1): expected each key once in a map");
	/* Quoting does not make a different key. */
	fails("x:\n  k: 1\n  \"k\": 2\n", "t.yaml:3:3: duplicate key 'k' (first at line 2, column 3): expected each key once in a map");
	/* The earliest repeat is reported, naming the first occurrence. */
	fails("b: 1\na: 1\na: 2\nb: 3\na: 4\n",
	      "t.yaml:3:1: duplicate key 'a' (first at line 2, column 1): expected each key once in a map");
	fails("{z: 1, y: 2, z: 3}\n",
	      "t.yaml:1:14: duplicate key 'z' (first at line 1, column 2): expected each key once in a map");
}

static void test_duplicates_large_map(void **state)
{
	/* Thousands of keys: checked by sorting, and the repeat still found. */
	size_t cap = 400000, used = 0;
	char *text = malloc(cap);
	int i;
	(void)state;
	assert_non_null(text);
	for (i = 0; i < 20000; i++)
		used += (size_t)snprintf(text + used, cap - used, "k%d: %d\n", i, i);
	used += (size_t)snprintf(text + used, cap - used, "k777: again\n");
	fails_n(text, used, NULL,
		"t.yaml:20001:1: duplicate key 'k777' (first at line 778, column 1): expected each key once in a map");
	free(text);
}

static void test_complex_keys(void **state)
{
	(void)state;
	fails("? [a]\n: b\n", "t.yaml:1:3: expected a plain key in the map at line 1, column 1, found a list as a key");
	fails("{? {a: 1} : b}\n", "t.yaml:1:4: expected a plain key in the map at line 1, column 1, found a map as a key");
}

static void test_invalid_yaml(void **state)
{
	(void)state;
	fails("a: [b\nc: d\n",
	      "t.yaml:2:2: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 4)");
	fails("a: b: c\n", "t.yaml:1:5: invalid YAML: mapping values are not allowed in this context");
	fails("a: 1\n b: 2\n", "t.yaml:2:3: invalid YAML: mapping values are not allowed in this context");
	fails("a: \"open\n", "t.yaml:2:1: invalid YAML: found unexpected end of stream (while scanning a quoted scalar at "
			    "line 1, column 4)");
	fails("\ta: 1\n", "t.yaml:1:1: invalid YAML: found character that cannot start any token (while scanning for "
			  "the next token)");
}

static void test_limits(void **state)
{
	struct ylimits lim = {.file = 64, .scalar = 8, .depth = 3, .nodes = 10};
	struct ydoc *d = NULL;
	struct err e;
	(void)state;

	fails_n("a: 123456789\n", 13, &lim, "t.yaml:1:4: value too long: expected at most 8 bytes, found 9");
	fails_n("a: [[[1]]]\n", 11, &lim, "t.yaml:1:6: nesting too deep: expected at most 3 levels of maps and lists");
	fails_n("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n", 32, &lim,
		"t.yaml:1:29: too many values: expected at most 10 maps, lists and values in the file");
	fails_n("a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\nh: 8\ni: 9\nj: 10\nk: 11\nl: 12\nm: 13\n", 69, &lim,
		"t.yaml: the file is too large: expected at most 64 bytes, found 69");
	/* Exactly at each limit is fine. */
	assert_int_equal(parse_lim("a: [[12345678]]\n", 16, &lim, &d, &e), 0);
	ydoc_free(d);
}

static void test_default_limits(void **state)
{
	size_t len = 2u * 1024 * 1024, i;
	char *text = malloc(len + 1);
	(void)state;
	assert_non_null(text);
	/* 10000 levels of '[': refused at the 33rd, quickly. */
	for (i = 0; i < 10000; i++)
		text[i] = '[';
	fails_n(text, 10000, NULL, "t.yaml:1:33: nesting too deep: expected at most 32 levels of maps and lists");
	/* A 100 KiB value in a file under the size limit. */
	memcpy(text, "a: ", 3);
	memset(text + 3, 'x', 100 * 1024);
	fails_n(text, 3 + 100 * 1024, NULL, "t.yaml:1:4: value too long: expected at most 65536 bytes, found 102400");
	/* 2 MiB: over the file limit before anything is parsed. */
	memset(text + 3, 'x', len - 3);
	fails_n(text, len, NULL, "t.yaml: the file is too large: expected at most 1048576 bytes, found 2097152");
	/* 100001 values */
	for (i = 0; i < 100001; i++)
		memcpy(text + 4 * i, "- 1\n", 4);
	fails_n(text, 4 * 100001, NULL,
		"t.yaml:100000:3: too many values: expected at most 100000 maps, lists and values in the file");
	free(text);
}

static void test_load_files(void **state)
{
	char dir[] = "/tmp/test_ynode.XXXXXX", path[256], msg[512];
	struct ydoc *d = (struct ydoc *)1;
	struct err e;
	FILE *f;
	(void)state;

	assert_non_null(mkdtemp(dir));
	/* A directory */
	assert_int_equal(ydoc_load(dir, NULL, ERR_SCRIPT, &d, &e), -1);
	assert_null(d);
	snprintf(msg, sizeof msg, "%s: expected a regular file holding a ceremony script, found a directory", dir);
	assert_string_equal(e.msg, msg);
	/* A missing file */
	snprintf(path, sizeof path, "%s/missing.yaml", dir);
	assert_int_equal(ydoc_load(path, NULL, ERR_SCRIPT, &d, &e), -1);
	snprintf(msg, sizeof msg, "%s: cannot open a ceremony script: No such file or directory", path);
	assert_string_equal(e.msg, msg);
	assert_string_equal(e.code, "io");
	/* A FIFO must be refused, not waited on. */
	snprintf(path, sizeof path, "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(ydoc_load(path, NULL, ERR_ANSWERS, &d, &e), -1);
	snprintf(msg, sizeof msg, "%s: expected a regular file holding an answers file, found a pipe", path);
	assert_string_equal(e.msg, msg);
	assert_string_equal(e.code, "answers");
	unlink(path);
	/* Too large: refused from its size */
	snprintf(path, sizeof path, "%s/big.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fseek(f, 5L * 1024 * 1024 - 1, SEEK_SET), 0);
	fputc('a', f);
	fclose(f);
	assert_int_equal(ydoc_load(path, NULL, ERR_SCRIPT, &d, &e), -1);
	snprintf(msg, sizeof msg, "%s: the file is too large: expected at most 1048576 bytes, found 5242880", path);
	assert_string_equal(e.msg, msg);
	unlink(path);
	/* A good file keeps its exact bytes. */
	snprintf(path, sizeof path, "%s/ok.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("# c\nk: v\n", f);
	fclose(f);
	assert_int_equal(ydoc_load(path, NULL, ERR_SCRIPT, &d, &e), 0);
	assert_int_equal(d->len, 9);
	assert_memory_equal(d->bytes, "# c\nk: v\n", 9);
	assert_string_equal(d->name, path);
	assert_int_equal(ynode_get(d->root, "k")->line, 2);
	ydoc_free(d);
	unlink(path);
	rmdir(dir);
}

static void test_distance(void **state)
{
	(void)state;
	assert_int_equal(ynode_distance("", ""), 0);
	assert_int_equal(ynode_distance("abc", ""), 3);
	assert_int_equal(ynode_distance("", "abc"), 3);
	assert_int_equal(ynode_distance("kitten", "sitting"), 3);
	assert_int_equal(ynode_distance("validty_days", "validity_days"), 1);
	assert_int_equal(ynode_distance("say", "sya"), 2);
	assert_int_equal(ynode_distance("flaw", "lawn"), 2);
	assert_int_equal(ynode_distance("same", "same"), 0);
}

static const char *nearest(const char *word, const char *const *cands)
{
	struct ynode_near n;
	size_t i;
	ynode_near_init(&n, word);
	for (i = 0; cands[i]; i++)
		ynode_near_add(&n, cands[i]);
	return ynode_near_best(&n);
}

static void test_near(void **state)
{
	static const char *const keys[] = {"id", "type", "title", "say", "performed_by", "signoff", NULL};
	(void)state;
	assert_string_equal(nearest("sya", keys), "say");
	assert_string_equal(nearest("tpye", keys), "type");
	assert_string_equal(nearest("titel", keys), "title");
	assert_string_equal(nearest("performedby", keys), "performed_by");
	assert_string_equal(nearest("sign_off", keys), "signoff");
	/* 3 edits in 12 characters: within len/3 */
	assert_string_equal(nearest("perfomed_bx", keys), "performed_by");
	assert_null(nearest("x", keys));       /* a rewrite, not a typo */
	assert_null(nearest("banana", keys));
	assert_null(nearest("", keys));
}

static void test_only_keys(void **state)
{
	static const char *const allowed[] = {"count", "description", NULL};
	struct ydoc *d = NULL;
	struct err e;
	(void)state;
	assert_int_equal(parse("r:\n  count: 1\n  descripton: x\ns: {count: 1, zzz: 2}\nt: [1]\nu: {count: 2}\n", &d, &e), 0);
	assert_int_equal(ynode_only_keys(d, ynode_get(d->root, "u"), allowed, "role 'u'", &e), 0);
	assert_int_equal(ynode_only_keys(d, ynode_get(d->root, "r"), allowed, "role 'r'", &e), -1);
	assert_string_equal(e.msg, "t.yaml:3:3: unknown key 'descripton' in role 'r' (did you mean 'description'?)");
	assert_int_equal(ynode_only_keys(d, ynode_get(d->root, "s"), allowed, "role 's'", &e), -1);
	assert_string_equal(e.msg, "t.yaml:4:15: unknown key 'zzz' in role 's'; expected one of: count, description");
	assert_int_equal(ynode_only_keys(d, ynode_get(d->root, "t"), allowed, "role 't'", &e), -1);
	assert_string_equal(e.msg, "t.yaml:5:4: expected a map for role 't', found a list");
	ydoc_free(d);
}

static void test_want_uint(void **state)
{
	struct ydoc *d = NULL;
	struct err e;
	uint64_t v = 42;
	const struct ynode *r;
	(void)state;
	assert_int_equal(parse("a: 0\nb: 100\nc: 101\nd: 007\ne: +1\nf: -1\ng: 0x10\nh: \"5\"\ni: 99999999999999999999999\n"
			       "j: 18446744073709551615\nk: 18446744073709551616\nl: 1.0\nm: [1]\nn:\no: 1_000\n",
			       &d, &e), 0);
	r = d->root;
	assert_int_equal(ynode_want_uint(d, ynode_get(r, "a"), "'a'", 0, 100, &v, &e), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ynode_want_uint(d, ynode_get(r, "b"), "'b'", 1, 100, &v, &e), 0);
	assert_int_equal(v, 100);
	assert_int_equal(ynode_want_uint(d, ynode_get(r, "c"), "'count' of role 'x'", 1, 100, &v, &e), -1);
	assert_string_equal(e.msg, "t.yaml:3:4: expected a whole number from 1 to 100 for 'count' of role 'x', found '101'");
	assert_int_equal(v, 100); /* untouched on failure */
	assert_int_equal(ynode_want_uint(d, ynode_get(r, "d"), "'d'", 0, 100, &v, &e), -1);
	assert_string_equal(e.msg, "t.yaml:4:4: expected a whole number from 0 to 100 for 'd', found '007'");
	assert_int_equal(ynode_want_uint(d, ynode_get(r, "e"), "'e'", 0, 100, &v, &e), -1);
	assert_string_equal(e.msg, "t.yaml:5:4: expected a whole number from 0 to 100 for 'e', found '+1'");
	assert_int_equal(ynode_want_uint(d, ynode_get(r, "f"), "'f'", 0, 100, &v, &e), -1);
	assert_int_equal(ynode_want_uint(d, ynode_get(r, "g"), "'g'", 0, 100, &v, &e), -1);
	assert_string_equal(e.msg, "t.yaml:7:4: expected a whole number from 0 to 100 for 'g', found '0x10'");
	assert_int_equal(ynode_want_uint(d, ynode_get(r, "h"), "'h'", 0, 100, &v, &e), -1);
	assert_string_equal(e.msg, "t.yaml:8:4: expected a whole number from 0 to 100 for 'h', found the quoted text '5'");
	assert_int_equal(ynode_want_uint(d, ynode_get(r, "i"), "'i'", 1, 100, &v, &e), -1);
	assert_string_equal(e.msg, "t.yaml:9:4: expected a whole number from 1 to 100 for 'i', "
				   "found '99999999999999999999999'");
	assert_int_equal(ynode_want_uint(d, ynode_get(r, "j"), "'j'", 0, UINT64_MAX, &v, &e), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(ynode_want_uint(d, ynode_get(r, "k"), "'k'", 0, UINT64_MAX, &v, &e), -1);
	assert_string_equal(e.msg, "t.yaml:11:4: expected a whole number of at least 0 for 'k', "
				   "found '18446744073709551616'");
	assert_int_equal(ynode_want_uint(d, ynode_get(r, "l"), "'l'", 0, 100, &v, &e), -1);
	assert_int_equal(ynode_want_uint(d, ynode_get(r, "m"), "'m'", 0, 100, &v, &e), -1);
	assert_string_equal(e.msg, "t.yaml:13:4: expected a whole number from 0 to 100 for 'm', found a list");
	assert_int_equal(ynode_want_uint(d, ynode_get(r, "n"), "'n'", 0, 100, &v, &e), -1);
	assert_string_equal(e.msg, "t.yaml:14:3: expected a whole number from 0 to 100 for 'n', found nothing");
	assert_int_equal(ynode_want_uint(d, ynode_get(r, "o"), "'o'", 0, 10000, &v, &e), -1);
	assert_int_equal(ynode_want_uint(d, NULL, "'p'", 0, 100, &v, &e), -1);
	assert_string_equal(e.msg, "t.yaml: expected a whole number from 0 to 100 for 'p', found nothing");
	ydoc_free(d);
}

static void test_want_bool_str(void **state)
{
	struct ydoc *d = NULL;
	struct err e;
	bool b = false;
	const char *s = NULL;
	const struct ynode *r;
	(void)state;
	assert_int_equal(parse("a: true\nb: false\nc: yes\nd: \"true\"\ne:\nf: \"\"\ng: {x: 1}\nh: text\n", &d, &e), 0);
	r = d->root;
	assert_int_equal(ynode_want_bool(d, ynode_get(r, "a"), "'a'", &b, &e), 0);
	assert_true(b);
	assert_int_equal(ynode_want_bool(d, ynode_get(r, "b"), "'b'", &b, &e), 0);
	assert_false(b);
	assert_int_equal(ynode_want_bool(d, ynode_get(r, "c"), "'mechanisms'", &b, &e), -1);
	assert_string_equal(e.msg, "t.yaml:3:4: expected true or false for 'mechanisms', found 'yes'");
	assert_int_equal(ynode_want_bool(d, ynode_get(r, "d"), "'d'", &b, &e), -1);
	assert_string_equal(e.msg, "t.yaml:4:4: expected true or false for 'd', found the quoted text 'true'");
	assert_int_equal(ynode_want_str(d, ynode_get(r, "h"), "'h'", &s, &e), 0);
	assert_string_equal(s, "text");
	assert_int_equal(ynode_want_str(d, ynode_get(r, "e"), "'title'", &s, &e), -1);
	assert_string_equal(e.msg, "t.yaml:5:3: expected text for 'title', found nothing");
	assert_int_equal(ynode_want_str(d, ynode_get(r, "f"), "'f'", &s, &e), 0);
	assert_string_equal(s, "");
	assert_int_equal(ynode_want_str(d, ynode_get(r, "g"), "'g'", &s, &e), -1);
	assert_string_equal(e.msg, "t.yaml:7:4: expected text for 'g', found a map");
	assert_int_equal(ynode_want_seq(d, ynode_get(r, "g"), "'steps'", &e), -1);
	assert_string_equal(e.msg, "t.yaml:7:4: expected a list for 'steps', found a map");
	assert_int_equal(ynode_want_map(d, ynode_get(r, "h"), "'roles'", &e), -1);
	assert_string_equal(e.msg, "t.yaml:8:4: expected a map for 'roles', found 'text'");
	ydoc_free(d);
}

static void test_quote(void **state)
{
	char buf[YNODE_WHAT_MAX], small[16];
	char longer[300];
	(void)state;
	assert_string_equal(ynode_quote("abc", buf, sizeof buf), "'abc'");
	assert_string_equal(ynode_quote("a'b\\c\n\t\x01", buf, sizeof buf), "'a\\'b\\\\c\\n\\t\\x01'");
	assert_string_equal(ynode_quote("abcdefghijklmnop", small, sizeof small), "'abcdefghi...'");
	/* Never cut inside a UTF-8 sequence */
	assert_string_equal(ynode_quote("abcdefgh\xc3\xa9xyz", small, sizeof small), "'abcdefgh...'");
	memset(longer, 'x', sizeof longer - 1);
	longer[sizeof longer - 1] = 0;
	ynode_quote(longer, buf, sizeof buf);
	assert_true(strlen(buf) < sizeof buf);
	assert_string_equal(buf + strlen(buf) - 4, "...'");
}

static void test_err(void **state)
{
	struct ydoc *d = NULL;
	struct err e;
	(void)state;
	assert_int_equal(ydoc_parse("a.yaml", (const uint8_t *)"k: v\n", 5, NULL, ERR_ANSWERS, &d, &e), 0);
	assert_int_equal(ydoc_err(d, ynode_get(d->root, "k"), &e, "bad %s", "value"), -1);
	assert_string_equal(e.msg, "a.yaml:1:4: bad value");
	assert_string_equal(e.code, "answers");
	assert_int_equal(ydoc_err(d, NULL, &e, "whole file"), -1);
	assert_string_equal(e.msg, "a.yaml: whole file");
	ydoc_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_yaml_11_words_stay_text),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_control_character),
		cmocka_unit_test(test_anchors_aliases_tags),
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_duplicates_large_map),
		cmocka_unit_test(test_complex_keys),
		cmocka_unit_test(test_invalid_yaml),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_default_limits),
		cmocka_unit_test(test_load_files),
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_near),
		cmocka_unit_test(test_only_keys),
		cmocka_unit_test(test_want_uint),
		cmocka_unit_test(test_want_bool_str),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_err),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
