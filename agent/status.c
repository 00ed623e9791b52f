#include "status.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct hw_status {
    pthread_mutex_t lock;
    char *text;
    size_t len;
};

struct hw_status *hw_status_new(void)
{
    struct hw_status *s = calloc(1, sizeof(*s));
    if (s && pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

void hw_status_free(struct hw_status *s)
{
    if (s) {
        pthread_mutex_destroy(&s->lock);
        free(s->text);
        free(s);
    }
}

void hw_status_put(struct hw_status *s, char *text, size_t len)
{
    if (!s || !text) {
        free(text);
        return;
    }
    pthread_mutex_lock(&s->lock);
    free(s->text);
    s->text = text;
    s->len = len;
    pthread_mutex_unlock(&s->lock);
}

char *hw_status_get(struct hw_status *s, size_t *len)
{
    char *copy = NULL;
    *len = 0;
    if (!s) {
        return NULL;
    }
    pthread_mutex_lock(&s->lock);
    if (s->text && (copy = malloc(s->len + 1))) {
        memcpy(copy, s->text, s->len + 1);
        *len = s->len;
    }
    pthread_mutex_unlock(&s->lock);
    return copy;
}

void hw_status_time(int64_t wall_ms, char *out, size_t len)
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    if (wall_ms <= 0 || !gmtime_r(&t, &tm)) {
        snprintf(out, len, "%s", "");
        return;
    }
    snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(wall_ms % 1000));
}
