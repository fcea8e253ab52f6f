/* SPDX-License-Identifier: MIT */
/*
 * mhd_idle PLUGIN-SOCKET CONTROL-SOCKET: the floor under wgnetd's footprint and start-up. It
 * links what wgnetd links and serves two unix sockets with libmicrohttpd the way
 * plugin/http.c does (a thread per connection), answering every request with the reply to
 * Plugin.Activate, and does nothing else: no state, no netlink, no WireGuard. bench/run
 * compares wgnetd's resident memory and start-up time with this process's.
 * Runs until SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <libmnl/libmnl.h>
#include <libnftnl/table.h>
#include <microhttpd.h>
#include <sodium.h>

static const char reply_body[] = "{\"Implements\": [\"NetworkDriver\", \"IpamDriver\"]}";

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **con_cls)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)data;
	if (!*con_cls) {		/* first call: headers only */
		*con_cls = c;
		return MHD_YES;
	}
	if (*size) {			/* a body: ignore it */
		*size = 0;
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(sizeof(reply_body) - 1, (void *)reply_body,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static struct MHD_Daemon *serve(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct MHD_Daemon *d;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return NULL;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0) {
		close(fd);
		return NULL;
	}
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, NULL,
			     MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
			     MHD_OPTION_END);
	if (!d)
		close(fd);
	return d;
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *plugin = NULL, *control = NULL;
	struct nftnl_table *t;
	struct mnl_socket *nl;
	json_t *j;
	sigset_t sigs;
	int sig = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: mhd_idle PLUGIN-SOCKET CONTROL-SOCKET\n");
		return 2;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	/* touch each library wgnetd uses once, as its start-up does */
	if (sodium_init() < 0)
		return 1;
	j = json_pack("{s:s}", "state", "none");
	json_decref(j);
	t = nftnl_table_alloc();
	nftnl_table_free(t);
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (nl)
		mnl_socket_close(nl);
	control = serve(argv[2]);
	plugin = serve(argv[1]);
	if (!plugin || !control) {
		fprintf(stderr, "mhd_idle: cannot serve %s and %s\n", argv[1], argv[2]);
		goto out;
	}
	sigwait(&sigs, &sig);
out:
	if (plugin)
		MHD_stop_daemon(plugin);
	if (control)
		MHD_stop_daemon(control);
	unlink(argv[1]);
	unlink(argv[2]);
	return sig ? 0 : 1;
}
