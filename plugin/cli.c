/* SPDX-License-Identifier: MIT */
/*
 * wgnet: the command-line client of wgnetd's control API, JSON over HTTP on a unix socket.
 * It knows the API only (docs: control API), never driver/ or netlink/: whatever it shows comes
 * from the daemon's reply, which it checks as hostile input before printing a byte of it.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#ifndef WGNET_VERSION
#define WGNET_VERSION "0.1.0"
#endif

#define CLI_SOCKET_DEFAULT "/run/wgnet/wgnet.sock"
#define CLI_SOCKET_ENV "WGNET_SOCKET"
#define CLI_REPLY_MAX (4 * 1024 * 1024)
#define CLI_CONNECT_TIMEOUT_MS 5000L
#define CLI_TOTAL_TIMEOUT_MS 30000L
#define CLI_TEXT_MAX 300	/* longest string from the daemon we print (an endpoint) */

enum cli_exit { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

#define CLI_USAGE_INIT "wgnet [--socket PATH] init --index N [--endpoint HOST:PORT] [--mtu N]"
#define CLI_USAGE_STATUS "wgnet [--socket PATH] status [--json]"
#define CLI_USAGE_ANY "wgnet [--socket PATH] init|status [OPTIONS], wgnet --help"

static const char cli_help[] =
	"usage: " CLI_USAGE_INIT "\n"
	"       " CLI_USAGE_STATUS "\n"
	"       wgnet --help | -h\n"
	"       wgnet --version\n"
	"\n"
	"Commands:\n"
	"  init      make this host number N (1..65535) of the mesh; --endpoint is the\n"
	"            HOST:PORT where other hosts reach its WireGuard port (a name, an IPv4\n"
	"            address or an [IPv6] address), --mtu is 576..65535\n"
	"  status    show this host and its networks; --json prints wgnetd's reply\n"
	"\n"
	"Options:\n"
	"  --socket PATH   wgnetd's control socket (default $" CLI_SOCKET_ENV ", else\n"
	"                  " CLI_SOCKET_DEFAULT ")\n"
	"  -h, --help      show this help\n"
	"  --version       show the version\n"
	"\n"
	"Exit status: 0 done, 1 wgnetd unreachable or it refused, 2 bad arguments.\n";

struct cli_socket {
	const char *path;
};

struct cli_reply {
	char *data;
	size_t len;
	size_t cap;
	bool too_big;
};

struct cli_network {
	const char *id;
	const char *pool;
	const char *slice;
	const char *gateway;
	const char *bridge;
	int bridge_up;
	int internal;
	json_int_t mtu;
	json_int_t endpoints;
};

struct cli_status {
	json_int_t index;
	const char *endpoint;
	json_int_t mtu;
	const char *firewall;
	json_int_t pending_pools;
	struct cli_network *nets;	/* strings borrowed from the reply */
	size_t n_nets;
};

static int cli_usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("wgnet: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (usage: %s)\n", usage);
	return CLI_EXIT_USAGE;
}

