/* `hostwatch --help-config --format json-schema`: the configuration file's JSON Schema (draft
 * 2020-12), generated from the option tables the config parser itself uses. */
#ifndef HW_SCHEMA_H
#define HW_SCHEMA_H

#include <jansson.h>
#include <stdio.h>

#define HW_SCHEMA_ID "https://hostwatch.invalid/hostwatch.schema.json"

/* The whole schema (new reference), keys in the tables' order; NULL when memory ran out. */
json_t *hw_schema_build(void);
/* Writes it to out, indented by 2, with a final newline; 0 or -1. */
int hw_schema_print(FILE *out);

#endif
