/*
 * hold_lock - test helper: hold the write lock of a series for a while.
 *
 * Usage: hold_lock STATE_DIR KEY SECONDS
 * Prints "locked" once the lock is held, then sleeps, then exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "series.h"

int main(int argc, char **argv)
{
	struct series *s;
	char notice[512], err[512];

	if (argc != 4) {
		fputs("usage: hold_lock STATE_DIR KEY SECONDS\n", stderr);
		return 2;
	}
	if (series_open(argv[1], argv[2], SERIES_WRITE, &s, notice, sizeof(notice), err,
	                sizeof(err)) != 0) {
		fprintf(stderr, "hold_lock: %s\n", err);
		return 1;
	}
	puts("locked");
	fflush(stdout);
	sleep((unsigned)atoi(argv[3]));
	series_close(s);
	return 0;
}
