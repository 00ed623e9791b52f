/* Parsing of the ECS task metadata v4 documents; the shapes are described in ecs_parse.h. */
#include "ecs_parse.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Copies a JSON string member into out (truncated to len - 1); 1 when it was a string. */
static int ecs_str(const json_t *obj, const char *key, char *out, size_t len)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) {
        out[0] = '\0';
        return 0;
    }
    snprintf(out, len, "%s", json_string_value(v));
    return 1;
}

/* A non-negative JSON number member; 0 when absent, negative or not a number. */
static double ecs_num(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    double d = json_is_number(v) ? json_number_value(v) : 0;
    return isfinite(d) && d > 0 ? d : 0;
}

/* The same as an unsigned 64-bit count (integers exactly, reals clamped). */
static uint64_t ecs_u64(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_integer(v)) {
        const json_int_t i = json_integer_value(v);
        return i > 0 ? (uint64_t)i : 0;
    }
    const double d = ecs_num(obj, key);
    return d >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)d;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil algorithm). */
static int64_t ecs_days(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Reads exactly n digits; -1 when they are not all there. */
static int ecs_digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9') {
            return -1;
        }
        v = v * 10 + (**p - '0');
    }
    return v;
}

/* The zone suffix: Z or +hh:mm / -hh:mm as seconds east of UTC in *off; 0 or -1. */
static int ecs_zone(const char *p, int64_t *off)
{
    *off = 0;
    if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
        return 0;
    }
    if ((p[0] != '+' && p[0] != '-') || strlen(p) != 6 || p[3] != ':') {
        return -1;
    }
    const char *q = p + 1;
    const int hh = ecs_digits(&q, 2);
    q++;
    const int mm = ecs_digits(&q, 2);
    if (hh < 0 || mm < 0 || hh > 23 || mm > 59) {
        return -1;
    }
    *off = (p[0] == '-' ? -1 : 1) * (int64_t)(hh * 3600 + mm * 60);
    return 0;
}

int64_t ecs_parse_time(const char *s)
{
    if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':') {
        return 0;
    }
    const char *p = s;
    const int y = ecs_digits(&p, 4);
    p++;
    const int mo = ecs_digits(&p, 2);
    p++;
    const int d = ecs_digits(&p, 2);
    p++;
    const int h = ecs_digits(&p, 2);
    p++;
    const int mi = ecs_digits(&p, 2);
    p++;
    const int se = ecs_digits(&p, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        se < 0 || se > 60) {
        return 0; /* also Go's zero time, 0001-01-01T00:00:00Z: "no previous sample" */
    }
    int64_t frac = 0;
    if (*p == '.') {
        int n = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, n++) {
            if (n < 9) {
                frac = frac * 10 + (*p - '0');
            }
        }
        for (; n < 9; n++) {
            frac *= 10;
        }
    }
    int64_t off;
    if (ecs_zone(p, &off) != 0) {
        return 0;
    }
    const int64_t secs = ecs_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    return secs * 1000000000 + frac;
}

/* Docker's short id for EC2 ids (64 hex digits); Fargate's "<task id>-<number>" keeps the part
 * that tells a task's containers apart. */
static void ecs_short_id(const char *id, char *out, size_t len)
{
    const char *dash = strrchr(id, '-');
    const char *from = dash && dash[1] ? dash + 1 : id;
    size_t n = strlen(from);
    if (from == id && n > ECS_SHORT_ID) {
        n = ECS_SHORT_ID;
    }
    if (n >= len) {
        n = len - 1;
    }
    memmove(out, from, n);
    out[n] = '\0';
}

/* "arn:aws:ecs:region:account:cluster/NAME" -> NAME; a plain name stays as it is. */
static void ecs_cluster_name(const char *cluster, char *out, size_t len)
{
    const char *slash = strncmp(cluster, "arn:", 4) == 0 ? strstr(cluster, ":cluster/") : NULL;
    snprintf(out, len, "%s", slash ? slash + strlen(":cluster/") : cluster);
}

/* One element of Containers[] into c; 0 taken, 1 skipped (not an application container),
 * -1 malformed. */
