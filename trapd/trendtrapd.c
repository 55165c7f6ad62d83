/*
 * trendtrapd.c - main() of the daemon: options, config check, signals,
 * privileges, daemonizing; the work is in daemon.c.
 *
 *   trendtrapd [-f FILE] [-d] [-n] [-v]
 *
 * Startup errors go to stderr and exit 1 (usage: 2); the process detaches
 * only once everything is open, so a failed start is seen where it was run.
 * Signals arrive through a signalfd in the event loop: SIGHUP reloads,
 * SIGTERM and SIGINT stop, SIGCHLD reaps.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "channel.h"
#include "config.h"
#include "daemon.h"
#include "loop.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif
#ifndef TT_SYSCONFDIR
#define TT_SYSCONFDIR "/etc"
#endif

#define EXIT_USAGE 2

struct options {
	const char *file;
	bool foreground, check_only, verbose;
};

static const char usage_text[] =
        "Usage: trendtrapd [-f FILE] [-d] [-n] [-v]\n"
        "\n"
        "Turn check results into notifications of sustained problems: SNMP traps and\n"
        "informs, e-mail and SMS (and a log channel), durable across restarts.\n"
        "\n"
        "  -f FILE        the configuration (default " TT_SYSCONFDIR "/trendtrapd.conf)\n"
        "  -d             stay in the foreground and log to stderr (default: detach,\n"
        "                 log to syslog)\n"
        "  -n             check the configuration: print every error as FILE:LINE:\n"
        "                 message and exit 1, or exit 0 silently\n"
        "  -v             verbose: debug messages too\n"
        "  -h, --help     show this help and exit\n"
        "  -V, --version  show the version and exit\n"
        "\n"
        "Signals: HUP reloads the configuration (a bad one is refused and the old one\n"
        "stays), TERM and INT stop cleanly.  See trendtrapd(8), trendtrapd.conf(5).\n";

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	o->file = TT_SYSCONFDIR "/trendtrapd.conf";
	while ((c = getopt_long(argc, argv, "f:dnvhV", longs, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->file = optarg;
			break;
		case 'd':
			o->foreground = true;
			break;
		case 'n':
			o->check_only = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_SUCCESS);
		case 'V':
			printf("trendtrapd %s\n", PACKAGE_VERSION);
			exit(EXIT_SUCCESS);
		default:
			fputs("Try 'trendtrapd --help'.\n", stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "trendtrapd: unexpected argument '%s'\nTry 'trendtrapd --help'.\n",
		        argv[optind]);
		return -1;
	}
	return 0;
}

/* Load FILE; print every error (to stderr, or the daemon's log when D). */
static struct config *load(const char *file, struct daemon *d)
{
	struct config *cfg = NULL;
	struct config_errors errs = {0};
	int bad = config_load(file, &cfg, &errs) < 0;