/* Text from the daemon reaches a terminal: control bytes could move the cursor or worse. */
static void cli_print_clean(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

/* One line on stderr; what may come from the daemon (its "Err"), so it is cleaned too. */
static void cli_fail(const char *what, const char *detail)
{
	fputs("wgnet: ", stderr);
	cli_print_clean(stderr, what);
	if (detail) {
		fputs(": ", stderr);
		cli_print_clean(stderr, detail);
	}
	fputc('\n', stderr);
}

static bool cli_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal digits only (no sign, no blanks, no hex), within [min, max]. */
static int cli_parse_uint(const char *s, unsigned long min, unsigned long max,
			  unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (!cli_is_digit(*s))
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	if (v < min)
		return -ERANGE;
	*out = v;
	return 0;
}

/* A DNS name: labels of 1..63 letters, digits and inner hyphens; all-numeric means IPv4. */
static bool cli_host_valid(const char *host, size_t len)
{
	struct in_addr a4;
	char buf[254];
	size_t i, label = 0;
	bool numeric = true;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, host, len);
	buf[len] = '\0';
	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (c == '.') {
			if (label == 0 || buf[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!cli_is_digit(c))
			numeric = false;
		if (c == '-' && label == 0)
			return false;
		if (!cli_is_digit(c) && c != '-' && !(c >= 'a' && c <= 'z') &&
		    !(c >= 'A' && c <= 'Z'))
			return false;
		if (++label > 63)
			return false;
	}
	if (label == 0 || buf[len - 1] == '-')
		return false;
	if (numeric)
		return inet_pton(AF_INET, buf, &a4) == 1;
	return true;
}

/* NULL when ep is HOST:PORT, else what is wrong with it. */
static const char *cli_endpoint_problem(const char *ep)
{
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN];
	const char *port;
	unsigned long v;

	if (ep[0] == '[') {
		const char *end = strchr(ep, ']');
		size_t len;

		if (!end || end[1] != ':')
			return "must be [IPv6]:PORT";
		len = (size_t)(end - ep - 1);
		if (len == 0 || len >= sizeof(buf))
			return "has no valid IPv6 address between [ and ]";
		memcpy(buf, ep + 1, len);
		buf[len] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) != 1)
			return "has no valid IPv6 address between [ and ]";
		port = end + 2;
	} else {
		const char *colon = strrchr(ep, ':');

		if (!colon)
			return "must be HOST:PORT";
		if (memchr(ep, ':', (size_t)(colon - ep)))
			return "must put an IPv6 address in brackets: [IPv6]:PORT";
		if (!cli_host_valid(ep, (size_t)(colon - ep)))
			return "needs a host name or IPv4 address before the ':'";
		port = colon + 1;
	}
	if (cli_parse_uint(port, 1, 65535, &v) < 0)
		return "needs a port of 1..65535 after the ':'";
	return NULL;
}

static bool cli_socket_valid(const char *path)
{
	return path[0] && strlen(path) < sizeof(((struct sockaddr_un *)NULL)->sun_path);
}

/*
 * Matches argv[*i] against the long option name, as "--name=value" or "--name value".
 * Returns 1 with *value set, 0 when argv[*i] is not this option, -EINVAL when the value is
 * missing.
 */
