#include "r53_plan.h"

#include <stdio.h>
#include <string.h>

void r53_state_init(struct r53_state *s)
{
    memset(s, 0, sizeof(*s));
    s->desired = s->refused = -1;
    s->last_change_ms = INT64_MIN;
}

void r53_set_desired(struct r53_state *s, int desired)
{
    if (desired != s->desired) {
        s->desired = desired;
        s->refused = -1;
    }
}

int r53_in_place(const struct r53_state *s, const struct r53_record *r, int d)
{
    return s->current_known && s->current_present && d >= 0 && (size_t)d < r->nvalues &&
           s->current_ttl == r->conf->ttl && strcmp(s->current, r->values[d].canon) == 0;
}

static void sooner(int64_t *due, int64_t t)
{
    if (t < *due) {
        *due = t;
    }
}

enum r53_action r53_next(const struct r53_state *s, const struct r53_record *r, int64_t now,
                         int64_t min_interval_ms, int64_t *due)
{
    if (!s->listed) {
        if (now >= s->retry_at_ms) {
            return R53_ACT_LIST;
        }
        sooner(due, s->retry_at_ms);
        return R53_ACT_NONE;
    }
    if (s->desired >= 0 && s->desired != s->refused && !r53_in_place(s, r, s->desired)) {
        int64_t t = s->retry_at_ms;
        if (s->last_change_ms != INT64_MIN && s->last_change_ms + min_interval_ms > t) {
            t = s->last_change_ms + min_interval_ms;
        }
        if (now >= t) {
            return R53_ACT_UPSERT;
        }
        sooner(due, t);
    }
    if (s->change_id[0]) {
        if (now >= s->poll_at_ms) {
            return R53_ACT_POLL;
        }
        sooner(due, s->poll_at_ms);
    }
    return R53_ACT_NONE;
}

static void backoff(struct r53_state *s, int64_t now, int64_t delay_ms)
{
    s->attempt++;
    s->retry_at_ms = now + delay_ms;
}

void r53_on_list(struct r53_state *s, enum r53_result res, int present, const char *canon,
                 int64_t ttl, int64_t now, int64_t delay_ms)
{
    if (res == R53_RETRY) {
        backoff(s, now, delay_ms);
        return;
    }
    s->listed = 1;
    s->attempt = 0;
    s->retry_at_ms = 0;
    s->current_known = res == R53_OK;
    s->current_present = res == R53_OK && present;
    snprintf(s->current, sizeof(s->current), "%s", s->current_present && canon ? canon : "");
    s->current_ttl = s->current_present ? ttl : 0;
}

void r53_on_upsert(struct r53_state *s, const struct r53_record *r, int d, enum r53_result res,
                   const char *change_id, int64_t now, int64_t delay_ms)
{
    if (res == R53_RETRY) {
        backoff(s, now, delay_ms);
        return;
    }
    s->attempt = 0;
    s->retry_at_ms = 0;
    if (res == R53_REFUSED) {
        s->refused = d;
        return;
    }
    s->current_known = s->current_present = 1;
    snprintf(s->current, sizeof(s->current), "%s", r->values[d].canon);
    s->current_ttl = r->conf->ttl;
    s->last_change_ms = now;
    snprintf(s->change_id, sizeof(s->change_id), "%s", change_id ? change_id : "");
    s->change_at_ms = now;
    s->poll_at_ms = now + R53_POLL_FIRST_MS;
    s->polls = 0;
}

int64_t r53_on_poll(struct r53_state *s, enum r53_result res, int insync, int64_t now)
{
    if (res == R53_OK && insync) {
        s->change_id[0] = '\0';
        return now - s->change_at_ms;
    }
    if (res == R53_REFUSED || now - s->change_at_ms >= R53_POLL_GIVE_UP_MS) {
        s->change_id[0] = '\0'; /* NoSuchChange, or never INSYNC: stop asking */
        return -1;
    }
    s->polls++;
    int64_t wait = (int64_t)R53_POLL_FIRST_MS << (s->polls > 5 ? 5 : s->polls);
    s->poll_at_ms = now + (wait > R53_POLL_MAX_MS ? R53_POLL_MAX_MS : wait);
    return -1;
}
