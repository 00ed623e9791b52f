#include "procroot.h"

#include <stdio.h>
#include <string.h>

int procroot_join(char *out, size_t len, const char *root, const char *rel)
{
    size_t rl = strlen(root);
    while (rl > 0 && root[rl - 1] == '/') {
        rl--;
    }
    while (*rel == '/') {
        rel++;
    }
    int n = snprintf(out, len, "%.*s/%s", (int)rl, root, rel);
    return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

const char *procroot_strip(const char *path, const char *rootfs)
{
    size_t rl = strlen(rootfs);
    while (rl > 0 && rootfs[rl - 1] == '/') {
        rl--;
    }
    if (rl == 0 || strncmp(path, rootfs, rl) != 0) {
        return path;
    }
    if (path[rl] == '\0') {
        return "/";
    }
    return path[rl] == '/' ? path + rl : path;
}