	for (size_t i = 0; bad == 0 && cfg != NULL && i < cfg->nchannels; i++)
		if (channel_ops_for(cfg->channels[i].type) == NULL) {
			char *msg;

			if (asprintf(&msg,
			             "%s:%d: channel \"%s\": this channel type is not built "
			             "into trendtrapd yet",
			             file, cfg->channels[i].line, cfg->channels[i].name) < 0)
				msg = NULL;
			d != NULL ? daemon_log(d, LOG_ERR, "%s", msg ? msg : "out of memory")
			          : (void)fprintf(stderr, "%s\n", msg ? msg : "out of memory");
			free(msg);
			bad = 1;
		}
	for (size_t i = 0; i < errs.count; i++) {
		if (d != NULL)
			daemon_log(d, LOG_ERR, "%s", errs.v[i].text);
		else
			fprintf(stderr, "%s\n", errs.v[i].text);
	}
	if (bad && errs.count == 0 && cfg == NULL)
		d != NULL ? daemon_log(d, LOG_ERR, "%s: cannot load", file)
		          : (void)fprintf(stderr, "%s: cannot load\n", file);
	config_errors_free(&errs);
	if (bad) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* The user to become, when running as root; -1s otherwise. */
static int lookup_user(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (geteuid() != 0)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		fprintf(stderr, "trendtrapd: no user \"%s\" (set user in the config)\n", user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

static int drop_root(const char *user, uid_t uid, gid_t gid)
{
	if (uid == (uid_t)-1 || uid == 0)
		return 0;
	if (initgroups(user, gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		fprintf(stderr, "trendtrapd: cannot become %s: %s\n", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		fprintf(stderr, "trendtrapd: could regain root after dropping it\n");
		return -1;
	}
	return 0;
}

static int signals_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

struct signal_ctx {
	struct daemon *d;
	const char *file;
};

static void reap(struct daemon *d)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		daemon_reaped(d, pid, status);
}

static void on_signal(struct loop *l, int fd, unsigned events, void *arg)
{
	struct signal_ctx *sc = arg;
	struct signalfd_siginfo si;
	struct config *cfg;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(sc->d);
			break;
		case SIGHUP:
			daemon_log(sc->d, LOG_NOTICE, "SIGHUP: reloading %s", sc->file);
			cfg = load(sc->file, sc->d);
			if (cfg == NULL)
				daemon_log(sc->d, LOG_ERR, "reload refused, the old config stays");
			else
				daemon_reload(sc->d, cfg);
			break;
		default:
			daemon_log(sc->d, LOG_NOTICE, "signal %d: stopping", (int)si.ssi_signo);
			loop_stop(l);
			break;
		}
	}
}

/* Detach from the terminal: fork twice, new session, stdio on /dev/null. */
static int detach(void)
{
	pid_t pid = fork();
	int null;

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(EXIT_SUCCESS);
	setsid();
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(EXIT_SUCCESS);
	if (chdir("/") < 0)
		return -1;
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	return 0;
}

static int run(const struct options *o, struct config *cfg)
{
	struct loop *l = loop_new();
	struct daemon *d = l ? daemon_new(cfg, l, o->foreground, o->verbose) : NULL;
	struct signal_ctx sc = {d, o->file};
	char err[1024];
	uid_t uid;
	gid_t gid;
	int sfd = -1, rc = EXIT_FAILURE;

	if (d == NULL) {
		fprintf(stderr, "trendtrapd: out of memory\n");
		config_free(cfg);
		goto out;
	}
	if (lookup_user(cfg->user, &uid, &gid) < 0)
		goto out;
	sfd = signals_fd();
	if (sfd < 0 || loop_watch(l, sfd, LOOP_READ, on_signal, &sc) < 0) {
		fprintf(stderr, "trendtrapd: signals: %s\n", strerror(errno));
		goto out;
	}
	if (daemon_open(d, uid, gid, err, sizeof(err)) < 0 || drop_root(cfg->user, uid, gid) < 0 ||
	    daemon_start(d, err, sizeof(err)) < 0) {
		fprintf(stderr, "trendtrapd: %s\n", err);
		goto out;
	}
	if (!o->foreground && detach() < 0) {
		fprintf(stderr, "trendtrapd: cannot detach: %s\n", strerror(errno));
		goto out;
	}
	daemon_log(d, LOG_NOTICE, "started (%s), pid %ld", o->file, (long)getpid());
	if (loop_run(l) < 0)
		daemon_log(d, LOG_ERR, "event loop: %s", strerror(errno));
	else
		rc = EXIT_SUCCESS;
	daemon_log(d, LOG_NOTICE, "stopped");
out:
	daemon_close(d);
	if (sfd >= 0) {
		loop_unwatch(l, sfd);
		close(sfd);
	}
	loop_free(l);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct config *cfg;

	if (parse_options(argc, argv, &o) < 0)
		return EXIT_USAGE;
	cfg = load(o.file, NULL);
	if (cfg == NULL)
		return EXIT_FAILURE;
	if (o.check_only) {
		config_free(cfg);
		return EXIT_SUCCESS;
	}
	if (!o.foreground)
		openlog("trendtrapd", LOG_PID, LOG_DAEMON);
	return run(&o, cfg);
}
