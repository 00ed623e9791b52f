/* Pure parser of /proc/meminfo text (no I/O) and the memory figures derived from it: the
 * node_exporter per-field names and the CloudWatch agent's used/available formulas. */
#ifndef HW_MEMINFO_H
#define HW_MEMINFO_H

#include <stddef.h>
#include <stdint.h>

/* Bounds: a kernel has about 60 fields, the longest name is under 20 characters. */
#define MEMINFO_MAX_FIELDS 128
#define MEMINFO_NAME_MAX 32

struct meminfo_field {
    char name[MEMINFO_NAME_MAX]; /* as in the file, e.g. "Active(anon)" */
    uint64_t value;              /* as in the file: kB when has_kb, else a count */
    int has_kb;                  /* the line ends in " kB" */
};

struct meminfo {
    struct meminfo_field fields[MEMINFO_MAX_FIELDS]; /* in file order, names unique */
    size_t nfields;
    size_t nskipped; /* malformed lines, duplicate names and lines beyond the cap */
    /* Quick access in bytes (0 when the field is absent). */
    double mem_total, mem_free, mem_available, buffers, cached, sreclaimable, shmem;
    double active, inactive, swap_total, swap_free;
    int has_mem_total;
    int has_mem_available; /* absent before Linux 3.14 (and on RHEL 6 before 6.6) */
};

/* How "used" is computed on the host (collectors.memory.used). */
enum meminfo_used_mode {
    MEMINFO_USED_AVAILABLE = 0, /* MemTotal - MemAvailable (SPEC default) */
    MEMINFO_USED_CWAGENT = 1,   /* MemTotal - MemFree - Buffers - Cached - SReclaimable */
};

/* The CloudWatch-agent figures, in bytes and percent. */
struct meminfo_usage {
    double total, used, available, free;
    double used_percent, available_percent;
};

/* Parses text[0..len) (need not be NUL-terminated) into out. Malformed lines are skipped and
 * counted in out->nskipped. Returns the number of fields kept, or -1 when text or out is NULL. */
int meminfo_parse(const char *text, size_t len, struct meminfo *out);

/* The field's value in bytes: kB x 1024 saturated at 2^64-1, or the bare count. */
double meminfo_field_bytes(const struct meminfo_field *f);

/* The field named name, or NULL. */
const struct meminfo_field *meminfo_find(const struct meminfo *mi, const char *name);

/* 1 when name is a non-empty field name of [A-Za-z0-9_()] shorter than MEMINFO_NAME_MAX. */
int meminfo_name_valid(const char *name);

/* node_exporter's name: "Active(anon)" kB -> "node_memory_Active_anon_bytes",
 * "HugePages_Total" (no unit) -> "node_memory_HugePages_Total". 0, or -1 when the name is
 * invalid or out is too small. */
int meminfo_metric_name(const char *field, int has_kb, char *out, size_t len);

/* The HELP text node_exporter gives that field: "Memory information field Active_anon_bytes."
 * 0, or -1 when the name is invalid or out is too small. */
int meminfo_metric_help(const char *field, int has_kb, char *out, size_t len);

/* Host figures: available = MemAvailable, or MemFree + Buffers + Cached where it is missing;
 * used per mode, floored at 0. Returns 0, or -1 when MemTotal is missing or zero. */
int meminfo_host_usage(const struct meminfo *mi, enum meminfo_used_mode mode,
                       struct meminfo_usage *out);

#endif
