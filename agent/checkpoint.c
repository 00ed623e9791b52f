/* Saving and restoring every plugin's checkpoint through the state file. */
#include <errno.h>
#include <stdio.h>
#include <malloc.h>
#include <string.h>
#include <sys/stat.h>

#include "agent.h"
#include "log.h"
#include "state.h"

const char *hw_inst_key(const struct hw_inst_conf *ic, char *buf, size_t len)
{
    snprintf(buf, len, "%s:%s", ic->col ? ic->col->name : ic->exp->name, ic->name);
    return buf;
}

void hw_agent_restore_all(struct hw_agent *a)
{
    const char *why = NULL;
    char aside[4200];
    json_t *saved = hw_state_load(a->cfg->agent.state_dir, &why, aside, sizeof(aside));
    if (why) {
        hw_warn("agent", "state file not used; starting from start_at", "dir=%s reason=\"%s\"%s%s",
                a->cfg->agent.state_dir, why, aside[0] ? " kept_as=" : "", aside);
    }
    for (size_t i = 0; saved && i < a->ninsts; i++) {
        struct hw_inst *in = &a->insts[i];
        char key[300];
        const json_t *entry = json_object_get(saved, hw_inst_key(in->ic, key, sizeof(key)));
        const char *rwhy = "";
        int (*restore)(void *, const json_t *, const char **) =
            in->ic->col ? in->ic->col->restore : in->ic->exp->restore;
        if (!in->state || !restore || !entry) {
            continue;
        }
        if (restore(in->state, entry, &rwhy) != 0) {
            hw_warn("agent", "checkpoint not restored", "instance=%s reason=\"%s\"", key, rwhy);
        } else {
            hw_info("agent", "resumed from checkpoint", "instance=%s", key);
        }
    }
    json_decref(saved);
}

/* mkdir -p for the state directory, mode 0700. */
static int make_dirs(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(path, 0700) != 0 && errno != EEXIST) {
                return -errno;
            }
            *p = '/';
        }
    }
    return (mkdir(path, 0700) != 0 && errno != EEXIST) ? -errno : 0;
}

int hw_agent_checkpoint_all(struct hw_agent *a)
{
    json_t *all = json_object();
    int have = 0;
    /* Collectors and exporters in one document: the exporters' committed counter baselines
     * and the values the collectors resume from are saved at the same instant. */
    for (size_t i = 0; all && i < a->ninsts; i++) {
        struct hw_inst *in = &a->insts[i];
        char key[300];
        json_t *(*checkpoint)(void *) = in->ic->col ? in->ic->col->checkpoint
                                                    : in->ic->exp->checkpoint;
        if (!in->state || !checkpoint) {
            continue;
        }
        json_t *c = checkpoint(in->state);
        if (c) {
            json_object_set_new(all, hw_inst_key(in->ic, key, sizeof(key)), c);
            have = 1;
        }
    }
    int rc = !all ? -ENOMEM : 0;
    /* An idle agent's document does not change between checkpoints: comparing the trees is
     * much cheaper than dumping them twice and two fsyncs. */
    const int same = rc == 0 && a->ckpt_written && json_equal(all, a->ckpt_written);
    if (rc == 0 && have && !same) {
        rc = make_dirs(a->cfg->agent.state_dir);
        rc = rc == 0 ? hw_state_save(a->cfg->agent.state_dir, all) : rc;
        json_decref(a->ckpt_written);
        a->ckpt_written = rc == 0 ? json_incref(all) : NULL;
    }
    json_decref(all);
#ifdef M_TRIM_THRESHOLD
    /* Checkpoints come every few seconds after the bursts of small, short-lived allocations
     * that reading and matching leave scattered through the heap: hand their free pages back
     * (glibc releases free pages anywhere in the heap, not only at its top). */
    (void)malloc_trim(0);
#endif
    if (rc != 0 && !a->ckpt_failing) {
        hw_error("agent", "cannot write the state file", "dir=%s error=\"%s\"",
                 a->cfg->agent.state_dir, strerror(-rc));
    } else if (rc == 0 && a->ckpt_failing) {
        hw_info("agent", "state file written again", "dir=%s", a->cfg->agent.state_dir);
    }
    a->ckpt_failing = rc != 0;
    return rc;
}
