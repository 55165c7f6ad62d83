/*
 * config.c - trendtrapd's configuration: the libconfuse schema, the checks of
 * every value and relation, the secret files; every error as "FILE:LINE: msg".
 *
 * The only file that includes <confuse.h>.  Loading has three steps:
 *
 * 1. Read the file and blank out its comments (newlines kept).  libconfuse
 *    3.3 counts each comment line three times, which makes every later line
 *    number wrong, and refuses a comment inside a list (its issue #150); with
 *    the comments gone its line numbers are exact.  This pass also reports a
 *    '*' or a lone '+' outside quotes, which libconfuse's lexer silently drops
 *    ("disk*" unquoted would become "disk").
 * 2. Parse.  Every option is a string (or a list of strings) whose value goes
 *    through record_value(), which notes the line it is on; every section has
 *    a hidden list option, OPEN_HOOK, whose default libconfuse parses when it
 *    creates the section, so record_open() learns the line a section opens on
 *    (libconfuse 3.3 keeps neither).  A syntax error stops libconfuse here.
 * 3. Check every value and build struct config.  Values are converted here,
 *    not by libconfuse, so that all of these errors are reported, not the
 *    first.
 *
 * libconfuse's callbacks carry no user pointer: the loader in progress is
 * reached through `loading`, a thread-local set only while config_load() runs
 * (libconfuse's lexer is global anyway, so loading is one thread at a time).
 */
#include "config.h"

#include <confuse.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "units.h"

#define CONFIG_MAX_BYTES (1024 * 1024) /* a larger file is refused */
#define SECRET_MAX       1024          /* the first line of a secret file, at most */
#define COUNT_MAX        1000000       /* sustain_count, recover_count */
#define MAX_LINE_MIN     256           /* socket max_line bounds */
#define MAX_LINE_MAX     (1024 * 1024)
#define DEFAULT_INTERVAL 300.0
#define DEFAULT_TIMEOUT  30.0
#define DEFAULT_MAX_AGE  86400.0
#define OPEN_HOOK_NAME   "(section opens)" /* cannot be written unquoted */
#define TYPE_BIT(t)      (1u << (t))
#define UNTERMINATED     SIZE_MAX /* a string or comment runs to the end of the file */

/* Mail and sms channels. */
#define DEFAULT_CONNECT_TIMEOUT 10.0 /* connect_timeout */
#define DEFAULT_SEND_TIMEOUT    60.0 /* timeout: a whole message */
#define DEFAULT_JSON_BODY       "{\"to\":\"{to}\",\"text\":\"{text}\"}"
#define DEFAULT_FORM_BODY       "to={to}&text={text}"
#define RATE_COUNT_MAX          100000 /* rate_limit's COUNT */
#define GROUP_WAIT_MAX          3600.0 /* group_wait, seconds */
#define SEGMENTS_MAX            10     /* sms max_segments */

/* Where a value was written. */
struct value_line {
	const cfg_t *sec; /* its section; NULL once that section is gone */
	const char *opt;  /* libconfuse's copy of the option name, alive with sec */
	unsigned idx;     /* index in a list, 0 for a single value */
	int line;
};

/* Where a section opened. SEC may dangle after a duplicate replaced it: it
 * is only compared, never followed. */
struct section_line {
	const cfg_t *sec;
	char *name;
	char *title; /* NULL for an untitled section */
	int line;
};

struct loader {
	const char *path;
	struct config_errors *errs;
	size_t first_err; /* errs->count when this load began */
	struct value_line *vals;
	size_t nvals, capvals;
	struct section_line *secs;
	size_t nsecs, capsecs;
	bool oom;
};

static _Thread_local struct loader *loading;

static const struct rules_policy policy_builtin = {
        .sustain_count = 3,
        .sustain_for = 0,
        .window_m = 0,
        .window_n = 0,
        .recover_count = 2,
        .renotify = 4 * 3600,
        .flap_low = 20,
        .flap_high = 30,
        .stale_after = 0,
};

/* ---- errors ---------------------------------------------------------- */

static bool grow(struct loader *L, void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return true;
	ncap = *cap ? 2 * *cap : 16;
	p = realloc(*v, ncap * size);
	if (p == NULL) {
		L->oom = true;
		return false;
	}
	*v = p;
	*cap = ncap;
	return true;
}

/* Add "PATH:LINE: message" to the errors, kept sorted by line (stable).  The
 * message is one line: control characters in what it quotes (libconfuse
 * quotes whole tokens, newlines included) are written as '?'. */
static void __attribute__((format(printf, 3, 4)))
bad(struct loader *L, int line, const char *fmt, ...)
{
	struct config_errors *e = L->errs;
	char msg[768], *text;
	struct config_error *v;
	size_t pos;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (line > 0)
		n = asprintf(&text, "%s:%d: %s", L->path, line, msg);
	else
		n = asprintf(&text, "%s: %s", L->path, msg);
	v = n < 0 ? NULL : realloc(e->v, (e->count + 1) * sizeof *e->v);
	if (v == NULL) {
		if (n >= 0)
			free(text);
		L->oom = true;
		return;
	}
	e->v = v;
	for (pos = e->count; pos > L->first_err && v[pos - 1].line > line; pos--)
		v[pos] = v[pos - 1];
	v[pos].line = line;
	v[pos].text = text;
	e->count++;
}

static bool failed(const struct loader *L)
{
	return L->oom || L->errs->count > L->first_err;
}

/* ---- libconfuse callbacks: lines of values and sections ---------------- */

static void on_confuse_error(cfg_t *sec, const char *fmt, va_list ap)
{
	char msg[512];

	if (loading == NULL)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	bad(loading, sec ? sec->line : 0, "%s", msg);
}

