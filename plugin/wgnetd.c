/* SPDX-License-Identifier: MIT */
/*
 * wgnetd: loads the state, reconciles the kernel with it, then serves the Docker plugin API
 * and the control API until SIGTERM/SIGINT. Stopping leaves every kernel object in place:
 * containers keep their connectivity while the daemon is down or restarting.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "driver/driver.h"
#include "driver/log.h"
#include "plugin/api.h"
#include "plugin/events_api.h"
#include "plugin/http.h"
#include "plugin/metrics_api.h"

#define DEFAULT_PLUGIN_SOCKET "/run/docker/plugins/wgnet.sock"
#define DEFAULT_CONTROL_SOCKET "/run/wgnet/wgnet.sock"
#define DEFAULT_STATE_DIR "/var/lib/wgnet"

struct options {
	const char *plugin_socket;
	const char *control_socket;
	const char *metrics;		/* ADDR:PORT, NULL = no metrics */
	struct driver_config driver;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: wgnetd [OPTION]...\n"
		"Docker network and IPAM plugin joining bridge networks of many hosts over WireGuard.\n"
		"\n"
		"  --plugin-socket PATH   Docker plugin API socket (" DEFAULT_PLUGIN_SOCKET ")\n"
		"  --control-socket PATH  control API socket for wgnet (" DEFAULT_CONTROL_SOCKET ")\n"
		"  --state-dir DIR        state directory (" DEFAULT_STATE_DIR ")\n"
		"  --iptables PATH        iptables binary dockerd uses (iptables); auto: iptables-legacy\n"
		"                         if the kernel has legacy tables, else iptables-nft\n"
		"  --no-iptables          never touch Docker's DOCKER-USER chain\n"
		"  --wg-backend MODE      auto (default), kernel or userspace WireGuard\n"
		"  --wg-userspace PROG    userspace WireGuard to run (wireguard-go)\n"
		"  --wg-cgroup-root DIR   move the userspace WireGuard to wgnetd's parent's cgroups,\n"
		"                         cgroupfs mounted at DIR (managed plugin: outlives wgnetd)\n"
		"  --listen-port N        WireGuard port when `wgnet init` names none (51820)\n"
		"  --mtu N                WireGuard and bridge MTU for `wgnet init` without --mtu\n"
		"                         (default: the uplink's MTU minus 80)\n"
		"  --docker-socket PATH   the Docker Engine API, where the names of this host's\n"
		"                         containers are read (/run/docker.sock; \"\": no names)\n"
		"  --metrics ADDR:PORT    serve Prometheus metrics at http://ADDR:PORT/metrics\n"
		"                         (a numeric IPv4 or [IPv6] address; default: none)\n"
		"  --log-level LEVEL      error, warn, info (default) or debug\n"
		"  --help, --version\n"
		"\n"
		"WGNET_LOG_LEVEL, WGNET_WG_BACKEND, WGNET_LISTEN_PORT, WGNET_MTU, WGNET_IPTABLES,\n"
		"WGNET_METRICS, WGNET_WG_CGROUP_ROOT and WGNET_DOCKER_SOCKET set the same as their\n"
		"options (the managed plugin's settings); an option wins. Empty = unset.\n");
}

/* The environment variables of the managed plugin (config.json "env"), as options. */
static const struct {
	const char *name;
	int opt;
} env_opts[] = {
	{ "WGNET_LOG_LEVEL", 'l' },
	{ "WGNET_WG_BACKEND", 'b' },
	{ "WGNET_LISTEN_PORT", 'P' },
	{ "WGNET_MTU", 'M' },
	{ "WGNET_IPTABLES", 'i' },
	{ "WGNET_WG_CGROUP_ROOT", 'C' },
	{ "WGNET_METRICS", 'm' },
	{ "WGNET_DOCKER_SOCKET", 'D' },
};

/* iptables "auto": the variant dockerd uses. Legacy iptables registers its tables with the
 * kernel's x_tables (listed in /proc/net/ip_tables_names of this network namespace);
 * iptables-nft leaves that list empty. */
static const char *iptables_auto(void)
{
	FILE *f = fopen("/proc/net/ip_tables_names", "re");
	int c = EOF;

	if (f) {
		c = fgetc(f);
		fclose(f);
	}
	return c == EOF ? "iptables-nft" : "iptables-legacy";
}

