/*
 * test_curlloop.c - libcurl's multi interface on trendtrapd's loop: file://
 * transfers (timer-driven), HTTP over a local socket served by the same loop
 * (socket-driven), several curlloops on one loop, refused connections and
 * timeouts reported once, and transfers abandoned by curlloop_remove() or
 * curlloop_free() (even from inside a done function) never reported.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "curlloop.h"
#include "loop.h"

#define DEADLINE_MS 5000

/* One transfer and what became of it. */
struct job {
	CURL *easy;
	size_t bytes; /* received */
	int calls;    /* done calls */
	int code;     /* the last one's CURLcode */
	struct run *run;
	bool free_in_done; /* call curlloop_free() from the done function */
};

struct run {
	struct loop *loop;
	struct curlloop *c;
	int pending; /* done calls still expected */
	struct loop_timer deadline;
	bool timed_out;
};

static size_t on_write(char *data, size_t size, size_t n, void *arg)
{
	struct job *j = arg;

	(void)data;
	j->bytes += size * n;
	return size * n;
}

static void on_done(void *arg, void *easy, int code)
{
	struct job *j = arg;

	assert_ptr_equal(easy, j->easy);
	j->calls++;
	j->code = code;
	if (j->free_in_done) {
		curlloop_free(j->run->c);
		j->run->c = NULL;
	}
	if (--j->run->pending <= 0)
		loop_stop(j->run->loop);
}

static void on_deadline(struct loop *l, void *arg)
{
	struct run *r = arg;

	r->timed_out = true;
	loop_stop(l);
}

/* Run R's loop until its expected done calls came or MS passed. */
static void run_for(struct run *r, int64_t ms)
{
	r->timed_out = false;
	loop_timer_set(r->loop, &r->deadline, loop_now() + ms, on_deadline, r);
	assert_int_equal(loop_run(r->loop), 0);
	loop_timer_clear(r->loop, &r->deadline);
}

static void job_start(struct run *r, struct curlloop *c, struct job *j, const char *url,
                      long timeout_ms)
{
	memset(j, 0, sizeof(*j));
	j->run = r;
	j->easy = curl_easy_init();
	assert_non_null(j->easy);
	curl_easy_setopt(j->easy, CURLOPT_URL, url);
	curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(j->easy, CURLOPT_FORBID_REUSE, 1L);
	if (timeout_ms > 0)
		curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	assert_int_equal(curlloop_add(c, j->easy, on_done, j), 0);
	r->pending++;
}

static void run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->loop = loop_new();
	assert_non_null(r->loop);
	r->c = curlloop_new(r->loop);
	assert_non_null(r->c);
}

static void run_end(struct run *r)
{
	curlloop_free(r->c);
	loop_free(r->loop);
}

/* A file of LEN bytes; its file:// URL into URL. */
static void temp_file(size_t len, char *url, size_t urllen)
{
	char path[] = "/tmp/test_curlloop.XXXXXX";
	int fd = mkstemp(path);
	char *buf = malloc(len);

	assert_true(fd >= 0 && buf != NULL);
	memset(buf, 'x', len);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
	snprintf(url, urllen, "file://%s", path);
}

/* ---- a tiny HTTP server on the same loop -------------------------------- */

/* A listening socket on 127.0.0.1; its port into *PORT. */
static int listen_local(unsigned *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

#define BODY_LEN 100000

static void on_client(struct loop *l, int fd, unsigned events, void *arg)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)events;
	(void)arg;
	if (n > 0 && memmem(buf, (size_t)n, "\r\n\r\n", 4) != NULL) {
		static char body[BODY_LEN];
		char head[128];
		int flags = fcntl(fd, F_GETFL);

		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK); /* simple: write it all at once */
		memset(body, 'b', sizeof(body));
		snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n",
		         BODY_LEN);
		assert_true(write(fd, head, strlen(head)) > 0);
		assert_int_equal(write(fd, body, sizeof(body)), (ssize_t)sizeof(body));
	}
	if (n > 0)
		return;
	loop_unwatch(l, fd);
	close(fd);
}

static void on_accept(struct loop *l, int fd, unsigned events, void *arg)
{
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	(void)events;
	(void)arg;
	if (c >= 0)
		loop_watch(l, c, LOOP_READ, on_client, NULL);
}

/* ---- tests ------------------------------------------------------------------- */

static void file_transfer_completes_once(void **state)
{
	struct run r;
	struct job j;
	char url[128];

	(void)state;
	run_init(&r);
	temp_file(12345, url, sizeof(url));
	job_start(&r, r.c, &j, url, 0);
	run_for(&r, DEADLINE_MS);
	assert_false(r.timed_out);
	assert_int_equal(j.calls, 1);
	assert_int_equal(j.code, CURLE_OK);
	assert_int_equal(j.bytes, 12345);
	unlink(url + 7);
	curl_easy_cleanup(j.easy);
	run_end(&r);
}