static const struct value_line *find_value(const struct loader *L, const cfg_t *sec,
                                           const char *name, unsigned idx)
{
	size_t i;

	if (sec == NULL)
		return NULL;
	for (i = L->nvals; i-- > 0;) {
		const struct value_line *v = &L->vals[i];

		if (v->sec == sec && v->idx == idx && strcmp(v->opt, name) == 0)
			return v;
	}
	return NULL;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* The parse callback of every option: note the value's line; complain about
 * an option given twice in a section and about control characters. */
static int record_value(cfg_t *sec, cfg_opt_t *opt, const char *value, void *result)
{
	struct loader *L = loading;
	unsigned idx = opt->nvalues > 0 ? opt->nvalues - 1 : 0;
	const struct value_line *prev;

	*(const char **)result = value;
	if (L == NULL || !grow(L, (void **)&L->vals, &L->capvals, L->nvals, sizeof *L->vals))
		return 0;
	prev = idx == 0 ? find_value(L, sec, opt->name, 0) : NULL;
	if (prev != NULL)
		bad(L, sec->line, "%s given twice (first at line %d)", opt->name, prev->line);
	if (has_control(value))
		bad(L, sec->line, "%s: control characters are not allowed", opt->name);
	L->vals[L->nvals++] = (struct value_line){sec, opt->name, idx, sec->line};
	return 0;
}

/* Sections of which there may be only one. */
static bool section_once(const char *name)
{
	return strcmp(name, "socket") == 0 || strcmp(name, "defaults") == 0;
}

static void check_duplicate_section(struct loader *L, const cfg_t *sec)
{
	const char *title = cfg_title((cfg_t *)sec);
	size_t i;

	for (i = 0; i < L->nsecs; i++) {
		const struct section_line *s = &L->secs[i];

		if (strcmp(s->name, sec->name) != 0)
			continue;
		if (title != NULL && s->title != NULL && strcmp(title, s->title) == 0) {
			bad(L, sec->line, "duplicate %s \"%s\" (first at line %d)", sec->name,
			    title, s->line);
			return;
		}
		if (title == NULL && section_once(sec->name)) {
			bad(L, sec->line, "%s given twice (first at line %d)", sec->name, s->line);
			return;
		}
	}
}

/* The parse callback of OPEN_HOOK: libconfuse has just created SEC, on the
 * line where it opens.  Values noted for an older section at the same address
 * (one a duplicate replaced) are forgotten. */
static int record_open(cfg_t *sec, cfg_opt_t *opt, const char *value, void *result)
{
	struct loader *L = loading;
	const char *title = cfg_title(sec);
	struct section_line *s;
	size_t i;

	(void)opt;
	*(const char **)result = value;
	if (L == NULL || !grow(L, (void **)&L->secs, &L->capsecs, L->nsecs, sizeof *L->secs))
		return 0;
	for (i = 0; i < L->nvals; i++)
		if (L->vals[i].sec == sec)
			L->vals[i].sec = NULL;
	check_duplicate_section(L, sec);
	s = &L->secs[L->nsecs];
	s->sec = sec;
	s->line = sec->line;
	s->name = strdup(sec->name);
	s->title = title ? strdup(title) : NULL;
	if (s->name == NULL || (title != NULL && s->title == NULL)) {
		free(s->name);
		free(s->title);
		L->oom = true;
		return 0;
	}
	L->nsecs++;
	return 0;
}

/* The line SEC opens on (for the root: 0, the whole file). */
static int section_line(const struct loader *L, const cfg_t *sec)
{
	size_t i;

	for (i = L->nsecs; i-- > 0;)
		if (L->secs[i].sec == sec)
			return L->secs[i].line;
	return 0;
}

/* The line of value IDX of option NAME, or of its section when not set. */
static int value_line(const struct loader *L, const cfg_t *sec, const char *name, unsigned idx)
{
	const struct value_line *v = find_value(L, sec, name, idx);

	return v ? v->line : section_line(L, sec);
}

static int opt_line(const struct loader *L, const cfg_t *sec, const char *name)
{
	return value_line(L, sec, name, 0);
}

/* ---- the schema --------------------------------------------------------- */

#define OPT(name)  CFG_STR_CB(name, NULL, CFGF_NODEFAULT, record_value)
#define LIST(name) CFG_STR_LIST_CB(name, NULL, CFGF_NODEFAULT, record_value)
#define OPEN_HOOK  CFG_STR_LIST_CB(OPEN_HOOK_NAME, "{here}", CFGF_NONE, record_open)
#define POLICY_OPTS                                                                                \
	OPT("sustain_count"), OPT("sustain_for"), OPT("window_m"), OPT("window_n"),                \
	        OPT("recover_count"), OPT("renotify"), OPT("flap_low"), OPT("flap_high"),          \
	        OPT("stale_after")

static cfg_t *schema_new(void)
{
	cfg_opt_t socket_opts[] = {OPEN_HOOK, OPT("path"), OPT("mode"), OPT("max_line"), CFG_END()};
	cfg_opt_t defaults_opts[] = {OPEN_HOOK, POLICY_OPTS, CFG_END()};
	cfg_opt_t check_opts[] = {OPEN_HOOK,   LIST("command"), OPT("interval"), OPT("timeout"),
	                          OPT("host"), POLICY_OPTS,     CFG_END()};
	cfg_opt_t channel_opts[] = {OPEN_HOOK,
	                            OPT("type"),
	                            OPT("max_age"),
	                            LIST("sink"),
	                            OPT("version"),
	                            OPT("inform"),
	                            OPT("community_file"),
	                            OPT("user"),
	                            OPT("auth_proto"),
	                            OPT("auth_pass_file"),
	                            OPT("priv_proto"),
	                            OPT("priv_pass_file"),
	                            OPT("engine_id"),
	                            OPT("url"),
	                            OPT("from"),
	                            LIST("to"),
	                            OPT("password_file"),
	                            OPT("provider"),
	                            OPT("token_file"),
	                            OPT("community"),
	                            OPT("auth_pass"),
	                            OPT("priv_pass"),
	                            OPT("password"),
	                            OPT("token"),
	                            OPT("rate_limit"),
	                            OPT("group_wait"),
	                            OPT("tls"),
	                            OPT("ca_file"),
	                            OPT("connect_timeout"),
	                            OPT("timeout"),
	                            OPT("password_env"),
	                            OPT("token_env"),
	                            OPT("method"),
	                            LIST("headers"),
	                            OPT("content_type"),
	                            OPT("body"),
	                            OPT("max_segments"),
	                            CFG_END()};
	cfg_opt_t route_opts[] = {OPEN_HOOK,      OPT("match_host"), OPT("match_service"),
	                          LIST("states"), LIST("channels"),  OPT("after"),
	                          CFG_END()};
	cfg_opt_t root_opts[] = {OPT("user"),
	                         OPT("state_dir"),
	                         OPT("enterprise_oid"),
	                         CFG_SEC("socket", socket_opts, CFGF_MULTI),
	                         CFG_SEC("defaults", defaults_opts, CFGF_MULTI),
	                         CFG_SEC("check", check_opts, CFGF_MULTI | CFGF_TITLE),
	                         CFG_SEC("channel", channel_opts, CFGF_MULTI | CFGF_TITLE),
	                         CFG_SEC("route", route_opts, CFGF_MULTI),
	                         CFG_END()};

	return cfg_init(root_opts, CFGF_NONE);
}

/* ---- step 1: the text, without comments --------------------------------- */

/* Copy the quoted string at IN[I] (I at its quote) to *O; return the index
 * after it, or UNTERMINATED when it does not end (reported).  Backslash escapes as
 * libconfuse's lexer reads them. */
static size_t copy_quoted(struct loader *L, const char *in, size_t len, size_t i, char **o,
                          int *line)
{
	char quote = in[i];
	int start = *line;

	*(*o)++ = in[i++];
	while (i < len && in[i] != quote) {
		bool escape = in[i] == '\\' && i + 1 < len &&
		              (quote == '"' || in[i + 1] == '\\' || in[i + 1] == '\'');

		if (escape)
			*(*o)++ = in[i++];
		if (in[i] == '\n')
			(*line)++;
		*(*o)++ = in[i++];
	}
	if (i == len) {
		bad(L, start, "unterminated string");
		return UNTERMINATED;
	}
	*(*o)++ = in[i++];
	return i;
}

/* Skip the comment at IN[I]: to the end of the line, or past its closing;
 * UNTERMINATED when a block comment does not end (reported). */
static size_t skip_comment(struct loader *L, const char *in, size_t len, size_t i, char **o,
                           int *line)
{
	int start = *line;

	if (in[i] != '/' || in[i + 1] != '*') {
		while (i < len && in[i] != '\n')
			i++;
		return i;
	}
	for (i += 2; i < len && !(in[i] == '*' && i + 1 < len && in[i + 1] == '/'); i++) {
		if (in[i] == '\n') {
			*(*o)++ = '\n';
			(*line)++;
		}
	}
	if (i == len) {
		bad(L, start, "unterminated /* comment");
		return UNTERMINATED;
	}
	return i + 2;
}

/* IN without comments (each replaced by a space), lines kept; NULL after an
 * unterminated string or comment, reported (libconfuse would only add noise). */
static char *strip_comments(struct loader *L, const char *in, size_t len)
{
	char *out = malloc(len + 1), *o = out;
	size_t i = 0;
	int line = 1;

	if (out == NULL) {
		L->oom = true;
		return NULL;
	}
	while (i < len) {
		char c = in[i], next = i + 1 < len ? in[i + 1] : '\0';

		if (c == '"' || c == '\'') {
			i = copy_quoted(L, in, len, i, &o, &line);
		} else if (c == '#' || (c == '/' && (next == '/' || next == '*'))) {
			i = skip_comment(L, in, len, i, &o, &line);
			*o++ = ' ';
		} else {
			if (c == '*' || (c == '+' && next != '='))
				bad(L, line,
				    "'%c' outside quotes is dropped by the parser: quote the value",
				    c);
			if (c == '\n')
				line++;
			*o++ = in[i++];
		}
		if (i == UNTERMINATED) {
			free(out);
			return NULL;
		}
	}
	*o = '\0';
	return out;
}

/* The file's text, or NULL with the error reported. */
static char *read_config_file(struct loader *L)
{
	int fd = open(L->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	char *text = NULL;
	ssize_t got = 0, n = 0;

	if (fd < 0 || fstat(fd, &st) != 0) {
		bad(L, 0, "%s", strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		bad(L, 0, "not a regular file");
	} else if (st.st_mode & S_IWOTH) {
		bad(L, 0, "anyone may change it, and it runs commands: chmod o-w it");
	} else if (st.st_size > CONFIG_MAX_BYTES) {
		bad(L, 0, "larger than %d bytes", CONFIG_MAX_BYTES);
	} else if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		L->oom = true;
	} else {
		while (got < st.st_size &&
		       (n = read(fd, text + got, (size_t)(st.st_size - got))) > 0)
			got += n;
		if (n < 0)
			bad(L, 0, "%s", strerror(errno));
		else if (memchr(text, '\0', (size_t)got) != NULL)
			bad(L, 0, "contains a NUL byte");
		text[got] = '\0';
	}
	if (fd >= 0)
		close(fd);
	if (text != NULL && failed(L)) {
		free(text);
		text = NULL;
	}
	return text;
}

/* ---- step 3: values ------------------------------------------------------- */

static bool is_set(cfg_t *sec, const char *name)
{
	return cfg_size(sec, name) > 0;
}

/* The value of the single option NAME, or NULL when the file does not set it. */
static const char *opt_str(cfg_t *sec, const char *name)
{
	return is_set(sec, name) ? cfg_getstr(sec, name) : NULL;
}

/* The line of the later of options A and B set in SEC, 0 if neither is. */
static int pair_line(const struct loader *L, cfg_t *sec, const char *a, const char *b)
{
	int la = is_set(sec, a) ? opt_line(L, sec, a) : 0;
	int lb = is_set(sec, b) ? opt_line(L, sec, b) : 0;

	return la > lb ? la : lb;
}

static char *dup_str(struct loader *L, const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		L->oom = true;
	return d;
}

static void *alloc_array(struct loader *L, size_t n, size_t size)
{
	void *p;

	if (n == 0)
		return NULL;
	p = calloc(n, size);
	if (p == NULL)
		L->oom = true;
	return p;
}

/* A whole number 0..MAX into *OUT (unchanged when not set). */
static bool get_count(struct loader *L, cfg_t *sec, const char *name, unsigned max, unsigned *out)
{
	const char *s = opt_str(sec, name);
	unsigned long v;
	char *end;

	if (s == NULL)
		return true;
	if (s[0] == '-' && isdigit((unsigned char)s[1])) {
		bad(L, opt_line(L, sec, name), "%s must not be negative (%s)", name, s);
		return false;
	}
	errno = 0;
	v = isdigit((unsigned char)s[0]) ? strtoul(s, &end, 10) : 0;
	if (!isdigit((unsigned char)s[0]) || *end != '\0') {
		bad(L, opt_line(L, sec, name), "%s: \"%s\" is not a whole number", name, s);
		return false;
	}
	if (errno == ERANGE || v > max) {
		bad(L, opt_line(L, sec, name), "%s: %s is more than %u", name, s, max);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

/* A duration in seconds into *OUT (unchanged when not set). */
static bool get_duration(struct loader *L, cfg_t *sec, const char *name, double *out)
{
	const char *s = opt_str(sec, name);
	char err[256];
	double v;

	if (s == NULL)
		return true;
	if (units_parse_duration(s, &v, err, sizeof err) != 0) {
		bad(L, opt_line(L, sec, name), "%s: %s", name, err);
		return false;
	}
	*out = v;
	return true;
}

/* A duration that must be more than 0 into *OUT (unchanged when not set). */
static bool get_period(struct loader *L, cfg_t *sec, const char *name, double *out)
{
	double v = *out;

	if (!get_duration(L, sec, name, &v))
		return false;
	if (v <= 0) {
		bad(L, opt_line(L, sec, name), "%s must be more than 0", name);
		return false;
	}
	*out = v;
	return true;
}

/* A percentage 0..100 into *OUT (unchanged when not set). */
static bool get_percent(struct loader *L, cfg_t *sec, const char *name, double *out)
{
	const char *s = opt_str(sec, name);
	size_t n;
	double v;

	if (s == NULL)
		return true;
	n = units_scan_number(s, &v);
	if (n == 0 || (s[n] != '\0' && strcmp(s + n, "%") != 0) || v > 100) {
		bad(L, opt_line(L, sec, name), "%s: \"%s\" is not a percentage from 0 to 100", name,
		    s);
		return false;
	}
	*out = v;
	return true;
}

/* A boolean into *OUT (unchanged when not set). */
static bool get_bool(struct loader *L, cfg_t *sec, const char *name, bool *out)
{
	const char *s = opt_str(sec, name);
	int b;

	if (s == NULL)
		return true;
	b = cfg_parse_boolean(s);
	if (b < 0) {
		bad(L, opt_line(L, sec, name), "%s: \"%s\" is not true or false", name, s);
		return false;
	}
	*out = b == 1;
	return true;
}

/* An absolute path (default DFLT) into *OUT, copied. */
static bool get_abs_path(struct loader *L, cfg_t *sec, const char *name, const char *dflt,
                         char **out)
{
	const char *s = sec ? opt_str(sec, name) : NULL;

	if (s == NULL)
		s = dflt;
	if (s[0] != '/') {
		bad(L, opt_line(L, sec, name), "%s: \"%s\" is not an absolute path", name, s);
		return false;
	}
	*out = dup_str(L, s);
	return *out != NULL;
}

/* A string (default DFLT) into *OUT, copied; it must not be empty. */
static bool get_text(struct loader *L, cfg_t *sec, const char *name, const char *dflt, char **out)
{
	const char *s = sec ? opt_str(sec, name) : NULL;

	if (s == NULL)
		s = dflt;
	if (s == NULL)
		return true;
	if (s[0] == '\0') {
		bad(L, opt_line(L, sec, name), "%s is empty", name);
		return false;
	}
	*out = dup_str(L, s);
	return *out != NULL;
}

/* The list NAME as a NULL-terminated copy, its length in *N. */
static char **get_list(struct loader *L, cfg_t *sec, const char *name, size_t *n)
{
	size_t i, count = cfg_size(sec, name);
	char **v = alloc_array(L, count + 1, sizeof *v);

	*n = 0;
	if (v == NULL)
		return NULL;
	for (i = 0; i < count; i++)
		if ((v[i] = dup_str(L, cfg_getnstr(sec, name, (unsigned)i))) == NULL)
			break;
	*n = i;
	return v;
}

static void free_list(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- secrets ---------------------------------------------------------- */

static void wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Why the secret file open as FD may not be used, or NULL. */
static const char *secret_file_problem(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "is not a regular file";
	if (st.st_mode & (S_IRGRP | S_IROTH))
		return "is readable by others: chmod 600 it";
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return "is writable by others: chmod 600 it";
	return NULL;
}

/* The secret on the first line of the file named by option NAME into *OUT
 * (unchanged when NAME is not set). */
static bool read_secret(struct loader *L, cfg_t *sec, const char *name, char **out)
{
	const char *path = opt_str(sec, name), *why;
	char buf[SECRET_MAX + 1], *nl;
	ssize_t got = 0, n;
	int fd, line = opt_line(L, sec, name);

	if (path == NULL)
		return true;
	if (path[0] != '/') {
		bad(L, line, "%s: \"%s\" is not an absolute path", name, path);
		return false;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	why = fd < 0 ? strerror(errno) : secret_file_problem(fd);
	while (why == NULL && got < SECRET_MAX && (n = read(fd, buf + got, SECRET_MAX - got)) > 0)
		got += n;
	if (fd >= 0)
		close(fd);
	buf[got] = '\0';
	nl = strchr(buf, '\n');
	if (nl != NULL)
		*nl = '\0';
	if (nl != NULL && nl > buf && nl[-1] == '\r')
		nl[-1] = '\0';
	if (why == NULL && nl == NULL && got == SECRET_MAX)
		why = "its first line is too long";
	else if (why == NULL && buf[0] == '\0')
		why = "its first line is empty";
	if (why == NULL)
		*out = dup_str(L, buf);
	else /* "FILE is readable...", "FILE: No such file..." */
		bad(L, line, "%s %s%s%s", name, path, strncmp(why, "is ", 3) ? ": " : " ", why);
	explicit_bzero(buf, sizeof buf);
	return why == NULL && *out != NULL;
}

static bool valid_env_name(const char *s)
{
	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* The secret in the environment variable that option NAME names into *OUT
 * (unchanged when NAME is not set).  The daemon's environment is as private
 * as a chmod 600 file: only root and its own user can read it. */
static bool read_env_secret(struct loader *L, cfg_t *sec, const char *name, char **out)
{
	const char *var = opt_str(sec, name), *val;
	int line = opt_line(L, sec, name);

	if (var == NULL)
		return true;
	if (!valid_env_name(var)) {
		bad(L, line, "%s: \"%s\" is not an environment variable name", name, var);
		return false;
	}
	val = getenv(var);
	if (val == NULL || val[0] == '\0')
		bad(L, line, "%s: the environment variable %s is %s", name, var,
		    val == NULL ? "not set" : "empty");
	else if (strlen(val) > SECRET_MAX)
		bad(L, line, "%s: the environment variable %s is longer than %d bytes", name, var,
		    SECRET_MAX);
	else if (has_control(val))
		bad(L, line, "%s: the environment variable %s has control characters", name, var);
	else
		*out = dup_str(L, val);
	return *out != NULL;
}

/* A secret from the file option FILE_OPT or the environment option ENV_OPT
 * (one of them, or neither) into *OUT. */
static void read_secret_from(struct loader *L, cfg_t *sec, const char *file_opt,
                             const char *env_opt, char **out)
{
	if (is_set(sec, file_opt) && is_set(sec, env_opt))
		bad(L, pair_line(L, sec, file_opt, env_opt), "%s and %s: give only one", file_opt,
		    env_opt);
	else if (is_set(sec, file_opt))
		read_secret(L, sec, file_opt, out);
	else
		read_env_secret(L, sec, env_opt, out);
}

/* Why the file at PATH may not be trusted as a CA bundle, or NULL. */
static const char *ca_file_problem(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	const char *why = NULL;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "is not a regular file";
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		why = "is writable by others, who could add a CA: chmod go-w it";
	if (fd >= 0)
		close(fd);
	return why;
}

/* Secrets written in the file itself, and the option that should name them. */
static const struct {
	const char *name, *instead;
} inline_secrets[] = {
        {"community", "community_file"}, {"auth_pass", "auth_pass_file"},
        {"priv_pass", "priv_pass_file"}, {"password", "password_file"},
        {"token", "token_file"},
};

static void refuse_inline_secrets(struct loader *L, cfg_t *sec)
{
	size_t i;

	for (i = 0; i < sizeof inline_secrets / sizeof inline_secrets[0]; i++)
		if (is_set(sec, inline_secrets[i].name))
			bad(L, opt_line(L, sec, inline_secrets[i].name),
			    "%s: secrets are not written in the config: put it alone in a file "
			    "(chmod 600) and name that with %s",
			    inline_secrets[i].name, inline_secrets[i].instead);
}

/* Plugin options that put a secret on a command line, where ps shows it. */
static const struct {
	const char *flag, *instead;
} argv_secrets[] = {
        {"-C", "--community-file"},
        {"--community", "--community-file"},
        {"-A", "--authpasswd-file"},
        {"--authpasswd", "--authpasswd-file"},
        {"--privpasswd", "--privpasswd-file"},
};

static const char *argv_secret(const char *arg)
{
	size_t i, n;

	for (i = 0; i < sizeof argv_secrets / sizeof argv_secrets[0]; i++) {
		const char *flag = argv_secrets[i].flag;

		n = strlen(flag);
		if (strncmp(arg, flag, n) != 0)
			continue;
		if (arg[n] == '\0' || (n == 2 && arg[n] != '\0') || arg[n] == '=')
			return argv_secrets[i].instead;
	}
	return NULL;
}

/* ---- root, socket, defaults ------------------------------------------- */

static bool valid_user(const char *s)
{
	if (s[0] == '\0' || s[0] == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

/* A numeric OID, written with a leading dot into *OUT. */
static bool parse_oid(const char *s, char **out)
{
	const char *p = s[0] == '.' ? s + 1 : s;
	unsigned arcs = 0;
	char *oid;

	while (*p) {
		unsigned long v;
		char *end;

		if (!isdigit((unsigned char)*p))
			return false;
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno == ERANGE || v > UINT32_MAX || (*end != '.' && *end != '\0') ||
		    (*end == '.' && end[1] == '\0'))
			return false;
		arcs++;
		p = *end ? end + 1 : end;
	}
	if (arcs < 2 || asprintf(&oid, "%s%s", s[0] == '.' ? "" : ".", s) < 0)
		return false;
	*out = oid;
	return true;
}

static void parse_root(struct loader *L, cfg_t *root, struct config *c)
{
	const char *oid = opt_str(root, "enterprise_oid");

	if (get_text(L, root, "user", CONFIG_DEFAULT_USER, &c->user) && !valid_user(c->user))
		bad(L, opt_line(L, root, "user"),
		    "user \"%s\" is not a user name (letters, digits, '.', '_', '-')", c->user);
	get_abs_path(L, root, "state_dir", CONFIG_DEFAULT_STATE_DIR, &c->state_dir);
	if (oid == NULL)
		oid = CONFIG_DEFAULT_ENTERPRISE_OID;
	if (!parse_oid(oid, &c->enterprise_oid))
		bad(L, opt_line(L, root, "enterprise_oid"),
		    "enterprise_oid \"%s\" is not a numeric OID such as .1.3.6.1.4.1.8072", oid);
}

/* An octal permission string such as "0660". */
static bool parse_mode(const char *s, unsigned *mode)
{
	unsigned long v;
	char *end;

	if (strlen(s) < 3 || strlen(s) > 4 || strspn(s, "01234567") != strlen(s))
		return false;
	v = strtoul(s, &end, 8);
	if (v > 0777)
		return false;
	*mode = (unsigned)v;
	return true;
}

static void parse_socket(struct loader *L, cfg_t *sec, struct config_socket *s)
{
	const char *mode = sec ? opt_str(sec, "mode") : NULL;
	unsigned max_line = 4096;

	s->mode = 0660;
	if (get_abs_path(L, sec, "path", CONFIG_DEFAULT_SOCKET, &s->path) &&
	    strlen(s->path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		bad(L, opt_line(L, sec, "path"),
		    "path is %zu bytes long: a socket's holds at most %zu", strlen(s->path),
		    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	if (mode != NULL && !parse_mode(mode, &s->mode))
		bad(L, opt_line(L, sec, "mode"), "mode \"%s\" is not an octal mode such as 0660",
		    mode);
	else if (s->mode & 0002)
		bad(L, opt_line(L, sec, "mode"),
		    "mode %04o lets any local user submit results: give a group access (0660)",
		    s->mode);
	if (sec != NULL && get_count(L, sec, "max_line", MAX_LINE_MAX, &max_line) &&
	    max_line < MAX_LINE_MIN)
		bad(L, opt_line(L, sec, "max_line"), "max_line must be at least %d", MAX_LINE_MIN);
	s->max_line = max_line;
}

/* What parse_policy() could read: relations are checked between those only. */
struct policy_read {
	bool window, recover, flap;
};

/* Relations between policy values; only those SEC sets are reported. */
static void check_policy(struct loader *L, cfg_t *sec, const struct rules_policy *p,
                         struct policy_read ok)
{
	int line;

	line = pair_line(L, sec, "window_m", "window_n");
	if (ok.window && line && (p->window_m == 0) != (p->window_n == 0))
		bad(L, line, "window_m and window_n go together (both 0: no window)");
	else if (ok.window && line && p->window_m > p->window_n)
		bad(L, line, "window_m (%u) is more than window_n (%u)", p->window_m, p->window_n);
	if (ok.recover && is_set(sec, "recover_count") && p->recover_count == 0)
		bad(L, opt_line(L, sec, "recover_count"), "recover_count must be at least 1");
	line = pair_line(L, sec, "flap_low", "flap_high");
	if (ok.flap && line && (p->flap_high > 0 ? p->flap_low >= p->flap_high : p->flap_low > 0))
		bad(L, line, "flap_low (%g) must be below flap_high (%g; 0 turns detection off)",
		    p->flap_low, p->flap_high);
}

/* The options of SEC that override the policy in *P. */
static void parse_policy(struct loader *L, cfg_t *sec, struct rules_policy *p)
{
	const char *stale = opt_str(sec, "stale_after");
	struct policy_read ok;
	bool m, low;

	get_count(L, sec, "sustain_count", COUNT_MAX, &p->sustain_count);
	get_duration(L, sec, "sustain_for", &p->sustain_for);
	m = get_count(L, sec, "window_m", RULES_HISTORY, &p->window_m);
	ok.window = get_count(L, sec, "window_n", RULES_HISTORY, &p->window_n) && m;
	ok.recover = get_count(L, sec, "recover_count", COUNT_MAX, &p->recover_count);
	get_duration(L, sec, "renotify", &p->renotify);
	low = get_percent(L, sec, "flap_low", &p->flap_low);
	ok.flap = get_percent(L, sec, "flap_high", &p->flap_high) && low;
	if (stale != NULL && strcmp(stale, "never") == 0)
		p->stale_after = -1;
	else
		get_duration(L, sec, "stale_after", &p->stale_after);
	check_policy(L, sec, p, ok);
}

/* ---- checks --------------------------------------------------------------- */

/* A service or host name must fit Nagios' "host;service;rc;output" lines. */
static bool bad_name_char(const char *s)
{
	return strchr(s, ';') != NULL;
}

static struct config_channel *find_channel(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nchannels; i++)
		if (c->channels[i].name != NULL && strcmp(c->channels[i].name, name) == 0)
			return &c->channels[i];
	return NULL;
}

static void parse_command(struct loader *L, cfg_t *sec, struct config_check *c)
{
	size_t i;

	c->argv = get_list(L, sec, "command", &c->argc);
	if (c->argc == 0) {
		if (!L->oom)
			bad(L, section_line(L, sec), "check \"%s\" has no command", c->name);
		return;
	}
	if (c->argv[0][0] != '/')
		bad(L, value_line(L, sec, "command", 0),
		    "command: \"%s\" is not an absolute path (there is no search in $PATH)",
		    c->argv[0]);
	for (i = 1; i < c->argc; i++) {
		const char *instead = argv_secret(c->argv[i]);

		if (instead != NULL)
			bad(L, value_line(L, sec, "command", (unsigned)i),
			    "command: %s puts a secret where ps shows it: use %s", c->argv[i],
			    instead);
	}
}

static void parse_check(struct loader *L, cfg_t *sec, const struct rules_policy *defaults,
                        struct config_check *c)
{
	char a[32], b[32];

	c->line = section_line(L, sec);
	c->name = dup_str(L, cfg_title(sec));
	if (c->name == NULL)
		return;
	if (c->name[0] == '\0' || bad_name_char(c->name) || has_control(c->name))
		bad(L, c->line, "check \"%s\": a service name is not empty and has no ';'",
		    c->name);
	if (get_text(L, sec, "host", "localhost", &c->host) && bad_name_char(c->host))
		bad(L, opt_line(L, sec, "host"), "host \"%s\" has a ';'", c->host);
	parse_command(L, sec, c);
	c->interval = DEFAULT_INTERVAL;
	get_period(L, sec, "interval", &c->interval);
	c->timeout = c->interval < DEFAULT_TIMEOUT ? c->interval : DEFAULT_TIMEOUT;
	if (get_period(L, sec, "timeout", &c->timeout) && c->timeout > c->interval) {
		units_format_duration(c->timeout, a, sizeof a);
		units_format_duration(c->interval, b, sizeof b);
		bad(L, pair_line(L, sec, "timeout", "interval"),
		    "timeout (%s) is longer than interval (%s)", a, b);
	}
	c->policy = *defaults;
	parse_policy(L, sec, &c->policy);
}

/* ---- channels ------------------------------------------------------------- */

static const char *const channel_type_names[] = {
        [CONFIG_CHANNEL_LOG] = "log",
        [CONFIG_CHANNEL_SNMP] = "snmp",
        [CONFIG_CHANNEL_MAIL] = "mail",
        [CONFIG_CHANNEL_SMS] = "sms",
};

#define T_SNMP TYPE_BIT(CONFIG_CHANNEL_SNMP)
#define T_MAIL TYPE_BIT(CONFIG_CHANNEL_MAIL)
#define T_SMS  TYPE_BIT(CONFIG_CHANNEL_SMS)

/* Which channel types each type-specific option applies to. */
static const struct {
	const char *name;
	unsigned types;
} channel_options[] = {
        {"sink", T_SNMP},
        {"version", T_SNMP},
        {"inform", T_SNMP},
        {"community_file", T_SNMP},
        {"auth_proto", T_SNMP},
        {"auth_pass_file", T_SNMP},
        {"priv_proto", T_SNMP},
        {"priv_pass_file", T_SNMP},
        {"engine_id", T_SNMP},
        {"user", T_SNMP | T_MAIL | T_SMS},
        {"url", T_MAIL | T_SMS},
        {"from", T_MAIL | T_SMS},
        {"to", T_MAIL | T_SMS},
        {"password_file", T_MAIL},
        {"provider", T_SMS},
        {"token_file", T_SMS},
        {"rate_limit", T_MAIL | T_SMS},
        {"group_wait", T_MAIL | T_SMS},
        {"tls", T_MAIL},
        {"ca_file", T_MAIL | T_SMS},
        {"connect_timeout", T_MAIL | T_SMS},
        {"timeout", T_MAIL | T_SMS},
        {"password_env", T_MAIL},
        {"token_env", T_SMS},
        {"method", T_SMS},
        {"headers", T_SMS},
        {"content_type", T_SMS},
        {"body", T_SMS},
        {"max_segments", T_SMS},
};

static void refuse_foreign_options(struct loader *L, cfg_t *sec, enum config_channel_type t)
{
	size_t i;

	for (i = 0; i < sizeof channel_options / sizeof channel_options[0]; i++)
		if (!(channel_options[i].types & TYPE_BIT(t)) &&
		    is_set(sec, channel_options[i].name))
			bad(L, opt_line(L, sec, channel_options[i].name),
			    "%s does not apply to a %s channel", channel_options[i].name,
			    channel_type_names[t]);
}

/* "udp:HOST:PORT" or "udp6:[ADDR]:PORT" into *K. */
static bool parse_sink(struct loader *L, const char *spec, struct config_sink *k)
{
	const char *host, *end, *port;
	unsigned long v;
	char *stop;

	k->ipv6 = strncmp(spec, "udp6:[", 6) == 0;
	if (!k->ipv6 && strncmp(spec, "udp:", 4) != 0)
		return false;
	host = spec + (k->ipv6 ? 6 : 4);
	end = k->ipv6 ? strchr(host, ']') : strchr(host, ':');
	if (end == NULL || end == host)
		return false;
	port = end + (k->ipv6 ? 1 : 0);
	if (*port != ':' || !isdigit((unsigned char)port[1]))
		return false;
	v = strtoul(port + 1, &stop, 10);
	if (*stop != '\0' || v == 0 || v > 65535)
		return false;
	k->port = (unsigned)v;
	k->host = strndup(host, (size_t)(end - host));
	k->spec = dup_str(L, spec);
	if (k->host == NULL)
		L->oom = true;
	return true;
}

static void parse_sinks(struct loader *L, cfg_t *sec, struct config_snmp *s)
{
	size_t i, n = cfg_size(sec, "sink");

	if (n == 0) {
		bad(L, section_line(L, sec), "an snmp channel needs a sink (\"udp:HOST:PORT\")");
		return;
	}
	s->sinks = alloc_array(L, n, sizeof *s->sinks);
	for (i = 0; s->sinks != NULL && i < n; i++) {
		const char *spec = cfg_getnstr(sec, "sink", (unsigned)i);

		if (!parse_sink(L, spec, &s->sinks[s->nsinks]))
			bad(L, value_line(L, sec, "sink", (unsigned)i),
			    "sink \"%s\" is not udp:HOST:PORT or udp6:[ADDR]:PORT", spec);
		else
			s->nsinks++;
	}
}

/* An engineID in hex ("0x" optional), 5 to 32 octets. */
static bool parse_engine_id(const char *s, struct config_snmp *snmp)
{
	size_t i, n;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n % 2 != 0 || n < 10 || n > 64 || strspn(s, "0123456789abcdefABCDEF") != n)
		return false;
	for (i = 0; i < n / 2; i++) {
		char byte[3] = {s[2 * i], s[2 * i + 1], '\0'};

		snmp->engine_id[i] = (unsigned char)strtoul(byte, NULL, 16);
	}
	snmp->engine_id_len = n / 2;
	return true;
}

/* The value of NAME (default DFLT) if it is one of the NULL-terminated ALLOWED
 * (compared without case), copied as written there. */
static bool get_choice(struct loader *L, cfg_t *sec, const char *name, const char *dflt,
                       const char *const *allowed, char **out)
{
	const char *s = opt_str(sec, name);
	char list[128] = "";
	size_t i;

	if (s == NULL)
		s = dflt;
	for (i = 0; allowed[i] != NULL; i++) {
		if (strcasecmp(s, allowed[i]) == 0) {
			*out = dup_str(L, allowed[i]);
			return true;
		}
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
		         i == 0           ? ""
		         : allowed[i + 1] ? ", "
		                          : " or ",
		         allowed[i]);
	}
	bad(L, opt_line(L, sec, name), "%s \"%s\": use %s", name, s, list);
	return false;
}

static void need(struct loader *L, cfg_t *sec, const char *name, const char *what)
{
	if (!is_set(sec, name))
		bad(L, section_line(L, sec), "%s needs %s", what, name);
}

static void parse_snmp_v3(struct loader *L, cfg_t *sec, struct config_snmp *s)
{
	static const char *const auth[] = {"SHA", "SHA-256", "SHA-512", NULL};
	static const char *const priv[] = {"AES", "AES-256", NULL};
	const char *v3 = "a version 3 channel (authPriv)";
	const char *engine = opt_str(sec, "engine_id");

	if (is_set(sec, "community_file"))
		bad(L, opt_line(L, sec, "community_file"), "community_file is for version 2c");
	need(L, sec, "user", v3);
	need(L, sec, "auth_pass_file", v3);
	need(L, sec, "priv_pass_file", v3);
	get_text(L, sec, "user", NULL, &s->user);
	get_choice(L, sec, "auth_proto", "SHA", auth, &s->auth_proto);
	get_choice(L, sec, "priv_proto", "AES", priv, &s->priv_proto);
	read_secret(L, sec, "auth_pass_file", &s->auth_pass);
	read_secret(L, sec, "priv_pass_file", &s->priv_pass);
	if (engine != NULL && !parse_engine_id(engine, s))
		bad(L, opt_line(L, sec, "engine_id"),
		    "engine_id \"%s\" is not 5 to 32 octets in hex (0x80001f8880...)", engine);
	else if (engine == NULL && !s->inform)
		bad(L, section_line(L, sec),
		    "a version 3 channel sending traps needs engine_id (informs do not)");
}

static void parse_snmp(struct loader *L, cfg_t *sec, struct config_snmp *s)
{
	static const char *const v3_only[] = {"user",       "auth_proto",     "auth_pass_file",
	                                      "priv_proto", "priv_pass_file", "engine_id",
	                                      NULL};
	const char *version = opt_str(sec, "version");
	size_t i;

	parse_sinks(L, sec, s);
	get_bool(L, sec, "inform", &s->inform);
	if (version == NULL || strcmp(version, "2c") == 0) {
		s->version = 2;
		for (i = 0; v3_only[i] != NULL; i++)
			if (is_set(sec, v3_only[i]))
				bad(L, opt_line(L, sec, v3_only[i]), "%s is for version 3",
				    v3_only[i]);
		need(L, sec, "community_file", "a version 2c channel");
		read_secret(L, sec, "community_file", &s->community);
	} else if (strcmp(version, "3") == 0) {
		s->version = 3;
		parse_snmp_v3(L, sec, s);
	} else {
		bad(L, opt_line(L, sec, "version"), "version \"%s\": use 2c or 3", version);
	}
}

/* An e-mail address, minimally: local@domain, no spaces, specials nor control
 * characters (nothing that could end an SMTP command or a header line). */
static bool valid_address(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at != s && at[1] != '\0' && strchr(at + 1, '@') == NULL &&
	       strpbrk(s, " \t<>()[],;:\"\\") == NULL && !has_control(s);
}

/* +E.164: a plus and 7 to 15 digits, the first not 0. */
static bool valid_phone(const char *s)
{
	size_t n = strlen(s);

	return s[0] == '+' && s[1] >= '1' && s[1] <= '9' && n >= 8 && n <= 16 &&
	       strspn(s + 1, "0123456789") == n - 1;
}

/* S fails VALID and is still to be reported: record_value() has already
 * refused a value with control characters, which no message should echo. */
static bool invalid(bool (*valid)(const char *), const char *s)
{
	return !valid(s) && !has_control(s);
}

/* The list NAME, each element checked with VALID; at least one. */
static char **get_recipients(struct loader *L, cfg_t *sec, const char *name,
                             bool (*valid)(const char *), const char *what, size_t *n)
{
	char **v = get_list(L, sec, name, n);
	size_t i;

	if (*n == 0 && !L->oom)
		bad(L, section_line(L, sec), "a %s channel needs %s", cfg_getstr(sec, "type"),
		    name);
	for (i = 0; i < *n; i++)
		if (invalid(valid, v[i]))
			bad(L, value_line(L, sec, name, (unsigned)i), "%s: \"%s\" is not %s", name,
			    v[i], what);
	return v;
}

/* URL must start with one of the NULL-terminated SCHEMES and name a host. */
static bool get_url(struct loader *L, cfg_t *sec, const char *const *schemes, const char *what,
                    char **out)
{
	const char *url = opt_str(sec, "url");
	size_t i, n;

	if (url == NULL)
		return true;
	for (i = 0; schemes[i] != NULL; i++) {
		n = strlen(schemes[i]);
		if (strncmp(url, schemes[i], n) == 0 && url[n] != '\0' && !strchr("/:", url[n])) {
			*out = dup_str(L, url);
			return true;
		}
	}
	bad(L, opt_line(L, sec, "url"), "url \"%s\" does not start with %s and a host", url, what);
	return false;
}

static void need_one_of(struct loader *L, cfg_t *sec, const char *a, const char *b,
                        const char *what)
{
	if (!is_set(sec, a) && !is_set(sec, b))
		bad(L, section_line(L, sec), "%s needs %s or %s", what, a, b);
}

/* ca_file, connect_timeout and timeout: the same for mail and sms. */
static void parse_transport(struct loader *L, cfg_t *sec, char **ca_file, double *connect_timeout,
                            double *timeout)
{
	const char *ca = opt_str(sec, "ca_file"), *why;
	char a[32], b[32];
	bool connect_ok;

	if (ca != NULL && get_abs_path(L, sec, "ca_file", NULL, ca_file) &&
	    (why = ca_file_problem(ca)) != NULL)
		bad(L, opt_line(L, sec, "ca_file"), "ca_file %s%s%s", ca,
		    strncmp(why, "is ", 3) ? ": " : " ", why);
	*connect_timeout = DEFAULT_CONNECT_TIMEOUT;
	*timeout = DEFAULT_SEND_TIMEOUT;
	connect_ok = get_period(L, sec, "connect_timeout", connect_timeout);
	if (get_period(L, sec, "timeout", timeout) && connect_ok && *timeout < *connect_timeout) {
		units_format_duration(*timeout, a, sizeof a);
		units_format_duration(*connect_timeout, b, sizeof b);
		bad(L, pair_line(L, sec, "timeout", "connect_timeout"),
		    "timeout (%s) is shorter than connect_timeout (%s)", a, b);
	}
}

/* SMTP AUTH: user with password_file or password_env, or none of them. */
static void parse_mail_auth(struct loader *L, cfg_t *sec, struct config_mail *m)
{
	bool user = is_set(sec, "user");

	get_text(L, sec, "user", NULL, &m->user);
	if (user != (is_set(sec, "password_file") || is_set(sec, "password_env")))
		bad(L,
		    user ? opt_line(L, sec, "user")
		         : pair_line(L, sec, "password_file", "password_env"),
		    "user and password_file (or password_env) go together (SMTP AUTH)");
	read_secret_from(L, sec, "password_file", "password_env", &m->password);
}

/* tls = "starttls" (TLS required; implicit with smtps://) or "none". */
static void parse_mail_tls(struct loader *L, cfg_t *sec, struct config_mail *m)
{
	static const char *const modes[] = {"starttls", "none", NULL};
	int line = opt_line(L, sec, "tls");
	char *tls = NULL;

	m->starttls = true;
	if (!get_choice(L, sec, "tls", "starttls", modes, &tls) || tls == NULL)
		return;
	m->starttls = strcmp(tls, "none") != 0;
	free(tls);
	if (m->starttls)
		return;
	if (m->url != NULL && strncmp(m->url, "smtps://", 8) == 0)
		bad(L, line,
		    "tls = \"none\" contradicts smtps:// (TLS from the start): use smtp://");
	if (is_set(sec, "user") || is_set(sec, "password_file") || is_set(sec, "password_env"))
		bad(L, line,
		    "tls = \"none\" would send the SMTP AUTH password in clear: use TLS, or drop "
		    "user and the password");
}

static void parse_mail(struct loader *L, cfg_t *sec, struct config_mail *m)
{
	static const char *const schemes[] = {"smtp://", "smtps://", NULL};

	need(L, sec, "url", "a mail channel");
	need(L, sec, "from", "a mail channel");
	get_url(L, sec, schemes, "smtp:// or smtps://", &m->url);
	if (get_text(L, sec, "from", NULL, &m->from) && m->from && invalid(valid_address, m->from))
		bad(L, opt_line(L, sec, "from"), "from: \"%s\" is not an address", m->from);
	m->to = get_recipients(L, sec, "to", valid_address, "an address", &m->nto);
	parse_mail_auth(L, sec, m);
	parse_mail_tls(L, sec, m);
	parse_transport(L, sec, &m->ca_file, &m->connect_timeout, &m->timeout);
}

/* The placeholders of the http sms templates; PLACEHOLDER_* are their bits. */
static const char *const body_placeholders[] = {"to",    "from", "text", "host", "service",
                                                "state", "kind", "id",   NULL};
static const char *const header_placeholders[] = {"token", NULL};
#define PLACEHOLDER_TO   (1u << 0)
#define PLACEHOLDER_FROM (1u << 1)
#define PLACEHOLDER_TEXT (1u << 2)

/* The length of NAME when S starts with "{NAME}" (NAME a C identifier), else 0. */
static size_t placeholder_at(const char *s)
{
	size_t n = 1;

	if (s[0] != '{' || (!isalpha((unsigned char)s[1]) && s[1] != '_'))
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return s[n] == '}' ? n - 1 : 0;
}

/* Report each placeholder of TEXT (option NAME, at LINE) that ALLOWED does not
 * list, with HINT; return the bits (1 << index in ALLOWED) of those used. */
static unsigned check_placeholders(struct loader *L, int line, const char *name, const char *text,
                                   const char *const *allowed, const char *hint)
{
	unsigned used = 0;
	size_t i, n;

	for (; *text != '\0'; text++) {
		if ((n = placeholder_at(text)) == 0)
			continue;
		for (i = 0; allowed[i] != NULL; i++)
			if (strlen(allowed[i]) == n && strncmp(allowed[i], text + 1, n) == 0)
				break;
		if (allowed[i] != NULL)
			used |= 1u << i;
		else
			bad(L, line, "%s: unknown placeholder {%.*s}: %s", name, (int)n, text + 1,
			    hint);
		text += n + 1;
	}
	return used;
}

/* "Name: value": an HTTP token, a colon, a value that is not empty. */
static bool valid_header(const char *h)
{
	size_t n = 0;

	while (isalnum((unsigned char)h[n]) || (h[n] != '\0' && strchr("!#$%&'*+-.^_`|~", h[n])))
		n++;
	if (n == 0 || h[n] != ':')
		return false;
	h += n + 1;
	h += strspn(h, " ");
	return *h != '\0' && !has_control(h);
}

/* Header H (valid) is named NAME, in any case. */
static bool header_named(const char *h, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(h, name, n) == 0 && h[n] == ':';
}

static void parse_sms_headers(struct loader *L, cfg_t *sec, struct config_sms *s)
{
	bool token = is_set(sec, "token_file") || is_set(sec, "token_env");
	size_t i;

	s->headers = get_list(L, sec, "headers", &s->nheaders);
	for (i = 0; i < s->nheaders; i++) {
		const char *h = s->headers[i];
		int line = value_line(L, sec, "headers", (unsigned)i);

		if (has_control(h))
			continue; /* reported by record_value() */
		if (!valid_header(h))
			bad(L, line, "headers: \"%s\" is not \"Name: value\"", h);
		else if (header_named(h, "Content-Type"))
			bad(L, line, "headers: give the Content-Type with content_type");
		else if (header_named(h, "Content-Length"))
			bad(L, line, "headers: Content-Length is the daemon's to set");
		else if (check_placeholders(L, line, "headers", strchr(h, ':') + 1,
		                            header_placeholders, "a header may only use {token}") &&
		         !token)
			bad(L, line, "headers: {token} needs token_file or token_env");
	}
}

static void parse_sms_body(struct loader *L, cfg_t *sec, struct config_sms *s)
{
	static const char *const types[] = {"application/json", "application/x-www-form-urlencoded",
	                                    NULL};
	int line = opt_line(L, sec, "body");
	unsigned used;
	bool json;

	get_choice(L, sec, "content_type", types[0], types, &s->content_type);
	json = s->content_type == NULL || strcmp(s->content_type, types[0]) == 0;
	if (!get_text(L, sec, "body", json ? DEFAULT_JSON_BODY : DEFAULT_FORM_BODY, &s->body) ||
	    s->body == NULL || has_control(s->body))
		return;
	used = check_placeholders(L, line, "body", s->body, body_placeholders,
	                          "use {to} {from} {text} {host} {service} {state} {kind} {id}");
	if (!(used & PLACEHOLDER_TO))
		bad(L, line, "body has no {to}: the gateway would not know the number");
	if (!(used & PLACEHOLDER_TEXT))
		bad(L, line, "body has no {text}: the message would be empty");
	if ((used & PLACEHOLDER_FROM) && s->from == NULL)
		bad(L, line, "body uses {from}, but the channel has no from");
}

/* Options of provider "http" that twilio's fixed API has no use for. */
static const char *const sms_http_only[] = {"method", "headers", "content_type", "body", NULL};

/* The provider and what it requires; false without a usable provider. */
static bool parse_sms_provider(struct loader *L, cfg_t *sec, struct config_sms *s)
{
	static const char *const providers[] = {"twilio", "http", NULL};
	size_t i;

	need(L, sec, "provider", "an sms channel");
	if (!is_set(sec, "provider") ||
	    !get_choice(L, sec, "provider", NULL, providers, &s->provider) || s->provider == NULL)
		return false;
	if (strcmp(s->provider, "twilio") != 0) {
		need(L, sec, "url", "an http sms channel");
		return true;
	}
	need(L, sec, "user", "a twilio channel");
	need_one_of(L, sec, "token_file", "token_env", "a twilio channel");
	need(L, sec, "from", "a twilio channel");
	for (i = 0; sms_http_only[i] != NULL; i++)
		if (is_set(sec, sms_http_only[i]))
			bad(L, opt_line(L, sec, sms_http_only[i]), "%s is for provider \"http\"",
			    sms_http_only[i]);
	return true;
}

static void parse_sms(struct loader *L, cfg_t *sec, struct config_sms *s)
{
	static const char *const schemes[] = {"https://", "http://", NULL};
	static const char *const methods[] = {"POST", "PUT", NULL};
	bool provider = parse_sms_provider(L, sec, s);

	get_url(L, sec, schemes, "https:// or http://", &s->url);
	if (get_text(L, sec, "from", NULL, &s->from) && s->from && invalid(valid_phone, s->from))
		bad(L, opt_line(L, sec, "from"), "from: \"%s\" is not a number such as +4930123456",
		    s->from);
	s->to = get_recipients(L, sec, "to", valid_phone, "a number such as +4930123456", &s->nto);
	get_text(L, sec, "user", NULL, &s->user);
	read_secret_from(L, sec, "token_file", "token_env", &s->token);
	/* The token may go into a header; read_env_secret() checked an env one. */
	if (s->token != NULL && has_control(s->token))
		bad(L, opt_line(L, sec, "token_file"),
		    "token_file %s: the token has control characters", opt_str(sec, "token_file"));
	s->max_segments = 1;
	if (get_count(L, sec, "max_segments", SEGMENTS_MAX, &s->max_segments) &&
	    s->max_segments == 0)
		bad(L, opt_line(L, sec, "max_segments"), "max_segments must be at least 1");
	parse_transport(L, sec, &s->ca_file, &s->connect_timeout, &s->timeout);
	if (!provider || strcmp(s->provider, "http") != 0)
		return;
	get_choice(L, sec, "method", "POST", methods, &s->method);
	parse_sms_headers(L, sec, s);
	parse_sms_body(L, sec, s);
}

/* rate_limit = "COUNT/DURATION" into ch->rate_count and ch->rate_period
 * (unchanged when not set or wrong). */
static void get_rate_limit(struct loader *L, cfg_t *sec, struct config_channel *ch)
{
	const char *s = opt_str(sec, "rate_limit");
	int line = opt_line(L, sec, "rate_limit");
	unsigned long count;
	char err[256];
	double period = 0;
	size_t n;
	bool ok;

	if (s == NULL)
		return;
	n = strspn(s, "0123456789");
	if (n == 0 || s[n] != '/') {
		bad(L, line, "rate_limit: \"%s\" is not COUNT/DURATION such as \"10/1h\"", s);
		return;
	}
	count = n > 6 ? ULONG_MAX : strtoul(s, NULL, 10);
	ok = count >= 1 && count <= RATE_COUNT_MAX;
	if (!ok)
		bad(L, line, "rate_limit: %.*s is not a count from 1 to %d", (int)n, s,
		    RATE_COUNT_MAX);
	if (units_parse_duration(s + n + 1, &period, err, sizeof err) != 0)
		bad(L, line, "rate_limit: %s", err);
	else if (period <= 0)
		bad(L, line, "rate_limit: the period must be more than 0");
	else if (ok) {
		ch->rate_count = (unsigned)count;
		ch->rate_period = period;
	}
}

/* rate_limit and group_wait: how mail and sms channels batch their messages. */
static void parse_pacing(struct loader *L, cfg_t *sec, struct config_channel *ch)
{
	char a[32];

	get_rate_limit(L, sec, ch);
	if (get_duration(L, sec, "group_wait", &ch->group_wait) &&
	    ch->group_wait > GROUP_WAIT_MAX) {
		units_format_duration(ch->group_wait, a, sizeof a);
		bad(L, opt_line(L, sec, "group_wait"), "group_wait (%s) is more than 1h", a);
	}
}

static bool parse_channel_type(struct loader *L, cfg_t *sec, enum config_channel_type *t)
{
	const char *type = opt_str(sec, "type");
	size_t i;

	if (type == NULL) {
		bad(L, section_line(L, sec), "channel \"%s\" needs a type: snmp, mail, sms or log",
		    cfg_title(sec));
		return false;
	}
	for (i = 0; i < sizeof channel_type_names / sizeof channel_type_names[0]; i++)
		if (strcmp(type, channel_type_names[i]) == 0) {
			*t = (enum config_channel_type)i;
			return true;
		}
	bad(L, opt_line(L, sec, "type"), "type \"%s\" is not snmp, mail, sms or log", type);
	return false;
}

static bool valid_channel_name(const char *s)
{
	if (s[0] == '\0')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

static void parse_channel(struct loader *L, cfg_t *sec, struct config_channel *ch)
{
	ch->line = section_line(L, sec);
	ch->name = dup_str(L, cfg_title(sec));
	if (ch->name == NULL)
		return;
	if (!valid_channel_name(ch->name))
		bad(L, ch->line,
		    "channel \"%s\": a name has letters, digits, '.', '_' and '-' only", ch->name);
	refuse_inline_secrets(L, sec);
	ch->max_age = DEFAULT_MAX_AGE;
	get_period(L, sec, "max_age", &ch->max_age);
	if (!parse_channel_type(L, sec, &ch->type))
		return;
	refuse_foreign_options(L, sec, ch->type);
	if (ch->type == CONFIG_CHANNEL_SNMP)
		parse_snmp(L, sec, &ch->snmp);
	else if (ch->type == CONFIG_CHANNEL_MAIL)
		parse_mail(L, sec, &ch->mail);
	else if (ch->type == CONFIG_CHANNEL_SMS)
		parse_sms(L, sec, &ch->sms);
	if (ch->type == CONFIG_CHANNEL_MAIL || ch->type == CONFIG_CHANNEL_SMS)
		parse_pacing(L, sec, ch);
}

/* ---- routes --------------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned bit;
} route_states[] = {
        {"WARNING", CONFIG_ROUTE_WARNING},   {"CRITICAL", CONFIG_ROUTE_CRITICAL},
        {"UNKNOWN", CONFIG_ROUTE_UNKNOWN},   {"RECOVERY", CONFIG_ROUTE_RECOVERY},
        {"FLAPPING", CONFIG_ROUTE_FLAPPING}, {"STALE", CONFIG_ROUTE_STALE},
};

static void parse_states(struct loader *L, cfg_t *sec, unsigned *states)
{
	size_t i, j, n = cfg_size(sec, "states");

	*states = n == 0 ? CONFIG_ROUTE_ALL : 0;
	for (i = 0; i < n; i++) {
		const char *s = cfg_getnstr(sec, "states", (unsigned)i);

		for (j = 0; j < sizeof route_states / sizeof route_states[0]; j++)
			if (strcasecmp(s, route_states[j].name) == 0)
				break;
		if (j < sizeof route_states / sizeof route_states[0])
			*states |= route_states[j].bit;
		else
			bad(L, value_line(L, sec, "states", (unsigned)i),
			    "states: \"%s\" is not WARNING, CRITICAL, UNKNOWN, RECOVERY, FLAPPING "
			    "or STALE",
			    s);
	}
}

static void parse_route_channels(struct loader *L, cfg_t *sec, struct config *c,
                                 struct config_route *r)
{
	size_t i, j, n = cfg_size(sec, "channels");

	if (n == 0) {
		bad(L, r->line, "a route needs channels");
		return;
	}
	r->channels = alloc_array(L, n, sizeof *r->channels);
	for (i = 0; r->channels != NULL && i < n; i++) {
		const char *name = cfg_getnstr(sec, "channels", (unsigned)i);
		struct config_channel *ch = find_channel(c, name);

		if (ch == NULL) {
			bad(L, value_line(L, sec, "channels", (unsigned)i),
			    "channels: no channel is named \"%s\"", name);
			continue;
		}
		for (j = 0; j < r->nchannels && r->channels[j] != ch; j++)
			;
		if (j == r->nchannels)
			r->channels[r->nchannels++] = ch;
	}
}

static void parse_route(struct loader *L, cfg_t *sec, struct config *c, struct config_route *r)
{
	r->line = section_line(L, sec);
	get_text(L, sec, "match_host", "*", &r->match_host);
	get_text(L, sec, "match_service", "*", &r->match_service);
	parse_states(L, sec, &r->states);
	parse_route_channels(L, sec, c, r);
	get_duration(L, sec, "after", &r->after);
}

/* ---- the whole config ----------------------------------------------------- */

static void parse_sections(struct loader *L, cfg_t *root, struct config *c)
{
	size_t i, n;

	n = cfg_size(root, "check");
	c->checks = alloc_array(L, n, sizeof *c->checks);
	for (i = 0; c->checks != NULL && i < n; i++, c->nchecks++)
		parse_check(L, cfg_getnsec(root, "check", (unsigned)i), &c->defaults,
		            &c->checks[i]);
	n = cfg_size(root, "channel");
	c->channels = alloc_array(L, n, sizeof *c->channels);
	for (i = 0; c->channels != NULL && i < n; i++, c->nchannels++)
		parse_channel(L, cfg_getnsec(root, "channel", (unsigned)i), &c->channels[i]);
	n = cfg_size(root, "route");
	c->routes = alloc_array(L, n, sizeof *c->routes);
	for (i = 0; c->routes != NULL && i < n; i++, c->nroutes++) {
		parse_route(L, cfg_getnsec(root, "route", (unsigned)i), c, &c->routes[i]);
		if (i >= CONFIG_ESCALATING_ROUTES && c->routes[i].after > 0)
			bad(L, opt_line(L, cfg_getnsec(root, "route", (unsigned)i), "after"),
			    "after: only the first %d routes can escalate (this is route %zu)",
			    CONFIG_ESCALATING_ROUTES, i + 1);
	}
}

static struct config *build(struct loader *L, cfg_t *root)
{
	struct config *c = calloc(1, sizeof *c);

	if (c == NULL) {
		L->oom = true;
		return NULL;
	}
	c->path = dup_str(L, L->path);
	parse_root(L, root, c);
	parse_socket(L, cfg_size(root, "socket") ? cfg_getnsec(root, "socket", 0) : NULL,
	             &c->socket);
	c->defaults = policy_builtin;
	if (cfg_size(root, "defaults"))
		parse_policy(L, cfg_getnsec(root, "defaults", 0), &c->defaults);
	parse_sections(L, root, c);
	return c;
}

/* Parse TEXT (comments gone) and build the config from it. */
static struct config *parse_and_build(struct loader *L, const char *text)
{
	struct config *c = NULL;
	cfg_t *root = schema_new();

	if (root == NULL) {
		L->oom = true;
		return NULL;
	}
	cfg_set_error_function(root, on_confuse_error);
	if (cfg_parse_buf(root, text) == CFG_SUCCESS)
		c = build(L, root);
	else if (!failed(L))
		bad(L, 0, "cannot parse it");
	cfg_free(root);
	return c;
}

int config_load(const char *path, struct config **out, struct config_errors *errs)
{
	struct loader L = {.path = path, .errs = errs, .first_err = errs->count};
	struct config *c = NULL;
	char *text, *bare = NULL;
	size_t i;

	*out = NULL;
	loading = &L;
	text = read_config_file(&L);
	if (text != NULL)
		bare = strip_comments(&L, text, strlen(text));
	if (bare != NULL)
		c = parse_and_build(&L, bare);
	loading = NULL;
	free(text);
	free(bare);
	for (i = 0; i < L.nsecs; i++) {
		free(L.secs[i].name);
		free(L.secs[i].title);
	}
	free(L.secs);
	free(L.vals);
	if (L.oom)
		bad(&L, 0, "out of memory");
	if (failed(&L)) {
		config_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

/* ---- freeing ------------------------------------------------------------- */

static void free_channel(struct config_channel *ch)
{
	size_t i;

	for (i = 0; i < ch->snmp.nsinks; i++) {
		free(ch->snmp.sinks[i].spec);
		free(ch->snmp.sinks[i].host);
	}
	free(ch->snmp.sinks);
	wipe_free(ch->snmp.community);
	free(ch->snmp.user);
	free(ch->snmp.auth_proto);
	wipe_free(ch->snmp.auth_pass);
	free(ch->snmp.priv_proto);
	wipe_free(ch->snmp.priv_pass);
	free(ch->mail.url);
	free(ch->mail.from);
	free_list(ch->mail.to, ch->mail.nto);
	free(ch->mail.user);
	wipe_free(ch->mail.password);
	free(ch->sms.provider);
	free(ch->sms.url);
	free(ch->sms.from);
	free_list(ch->sms.to, ch->sms.nto);
	free(ch->sms.user);
	wipe_free(ch->sms.token);
	free(ch->mail.ca_file);
	free(ch->sms.method);
	free_list(ch->sms.headers, ch->sms.nheaders);
	free(ch->sms.content_type);
	free(ch->sms.body);
	free(ch->sms.ca_file);
	free(ch->name);
}

void config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nchecks; i++) {
		free(cfg->checks[i].name);
		free(cfg->checks[i].host);
		free_list(cfg->checks[i].argv, cfg->checks[i].argc);
	}
	for (i = 0; i < cfg->nchannels; i++)
		free_channel(&cfg->channels[i]);
	for (i = 0; i < cfg->nroutes; i++) {
		free(cfg->routes[i].match_host);
		free(cfg->routes[i].match_service);
		free(cfg->routes[i].channels);
	}
	free(cfg->checks);
	free(cfg->channels);
	free(cfg->routes);
	free(cfg->socket.path);
	free(cfg->path);
	free(cfg->user);
	free(cfg->state_dir);
	free(cfg->enterprise_oid);
	free(cfg);
}

void config_errors_free(struct config_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->count; i++)
		free(errs->v[i].text);
	free(errs->v);
	errs->v = NULL;
	errs->count = 0;
}

const struct config_channel *config_channel_find(const struct config *cfg, const char *name)
{
	return find_channel(cfg, name);
}
