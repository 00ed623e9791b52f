/* What the tailer knows of each file, for the status document: where it is, how far it has
 * read, how much is left, and when the file last grew. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "logtail_int.h"
#include "loop.h"
#include "status.h"

static const char *file_state(const struct logtail_file *f)
{
    if (f->ignored) {
        return "ignored (not a regular file)";
    }
    if (f->err) {
        return "unreadable";
    }
    if (f->fd < 0) {
        return f->restored ? "not found yet" : "closed";
    }
    return f->draining ? "draining (rotated away)" : "reading";
}

static json_t *file_json(const struct logtail_file *f, int64_t now_mono, int64_t now_wall)
{
    struct stat sb;
    uint64_t size = f->end;
    if (f->fd >= 0 && fstat(f->fd, &sb) == 0 && sb.st_size >= 0) {
        size = (uint64_t)sb.st_size;
    }
    json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "path", f->path, "state",
                          file_state(f), "dev", (json_int_t)f->dev, "inode", (json_int_t)f->ino,
                          "position", (json_int_t)f->off, "size", (json_int_t)size, "behind",
                          (json_int_t)(size > f->off ? size - f->off : 0), "lines",
                          (json_int_t)f->line_no);
    if (j && f->grow_ns > 0) {
        char t[40];
        hw_status_time(now_wall - (now_mono - f->grow_ns) / 1000000, t, sizeof(t));
        json_object_set_new(j, "last_line_at", json_string(t));
    }
    if (j && f->err) {
        json_object_set_new(j, "error", json_string(strerror(f->err)));
    }
    return j;
}

json_t *logtail_status(const struct logtail *lt, size_t max_files)
{
    json_t *files = json_array();
    size_t shown = 0;
    const int64_t now_mono = hw_now_mono_ns(), now_wall = hw_now_wall_ms();
    for (size_t i = 0; files && i < lt->nfiles; i++) {
        if (shown < max_files) {
            json_array_append_new(files, file_json(lt->files[i], now_mono, now_wall));
            shown++;
        }
    }
    return json_pack("{s:I, s:I, s:b, s:o}", "files_total", (json_int_t)lt->nfiles, "files_shown",
                     (json_int_t)shown, "files_truncated", shown < lt->nfiles, "files",
                     files ? files : json_array());
}

void logtail_lag(const struct logtail *lt, uint64_t *behind, int64_t *grew_ms)
{
    struct stat sb;
    int64_t last_ns = 0;
    *behind = 0;
    for (size_t i = 0; i < lt->nfiles; i++) {
        const struct logtail_file *f = lt->files[i];
        if (f->fd >= 0 && fstat(f->fd, &sb) == 0 && (uint64_t)sb.st_size > f->off) {
            *behind += (uint64_t)sb.st_size - f->off;
        }
        last_ns = f->grow_ns > last_ns ? f->grow_ns : last_ns;
    }
    *grew_ms = last_ns > 0 ? hw_now_wall_ms() - (hw_now_mono_ns() - last_ns) / 1000000 : 0;
}
