/* Messages of the importers: hw_diag lines, warnings marked as such. */
#include <stdarg.h>
#include <stdio.h>

#include "import.h"

void hw_import_init(struct hw_import *im, const char *file)
{
    hw_diag_init(&im->warn, file);
    hw_diag_init(&im->err, file);
}

void hw_import_free(struct hw_import *im)
{
    hw_diag_free(&im->warn);
    hw_diag_free(&im->err);
}

static void import_add(struct hw_diag *d, const char *path, const char *mark, const char *fmt,
                       va_list ap)
{
    char body[1024];
    vsnprintf(body, sizeof(body), fmt, ap);
    hw_diag_add(d, path, "%s%s", mark, body);
}

void hw_import_warn(struct hw_import *im, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    import_add(&im->warn, path, "warning: ", fmt, ap);
    va_end(ap);
}

void hw_import_error(struct hw_import *im, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    import_add(&im->err, path, "", fmt, ap);
    va_end(ap);
}