/* parse_uint TEXT MIN MAX OUT: a decimal number in MIN..MAX, nothing else */
static int parse_uint(const char *text, unsigned long min, unsigned long max, unsigned *out)
{
	unsigned long v;
	char *end;

	if (!*text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* One option (from the command line, or its environment variable WHAT): 0 or -EINVAL. */
static int apply_option(struct options *o, int c, const char *v, const char *what)
{
	struct sockaddr_storage sa;
	enum log_level level;
	socklen_t len;

	switch (c) {
	case 'p':
		o->plugin_socket = v;
		return 0;
	case 'c':
		o->control_socket = v;
		return 0;
	case 's':
		o->driver.state_dir = v;
		return 0;
	case 'i':
		o->driver.iptables = strcmp(v, "auto") == 0 ? iptables_auto() : v;
		return 0;
	case 'n':
		o->driver.no_iptables = true;
		return 0;
	case 'b':
		if (strcmp(v, "auto") != 0 && strcmp(v, "kernel") != 0 &&
		    strcmp(v, "userspace") != 0)
			break;
		o->driver.wg_backend = v;
		return 0;
	case 'u':
		o->driver.wg_userspace = v;
		return 0;
	case 'C':
		o->driver.wg_cgroup_root = v;
		return 0;
	case 'D':
		if (strlen(v) >= 108)	/* sun_path */
			break;
		o->driver.docker_socket = v;
		return 0;
	case 'P':
		if (parse_uint(v, 1, 65535, &o->driver.listen_port) < 0)
			break;
		return 0;
	case 'M':
		if (parse_uint(v, 1280, 9000, &o->driver.mtu) < 0)
			break;
		return 0;
	case 'l':
		if (log_level_parse(v, &level) < 0)
			break;
		log_set_level(level);
		return 0;
	case 'm':
		if (http_addr_parse(v, &sa, &len) < 0)
			break;
		o->metrics = v;
		return 0;
	default:
		return -EINVAL;
	}
	fprintf(stderr, "wgnetd: %s \"%s\" is not %s\n", what, v,
		c == 'b' ? "auto, kernel or userspace" :
		c == 'P' ? "a port number 1..65535" :
		c == 'M' ? "an MTU 1280..9000" :
		c == 'm' ? "ADDR:PORT (a numeric IPv4 or [IPv6] address, a port 1..65535)" :
		c == 'D' ? "a socket path of at most 107 bytes" : "error, warn, info or debug");
	return -EINVAL;
}

/* 0 = run, 1 = exit 0 (help/version), -EINVAL = usage error */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "plugin-socket", required_argument, NULL, 'p' },
		{ "control-socket", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "iptables", required_argument, NULL, 'i' },
		{ "no-iptables", no_argument, NULL, 'n' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "wg-backend", required_argument, NULL, 'b' },
		{ "wg-userspace", required_argument, NULL, 'u' },
		{ "wg-cgroup-root", required_argument, NULL, 'C' },
		{ "listen-port", required_argument, NULL, 'P' },
		{ "mtu", required_argument, NULL, 'M' },
		{ "docker-socket", required_argument, NULL, 'D' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char what[32];
	const char *v;
	int c;

	for (size_t i = 0; i < sizeof(env_opts) / sizeof(env_opts[0]); i++) {
		v = getenv(env_opts[i].name);
		if (v && *v && apply_option(o, env_opts[i].opt, v, env_opts[i].name) < 0)
			return -EINVAL;
	}
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("wgnetd 0.1.0\n");
			return 1;
		case '?':
			usage(stderr);
			return -EINVAL;
		default:
			for (size_t i = 0; longopts[i].name; i++)
				if (longopts[i].val == c)
					snprintf(what, sizeof(what), "--%s", longopts[i].name);
			if (apply_option(o, c, optarg, what) < 0)
				return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "wgnetd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* Room for both sockets' connection caps: the usual soft limit of 1024 would make the cap
 * a limit on file descriptors instead, reached long before it. */
static void nofile_raise(void)
{
	rlim_t want = 2 * HTTP_CONN_MAX + HTTP_TCP_CONN_MAX + 256;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("could not raise the open file limit to %llu, ignoring",
			 (unsigned long long)want);
}

int main(int argc, char **argv)
{
	struct options o = {
		.plugin_socket = DEFAULT_PLUGIN_SOCKET,
		.control_socket = DEFAULT_CONTROL_SOCKET,
		.driver = { .state_dir = DEFAULT_STATE_DIR },
	};
	struct http_server *plugin = NULL, *control = NULL, *metrics = NULL;
	struct events_waker *waker = NULL;
	struct driver *d = NULL;
	struct errbuf e = { 0 };
	sigset_t sigs;
	int ret, sig = 0;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 2;
#ifdef M_ARENA_MAX
	/* Requests take turns on the driver lock: an arena per connection thread would only
	 * hold memory (bench/README.md, footprint). */
	mallopt(M_ARENA_MAX, 1);
#endif
	/* Block the stop signals before any thread exists, so only sigwait() below sees them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	nofile_raise();

	ret = driver_new(&o.driver, &d, &e);
	if (ret < 0) {
		log_error("cannot start: %s", e.msg);
		return 1;
	}
	ret = http_server_start(o.control_socket, api_serve_control, d, &control);
	if (ret < 0) {
		log_error("cannot listen on %s: %s", o.control_socket, strerror(-ret));
		goto out;
	}
	ret = http_server_start(o.plugin_socket, api_serve_plugin, d, &plugin);
	if (ret < 0) {
		log_error("cannot listen on %s: %s", o.plugin_socket, strerror(-ret));
		goto out;
	}
	log_info("serving %s and %s", o.plugin_socket, o.control_socket);
	ret = events_waker_start(d, control, &waker);
	if (ret < 0) {
		log_error("cannot start the thread of wgnet events: %s", strerror(-ret));
		goto out;
	}
	/* the data path matters more than the metrics: wgnetd serves without them */
	ret = o.metrics ? http_server_start_tcp(o.metrics, metrics_api_serve, d, &metrics) : 0;
	if (ret < 0)
		log_error("cannot serve metrics on %s: %s; going on without them", o.metrics,
			  strerror(-ret));
	else if (o.metrics)
		log_info("serving metrics at http://%s/metrics", o.metrics);
	ret = 0;
	do {
		if (sigwait(&sigs, &sig) != 0)
			break;
		if (sig == SIGHUP)
			log_info("SIGHUP: nothing to reload");
	} while (sig == SIGHUP);
	log_info("stopping on signal %d; kernel objects stay in place", sig);
out:
	events_waker_stop(waker);
	http_server_stop(metrics);
	http_server_stop(plugin);
	http_server_stop(control);
	driver_free(d);
	return ret < 0 ? 1 : 0;
}
