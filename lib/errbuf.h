/*
 * errbuf.h - how lib/ reports an error: one line, written once, into a
 * buffer the caller owns (NULL or empty is allowed); the caller decides
 * whether and where to print it.
 */
#ifndef TT_ERRBUF_H
#define TT_ERRBUF_H

#include <stddef.h>

/* Write the printf-style message into ERR (cut to ERRLEN; control characters,
 * such as a newline in quoted input, written as '?') and return -1, so that
 * `return errbuf_fail(err, errlen, "...", ...);` reports and fails. */
int errbuf_fail(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#endif
