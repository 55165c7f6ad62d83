/*
 * errbuf.c - one-line errors into a caller's buffer.
 *
 * Messages quote what the user wrote ("unexpected '...' after '10'"), and
 * that may hold a newline or another control character: each is written as
 * '?', so that a message stays one line whatever it quotes.
 */
#include "errbuf.h"

#include <stdarg.h>
#include <stdio.h>

int errbuf_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		for (char *p = err; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	}
	return -1;
}
