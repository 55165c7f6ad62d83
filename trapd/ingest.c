/*
 * ingest.c - the socket protocol's lines, cut in place into a result or a
 * control command.
 *
 * One table lists the commands; a line is checked in the order a reader
 * would: bytes (NUL), timestamp, command name, field count, then each field.
 * Text quoted in a message is cut to 40 bytes and shown with '?' for
 * anything but printable ASCII, so a message is always one clean line.
 */
#include "ingest.h"

#include <stdbool.h>
#include <string.h>

#include "errbuf.h"

#define SHOWN_MAX 40 /* bytes of the line quoted in a message */

struct command {
	const char *name;
	enum ingest_type type;
	size_t nargs;      /* control commands: exactly this many arguments */
	bool rest;         /* the last argument takes the rest of the line */
	const char *usage; /* the fields after the name, for messages */
};

static const struct command commands[] = {
        {"PROCESS_SERVICE_CHECK_RESULT", INGEST_SERVICE_RESULT, 0, false, "HOST;SERVICE;RC;OUTPUT"},
        {"PROCESS_HOST_CHECK_RESULT", INGEST_HOST_RESULT, 0, false, "HOST;RC;OUTPUT"},
        {"TRENDTRAP_SYNC", INGEST_CONTROL, 0, false, "no arguments"},
        {"TRENDTRAP_STATUS", INGEST_CONTROL, 0, false, "no arguments"},
        {"TRENDTRAP_SILENCE_ADD", INGEST_CONTROL, 3, true, "PATTERN;DURATION;COMMENT"},
        {"TRENDTRAP_SILENCE_LIST", INGEST_CONTROL, 0, false, "no arguments"},
        {"TRENDTRAP_SILENCE_REMOVE", INGEST_CONTROL, 1, false, "ID"},
        {"TRENDTRAP_TEST", INGEST_CONTROL, 1, false, "CHANNEL"},
        {"TRENDTRAP_ACK", INGEST_CONTROL, 2, true, "PATTERN;COMMENT"},
};

