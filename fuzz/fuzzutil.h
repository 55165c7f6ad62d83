/*
 * fuzzutil.h - what the libFuzzer targets in fuzz/ share: exact-size copies
 * of an input (so AddressSanitizer sees a read one byte past it), a private
 * scratch directory per process for the parsers that read files, and a
 * check that stops the run when a parser breaks its header's contract.
 *
 * Test code only: it prints and aborts, which library code never does.
 */
#ifndef TT_FUZZUTIL_H
#define TT_FUZZUTIL_H
#include <stddef.h>
#include <stdint.h>

/* Abort with a message naming the broken contract when COND is false: a
 * crash that libFuzzer records like any other. */
#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                         \
	} while (0)

/* Print FILE:LINE, the failed condition and the printf-style detail; abort. */
_Noreturn void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* DATA[0..SIZE) as a malloc'ed string of exactly SIZE + 1 bytes (a NUL
 * added; NULs inside are kept, so the string may look shorter). Aborts when
 * out of memory. free() it. */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* DATA[0..SIZE) in a malloc'ed buffer of exactly SIZE bytes (at least 1).
 * Aborts when out of memory. free() it. */
uint8_t *fuzz_copy(const uint8_t *data, size_t size);

/* This process's scratch directory: made on first use under $TMPDIR (else
 * /tmp), removed with its files at exit. Aborts when it cannot be made. */
const char *fuzz_dir(void);

/* "fuzz_dir()/NAME" in a static buffer (valid until the next call). */
const char *fuzz_path(const char *name);

/* Write DATA[0..SIZE) to PATH (created or truncated, mode 0600). Aborts on
 * failure: the target cannot test anything without its file. */
void fuzz_write_file(const char *path, const uint8_t *data, size_t size);

/* Remove every file in fuzz_dir() (it holds no subdirectories). */
void fuzz_clear_dir(void);

#endif