static int cli_opt_value(int argc, char **argv, int *i, const char *name, const char **value)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0)
		return 0;
	if (arg[n] == '=') {
		*value = arg + n + 1;
		return 1;
	}
	if (arg[n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -EINVAL;
	*i += 1;
	*value = argv[*i];
	return 1;
}

/* --socket anywhere on the line; returns 1 if argv[*i] was it, 0 if not, or an exit code < 0. */
static int cli_opt_socket(int argc, char **argv, int *i, struct cli_socket *sock,
			  const char *usage)
{
	const char *v;
	int r = cli_opt_value(argc, argv, i, "--socket", &v);

	if (r == -EINVAL)
		return -cli_usage_error(usage, "--socket needs a PATH");
	if (r == 0)
		return 0;
	if (!cli_socket_valid(v))
		return -cli_usage_error(usage, "--socket PATH must be 1..%zu bytes",
					sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
	sock->path = v;
	return 1;
}

static size_t cli_reply_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct cli_reply *r = userdata;
	size_t n = size * nmemb;	/* size is 1 for libcurl */

	if (n > CLI_REPLY_MAX - r->len) {
		r->too_big = true;
		return 0;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *data;

		while (cap < r->len + n + 1)
			cap *= 2;
		data = realloc(r->data, cap);
		if (!data)
			return 0;	/* libcurl reports a write error */
		r->data = data;
		r->cap = cap;
	}
	memcpy(r->data + r->len, ptr, n);
	r->len += n;
	r->data[r->len] = '\0';
	return n;
}

static void cli_unreachable(const struct cli_socket *sock, CURL *c, CURLcode res,
			    const char *errbuf)
{
	const char *reason = errbuf[0] ? errbuf : curl_easy_strerror(res);
	long os_errno = 0;

	/* "Connection refused" or "No such file" tell more than curl's "port 80" text */
	if (res == CURLE_COULDNT_CONNECT &&
	    curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK && os_errno > 0)
		reason = strerror((int)os_errno);
	fputs("wgnet: cannot reach wgnetd at ", stderr);
	cli_print_clean(stderr, sock->path);
	fputs(": ", stderr);
	cli_print_clean(stderr, reason);
	fputs(" (is wgnetd running?)\n", stderr);
}

/*
 * One request to the control API. On success *out is the reply's JSON object (the caller
 * frees it). Every failure is printed here, once: an unreachable daemon, an {"Err": ...} from
 * it, or a reply that is not what the API promises.
 */
static int cli_request(const struct cli_socket *sock, const char *path, const char *body,
		       json_t **out)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct cli_reply reply = { 0 };
	struct curl_slist *headers = NULL;
	json_t *root = NULL, *err;
	json_error_t jerr;
	char url[64];
	long status = 0;
	CURLcode res;
	CURL *c;
	int ret = -EIO;

	snprintf(url, sizeof(url), "http://localhost%s", path);
	c = curl_easy_init();
	if (!c) {
		cli_fail("cannot start libcurl", NULL);
		return -ENOMEM;
	}
	if (body) {
		headers = curl_slist_append(NULL, "Content-Type: application/json");
		if (!headers) {
			cli_fail("out of memory", NULL);
			ret = -ENOMEM;
			goto out;
		}
	}
	if (curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock->path) ||
	    curl_easy_setopt(c, CURLOPT_URL, url) ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http") ||
#endif
	    curl_easy_setopt(c, CURLOPT_PROXY, "") ||	/* never an $http_proxy */
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CLI_CONNECT_TIMEOUT_MS) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, CLI_TOTAL_TIMEOUT_MS) ||
	    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CLI_REPLY_MAX) ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, cli_reply_write) ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply) ||
	    (body && (curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) ||
		      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body)) ||
		      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers)))) {
		cli_fail("libcurl lacks an option wgnet needs (unix sockets?)", NULL);
		goto out;
	}

	res = curl_easy_perform(c);
	if (reply.too_big || res == CURLE_FILESIZE_EXCEEDED) {
		fprintf(stderr, "wgnet: reply from wgnetd over %d bytes\n", CLI_REPLY_MAX);
		ret = -EMSGSIZE;
		goto out;
	}
	if (res != CURLE_OK) {
		cli_unreachable(sock, c, res, errbuf);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);

	ret = -EBADMSG;
	root = json_loadb(reply.data ? reply.data : "", reply.len, JSON_REJECT_DUPLICATES, &jerr);
	if (status != 200) {
		err = root ? json_object_get(root, "Err") : NULL;
		if (json_is_string(err) && json_string_length(err) > 0) {
			cli_fail(json_string_value(err), NULL);
			ret = -EIO;
		} else {
			fprintf(stderr, "wgnet: wgnetd answered HTTP %ld without an error text\n",
				status);
		}
		goto out;
	}
	if (!root) {
		fprintf(stderr, "wgnet: malformed reply from wgnetd: bad JSON at byte %d: ",
			jerr.position);
		cli_print_clean(stderr, jerr.text);
		fputc('\n', stderr);
		goto out;
	}
	if (!json_is_object(root)) {
		cli_fail("malformed reply from wgnetd: not a JSON object", NULL);
		goto out;
	}
	*out = root;
	root = NULL;
	ret = 0;
out:
	json_decref(root);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	free(reply.data);
	return ret;
}

static void cli_malformed(const json_error_t *jerr)
{
	fputs("wgnet: malformed reply from wgnetd: ", stderr);
	cli_print_clean(stderr, jerr->text);
	fputc('\n', stderr);
}