static void http_over_a_local_socket(void **state)
{
	struct run r;
	struct job j[3];
	struct curlloop *other;
	char url[64];
	unsigned port;
	int lfd;

	(void)state;
	run_init(&r);
	other = curlloop_new(r.loop); /* a second curlloop on the same loop */
	assert_non_null(other);
	lfd = listen_local(&port);
	loop_watch(r.loop, lfd, LOOP_READ, on_accept, NULL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", port);
	job_start(&r, r.c, &j[0], url, 0);
	job_start(&r, r.c, &j[1], url, 0);
	job_start(&r, other, &j[2], url, 0);
	run_for(&r, DEADLINE_MS);
	assert_false(r.timed_out);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(j[i].calls, 1);
		assert_int_equal(j[i].code, CURLE_OK);
		assert_int_equal(j[i].bytes, BODY_LEN);
		curl_easy_cleanup(j[i].easy);
	}
	curlloop_free(other);
	loop_unwatch(r.loop, lfd);
	close(lfd);
	run_end(&r);
}

static void refused_connection_is_reported(void **state)
{
	struct run r;
	struct job j;
	char url[64];
	unsigned port;

	(void)state;
	run_init(&r);
	close(listen_local(&port)); /* nothing listens there now */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	job_start(&r, r.c, &j, url, 0);
	run_for(&r, DEADLINE_MS);
	assert_false(r.timed_out);
	assert_int_equal(j.calls, 1);
	assert_int_equal(j.code, CURLE_COULDNT_CONNECT);
	curl_easy_cleanup(j.easy);
	run_end(&r);
}

/* A server that never answers: the kernel completes the handshake into the
 * backlog of a socket nobody accepts from. */
static void timeout_is_reported(void **state)
{
	struct run r;
	struct job j;
	char url[64];
	unsigned port;
	int lfd = listen_local(&port);
	int64_t t0;

	(void)state;
	run_init(&r);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	t0 = loop_now();
	job_start(&r, r.c, &j, url, 300);
	run_for(&r, DEADLINE_MS);
	assert_false(r.timed_out);
	assert_int_equal(j.calls, 1);
	assert_int_equal(j.code, CURLE_OPERATION_TIMEDOUT);
	assert_true(loop_now() - t0 >= 290 && loop_now() - t0 < 2000);
	curl_easy_cleanup(j.easy);
	close(lfd);
	run_end(&r);
}

static void removed_transfer_is_never_reported(void **state)
{
	struct run r;
	struct job j;
	char url[64];
	unsigned port;
	int lfd = listen_local(&port);

	(void)state;
	run_init(&r);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	job_start(&r, r.c, &j, url, 200);
	run_for(&r, 100); /* connected, waiting for an answer */
	assert_true(r.timed_out);
	curlloop_remove(r.c, j.easy);
	curlloop_remove(r.c, j.easy); /* unknown now: ignored */
	run_for(&r, 400);             /* past its own timeout */
	assert_true(r.timed_out);
	assert_int_equal(j.calls, 0);
	/* the handle can be added again */
	curl_easy_setopt(j.easy, CURLOPT_TIMEOUT_MS, 100L);
	assert_int_equal(curlloop_add(r.c, j.easy, on_done, &j), 0);
	r.pending = 1;
	run_for(&r, DEADLINE_MS);
	assert_int_equal(j.calls, 1);
	assert_int_equal(j.code, CURLE_OPERATION_TIMEDOUT);
	curl_easy_cleanup(j.easy);
	close(lfd);
	run_end(&r);
}

static void free_inside_done_abandons_the_rest(void **state)
{
	struct run r;
	struct job quick, slow;
	char file[128], url[64];
	unsigned port;
	int lfd = listen_local(&port);

	(void)state;
	run_init(&r);
	temp_file(10, file, sizeof(file));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	job_start(&r, r.c, &slow, url, 1500);
	job_start(&r, r.c, &quick, file, 0);
	quick.free_in_done = true;
	run_for(&r, 1000);
	assert_int_equal(quick.calls, 1);
	assert_null(r.c);
	run_for(&r, 1000); /* the slow one's timeout passes: nothing happens */
	assert_true(r.timed_out);
	assert_int_equal(slow.calls, 0);
	curl_easy_cleanup(quick.easy);
	curl_easy_cleanup(slow.easy);
	unlink(file + 7);
	close(lfd);
	loop_free(r.loop);
}

static void free_abandons_transfers_in_progress(void **state)
{
	struct run r;
	struct job j;
	char url[64];
	unsigned port;
	int lfd = listen_local(&port);

	(void)state;
	run_init(&r);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	job_start(&r, r.c, &j, url, 200);
	run_for(&r, 50);
	curlloop_free(r.c);
	r.c = NULL;
	run_for(&r, 400);
	assert_int_equal(j.calls, 0);
	curl_easy_cleanup(j.easy);
	close(lfd);
	loop_free(r.loop);
}

static void add_refuses_a_handle_already_added(void **state)
{
	struct run r;
	struct job j;
	char url[128];

	(void)state;
	run_init(&r);
	temp_file(1, url, sizeof(url));
	job_start(&r, r.c, &j, url, 0);
	assert_int_equal(curlloop_add(r.c, j.easy, on_done, &j), -1);
	run_for(&r, DEADLINE_MS);
	assert_int_equal(j.calls, 1);
	unlink(url + 7);
	curl_easy_cleanup(j.easy);
	run_end(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(file_transfer_completes_once),
	        cmocka_unit_test(http_over_a_local_socket),
	        cmocka_unit_test(refused_connection_is_reported),
	        cmocka_unit_test(timeout_is_reported),
	        cmocka_unit_test(removed_transfer_is_never_reported),
	        cmocka_unit_test(free_inside_done_abandons_the_rest),
	        cmocka_unit_test(free_abandons_transfers_in_progress),
	        cmocka_unit_test(add_refuses_a_handle_already_added),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
