/* credential_process: a profile names a command that prints credentials as JSON. As in the
 * AWS CLI the command line is split like a POSIX shell would split it and run without a shell;
 * here it is also time-boxed and its output bounded, so a stuck or chatty helper cannot stall
 * or flood the sender. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aws_internal.h"
#include "buf.h"
#include "loop.h"

extern char **environ;

#define CREDPROC_STDERR_MAX 300 /* the start of stderr is kept for the error message */

/* One quoted or unquoted character of the shell grammar; returns the next input position or
 * NULL on an unterminated quote. *quote is the open quote character (0 outside quotes). */
static const char *split_char(const char *p, char *quote, char **o, const char *end)
{
    char ch = *p;
    if (*quote == '\'') {
        if (ch == '\'') {
            *quote = 0;
        } else if (*o < end) {
            *(*o)++ = ch;
        }
        return p + 1;
    }
    if (ch == '\\' && p[1] && (!*quote || p[1] == '"' || p[1] == '\\')) {
        if (*o < end) {
            *(*o)++ = p[1];
        }
        return p + 2;
    }
    if (*quote == '"' && ch == '"') {
        *quote = 0;
    } else if (!*quote && (ch == '"' || ch == '\'')) {
        *quote = ch;
    } else if (*o < end) {
        *(*o)++ = ch;
    }
    return p + 1;
}

int aws_split_command(const char *cmd, char *buf, size_t buflen, char **argv, size_t maxargs,
                      char *why, size_t wlen)
{
    char *o = buf;
    const char *end = buf + buflen - 1, *p = cmd;
    size_t argc = 0;
    while (*p) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            p++;
            continue;
        }
        if (argc + 1 >= maxargs) {
            snprintf(why, wlen, "more than %zu words", maxargs - 1);
            return -1;
        }
        argv[argc++] = o;
        char quote = 0;
        while (*p && (quote || !strchr(" \t\r\n", *p))) {
            p = split_char(p, &quote, &o, end);
        }
        if (quote) {
            snprintf(why, wlen, "unterminated %c quote", quote);
            return -1;
        }
        if (o >= end) {
            snprintf(why, wlen, "longer than %zu bytes", buflen - 1);
            return -1;
        }
        *o++ = '\0';
    }
    if (argc == 0) {
        snprintf(why, wlen, "empty command");
        return -1;
    }
    argv[argc] = NULL;
    return (int)argc;
}

/* Copies a required non-empty string member; says which one is wrong otherwise. */
static int take_string(const json_t *doc, const char *name, int required, char *dst, size_t len,
                       char *why, size_t wlen)
{
    const json_t *v = json_object_get(doc, name);
    if (!v && !required) {
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) == 0) {
        snprintf(why, wlen, "%s %s", name, v ? "is not a non-empty string" : "is missing");
        return -1;
    }
    if (json_string_length(v) >= len) {
        snprintf(why, wlen, "%s is longer than %zu bytes", name, len - 1);
        return -1;
    }
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

/* Checks Version (1) and Expiration (optional, ISO 8601, in the future). */
static int check_version_expiry(const json_t *doc, int64_t now_ms, struct aws_creds *out,
                                char *why, size_t wlen)
{
    const json_t *ver = json_object_get(doc, "Version");
    if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
        snprintf(why, wlen, "Version must be the number 1 (%s)",
                 !ver ? "it is missing" : json_is_integer(ver) ? "it is another number"
                                                              : "it is not a number");
        return -1;
    }
    const json_t *exp = json_object_get(doc, "Expiration");
    if (!exp) {
        return 0; /* credentials that do not expire */
    }
    if (!json_is_string(exp) || aws_parse_iso8601(json_string_value(exp), &out->expires_ms)) {
        snprintf(why, wlen, "Expiration is not an ISO 8601 UTC time such as "
                            "2026-05-26T12:34:56Z");
        return -1;
    }
    if (out->expires_ms <= now_ms) {
        snprintf(why, wlen, "the credentials expired at %.40s", json_string_value(exp));
        return -1;
    }
    return 0;
}

int aws_creds_parse_process(const char *text, size_t len, int64_t now_ms, struct aws_creds *out,
                            char *why, size_t wlen)
{
    json_error_t jerr;
    memset(out, 0, sizeof(*out));
    json_t *doc = json_loadb(text, len, 0, &jerr);
    if (!json_is_object(doc)) {
        snprintf(why, wlen, "its output is not a JSON object (%s at line %d)",
                 doc ? "another JSON value" : jerr.text, jerr.line);
        json_decref(doc);
        return -1;
    }
    int rc = check_version_expiry(doc, now_ms, out, why, wlen) == 0 &&
                     take_string(doc, "AccessKeyId", 1, out->access_key, sizeof(out->access_key),
                                 why, wlen) == 0 &&
                     take_string(doc, "SecretAccessKey", 1, out->secret_key,
                                 sizeof(out->secret_key), why, wlen) == 0 &&
                     take_string(doc, "SessionToken", 0, out->token, sizeof(out->token), why,
                                 wlen) == 0
                 ? 0
                 : -1;
    json_decref(doc);
    return rc;
}

static int64_t mono_ms(void)
{
    return hw_now_mono_ns() / 1000000;
}