/* Printable, short, and not empty unless allowed: all we need to show it safely. */
static bool cli_text_ok(const char *s, bool may_be_empty)
{
	size_t len = strlen(s), i;

	if (len > CLI_TEXT_MAX || (len == 0 && !may_be_empty))
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static bool cli_id_ok(const char *id)
{
	size_t i;

	if (strlen(id) != 64)
		return false;
	for (i = 0; i < 64; i++)
		if (!cli_is_digit(id[i]) && !(id[i] >= 'a' && id[i] <= 'f'))
			return false;
	return true;
}

static bool cli_u16_ok(json_int_t v)
{
	return v >= 0 && v <= 65535;
}

static int cli_parse_network(json_t *j, size_t i, struct cli_network *net)
{
	struct cli_network n = { 0 };
	json_error_t jerr;

	if (json_unpack_ex(j, &jerr, 0, "{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:b, s:I}",
			   "network_id", &n.id, "pool", &n.pool, "slice", &n.slice,
			   "gateway", &n.gateway, "bridge", &n.bridge, "bridge_up", &n.bridge_up,
			   "mtu", &n.mtu, "internal", &n.internal, "endpoints", &n.endpoints) < 0) {
		fprintf(stderr, "wgnet: malformed reply from wgnetd: network %zu: ", i);
		cli_print_clean(stderr, jerr.text);
		fputc('\n', stderr);
		return -EBADMSG;
	}
	if (!cli_id_ok(n.id) || !cli_text_ok(n.pool, false) || !cli_text_ok(n.slice, false) ||
	    !cli_text_ok(n.gateway, false) || !cli_text_ok(n.bridge, false) ||
	    !cli_u16_ok(n.mtu) || n.endpoints < 0) {
		fprintf(stderr, "wgnet: malformed reply from wgnetd: network %zu has a bad value\n",
			i);
		return -EBADMSG;
	}
	*net = n;
	return 0;
}

/* Checks the whole /status reply before anything is printed; st borrows root's strings. */
static int cli_parse_status(json_t *root, struct cli_status *st)
{
	struct cli_status s = { 0 };
	json_error_t jerr;
	json_t *nets;
	size_t i;
	int ret;

	if (json_unpack_ex(root, &jerr, 0, "{s:{s:I, s:s, s:I}, s:s, s:I, s:o}",
			   "host", "index", &s.index, "endpoint", &s.endpoint, "mtu", &s.mtu,
			   "firewall", &s.firewall, "pending_pools", &s.pending_pools,
			   "networks", &nets) < 0) {
		cli_malformed(&jerr);
		return -EBADMSG;
	}
	if (!json_is_array(nets) || !cli_u16_ok(s.index) || !cli_u16_ok(s.mtu) ||
	    !cli_text_ok(s.endpoint, true) || !cli_text_ok(s.firewall, false) ||
	    s.pending_pools < 0) {
		cli_fail("malformed reply from wgnetd: bad host, firewall or networks value", NULL);
		return -EBADMSG;
	}
	s.n_nets = json_array_size(nets);
	if (s.n_nets) {
		s.nets = calloc(s.n_nets, sizeof(*s.nets));
		if (!s.nets) {
			cli_fail("out of memory", NULL);
			return -ENOMEM;
		}
	}
	for (i = 0; i < s.n_nets; i++) {
		ret = cli_parse_network(json_array_get(nets, i), i, &s.nets[i]);
		if (ret < 0) {
			free(s.nets);
			return ret;
		}
	}
	*st = s;
	return 0;
}

static void cli_print_status(const struct cli_status *s)
{
	size_t i;

	if (s->index == 0)
		printf("host      (not initialised: run wgnet init --index N)   firewall %s\n",
		       s->firewall);
	else
		printf("host      index %lld   endpoint %s   mtu %lld   firewall %s\n",
		       (long long)s->index, s->endpoint[0] ? s->endpoint : "(none)",
		       (long long)s->mtu, s->firewall);
	if (s->pending_pools > 0)
		printf("pending   %lld pool%s requested by dockerd, no network yet\n",
		       (long long)s->pending_pools, s->pending_pools == 1 ? "" : "s");
	if (s->n_nets == 0) {
		printf("no networks\n");
		return;
	}
	printf("%-12s  %-15s %-15s %-12s %-14s %-5s %s\n", "NETWORK", "POOL", "SLICE", "GATEWAY",
	       "BRIDGE", "MTU", "ENDPOINTS");
	for (i = 0; i < s->n_nets; i++) {
		const struct cli_network *n = &s->nets[i];

		printf("%-12.12s  %-15s %-15s %-12s %-14s %-5lld %lld%s%s\n", n->id, n->pool,
		       n->slice, n->gateway, n->bridge, (long long)n->mtu, (long long)n->endpoints,
		       n->internal ? "  (internal)" : "", n->bridge_up ? "" : "  (bridge missing)");
	}
}

static int cli_cmd_status(int argc, char **argv, int i, struct cli_socket *sock)
{
	struct cli_status st = { 0 };
	json_t *root = NULL;
	bool as_json = false;
	int r;

	for (; i < argc; i++) {
		r = cli_opt_socket(argc, argv, &i, sock, CLI_USAGE_STATUS);
		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--json") == 0) {
			as_json = true;
			continue;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(cli_help, stdout);	/* main checks the write */
			return CLI_EXIT_OK;
		}
		if (argv[i][0] == '-')
			return cli_usage_error(CLI_USAGE_STATUS, "unknown option '%s' for status",
					       argv[i]);
		return cli_usage_error(CLI_USAGE_STATUS, "unexpected argument '%s'", argv[i]);
	}

	if (cli_request(sock, "/status", NULL, &root) < 0)
		return CLI_EXIT_FAIL;
	r = cli_parse_status(root, &st);
	if (r == 0) {
		if (as_json) {
			if (json_dumpf(root, stdout, JSON_INDENT(2)) == 0)
				putchar('\n');
		} else {
			cli_print_status(&st);
		}
	}
	free(st.nets);
	json_decref(root);
	return r < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* Fills req from the options, or sets *help; returns an exit code (CLI_EXIT_OK to go on). */
static int cli_init_args(int argc, char **argv, int i, struct cli_socket *sock, json_t *req,
			 bool *help)
{
	const char *index = NULL, *endpoint = NULL, *mtu = NULL, *problem;
	unsigned long v;
	int r;

	for (; i < argc; i++) {
		r = cli_opt_socket(argc, argv, &i, sock, CLI_USAGE_INIT);
		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		if ((r = cli_opt_value(argc, argv, &i, "--index", &index)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--endpoint", &endpoint)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--mtu", &mtu)) != 0) {
			if (r < 0)
				return cli_usage_error(CLI_USAGE_INIT, "%s needs a value", argv[i]);
			continue;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			*help = true;
			return CLI_EXIT_OK;
		}
		if (argv[i][0] == '-')
			return cli_usage_error(CLI_USAGE_INIT, "unknown option '%s' for init",
					       argv[i]);
		return cli_usage_error(CLI_USAGE_INIT, "unexpected argument '%s'", argv[i]);
	}

	if (!index)
		return cli_usage_error(CLI_USAGE_INIT, "init needs --index N");
	if (cli_parse_uint(index, 1, 65535, &v) < 0)
		return cli_usage_error(CLI_USAGE_INIT, "--index must be 1..65535 in decimal "
				       "digits, not '%s'", index);
	if (json_object_set_new(req, "index", json_integer((json_int_t)v)) < 0)
		goto nomem;
	if (endpoint) {
		problem = cli_endpoint_problem(endpoint);
		if (problem)
			return cli_usage_error(CLI_USAGE_INIT, "--endpoint '%s' %s", endpoint,
					       problem);
		if (json_object_set_new(req, "endpoint", json_string(endpoint)) < 0)
			goto nomem;
	}
	if (mtu) {
		if (cli_parse_uint(mtu, 576, 65535, &v) < 0)
			return cli_usage_error(CLI_USAGE_INIT, "--mtu must be 576..65535 in "
					       "decimal digits, not '%s'", mtu);
		if (json_object_set_new(req, "mtu", json_integer((json_int_t)v)) < 0)
			goto nomem;
	}
	return CLI_EXIT_OK;
nomem:
	cli_fail("out of memory", NULL);
	return CLI_EXIT_FAIL;
}

