/* The agent's own log: one key=value line per event on stderr (journald picks it up). */
#ifndef HW_LOG_H
#define HW_LOG_H

enum hw_log_level { HW_LOG_ERROR, HW_LOG_WARN, HW_LOG_INFO, HW_LOG_DEBUG };

void hw_log_set_level(enum hw_log_level lvl);
enum hw_log_level hw_log_get_level(void);
/* Parses "error|warn|info|debug"; -1 when unknown. */
int hw_log_level_parse(const char *s);
/* Writes `level=L comp=C msg="MSG"` followed by the formatted key=value pairs in kvfmt. */
void hw_log_write(enum hw_log_level lvl, const char *comp, const char *msg, const char *kvfmt, ...)
    __attribute__((format(printf, 4, 5)));

#define HW_LOG(lvl, comp, msg, ...)                                                                \
    do {                                                                                           \
        if ((lvl) <= hw_log_get_level())                                                           \
            hw_log_write((lvl), (comp), (msg), __VA_ARGS__);                                       \
    } while (0)
#define hw_error(comp, msg, ...) HW_LOG(HW_LOG_ERROR, comp, msg, __VA_ARGS__)
#define hw_warn(comp, msg, ...) HW_LOG(HW_LOG_WARN, comp, msg, __VA_ARGS__)
#define hw_info(comp, msg, ...) HW_LOG(HW_LOG_INFO, comp, msg, __VA_ARGS__)
#define hw_debug(comp, msg, ...) HW_LOG(HW_LOG_DEBUG, comp, msg, __VA_ARGS__)

#endif
