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
#include "plugin/http.h"

#define DEFAULT_PLUGIN_SOCKET "/run/docker/plugins/wgnet.sock"
#define DEFAULT_CONTROL_SOCKET "/run/wgnet/wgnet.sock"
#define DEFAULT_STATE_DIR "/var/lib/wgnet"

struct options {
	const char *plugin_socket;
	const char *control_socket;
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
		"  --iptables PATH        iptables binary dockerd uses (iptables)\n"
		"  --no-iptables          never touch Docker's DOCKER-USER chain\n"
		"  --wg-backend MODE      auto (default), kernel or userspace WireGuard\n"
		"  --wg-userspace PROG    userspace WireGuard to run (wireguard-go)\n"
		"  --log-level LEVEL      error, warn, info (default) or debug\n"
		"  --help, --version\n");
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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	enum log_level level;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->plugin_socket = optarg;
			break;
		case 'c':
			o->control_socket = optarg;
			break;
		case 's':
			o->driver.state_dir = optarg;
			break;
		case 'i':
			o->driver.iptables = optarg;
			break;
		case 'n':
			o->driver.no_iptables = true;
			break;
		case 'b':
			if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "kernel") != 0 &&
			    strcmp(optarg, "userspace") != 0) {
				fprintf(stderr, "wgnetd: --wg-backend is auto, kernel or userspace\n");
				return -EINVAL;
			}
			o->driver.wg_backend = optarg;
			break;
		case 'u':
			o->driver.wg_userspace = optarg;
			break;
		case 'l':
			if (log_level_parse(optarg, &level) < 0) {
				fprintf(stderr, "wgnetd: unknown log level \"%s\"\n", optarg);
				return -EINVAL;
			}
			log_set_level(level);
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("wgnetd 0.1.0\n");
			return 1;
		default:
			usage(stderr);
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
	rlim_t want = 2 * HTTP_CONN_MAX + 256;
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
	struct http_server *plugin = NULL, *control = NULL;
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
	do {
		if (sigwait(&sigs, &sig) != 0)
			break;
		if (sig == SIGHUP)
			log_info("SIGHUP: nothing to reload");
	} while (sig == SIGHUP);
	log_info("stopping on signal %d; kernel objects stay in place", sig);
out:
	http_server_stop(plugin);
	http_server_stop(control);
	driver_free(d);
	return ret < 0 ? 1 : 0;
}
