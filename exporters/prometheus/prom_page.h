/* The page at GET /: the agent's status document as a small HTML page (no script, no external
 * asset, refreshed every 5 s). */
#ifndef HW_PROM_PAGE_H
#define HW_PROM_PAGE_H

#include <stddef.h>

#include "buf.h"

#define PROM_PAGE_MAX_ROWS 200 /* per table; the rest is counted */

/* Appends the page for status_json to out. A text that is not a status document gives a page
 * saying so, and -1; else 0. Every text from the document is HTML-escaped. */
int prom_page_render(const char *status_json, size_t len, struct hw_buf *out);

#endif
