#ifndef HW_VERSION_H
#define HW_VERSION_H

/* PACKAGE_VERSION comes from configure through the compiler's -D flags. */
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.0.0-dev"
#endif
#define HW_VERSION PACKAGE_VERSION

#endif