static int ecs_parse_container(const json_t *jc, struct ecs_container *c, int *awsvpc)
{
    char type[32];
    if (!json_is_object(jc)) {
        return -1;
    }
    if (ecs_str(jc, "Type", type, sizeof(type)) && strcmp(type, "NORMAL") != 0) {
        return 1; /* CNI_PAUSE and the like: the agent's, not the task's */
    }
    memset(c, 0, sizeof(*c));
    if (!ecs_str(jc, "DockerId", c->id, sizeof(c->id)) || !c->id[0] ||
        !ecs_str(jc, "Name", c->name, sizeof(c->name))) {
        return -1;
    }
    ecs_short_id(c->id, c->short_id, sizeof(c->short_id));
    const json_t *lim = json_object_get(jc, "Limits");
    c->limit_mib = ecs_num(lim, "Memory");
    c->cpu_units = ecs_num(lim, "CPU");
    const json_t *nets = json_object_get(jc, "Networks");
    const json_t *net0 = json_array_get(nets, 0);
    char mode[32];
    if (ecs_str(net0, "NetworkMode", mode, sizeof(mode)) && strcmp(mode, "awsvpc") == 0) {
        *awsvpc = 1;
    }
    return 0;
}

int ecs_parse_task(const char *text, size_t len, struct ecs_task *t, char *why, size_t wlen)
{
    json_error_t err;
    memset(t, 0, sizeof(*t));
    json_t *doc = json_loadb(text ? text : "", len, 0, &err);
    int rc = -1;
    if (!doc) {
        snprintf(why, wlen, "not JSON: %s at line %d column %d", err.text, err.line, err.column);
        return -1;
    }
    const json_t *cs = json_object_get(doc, "Containers");
    if (!json_is_object(doc) || !json_is_array(cs)) {
        snprintf(why, wlen, "$.Containers: expected an array");
        goto out;
    }
    ecs_str(doc, "TaskARN", t->task_arn, sizeof(t->task_arn));
    ecs_str(doc, "Cluster", t->cluster, sizeof(t->cluster));
    ecs_cluster_name(t->cluster, t->cluster_name, sizeof(t->cluster_name));
    ecs_str(doc, "Family", t->family, sizeof(t->family));
    ecs_str(doc, "Revision", t->revision, sizeof(t->revision));
    ecs_str(doc, "ServiceName", t->service, sizeof(t->service));
    const json_t *lim = json_object_get(doc, "Limits");
    t->limit_mib = ecs_num(lim, "Memory");
    t->cpu_vcpu = ecs_num(lim, "CPU");
    for (size_t i = 0; i < json_array_size(cs); i++) {
        if (t->ncontainers == ECS_MAX_CONTAINERS) {
            t->skipped++;
            continue;
        }
        const int r = ecs_parse_container(json_array_get(cs, i), &t->c[t->ncontainers], &t->awsvpc);
        if (r < 0) {
            snprintf(why, wlen, "$.Containers[%zu]: expected an object with DockerId and Name", i);
            goto out;
        }
        t->ncontainers += r == 0;
        t->skipped += r == 1;
    }
    rc = 0;
out:
    json_decref(doc);
    return rc;
}

/* Docker stats of one container into c (memory, CPU, networks). */
static void ecs_parse_one_stats(const json_t *st, struct ecs_container *c)
{
    const json_t *mem = json_object_get(st, "memory_stats");
    const json_t *ms = json_object_get(mem, "stats");
    c->has_stats = 1;
    c->usage = ecs_u64(mem, "usage");
    c->stats_limit = ecs_u64(mem, "limit");
    /* cgroup v1 hosts report the hierarchy's figure as total_*; v2 hosts only inactive_file. */
    c->inactive_file = json_object_get(ms, "total_inactive_file")
                           ? ecs_u64(ms, "total_inactive_file")
                           : ecs_u64(ms, "inactive_file");
    c->cpu_ns =
        ecs_u64(json_object_get(json_object_get(st, "cpu_stats"), "cpu_usage"), "total_usage");
    c->precpu_ns =
        ecs_u64(json_object_get(json_object_get(st, "precpu_stats"), "cpu_usage"), "total_usage");
    const json_t *rd = json_object_get(st, "read"), *prd = json_object_get(st, "preread");
    c->read_ns = json_is_string(rd) ? ecs_parse_time(json_string_value(rd)) : 0;
    c->preread_ns = json_is_string(prd) ? ecs_parse_time(json_string_value(prd)) : 0;
    const json_t *nets = json_object_get(st, "networks");
    const char *ifname;
    const json_t *ifs;
    c->has_net = json_is_object(nets) && json_object_size(nets) > 0;
    json_object_foreach((json_t *)nets, ifname, ifs)
    {
        c->rx_bytes += ecs_u64(ifs, "rx_bytes");
        c->tx_bytes += ecs_u64(ifs, "tx_bytes");
    }
}

