#include "hashpw.h"

#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "plugin.h"

/* The exporter whose authentication takes password hashes (the Prometheus endpoint's). */
static const struct hw_exporter *hashing_exporter(void)
{
    for (size_t i = 0; hw_exporters[i]; i++) {
        if (hw_exporters[i]->hash_password) {
            return hw_exporters[i];
        }
    }
    return NULL;
}

/* One line from in; on a terminal the echo is off while it is typed. 0 or -1. */
static int read_password(FILE *in, char *buf, size_t len)
{
    int fd = fileno(in);
    struct termios saved, quiet;
    int tty = isatty(fd) && tcgetattr(fd, &saved) == 0;
    if (tty) {
        fputs("Password: ", stderr);
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        (void)tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    char *got = fgets(buf, (int)len, in);
    if (tty) {
        (void)tcsetattr(fd, TCSAFLUSH, &saved);
        fputc('\n', stderr);
    }
    if (!got) {
        return -1;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

int hw_hash_password_run(const char *method, FILE *in, FILE *out)
{
    char pw[512], hash[256];
    const char *why = "";
    if (read_password(in, pw, sizeof(pw)) != 0 || pw[0] == '\0') {
        fprintf(stderr, "hostwatch: hash-password: no password on standard input\n");
        return 2;
    }
    const struct hw_exporter *e = hashing_exporter();
    int rc = e ? e->hash_password(pw, method, hash, sizeof(hash), &why)
               : (why = "no exporter takes password hashes", -1);
    explicit_bzero(pw, sizeof(pw));
    if (rc != 0) {
        fprintf(stderr, "hostwatch: hash-password: %s\n", why);
        return 2;
    }
    fprintf(out, "%s\n", hash);
    return 0;
}
