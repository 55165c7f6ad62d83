/*
 * curlloop.h - libcurl's multi interface driven by trendtrapd's event loop
 * (loop.h), for the channels that speak through libcurl (mail, sms).
 *
 * A curlloop owns one curl multi handle.  libcurl tells it which sockets to
 * watch and when to wake up; it turns that into loop_watch() calls and one
 * loop timer, hands readiness and timeouts back to libcurl, and calls the
 * caller's function when a transfer ends.  The caller owns each easy handle
 * (CURL *, passed as void * so this header needs no curl.h): it sets every
 * option before curlloop_add() and cleans the handle up itself, after the
 * done function ran or after curlloop_remove().  Several curlloops may share
 * one loop (each channel has its own).  One thread.
 */
#ifndef TT_CURLLOOP_H
#define TT_CURLLOOP_H

#include "loop.h"

#define CURLLOOP_MAX_HOST_CONNECTIONS 4 /* open at once per server, and kept idle in all */

struct curlloop;

/* A transfer ended: EASY (a CURL *) is no longer in the multi handle and may
 * be cleaned up or added again; CURLCODE is its CURLcode (0 = CURLE_OK).
 * It may call anything here, curlloop_free() included. */
typedef void curlloop_done_fn(void *arg, void *easy /* CURL * */, int curlcode /* CURLcode */);

/* A new curlloop on L (which must outlive it), or NULL when libcurl could
 * not be initialised or memory ran out.  libcurl's global initialisation is
 * reference-counted by libcurl: the first curlloop does it, the last
 * curlloop_free() undoes it. */
struct curlloop *curlloop_new(struct loop *l);

/* Start the transfer EASY; FN(ARG, EASY, CURLcode) is called exactly once
 * when it ends, never before curlloop_add() returns.  Returns 0, or -1 when
 * libcurl refused the handle (e.g. it is already in a multi handle) or
 * memory ran out: then FN is never called. */
int curlloop_add(struct curlloop *c, void *easy, curlloop_done_fn *fn, void *arg);

/* Abandon the transfer EASY (its connection is closed or kept for reuse, as
 * libcurl decides): FN is not called.  Unknown handles are ignored. */
void curlloop_remove(struct curlloop *c, void *easy);

/* Abandon every transfer (no done calls), stop watching libcurl's sockets and
 * free C.  Safe from inside a done function.  NULL is fine. */
void curlloop_free(struct curlloop *c);

#endif
