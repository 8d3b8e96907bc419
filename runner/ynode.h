/* ynode: YAML (libyaml) to a small node tree with source marks, under limits.
 *
 * The only file that uses libyaml's parser. Scalars are kept as text exactly as
 * written (no YAML 1.1 "yes"/"on" to bool conversion): meaning is given by the
 * loader that reads them. Rejected with a file:line:col message (code "script"
 * by default, or the code the caller passes): invalid YAML, invalid UTF-8, NUL
 * bytes, aliases and anchors (alias bombs), nesting deeper than limits.depth,
 * scalars longer than limits.scalar, files larger than limits.file, more than
 * limits.nodes nodes, duplicate keys in a map, non-scalar keys, more than one
 * document, an empty document.
 */
#ifndef CER_YNODE_H
#define CER_YNODE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "err.h"

enum ynode_kind { YN_SCALAR, YN_MAP, YN_SEQ };

struct ynode {
	enum ynode_kind kind;
	unsigned line, col;       /* 1-based position of the node's start */
	/* YN_SCALAR */
	char *str;                /* NUL-terminated (NUL bytes are rejected, so strlen is exact) */
	size_t len;
	bool plain;               /* unquoted plain scalar: may be read as a number or bool */
	/* YN_MAP: keys[i] (scalars) -> vals[i]; YN_SEQ: vals[i] */
	struct ynode **keys;
	struct ynode **vals;
	size_t n;
};

struct ylimits {
	size_t file;    /* bytes, default 1 MiB */
	size_t scalar;  /* bytes, default 64 KiB */
	unsigned depth; /* default 32 */
	size_t nodes;   /* default 100000 */
};

struct ydoc {
	char *name;               /* file name used in messages */
	uint8_t *bytes;           /* the exact file bytes (for hashing and embedding) */
	size_t len;
	struct ynode *root;       /* never NULL after a successful load */
	enum err_code code;       /* error code used for this document's errors */
};

/* Loads path (or parses data, which is copied) with limits (NULL for defaults).
 * code is the err code for problems in this document (ERR_SCRIPT, ERR_ANSWERS, ERR_BINDING). */
int ydoc_load(const char *path, const struct ylimits *lim, enum err_code code, struct ydoc **out,
	      struct err *e) CER_MUST_CHECK;
int ydoc_parse(const char *name, const uint8_t *data, size_t len, const struct ylimits *lim,
	       enum err_code code, struct ydoc **out, struct err *e) CER_MUST_CHECK;
void ydoc_free(struct ydoc *d);   /* NULL is a no-op */

/* Sets e to "NAME:LINE:COL: message" for node n (n NULL: "NAME: message"). Returns -1. */
int ydoc_err(const struct ydoc *d, const struct ynode *n, struct err *e, const char *fmt, ...) CER_PRINTF(4, 5);

/* Value of key in a map (borrowed), NULL when absent or map is not a map. */
struct ynode *ynode_get(const struct ynode *map, const char *key);

/* Fails on the first key of map not in allowed (NULL-terminated), naming the
 * closest allowed key when it is near ("did you mean 'x'?"). */
int ynode_only_keys(const struct ydoc *d, const struct ynode *map, const char *const *allowed,
		    const char *what, struct err *e) CER_MUST_CHECK;

/* Typed readers: fail with a positioned message saying what was expected and
 * what was found. `what` names the value in messages ("'count' of role 'witness'"). */
int ynode_want_map(const struct ydoc *d, const struct ynode *n, const char *what, struct err *e) CER_MUST_CHECK;
int ynode_want_seq(const struct ydoc *d, const struct ynode *n, const char *what, struct err *e) CER_MUST_CHECK;
int ynode_want_str(const struct ydoc *d, const struct ynode *n, const char *what, const char **s,
		   struct err *e) CER_MUST_CHECK;
/* A plain decimal integer in [min, max]. */
int ynode_want_uint(const struct ydoc *d, const struct ynode *n, const char *what, uint64_t min,
		    uint64_t max, uint64_t *v, struct err *e) CER_MUST_CHECK;
/* A plain true/false. */
int ynode_want_bool(const struct ydoc *d, const struct ynode *n, const char *what, bool *v,
		    struct err *e) CER_MUST_CHECK;

/* Edit distance, for did-you-mean. */
size_t ynode_distance(const char *a, const char *b);

/* Did-you-mean: feed candidates, then ask for the nearest one that is close
 * enough to be a typo (Levenshtein distance <= 2 or <= len/3, and less than the
 * length of either word), or NULL. word and candidates are borrowed. */
struct ynode_near {
	const char *word;
	const char *best;
	size_t dist;
};
void ynode_near_init(struct ynode_near *s, const char *word);
void ynode_near_add(struct ynode_near *s, const char *cand);
const char *ynode_near_best(const struct ynode_near *s);

/* For messages. Buffers of YNODE_WHAT_MAX bytes hold any result. */
enum { YNODE_WHAT_MAX = 100 };
/* s in single quotes, control characters escaped, cut with "..." to fit buf. Returns buf. */
const char *ynode_quote(const char *s, char *buf, size_t size);
/* What n is, for "found ...": "a map", "a list", "nothing" (absent or empty
 * plain value), 'text', or "the quoted text 'text'". Returns buf. */
const char *ynode_what(const struct ynode *n, char *buf, size_t size);

/* libyaml's version, as the library says at run time ("0.2.5"). */
const char *ynode_yaml_version(void);

#endif
