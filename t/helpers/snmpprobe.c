/*
 * snmpprobe - test driver for the SNMP layers: remote options -> agent -> remote.
 *
 * Usage: snmpprobe [remote options] [-t D] [--state-dir DIR] mem|disks [MOUNT...]
 *
 * Prints the reading as key=value lines (sizes in bytes), plus how it was
 * made (source MIB, index cache use, PDUs sent). Failures print like a
 * plugin: "SNMPPROBE UNKNOWN - [kind] message", exit 3. The whole run is
 * bounded by -t, as in the plugins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "plugin.h"
#include "remote.h"
#include "remote_opts.h"

static const char help[] =
        "Usage: snmpprobe -H HOST[:PORT] [remote options] [-t D] [--state-dir DIR] mem|disks "
        "[MOUNT...]\n";

static const char *kind_name(enum agent_error k)
{
	static const char *const names[] = {"ok",           "timeout",  "auth",
	                                    "unknown-user", "protocol", "local"};

	return names[k];
}

static void print_mem(const struct remote_mem *m)
{
	printf("source=%s\n", remote_mib_name(m->mib_used));
	printf("total=%.0f\navailable=%.0f\n", m->total, m->available);
	if (m->have_swap)
		printf("swap_total=%.0f\nswap_free=%.0f\n", m->swap_total, m->swap_free);
	printf("note=%s\n", m->note);
}

static void print_disks(const struct remote_disks_info *info, const struct remote_disk *d, size_t n,
                        char **mounts, size_t nmounts)
{
	static const char *const cache[] = {"off", "hit", "miss", "stale"};

	printf("source=%s\ncache=%s\nnote=%s\n", remote_mib_name(info->mib_used),
	       cache[info->cache], info->note);
	for (size_t i = 0; i < n; i++) {
		const char *name = nmounts > 0 ? mounts[i] : d[i].descr;

		printf("%s.descr=%s\n", name, d[i].descr);
		printf("%s.used=%.0f\n%s.capacity=%.0f\n%s.total=%.0f\n", name, d[i].used, name,
		       d[i].capacity, name, d[i].total);
	}
}

static void parse(struct plugin_common *c, struct remote_opts *r, int argc, char **argv)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	struct option *merged = remote_options_merge(none), *all = plugin_options(merged);
	int opt;

	plugin_common_init(c, "SNMPPROBE");
	remote_opts_init(r);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":" PLUGIN_COMMON_SHORTOPTS REMOTE_SHORTOPTS, all,
	                          NULL)) != -1) {
		if (opt == '?' || opt == ':')
			plugin_die(c, "bad option %s", argv[optind - 1]);
		if (!remote_opt(r, c, opt, optarg))
			plugin_common_opt(c, opt, optarg, help);
	}
	free(all);
	free(merged);
	remote_opts_finish(r, c);
	if (!remote_opts_active(r) || optind >= argc)
		plugin_die(c, "usage: snmpprobe -H HOST [options] mem|disks [MOUNT...]");
}

int main(int argc, char **argv)
{
	struct plugin_common c;
	struct remote_opts r;
	struct agent *a;
	enum agent_error kind;
	char err[1024];
	int rc;

	parse(&c, &r, argc, argv);
	plugin_timeout_arm(&c);
	plugin_doing("talking to %s", r.host);
	if (agent_open(&r.target, &a, &kind, err, sizeof(err)) != 0)
		plugin_die(&c, "[%s] %s", kind_name(kind), err);
	if (strcmp(argv[optind], "mem") == 0) {
		struct remote_mem m;

		rc = remote_memory(a, r.mib, &m, err, sizeof(err));
		if (rc == 0)
			print_mem(&m);
	} else {
		struct remote_disks_info info;
		struct remote_disk *d;
		size_t n, nm = (size_t)(argc - optind - 1);

		rc = remote_disks(a, r.mib, c.state_dir, (const char *const *)argv + optind + 1, nm,
		                  &d, &n, &info, err, sizeof(err));
		if (rc == 0)
			print_disks(&info, d, n, argv + optind + 1, nm);
		if (rc == 0)
			free(d);
	}
	if (rc != 0)
		plugin_die(&c, "[%s] %s", kind_name(agent_last_error(a)), err);
	printf("requests=%u\n", agent_requests(a));
	agent_close(a);
	return 0;
}
