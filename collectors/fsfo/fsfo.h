/* collectors.fsfo: which Data Guard database is primary, from the FSFO observer log. */
#ifndef HW_FSFO_H
#define HW_FSFO_H

#include "plugin.h"

extern const struct hw_collector hw_collector_fsfo;

#endif
