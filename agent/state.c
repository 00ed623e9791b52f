#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"

#define STATE_MAX_SIZE (64u << 20)

/* The canonical (sorted, compact) text of format + instances: what the checksum covers, and,
 * with "crc32" put in front (it sorts first), the file itself. */
static char *state_canonical(const json_t *format, const json_t *instances)
{
    json_t *doc = json_pack("{s:O, s:O}", "format", format, "instances", instances);
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    json_decref(doc);
    return text;
}

static unsigned long state_crc_text(const char *text)
{
    return crc32(crc32(0L, Z_NULL, 0), (const Bytef *)text, (uInt)strlen(text));
}

static int state_crc(const json_t *format, const json_t *instances, unsigned long *crc)
{
    char *text = state_canonical(format, instances);
    if (!text) {
        return -1;
    }
    *crc = state_crc_text(text);
    free(text);
    return 0;
}

json_t *hw_state_parse(const char *text, size_t len, const char **why)
{
    json_error_t err;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        *why = "not valid JSON (torn or truncated write?)";
        return NULL;
    }
    const json_t *format = json_object_get(root, "format");
    const json_t *inst = json_object_get(root, "instances");
    const json_t *crc = json_object_get(root, "crc32");
    unsigned long want;
    if (!json_is_string(format) || strcmp(json_string_value(format), HW_STATE_FORMAT) != 0) {
        *why = "unknown format (expected " HW_STATE_FORMAT ")";
    } else if (!json_is_object(inst) || !json_is_integer(crc)) {
        *why = "missing \"instances\" or \"crc32\"";
    } else if (state_crc(format, inst, &want) != 0) {
        *why = "out of memory";
    } else if ((json_int_t)want != json_integer_value(crc)) {
        *why = "checksum mismatch (edited or corrupted)";
    } else {
        json_incref((json_t *)inst);
        json_decref(root);
        *why = NULL;
        return (json_t *)inst;
    }
    json_decref(root);
    return NULL;
}

json_t *hw_state_load(const char *dir, const char **why, char *aside, size_t aside_len)
{
    char path[4096];
    *why = NULL;
    if (aside_len) {
        aside[0] = '\0';
    }
    snprintf(path, sizeof(path), "%s/%s", dir, HW_STATE_FILE);
    struct hw_buf b;
    hw_buf_init(&b);
    int rc = hw_buf_read_file(&b, path, STATE_MAX_SIZE);
    if (rc == -ENOENT) {
        hw_buf_free(&b);
        return NULL;
    }
    json_t *inst = NULL;
    if (rc != 0) {
        *why = rc == -EFBIG ? "larger than 64 MiB" : "unreadable";
    } else {
        inst = hw_state_parse(b.data ? b.data : "", b.len, why);
    }
    hw_buf_free(&b);
    if (!inst && *why && rc != -EACCES) {
        /* Keep the bad file for inspection and start clean rather than trip on it forever. */
        snprintf(aside, aside_len, "%s.corrupt-%lld", path, (long long)time(NULL));
        if (rename(path, aside) != 0 && aside_len) {
            aside[0] = '\0';
        }
    }
    return inst;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

int hw_state_save(const char *dir, const json_t *instances)
{
    json_t *format = json_string(HW_STATE_FORMAT);
    char *canon = format ? state_canonical(format, instances) : NULL;
    json_decref(format);
    if (!canon) {
        return -ENOMEM;
    }
    /* One serialisation serves both: the file is {"crc32":N, followed by the canonical text
     * without its opening brace (the keys stay sorted). */
    struct hw_buf file;
    hw_buf_init(&file);
    hw_buf_printf(&file, "{\"crc32\":%lu,", state_crc_text(canon));
    hw_buf_puts(&file, canon + 1);
    free(canon);
    if (file.oom) {
        hw_buf_free(&file);
        return -ENOMEM;
    }
    const char *text = file.data;
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, HW_STATE_FILE);
    snprintf(path, sizeof(path), "%s/%s", dir, HW_STATE_FILE);
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    rc = write_all(fd, text, file.len);
    if (rc == 0 && fsync(fd) != 0) {
        rc = -errno;
    }
    if (close(fd) != 0 && rc == 0) {
        rc = -errno;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -errno;
    }
    if (rc == 0) {
        rc = fsync_dir(dir);
    } else {
        unlink(tmp);
    }
out:
    hw_buf_free(&file);
    return rc;
}