/* S cut to SHOWN_MAX bytes, non-printable bytes as '?', "..." when cut. */
static const char *shown(const char *s, char buf[SHOWN_MAX + 4])
{
	size_t i;

	for (i = 0; s[i] && i < SHOWN_MAX; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7F ? s[i] : '?';
	strcpy(buf + i, s[i] ? "..." : "");
	return buf;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parse the optional "[SECONDS] " at *P into OUT->timestamp; moves *P past it. */
static int parse_timestamp(char **p, struct ingest_line *out, char *err, size_t errlen)
{
	char *s = *p, *close, buf[SHOWN_MAX + 4];
	int64_t t = 0;

	if (*s != '[')
		return 0;
	close = strchr(s, ']');
	if (close == NULL)
		return errbuf_fail(err, errlen, "unterminated timestamp: no ']' after '['");
	*close = '\0';
	if (s[1] == '\0')
		return errbuf_fail(err, errlen, "bad timestamp '[]': expected [UNIX SECONDS]");
	for (s++; *s; s++) {
		if (!is_digit(*s) || t > (INT64_MAX - (*s - '0')) / 10)
			return errbuf_fail(err, errlen,
			                   "bad timestamp '[%s]': expected [UNIX SECONDS]",
			                   shown(*p + 1, buf));
		t = t * 10 + (*s - '0');
	}
	for (s = close + 1; *s == ' '; s++)
		;
	out->timestamp = t;
	*p = s;
	return 0;
}

/* Split S at ';' into at most MAX fields, the last taking the rest of S.
 * Returns the number of fields; 0 when S is NULL. */
static size_t split(char *s, char **field, size_t max)
{
	size_t n = 0;

	while (s != NULL && n < max) {
		char *semi = n + 1 < max ? strchr(s, ';') : NULL;

		field[n++] = s;
		if (semi != NULL)
			*semi++ = '\0';
		s = semi;
	}
	return n;
}

/* A host or service name: 1..INGEST_NAME_MAX bytes, no control characters. */
static int check_name(const char *what, const char *s, char *err, size_t errlen)
{
	size_t len = strlen(s);

	if (len == 0)
		return errbuf_fail(err, errlen, "empty %s name", what);
	if (len > INGEST_NAME_MAX)
		return errbuf_fail(err, errlen, "%s name longer than %d bytes", what,
		                   INGEST_NAME_MAX);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7F)
			return errbuf_fail(err, errlen, "control character in %s name", what);
	return 0;
}

/* A return code: an integer 0..3 (leading zeros allowed). */
static int parse_rc(const char *s, int *rc, char *err, size_t errlen)
{
	char buf[SHOWN_MAX + 4];
	size_t i = s[0] == '-';
	int value = 0;

	if (!is_digit(s[i]))
		return errbuf_fail(err, errlen, "return code '%s' is not an integer",
		                   shown(s, buf));
	for (; is_digit(s[i]); i++)
		value = value > 3 ? value : value * 10 + (s[i] - '0');
	if (s[i] != '\0')
		return errbuf_fail(err, errlen, "return code '%s' is not an integer",
		                   shown(s, buf));
	if (s[0] == '-' || value > 3)
		return errbuf_fail(err, errlen, "return code %s is not 0..3", shown(s, buf));
	*rc = value;
	return 0;
}

static char *trim_right(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Cut OUTPUT (NULL when absent) into its first line and that line's perfdata. */
static void split_output(char *output, struct ingest_line *out)
{
	char *cut, *bar;

	out->output = out->perfdata = "";
	if (output == NULL)
		return;
	cut = strstr(output, "\\n"); /* Nagios' long output: dropped */
	if (cut != NULL)
		*cut = '\0';
	bar = strchr(output, '|');
	if (bar != NULL) {
		*bar++ = '\0';
		while (is_blank(*bar))
			bar++;
		out->perfdata = trim_right(bar);
	}
	out->output = trim_right(output);
}

static int parse_result(const struct command *cmd, char *rest, struct ingest_line *out, char *err,
                        size_t errlen)
{
	bool host_only = cmd->type == INGEST_HOST_RESULT;
	size_t want = host_only ? 3 : 4, n;
	char *f[4];

	n = split(rest, f, want);
	if (n < want - 1)
		return errbuf_fail(err, errlen, "%s wants %s: got %zu field%s", cmd->name,
		                   cmd->usage, n, n == 1 ? "" : "s");
	out->host = f[0];
	out->service = host_only ? "HOST" : f[1];
	if (check_name("host", out->host, err, errlen) < 0 ||
	    check_name("service", out->service, err, errlen) < 0 ||
	    parse_rc(f[want - 2], &out->rc, err, errlen) < 0)
		return -1;
	if (host_only && (out->rc == 1 || out->rc == 2))
		out->rc = 2; /* DOWN and UNREACHABLE are filed as CRITICAL */
	split_output(n == want ? f[want - 1] : NULL, out);
	return 0;
}

static int parse_control(const struct command *cmd, char *rest, struct ingest_line *out, char *err,
                         size_t errlen)
{
	char *f[INGEST_MAX_ARGS + 1];
	size_t n = split(rest, f, cmd->rest ? cmd->nargs : INGEST_MAX_ARGS + 1);

	if (cmd->nargs == 0 && n > 0)
		return errbuf_fail(err, errlen, "%s takes no arguments", cmd->name);
	if (n != cmd->nargs)
		return errbuf_fail(err, errlen, "%s wants %s: got %s%zu argument%s", cmd->name,
		                   cmd->usage, n > INGEST_MAX_ARGS ? "more than " : "",
		                   n > INGEST_MAX_ARGS ? INGEST_MAX_ARGS : n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		out->args[i] = f[i];
	out->nargs = n;
	return 0;
}

static bool is_empty(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_blank(s[i]))
			return false;
	return true;
}

int ingest_parse(char *line, size_t len, struct ingest_line *out, char *err, size_t errlen)
{
	const struct command *cmd = NULL;
	const char *nul;
	char *p, *rest, buf[SHOWN_MAX + 4];

	memset(out, 0, sizeof *out);
	out->timestamp = -1;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	nul = memchr(line, '\0', len);
	if (nul != NULL)
		return errbuf_fail(err, errlen, "NUL byte at column %zu", (size_t)(nul - line) + 1);
	line[len] = '\0';
	if (is_empty(line, len))
		return errbuf_fail(err, errlen, "empty line");
	p = line;
	if (parse_timestamp(&p, out, err, errlen) < 0)
		return -1;
	if (*p == '\0')
		return errbuf_fail(err, errlen, "no command after the timestamp");
	rest = strchr(p, ';');
	if (rest != NULL)
		*rest++ = '\0';
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(p, commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL)
		return errbuf_fail(err, errlen, "unknown command '%s'", shown(p, buf));
	out->type = cmd->type;
	out->command = cmd->name;
	if (cmd->type == INGEST_CONTROL)
		return parse_control(cmd, rest, out, err, errlen);
	return parse_result(cmd, rest, out, err, errlen);
}