/* Starts argv with stdin from /dev/null and stdout, stderr into pipes (fds[0], fds[1]). */
static int spawn_piped(char *const argv[], pid_t *pid, int fds[2], char *why, size_t wlen)
{
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        snprintf(why, wlen, "cannot create a pipe: %s", strerror(errno));
        for (int i = 0; i < 2; i++) {
            if (out[i] >= 0) {
                close(out[i]);
            }
        }
        return -1;
    }
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc == 0) {
        (void)posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        (void)posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        (void)posix_spawn_file_actions_adddup2(&fa, err[1], 2);
        rc = posix_spawnp(pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
    }
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
        snprintf(why, wlen, "cannot run %.200s: %s", argv[0], strerror(rc));
        close(out[0]);
        close(err[0]);
        return -1;
    }
    fds[0] = out[0];
    fds[1] = err[0];
    return 0;
}

/* Reads what is ready on one pipe into b, up to max bytes: 0 at the pipe's end, 1 more to
 * come, -1 past max unless cut (then the rest is read and thrown away). */
static int drain_pipe(int fd, struct hw_buf *b, size_t max, int cut)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return 1;
    }
    if (n <= 0) {
        return 0;
    }
    size_t take = (size_t)n > max - b->len ? max - b->len : (size_t)n;
    hw_buf_append(b, chunk, take);
    return take < (size_t)n && !cut ? -1 : 1;
}

/* Collects stdout and stderr until both end, the deadline passes or stdout grows too big. */
static int collect(int fds[2], int timeout_ms, struct hw_buf *out, struct hw_buf *err,
                   char *why, size_t wlen)
{
    int64_t deadline = mono_ms() + timeout_ms;
    int open_out = 1, open_err = 1;
    while (open_out || open_err) {
        int64_t left = deadline - mono_ms();
        struct pollfd p[2] = {{open_out ? fds[0] : -1, POLLIN, 0},
                              {open_err ? fds[1] : -1, POLLIN, 0}};
        if (left <= 0) {
            snprintf(why, wlen, "it did not finish within %d ms", timeout_ms);
            return -1;
        }
        if (poll(p, 2, (int)left) < 0 && errno != EINTR) {
            snprintf(why, wlen, "cannot wait for its output: %s", strerror(errno));
            return -1;
        }
        if (open_out && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            open_out = drain_pipe(fds[0], out, AWS_CREDPROC_MAX_OUTPUT, 0);
            if (open_out < 0) {
                snprintf(why, wlen, "it printed more than %d KiB", AWS_CREDPROC_MAX_OUTPUT / 1024);
                return -1;
            }
        }
        if (open_err && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            open_err = drain_pipe(fds[1], err, CREDPROC_STDERR_MAX, 1);
        }
    }
    return 0;
}

int aws_run_captured(char *const argv[], int timeout_ms, struct hw_buf *out, char *why,
                     size_t wlen)
{
    pid_t pid;
    int fds[2], status = 0;
    struct hw_buf err;
    if (spawn_piped(argv, &pid, fds, why, wlen) != 0) {
        return -1;
    }
    hw_buf_init(&err);
    int rc = collect(fds, timeout_ms, out, &err, why, wlen);
    if (rc != 0) {
        kill(pid, SIGKILL);
    }
    close(fds[0]);
    close(fds[1]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const char *e = err.data ? err.data : "";
    if (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127 && !*e) {
        /* posix_spawn may report a failed exec this way rather than by its return value */
        snprintf(why, wlen, "cannot run %.200s: not found or not executable", argv[0]);
        rc = -1;
    } else if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        snprintf(why, wlen, "it %s %d%s%.*s", WIFEXITED(status) ? "exited with status"
                                                                : "was killed by signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                 *e ? "; stderr: " : "", (int)strcspn(e, "\r\n"), e);
        rc = -1;
    }
    hw_buf_free(&err);
    return rc;
}

int aws_creds_from_process(struct aws_creds *c, char *why, size_t len)
{
    char cmd[4096], where[1100], words[4096], detail[600];
    char *argv[AWS_CREDPROC_MAX_ARGS + 1];
    const char *profile = aws_profile_name();
    memset(c, 0, sizeof(*c));
    if (!aws_profile_lookup("credential_process", cmd, sizeof(cmd), where, sizeof(where))) {
        snprintf(why, len, "process: no credential_process for profile %.64s", profile);
        return -1;
    }
    struct hw_buf out;
    hw_buf_init(&out);
    int rc = -1;
    if (aws_split_command(cmd, words, sizeof(words), argv, AWS_CREDPROC_MAX_ARGS + 1, detail,
                          sizeof(detail)) > 0 &&
        aws_run_captured(argv, AWS_CREDPROC_TIMEOUT_MS, &out, detail, sizeof(detail)) == 0 &&
        aws_creds_parse_process(out.data ? out.data : "", out.len, hw_now_wall_ms(), c, detail,
                                sizeof(detail)) == 0) {
        c->source = "process";
        snprintf(detail, sizeof(detail), "credential_process of profile %.64s", profile);
        aws_creds_set_identity(c, detail);
        rc = 0;
    } else {
        snprintf(why, len, "process: credential_process of profile %.64s in %.180s: %s", profile,
                 where, detail);
    }
    hw_buf_free(&out);
    return rc;
}
