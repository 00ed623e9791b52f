#include "prom_page.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void esc(struct hw_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': hw_buf_puts(b, "&lt;"); break;
        case '>': hw_buf_puts(b, "&gt;"); break;
        case '&': hw_buf_puts(b, "&amp;"); break;
        case '"': hw_buf_puts(b, "&quot;"); break;
        case '\'': hw_buf_puts(b, "&#39;"); break;
        default: hw_buf_putc(b, *s);
        }
    }
}

/* A scalar as text (null as "-"); objects and arrays as compact JSON. */
static void value(struct hw_buf *b, const json_t *v)
{
    char num[64];
    if (json_is_string(v)) {
        esc(b, json_string_value(v));
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        hw_buf_puts(b, num);
    } else if (json_is_real(v)) {
        snprintf(num, sizeof(num), "%.3g", json_real_value(v));
        hw_buf_puts(b, num);
    } else if (json_is_boolean(v)) {
        hw_buf_puts(b, json_is_true(v) ? "yes" : "no");
    } else if (!v || json_is_null(v)) {
        hw_buf_puts(b, "-");
    } else {
        char *t = json_dumps(v, JSON_COMPACT);
        esc(b, t);
        free(t);
    }
}

static int is_table(const json_t *v)
{
    return json_is_array(v) && json_array_size(v) > 0 && json_is_object(json_array_get(v, 0));
}

/* An array of objects as a table, its columns the first row's members. */
static void table(struct hw_buf *b, const json_t *rows)
{
    const char *k;
    const json_t *v, *row;
    size_t i;
    hw_buf_puts(b, "<table><tr>");
    json_object_foreach((json_t *)json_array_get(rows, 0), k, v)
    {
        hw_buf_puts(b, "<th>");
        esc(b, k);
        hw_buf_puts(b, "</th>");
    }
    hw_buf_puts(b, "</tr>\n");
    json_array_foreach((json_t *)rows, i, row)
    {
        if (i == PROM_PAGE_MAX_ROWS) {
            hw_buf_printf(b, "<tr><td colspan=\"99\">%zu more rows not shown</td></tr>\n",
                          json_array_size(rows) - i);
            break;
        }
        hw_buf_puts(b, "<tr>");
        json_object_foreach((json_t *)json_array_get(rows, 0), k, v)
        {
            hw_buf_puts(b, "<td>");
            value(b, json_object_get(row, k));
            hw_buf_puts(b, "</td>");
        }
        hw_buf_puts(b, "</tr>\n");
    }
    hw_buf_puts(b, "</table>\n");
}

/* A plugin's detail: its plain members as "key: value" lines, its lists as tables. */
static void detail(struct hw_buf *b, const json_t *d)
{
    const char *k;
    const json_t *v;
    hw_buf_puts(b, "<p class=\"kv\">");
    json_object_foreach((json_t *)d, k, v)
    {
        if (!is_table(v)) {
            hw_buf_puts(b, "<span><b>");
            esc(b, k);
            hw_buf_puts(b, "</b> ");
            value(b, v);
            hw_buf_puts(b, "</span> ");
        }
    }
    hw_buf_puts(b, "</p>\n");
    json_object_foreach((json_t *)d, k, v)
    {
        if (is_table(v)) {
            hw_buf_puts(b, "<h4>");
            esc(b, k);
            hw_buf_puts(b, "</h4>\n");
            table(b, v);
        }
    }
}

static void instances(struct hw_buf *b, const char *title, const json_t *list)
{
    const json_t *in;
    size_t i;
    hw_buf_printf(b, "<h2>%s</h2>\n", title);
    json_array_foreach((json_t *)list, i, in)
    {
        const json_t *st = json_object_get(in, "state");
        hw_buf_puts(b, "<h3>");
        esc(b, json_string_value(json_object_get(in, "name")));
        hw_buf_puts(b, " <small>");
        esc(b, json_string_value(json_object_get(in, "plugin")));
        hw_buf_printf(b, "</small> <span class=\"%s\">",
                      json_is_string(st) && strcmp(json_string_value(st), "ok") == 0 ? "ok"
                                                                                   : "warn");
        value(b, st);
        hw_buf_puts(b, "</span></h3>\n");
        if (json_object_get(in, "collections")) {
            hw_buf_puts(b, "<p class=\"kv\"><span><b>collections</b> ");
            value(b, json_object_get(in, "collections"));
            hw_buf_puts(b, "</span> <span><b>errors</b> ");
            value(b, json_object_get(in, "errors"));
            hw_buf_puts(b, "</span> <span><b>last run</b> ");
            value(b, json_object_get(in, "last_run_at"));
            hw_buf_puts(b, "</span></p>\n");
        }
        if (json_is_object(json_object_get(in, "detail"))) {
            detail(b, json_object_get(in, "detail"));
        }
    }
}

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta http-equiv=\"refresh\" content=\"5\"><title>hostwatch</title><style>"
    "body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;"
    "margin:.3em 0 1em}td,th{border:1px solid #ccc;padding:2px 6px;font-family:monospace;"
    "font-size:90%;text-align:left}.kv span{margin-right:1.2em}.ok{color:#070}.warn{color:#b00}"
    "h3{margin-bottom:.2em}small{color:#666}</style></head><body>\n"
    "<h1>hostwatch</h1><p><a href=\"/metrics\">/metrics</a> &middot; <a href=\"/healthz\">"
    "/healthz</a> &middot; <a href=\"/status\">/status</a></p>\n";

static void header(struct hw_buf *b, const json_t *doc)
{
    const json_t *cfg = json_object_get(doc, "config"), *h = json_object_get(doc, "health");
    hw_buf_puts(b, "<p class=\"kv\"><span><b>version</b> ");
    value(b, json_object_get(doc, "version"));
    hw_buf_printf(b, "</span> <span><b>up</b> %.0f s</span> <span><b>config</b> ",
                  json_number_value(json_object_get(doc, "uptime_s")));
    value(b, json_object_get(cfg, "file"));
    hw_buf_puts(b, "</span> <span><b>loaded</b> ");
    value(b, json_object_get(cfg, "loaded_at"));
    hw_buf_puts(b, "</span> <span><b>last reload</b> ");
    value(b, json_object_get(cfg, "last_reload"));
    hw_buf_printf(b, "</span></p>\n<h2>Health: <span class=\"%s\">%s</span></h2>\n",
                  json_is_true(json_object_get(h, "healthy")) ? "ok" : "warn",
                  json_is_true(json_object_get(h, "healthy")) ? "healthy" : "NOT HEALTHY");
    if (is_table(json_object_get(h, "rules"))) {
        table(b, json_object_get(h, "rules"));
    }
}

int prom_page_render(const char *status_json, size_t len, struct hw_buf *out)
{
    json_t *doc = json_loadb(status_json ? status_json : "", len, 0, NULL);
    hw_buf_puts(out, page_head);
    const char *fmt = json_string_value(json_object_get(doc, "format"));
    if (!fmt || strcmp(fmt, "hostwatch-status/1") != 0) {
        hw_buf_puts(out, "<p class=\"warn\">The status document cannot be read.</p></body>"
                         "</html>\n");
        json_decref(doc);
        return -1;
    }
    header(out, doc);
    instances(out, "Collectors", json_object_get(doc, "collectors"));
    instances(out, "Exporters", json_object_get(doc, "exporters"));
    hw_buf_puts(out, "</body></html>\n");
    json_decref(doc);
    return out->oom ? -1 : 0;
}