int ecs_parse_stats(const char *text, size_t len, struct ecs_task *t, char *why, size_t wlen)
{
    json_error_t err;
    json_t *doc = json_loadb(text ? text : "", len, 0, &err);
    if (!doc) {
        snprintf(why, wlen, "not JSON: %s at line %d column %d", err.text, err.line, err.column);
        return -1;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        snprintf(why, wlen, "$: expected an object of container ids");
        return -1;
    }
    int n = 0;
    for (size_t i = 0; i < t->ncontainers; i++) {
        struct ecs_container *c = &t->c[i];
        const json_t *st = json_object_get(doc, c->id);
        c->has_stats = 0;
        if (json_is_object(st) && json_is_object(json_object_get(st, "memory_stats"))) {
            ecs_parse_one_stats(st, c);
            n++;
        }
    }
    json_decref(doc);
    return n;
}

uint64_t ecs_working_set(const struct ecs_container *c)
{
    return c->inactive_file < c->usage ? c->usage - c->inactive_file : c->usage;
}

double ecs_limit_bytes(const struct ecs_container *c)
{
    if (c->limit_mib > 0) {
        return c->limit_mib * ECS_MIB;
    }
    return c->stats_limit > 0 && c->stats_limit < (UINT64_C(1) << 62) ? (double)c->stats_limit : 0;
}

double ecs_cpu_units(uint64_t ns, uint64_t prev_ns, int64_t t_ns, int64_t prev_t_ns)
{
    if (t_ns <= 0 || prev_t_ns <= 0 || t_ns <= prev_t_ns || prev_ns > ns || prev_ns == 0) {
        return -1;
    }
    return (double)(ns - prev_ns) / (double)(t_ns - prev_t_ns) * 1024.0;
}

double ecs_rate(uint64_t v, uint64_t prev, int64_t t_ns, int64_t prev_t_ns)
{
    if (t_ns <= 0 || prev_t_ns <= 0 || t_ns <= prev_t_ns || prev > v) {
        return -1;
    }
    return (double)(v - prev) * 1e9 / (double)(t_ns - prev_t_ns);
}

/* A task total: the sum, or the larger one where all see the same namespace. */
static double ecs_merge(double total, double v, int shared)
{
    return shared ? (v > total ? v : total) : total + v;
}

void ecs_task_sum(const struct ecs_task *t, struct ecs_task_sum *s)
{
    memset(s, 0, sizeof(*s));
    int all_limited = t->ncontainers > 0;
    double limits = 0, reserved = 0, cpu = 0;
    for (size_t i = 0; i < t->ncontainers; i++) {
        const struct ecs_container *c = &t->c[i];
        const double lim = ecs_limit_bytes(c);
        all_limited &= lim > 0;
        limits += lim;
        reserved += c->limit_mib;
        cpu += c->cpu_units;
        if (!c->has_stats) {
            continue;
        }
        s->nstats++;
        s->working_set += (double)ecs_working_set(c);
        s->usage += (double)c->usage;
        s->cpu_seconds += (double)c->cpu_ns / 1e9;
        if (c->has_net) {
            const int first = !s->has_net;
            s->has_net = 1;
            /* awsvpc: every container reports the task's one namespace; count it once. */
            s->rx_bytes = ecs_merge(s->rx_bytes, (double)c->rx_bytes, t->awsvpc && !first);
            s->tx_bytes = ecs_merge(s->tx_bytes, (double)c->tx_bytes, t->awsvpc && !first);
        }
    }
    s->limit = t->limit_mib > 0 ? t->limit_mib * ECS_MIB : (all_limited ? limits : 0);
    s->reserved_mib = t->limit_mib > 0 ? t->limit_mib : reserved;
    s->cpu_reserved = t->cpu_vcpu > 0 ? t->cpu_vcpu * 1024.0 : cpu;
}