static int cli_cmd_init(int argc, char **argv, int i, struct cli_socket *sock)
{
	json_t *req = json_object(), *root = NULL;
	const char *endpoint;
	json_int_t index, mtu;
	json_error_t jerr;
	char *body = NULL;
	bool help = false;
	int ret = CLI_EXIT_FAIL;

	if (!req) {
		cli_fail("out of memory", NULL);
		return CLI_EXIT_FAIL;
	}
	ret = cli_init_args(argc, argv, i, sock, req, &help);
	if (ret != CLI_EXIT_OK)
		goto out;
	if (help) {
		fputs(cli_help, stdout);	/* main checks the write */
		goto out;
	}
	ret = CLI_EXIT_FAIL;
	body = json_dumps(req, JSON_COMPACT);
	if (!body) {
		cli_fail("out of memory", NULL);
		goto out;
	}
	if (cli_request(sock, "/init", body, &root) < 0)
		goto out;
	if (json_unpack_ex(root, &jerr, 0, "{s:I, s:s, s:I}", "index", &index, "endpoint",
			   &endpoint, "mtu", &mtu) < 0) {
		cli_malformed(&jerr);
		goto out;
	}
	if (index < 1 || index > 65535 || !cli_u16_ok(mtu) || !cli_text_ok(endpoint, true)) {
		cli_fail("malformed reply from wgnetd: bad index, endpoint or mtu value", NULL);
		goto out;
	}
	printf("host index %lld initialised\n", (long long)index);
	printf("endpoint %s\n", endpoint[0] ? endpoint : "(none)");
	printf("mtu %lld\n", (long long)mtu);
	ret = CLI_EXIT_OK;
out:
	free(body);
	json_decref(root);
	json_decref(req);
	return ret;
}

