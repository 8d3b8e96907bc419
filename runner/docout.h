/* docout: writing a document for people in Markdown or HTML, one file, the same
 * calls for both. Text given to doc_put is escaped for the format (and never carries
 * a control character); doc_raw writes the caller's own markup, never text that came
 * from a script or a transcript. */
#ifndef CER_DOCOUT_H
#define CER_DOCOUT_H

#include <stdbool.h>
#include <stdio.h>
#include "err.h"

struct docout {
	FILE *f;
	bool html;
};

/* The HTML head (inline CSS that prints on A4 and Letter) and a footer on every
 * printed page; nothing in Markdown. */
void doc_begin(const struct docout *o, const char *title, const char *footer);
/* The end: in Markdown the footer once, after a rule. */
void doc_end(const struct docout *o, const char *footer);
void doc_put(const struct docout *o, const char *s);
void doc_putf(const struct docout *o, const char *fmt, ...) CER_PRINTF(2, 3);
/* md for Markdown, html for HTML. */
void doc_raw(const struct docout *o, const char *md, const char *html);
void doc_heading(const struct docout *o, int level, const char *text);
/* One line "Label: value". */
void doc_fact(const struct docout *o, const char *label, const char *value);

#endif
