/* libFuzzer: an observer log read through the real tailer in reads of a random size (1 to 64
 * bytes, from the input's first byte), so lines and CR LF pairs straddle read blocks anywhere.
 * The FSFO state the tailed lines give must equal the state of the same bytes split on LF in
 * memory; the unterminated remainder is never delivered. Each input works in a file under
 * $TMPDIR (else /tmp), removed afterwards. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/fsfo/fsfo_parse.h"
#include "collectors/tail/logtail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tailed {
    struct fsfo_state st;
    uint64_t lines;
};

static void on_line(void *arg, const struct logtail_file_info *f, const char *line, size_t len)
{
    struct tailed *t = arg;
    (void)f;
    t->lines++;
    (void)fsfo_apply_line(&t->st, line, len, NULL);
}

/* The reference: the bytes split on LF in memory, the remainder after the last LF dropped
 * (max_line_size is above any input, so no line is skipped as over-long). */
static uint64_t split_lines(const uint8_t *d, size_t n, struct fsfo_state *st)
{
    uint64_t lines = 0;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] != '\n') {
            continue;
        }
        size_t len = i - start;
        if (len > 0 && d[i - 1] == '\r') {
            len--;
        }
        (void)fsfo_apply_line(st, (const char *)d + start, len, NULL);
        lines++;
        start = i + 1;
    }
    return lines;
}

static int same_state(const struct fsfo_state *a, const struct fsfo_state *b)
{
    return a->has_primary == b->has_primary && strcmp(a->primary, b->primary) == 0 &&
           a->failovers == b->failovers && a->switchovers == b->switchovers &&
           a->reinstatements == b->reinstatements && a->role_changes == b->role_changes &&
           a->observer_up == b->observer_up;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    const size_t block = 1 + data[0] % 64, max = (size_t)1 << 22;
    if (size > max) {
        return 0;
    }
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/hw-fuzz-fsfo-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        return 0;
    }
    const int wrote = write(fd, data + 1, size - 1) == (ssize_t)(size - 1);
    close(fd);
    struct tailed t = {.lines = 0};
    struct fsfo_state want;
    fsfo_state_init(&t.st);
    fsfo_state_init(&want);
    const char *paths[1] = {path};
    const struct logtail_opts lo = {.paths = paths, .npaths = 1, .start_at = LOGTAIL_START_BEGINNING,
                                    .max_line_size = max, .read_block = block};
    struct logtail *lt = wrote ? logtail_new(&lo, on_line, &t) : NULL;
    if (lt && logtail_read_all_once(lt) == 0) {
        const uint64_t lines = split_lines(data + 1, size - 1, &want);
        if (lines != t.lines || !same_state(&want, &t.st)) {
            __builtin_trap();
        }
    }
    logtail_free(lt);
    unlink(path);
    return 0;
}
