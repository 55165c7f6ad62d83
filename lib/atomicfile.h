/*
 * atomicfile.h - replace a small file so that readers, and a crash, see the
 * old content or the new, never a torn one.
 */
#ifndef TT_ATOMICFILE_H
#define TT_ATOMICFILE_H

#include <stdbool.h>
#include <stddef.h>

/* Replace PATH with DATA[0..LEN): a temp file beside it (O_EXCL, mode 0600)
 * renamed over PATH. With SYNC the temp file is fsync'ed before the rename
 * and the directory after it, so a power loss too leaves the old or the new
 * file; without, a killed process does. Returns 0 or -1 with ERR set. */
int atomicfile_write(const char *path, const void *data, size_t len, bool sync, char *err,
                     size_t errlen);

/* fsync the directory DIR, making a rename or a new file in it durable.
 * Returns 0 or -1 with ERR set. */
int atomicfile_sync_dir(const char *dir, char *err, size_t errlen);

#endif
