/* docout: the documents the commands write for people (the printed procedure, the
 * ceremony log): Markdown or one self-contained HTML file, the text escaped for the
 * one it is. See docout.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "docout.h"


/* Text into the document: HTML escaped, or Markdown with its table and emphasis
 * characters escaped. Control characters never pass. */
void doc_put(const struct docout *o, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n' || c == '\t')
			fputc(' ', o->f);
		else if (c < 0x20 || c == 0x7f)
			fputc('?', o->f);
		else if (o->html && c == '<')
			fputs("&lt;", o->f);
		else if (o->html && c == '>')
			fputs("&gt;", o->f);
		else if (o->html && c == '&')
			fputs("&amp;", o->f);
		else if (o->html && c == '"')
			fputs("&quot;", o->f);
		else if (!o->html && strchr("|*_`[]<>#\\", c))
			fprintf(o->f, "\\%c", c);
		else
			fputc(c, o->f);
	}
}

void doc_putf(const struct docout *o, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	doc_put(o, buf);
}

/* Markup as it is (the caller's own, never from the script). */
void doc_raw(const struct docout *o, const char *md, const char *html)
{
	fputs(o->html ? html : md, o->f);
}

void doc_heading(const struct docout *o, int level, const char *text)
{
	if (o->html) {
		fprintf(o->f, "<h%d>", level);
		doc_put(o, text);
		fprintf(o->f, "</h%d>\n", level);
	} else {
		fprintf(o->f, "\n%.*s ", level, "####");
		doc_put(o, text);
		fputs("\n\n", o->f);
	}
}

/* A line "Label: value" of a step's facts. */
void doc_fact(const struct docout *o, const char *label, const char *value)
{
	doc_raw(o, "**", "<div class=\"meta\"><b>");
	doc_put(o, label);
	doc_raw(o, ":** ", ":</b> ");
	doc_put(o, value);
	doc_raw(o, "  \n", "</div>\n");
}


static const char *const css =
	"body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:10.5pt;line-height:1.35;margin:0 0 2.2em 0;color:#000}"
	"h1{font-size:17pt;margin:0 0 .3em}h2{font-size:13pt;margin:1.2em 0 .4em;border-bottom:1px solid #000}"
	"h3{font-size:11.5pt;margin:0 0 .3em}.step{border:1px solid #000;padding:.5em .7em;margin:.7em 0;"
	"break-inside:avoid;page-break-inside:avoid}.say{border-left:3px solid #444;margin:.3em 0;padding:.2em .6em;"
	"font-style:italic}table{border-collapse:collapse;width:100%;margin:.3em 0}td,th{border:1px solid #000;"
	"padding:.25em .4em;text-align:left;vertical-align:top}th{background:#eee}.blank{height:1.6em}"
	".meta{font-size:9.5pt}.foot{position:fixed;bottom:0;left:0;right:0;font-size:8pt;border-top:1px solid #000;"
	"background:#fff;padding:.2em 0}code{font-family:'DejaVu Sans Mono',monospace;font-size:9pt}"
	"ul.box{list-style:none;padding-left:.4em}@page{margin:14mm 14mm 18mm 14mm}";

void doc_begin(const struct docout *o, const char *title, const char *footer)
{
	if (!o->html)
		return;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", o->f);
	doc_put(o, title);
	fprintf(o->f, "</title>\n<style>%s</style></head><body>\n<div class=\"foot\">", css);
	doc_put(o, footer);
	fputs("</div>\n", o->f);
}

void doc_end(const struct docout *o, const char *footer)
{
	if (o->html) {
		fputs("</body></html>\n", o->f);
		return;
	}
	fputs("\n---\n", o->f);
	doc_put(o, footer);
	fputc('\n', o->f);
}