int main(int argc, char **argv)
{
	struct cli_socket sock = { CLI_SOCKET_DEFAULT };
	const char *env = getenv(CLI_SOCKET_ENV);
	int i, r;

	if (env && env[0]) {
		if (!cli_socket_valid(env))
			return cli_usage_error(CLI_USAGE_ANY, "$%s must be 1..%zu bytes",
					       CLI_SOCKET_ENV,
					       sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
		sock.path = env;
	}

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		r = cli_opt_socket(argc, argv, &i, &sock, CLI_USAGE_ANY);
		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(cli_help, stdout);
			goto flush;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("wgnet %s\n", WGNET_VERSION);
			goto flush;
		}
		return cli_usage_error(CLI_USAGE_ANY, "unknown option '%s'", argv[i]);
	}
	if (i >= argc)
		return cli_usage_error(CLI_USAGE_ANY, "no command given");

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		cli_fail("cannot start libcurl", NULL);
		return CLI_EXIT_FAIL;
	}
	if (strcmp(argv[i], "init") == 0)
		r = cli_cmd_init(argc, argv, i + 1, &sock);
	else if (strcmp(argv[i], "status") == 0)
		r = cli_cmd_status(argc, argv, i + 1, &sock);
	else
		r = cli_usage_error(CLI_USAGE_ANY, "unknown command '%s'", argv[i]);
	curl_global_cleanup();
	if (r != CLI_EXIT_OK)
		return r;
flush:
	/* a full disk or closed pipe must not look like success */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "wgnet: cannot write output: %s\n", strerror(errno));
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}
