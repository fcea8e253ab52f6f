/* SPDX-License-Identifier: MIT */
/*
 * wgnet: the command-line client of wgnetd's control API, JSON over HTTP on a unix socket.
 * It knows the API only (docs: control API), never driver/ or netlink/: whatever it shows comes
 * from the daemon's reply, which it checks as hostile input before printing a byte of it.
 * Keys newer than the first API are optional in replies: an older wgnetd does not send them.
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
#include <time.h>

#ifndef WGNET_VERSION
#define WGNET_VERSION "0.1.0"
#endif

#define CLI_SOCKET_DEFAULT "/run/wgnet/wgnet.sock"
#define CLI_SOCKET_ENV "WGNET_SOCKET"
#define CLI_REPLY_MAX (4 * 1024 * 1024)
#define CLI_CONNECT_TIMEOUT_MS 5000L
#define CLI_TOTAL_TIMEOUT_MS 30000L
#define CLI_TEXT_MAX 300	/* longest string from the daemon we print (an endpoint) */
#define CLI_LINE_MAX 511	/* longest join line (the daemon's buffer is 512) */
#define CLI_NAME_MAX 63
#define CLI_KEY_LEN 44		/* base64 of a 32-byte X25519 key */
#define CLI_JOIN_PREFIX "wgnet-join "

enum cli_exit { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

#define CLI_USAGE_INIT "wgnet [--socket PATH] init --index N | --store URL[,URL...] " \
		       "[--store-ca FILE] [--store-cert FILE --store-key FILE] [--index N] " \
		       "[--endpoint HOST:PORT] [--mtu N] [--listen-port N] [--name NAME]"
#define CLI_USAGE_LEAVE "wgnet [--socket PATH] leave"
#define CLI_USAGE_HOST_RM "wgnet [--socket PATH] host rm NAME"
#define CLI_USAGE_STATUS "wgnet [--socket PATH] status [--json]"
#define CLI_USAGE_JOIN "wgnet [--socket PATH] join-line"
#define CLI_USAGE_PEER_ADD "wgnet [--socket PATH] peer add [--endpoint HOST:PORT | " \
			   "--no-endpoint] [--keepalive N] JOIN-LINE..."
#define CLI_USAGE_PEER_RM "wgnet [--socket PATH] peer rm NAME|PUBLIC-KEY"
#define CLI_USAGE_PEER_LS "wgnet [--socket PATH] peer ls [--json]"
#define CLI_USAGE_PEER "wgnet [--socket PATH] peer add|rm|ls [OPTIONS]"
#define CLI_USAGE_HOST "wgnet [--socket PATH] host allow|deny PROTO/PORT, " \
		       "host allowed [--json], host rm NAME"
#define CLI_USAGE_ANY "wgnet [--socket PATH] init|status|join-line|peer|leave|host [OPTIONS], " \
		      "wgnet --help"

static const char cli_help[] =
	"usage: wgnet [--socket PATH] init --index N [--endpoint HOST:PORT] [--mtu N]\n"
	"                                  [--listen-port N] [--name NAME]\n"
	"       wgnet [--socket PATH] init --store URL[,URL...] [--store-ca FILE]\n"
	"                                  [--store-cert FILE --store-key FILE] [--index N]\n"
	"                                  [--endpoint HOST:PORT] [--mtu N] [--listen-port N]\n"
	"                                  [--name NAME]\n"
	"       " CLI_USAGE_LEAVE "\n"
	"       " CLI_USAGE_HOST_RM "\n"
	"       " CLI_USAGE_STATUS "\n"
	"       " CLI_USAGE_JOIN "\n"
	"       wgnet [--socket PATH] peer add [--endpoint HOST:PORT | --no-endpoint]\n"
	"                                      [--keepalive N] JOIN-LINE...\n"
	"       " CLI_USAGE_PEER_RM "\n"
	"       " CLI_USAGE_PEER_LS "\n"
	"       wgnet [--socket PATH] host allow|deny PROTO/PORT\n"
	"       wgnet [--socket PATH] host allowed [--json]\n"
	"       wgnet --help | -h\n"
	"       wgnet --version\n"
	"\n"
	"Commands:\n"
	"  init       make this host number N (1..65535) of the mesh and print its\n"
	"             join line; --endpoint is the HOST:PORT where other hosts reach\n"
	"             its WireGuard port (a name, an IPv4 or an [IPv6] address),\n"
	"             --mtu is 1280..9000 (default: the MTU of the route towards\n"
	"             the peers, or of the default route, minus 80, in\n"
	"             1280..1420, up to 9000 with jumbo frames; new networks\n"
	"             take it, existing ones keep theirs and are listed),\n"
	"             --listen-port the WireGuard UDP port (1..65535), --name\n"
	"             the host's name in the mesh (1..63 of A-Z a-z 0-9 . _ -;\n"
	"             default: the hostname)\n"
	"             With --store (etcd v3 URLs, TLS files), init claims the lowest\n"
	"             free index (or --index N) in the store and publishes this host:\n"
	"             every host of the store becomes a peer, no join lines needed\n"
	"  leave      remove this host from the store (its peers drop it)\n"
	"  join-line  print this host's join line, for `wgnet peer add` elsewhere\n"
	"  peer add   add the host of a join line (one argument, or several joined\n"
	"             with spaces); --endpoint replaces the line's endpoint,\n"
	"             --no-endpoint ignores it (that host is behind NAT),\n"
	"             --keepalive is 0..65535 seconds (default 25)\n"
	"  peer rm    remove a peer by name or public key\n"
	"  peer ls    show the peers; --json prints wgnetd's reply\n"
	"  status     show this host, its peers and its networks; --json prints\n"
	"             wgnetd's reply\n"
	"  host allow open a port of this host to the mesh (tcp/53, udp/5353,\n"
	"             sctp/N): every other new connection that arrives through\n"
	"             the tunnel for this host's own addresses is dropped\n"
	"  host deny  close it again\n"
	"  host allowed  show the ports open to the mesh; --json prints wgnetd's reply\n"
	"  host rm    remove another host from the store\n"
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

struct cli_peer {
	const char *name;
	json_int_t index;
	const char *public_key;
	const char *endpoint;		/* "" when absent */
	const char *configured_endpoint;
	json_int_t age;			/* seconds since the last handshake, -1 never */
	json_int_t rx_bytes;		/* -1 when absent */
	json_int_t tx_bytes;
	json_t *allowed_ips;		/* checked array of strings, or NULL */
	bool up;
	const char *source;		/* "store", "join line", or "-" from an older wgnetd */
	const char *alive;		/* "yes", "no" or "-" */
};

struct cli_peers {
	struct cli_peer *v;		/* strings borrowed from the reply */
	size_t n;
};

struct cli_status {
	json_int_t index;
	const char *endpoint;
	json_int_t mtu;
	const char *firewall;
	json_int_t pending_pools;
	const char *name;		/* the keys from here on are NULL or -1 when absent */
	const char *public_key;
	json_int_t listen_port;
	const char *backend;
	const char *wireguard;		/* what the watchdog did, "" or NULL = nothing */
	const char *device;
	int device_up;
	bool has_peers;
	struct cli_peers peers;
	struct cli_network *nets;	/* strings borrowed from the reply */
	size_t n_nets;
	json_t *store;			/* borrowed, NULL without a store */
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

/* Printable, at most max bytes, and not empty unless allowed: all we need to show it safely. */
static bool cli_text_len_ok(const char *s, size_t max, bool may_be_empty)
{
	size_t len = strlen(s), i;

	if (len > max || (len == 0 && !may_be_empty))
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static bool cli_text_ok(const char *s, bool may_be_empty)
{
	return cli_text_len_ok(s, CLI_TEXT_MAX, may_be_empty);
}

/* A host or peer name: [A-Za-z0-9._-]{1,63}. */
static bool cli_name_ok(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > CLI_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!cli_is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* Base64 of 32 bytes: 43 characters of the alphabet, then one '='. */
static bool cli_key_ok(const char *s)
{
	size_t i;

	if (strlen(s) != CLI_KEY_LEN || s[CLI_KEY_LEN - 1] != '=')
		return false;
	for (i = 0; i < CLI_KEY_LEN - 1; i++)
		if (!cli_is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') && s[i] != '+' && s[i] != '/')
			return false;
	return true;
}

/* The CLI checks the prefix only: the daemon parses the rest. */
static bool cli_join_line_ok(const char *s)
{
	return strncmp(s, CLI_JOIN_PREFIX, strlen(CLI_JOIN_PREFIX)) == 0 &&
	       cli_text_len_ok(s, CLI_LINE_MAX, false);
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

static void cli_format_age(json_int_t age, char *buf, size_t size)
{
	if (age < 0)
		snprintf(buf, size, "never");
	else if (age < 60)
		snprintf(buf, size, "%llds ago", (long long)age);
	else if (age < 3600)
		snprintf(buf, size, "%lldm ago", (long long)(age / 60));
	else if (age < 86400)
		snprintf(buf, size, "%lldh ago", (long long)(age / 3600));
	else
		snprintf(buf, size, "%lldd ago", (long long)(age / 86400));
}

static void cli_format_bytes(json_int_t n, char *buf, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB" };
	size_t u = 0;
	double v;

	if (n < 0) {
		snprintf(buf, size, "-");
		return;
	}
	if (n < 1024) {
		snprintf(buf, size, "%lld B", (long long)n);
		return;
	}
	v = (double)n / 1024;
	/* 1023.95 would print as "1024.0": move up a unit first */
	while (v >= 1023.95 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, units[u]);
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

static bool cli_allowed_ips_ok(json_t *ips)
{
	size_t i;

	if (!json_is_array(ips))
		return false;
	for (i = 0; i < json_array_size(ips); i++) {
		json_t *ip = json_array_get(ips, i);

		if (!json_is_string(ip) || !cli_text_ok(json_string_value(ip), false))
			return false;
	}
	return true;
}

/* Name, index and key identify a peer; the rest is optional, with "unknown" defaults. */
static int cli_parse_peer(json_t *j, size_t i, struct cli_peer *peer)
{
	struct cli_peer p = { .endpoint = "", .configured_endpoint = "", .rx_bytes = -1,
			      .tx_bytes = -1 };
	json_int_t latest = 0, keepalive = 0;
	json_t *age = NULL, *rx = NULL, *tx = NULL;
	json_error_t jerr;
	int up = -1;

	if (json_unpack_ex(j, &jerr, 0,
			   "{s:s, s:I, s:s, s?s, s?s, s?I, s?I, s?o, s?o, s?o, s?o, s?b}",
			   "name", &p.name, "index", &p.index, "public_key", &p.public_key,
			   "endpoint", &p.endpoint, "configured_endpoint", &p.configured_endpoint,
			   "keepalive", &keepalive, "latest_handshake", &latest,
			   "handshake_age", &age, "rx_bytes", &rx, "tx_bytes", &tx,
			   "allowed_ips", &p.allowed_ips, "up", &up) < 0) {
		fprintf(stderr, "wgnet: malformed reply from wgnetd: peer %zu: ", i);
		cli_print_clean(stderr, jerr.text);
		fputc('\n', stderr);
		return -EBADMSG;
	}
	if (!cli_name_ok(p.name) || p.index < 1 || p.index > 65535 || !cli_key_ok(p.public_key) ||
	    !cli_text_ok(p.endpoint, true) || !cli_text_ok(p.configured_endpoint, true) ||
	    !cli_u16_ok(keepalive) || latest < 0 ||
	    (age && !json_is_integer(age) && !json_is_null(age)) ||
	    (p.allowed_ips && !cli_allowed_ips_ok(p.allowed_ips)) ||
	    (rx && (!json_is_integer(rx) || json_integer_value(rx) < 0)) ||
	    (tx && (!json_is_integer(tx) || json_integer_value(tx) < 0))) {
		fprintf(stderr, "wgnet: malformed reply from wgnetd: peer %zu has a bad value\n",
			i);
		return -EBADMSG;
	}
	if (rx)
		p.rx_bytes = json_integer_value(rx);
	if (tx)
		p.tx_bytes = json_integer_value(tx);
	p.age = -1;
	if (json_is_integer(age)) {
		p.age = json_integer_value(age);
		if (p.age < 0)
			p.age = 0;	/* the daemon's clock stepped back */
	} else if (!age && latest > 0) {
		time_t now = time(NULL);

		p.age = now > latest ? (json_int_t)now - latest : 0;
	}
	p.source = json_string_value(json_object_get(j, "source"));
	if (!p.source || !cli_text_len_ok(p.source, CLI_NAME_MAX, false))
		p.source = "-";
	p.alive = json_is_boolean(json_object_get(j, "alive")) ?
		  (json_is_true(json_object_get(j, "alive")) ? "yes" : "no") : "-";
	/* "up" is a handshake within the last 180 s, as wgnetd defines it */
	p.up = up >= 0 ? up != 0 : p.age >= 0 && p.age <= 180;
	*peer = p;
	return 0;
}

static int cli_parse_peers(json_t *arr, struct cli_peers *out)
{
	struct cli_peers ps = { 0 };
	size_t i;
	int ret;

	if (!json_is_array(arr)) {
		cli_fail("malformed reply from wgnetd: peers is not an array", NULL);
		return -EBADMSG;
	}
	ps.n = json_array_size(arr);
	if (ps.n) {
		ps.v = calloc(ps.n, sizeof(*ps.v));
		if (!ps.v) {
			cli_fail("out of memory", NULL);
			return -ENOMEM;
		}
	}
	for (i = 0; i < ps.n; i++) {
		ret = cli_parse_peer(json_array_get(arr, i), i, &ps.v[i]);
		if (ret < 0) {
			free(ps.v);
			return ret;
		}
	}
	*out = ps;
	return 0;
}

/* "10.210.1.0/24,10.211.1.0/24", or "(none)"; NULL when out of memory. */
static char *cli_join_ips(json_t *ips)
{
	size_t i, len = 0, n = json_array_size(ips);
	char *s;

	if (n == 0)
		return strdup("(none)");
	for (i = 0; i < n; i++)
		len += json_string_length(json_array_get(ips, i)) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	s[0] = '\0';
	len = 0;
	for (i = 0; i < n; i++) {
		json_t *ip = json_array_get(ips, i);

		if (i)
			s[len++] = ',';
		memcpy(s + len, json_string_value(ip), json_string_length(ip) + 1);
		len += json_string_length(ip);
	}
	return s;
}

struct cli_peer_row {
	char index[8];
	char handshake[32];
	char rx[32];
	char tx[32];
	const char *endpoint;
	char *ips;
};

static int cli_print_peers(const struct cli_peers *ps)
{
	static const char *const head[] = { "NAME", "INDEX", "ENDPOINT", "HANDSHAKE", "RX", "TX",
					    "ALLOWED-IPS", "SOURCE" };
	int w[8] = { 0 };
	struct cli_peer_row *rows;
	size_t i, c;
	int ret = 0;

	if (ps->n == 0) {
		printf("no peers\n");
		return 0;
	}
	rows = calloc(ps->n, sizeof(*rows));
	if (!rows) {
		cli_fail("out of memory", NULL);
		return -ENOMEM;
	}
	for (c = 0; c < 8; c++)
		w[c] = (int)strlen(head[c]);
	for (i = 0; i < ps->n; i++) {
		const struct cli_peer *p = &ps->v[i];
		struct cli_peer_row *r = &rows[i];
		const char *cols[8];

		snprintf(r->index, sizeof(r->index), "%lld", (long long)p->index);
		cli_format_age(p->age, r->handshake, sizeof(r->handshake));
		cli_format_bytes(p->rx_bytes, r->rx, sizeof(r->rx));
		cli_format_bytes(p->tx_bytes, r->tx, sizeof(r->tx));
		/* the address seen last, else the one configured */
		r->endpoint = p->endpoint[0] ? p->endpoint :
			      p->configured_endpoint[0] ? p->configured_endpoint : "(none)";
		r->ips = p->allowed_ips ? cli_join_ips(p->allowed_ips) : strdup("-");
		if (!r->ips) {
			cli_fail("out of memory", NULL);
			ret = -ENOMEM;
			goto out;
		}
		cols[0] = p->name;
		cols[1] = r->index;
		cols[2] = r->endpoint;
		cols[3] = r->handshake;
		cols[4] = r->rx;
		cols[5] = r->tx;
		cols[6] = r->ips;
		cols[7] = p->source;
		for (c = 0; c < 8; c++)
			if ((int)strlen(cols[c]) > w[c])
				w[c] = (int)strlen(cols[c]);
	}
	printf("%-*s  %*s  %-*s  %-*s  %*s  %*s  %-*s  %-*s  ALIVE  STATE\n", w[0], head[0], w[1],
	       head[1], w[2], head[2], w[3], head[3], w[4], head[4], w[5], head[5], w[6], head[6],
	       w[7], head[7]);
	for (i = 0; i < ps->n; i++) {
		const struct cli_peer_row *r = &rows[i];

		printf("%-*s  %*s  %-*s  %-*s  %*s  %*s  %-*s  %-*s  %-5s  %s\n", w[0],
		       ps->v[i].name, w[1], r->index, w[2], r->endpoint, w[3], r->handshake, w[4],
		       r->rx, w[5], r->tx, w[6], r->ips, w[7], ps->v[i].source, ps->v[i].alive,
		       ps->v[i].up ? "up" : "down");
	}
out:
	for (i = 0; i < ps->n; i++)
		free(rows[i].ips);
	free(rows);
	return ret;
}

/* The host keys added with the mesh; each is optional for an older wgnetd. */
static int cli_parse_host_mesh(json_t *root, struct cli_status *s)
{
	json_error_t jerr;

	s->listen_port = -1;
	s->device_up = -1;
	if (json_unpack_ex(root, &jerr, 0, "{s:{s?s, s?s, s?I, s?s, s?s, s?s, s?b}}", "host",
			   "name", &s->name, "public_key", &s->public_key, "listen_port",
			   &s->listen_port, "backend", &s->backend, "wireguard", &s->wireguard,
			   "device", &s->device, "device_up", &s->device_up) < 0) {
		cli_malformed(&jerr);
		return -EBADMSG;
	}
	if ((s->name && s->name[0] && !cli_name_ok(s->name)) ||
	    (s->public_key && s->public_key[0] && !cli_key_ok(s->public_key)) ||
	    (s->listen_port != -1 && !cli_u16_ok(s->listen_port)) ||
	    (s->backend && !cli_text_len_ok(s->backend, CLI_NAME_MAX, false)) ||
	    (s->wireguard && !cli_text_ok(s->wireguard, true)) ||
	    (s->device && !cli_text_len_ok(s->device, CLI_NAME_MAX, false))) {
		cli_fail("malformed reply from wgnetd: bad host name, public key, listen port, "
			 "backend or device value", NULL);
		return -EBADMSG;
	}
	return 0;
}

static void cli_status_release(struct cli_status *s)
{
	free(s->nets);
	free(s->peers.v);
}

/* Checks the whole /status reply before anything is printed; st borrows root's strings. */
static int cli_parse_status(json_t *root, struct cli_status *st)
{
	struct cli_status s = { 0 };
	json_error_t jerr;
	json_t *nets, *peers = NULL;
	size_t i;
	int ret;

	if (json_unpack_ex(root, &jerr, 0, "{s:{s:I, s:s, s:I}, s:s, s:I, s:o, s?o}",
			   "host", "index", &s.index, "endpoint", &s.endpoint, "mtu", &s.mtu,
			   "firewall", &s.firewall, "pending_pools", &s.pending_pools,
			   "networks", &nets, "peers", &peers) < 0) {
		cli_malformed(&jerr);
		return -EBADMSG;
	}
	if (!json_is_array(nets) || !cli_u16_ok(s.index) || !cli_u16_ok(s.mtu) ||
	    !cli_text_ok(s.endpoint, true) || !cli_text_ok(s.firewall, false) ||
	    s.pending_pools < 0) {
		cli_fail("malformed reply from wgnetd: bad host, firewall or networks value", NULL);
		return -EBADMSG;
	}
	ret = cli_parse_host_mesh(root, &s);
	if (ret < 0)
		return ret;
	s.store = json_object_get(root, "store");
	if (s.store && !json_is_object(s.store))
		s.store = NULL;
	if (peers) {
		ret = cli_parse_peers(peers, &s.peers);
		if (ret < 0)
			return ret;
		s.has_peers = true;
	}
	s.n_nets = json_array_size(nets);
	if (s.n_nets) {
		s.nets = calloc(s.n_nets, sizeof(*s.nets));
		if (!s.nets) {
			cli_fail("out of memory", NULL);
			ret = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < s.n_nets; i++) {
		ret = cli_parse_network(json_array_get(nets, i), i, &s.nets[i]);
		if (ret < 0)
			goto out;
	}
	*st = s;
	return 0;
out:
	cli_status_release(&s);
	return ret;
}

/* "          name h2   listen port 51820   public key K": the keys this wgnetd sent. */
static void cli_print_host_mesh(const struct cli_status *s)
{
	const char *sep = "          ";

	if (s->name || s->listen_port >= 0 || s->public_key) {
		if (s->name) {
			printf("%sname %s", sep, s->name[0] ? s->name : "(none)");
			sep = "   ";
		}
		if (s->listen_port > 0)
			printf("%slisten port %lld", sep, (long long)s->listen_port);
		else if (s->listen_port == 0)
			printf("%slisten port (default)", sep);
		if (s->listen_port >= 0)
			sep = "   ";
		if (s->public_key)
			printf("%spublic key %s", sep, s->public_key[0] ? s->public_key : "(none)");
		putchar('\n');
	}
	sep = "          ";
	if (s->device || s->device_up >= 0 || s->backend) {
		if (s->device || s->device_up >= 0) {
			printf("%sdevice", sep);
			if (s->device)
				printf(" %s", s->device);
			if (s->device_up >= 0)
				printf(" %s", s->device_up ? "up" : "down");
			sep = "   ";
		}
		if (s->backend)
			printf("%sbackend %s", sep, s->backend);
		putchar('\n');
	}
	if (s->wireguard && s->wireguard[0])
		printf("          wireguard-go %s\n", s->wireguard);
}

/* "store     https://...   reachable   revision 12   4 hosts" and why not / what waits */
static void cli_print_store(json_t *st)
{
	const char *urls = json_string_value(json_object_get(st, "urls"));
	const char *state = json_string_value(json_object_get(st, "state"));
	const char *err = json_string_value(json_object_get(st, "error"));

	printf("store     %s   %s   revision %lld   %lld hosts\n",
	       urls && cli_text_ok(urls, false) ? urls : "?",
	       state && cli_text_ok(state, false) ? state : "?",
	       (long long)json_integer_value(json_object_get(st, "revision")),
	       (long long)json_integer_value(json_object_get(st, "hosts")));
	if (err && err[0] && cli_text_ok(err, false))
		printf("          %s\n", err);
	if (json_is_true(json_object_get(st, "leave_pending")))
		printf("          leave pending: applies when the store answers\n");
	if (json_is_true(json_object_get(st, "removed")))
		printf("          this host was removed from the store: wgnet init --store joins "
		       "again\n");
}

static int cli_print_status(const struct cli_status *s)
{
	size_t i;
	int ret;

	if (strcmp(s->firewall, "failed") == 0)
		printf("WARNING   firewall failed: table inet wgnet could not be built, so no peer "
		       "is configured and the tunnel carries nothing (see wgnetd's log)\n\n");
	else if (strcmp(s->firewall, "ok") != 0)
		printf("WARNING   firewall %s: table inet wgnet is not in place (deleted by hand?); "
		       "restart wgnetd to rebuild it\n\n", s->firewall);
	if (s->index == 0)
		printf("host      (not initialised: run wgnet init --index N)   firewall %s\n",
		       s->firewall);
	else
		printf("host      index %lld   endpoint %s   mtu %lld   firewall %s\n",
		       (long long)s->index, s->endpoint[0] ? s->endpoint : "(none)",
		       (long long)s->mtu, s->firewall);
	cli_print_host_mesh(s);
	if (s->store)
		cli_print_store(s->store);
	if (s->has_peers) {
		putchar('\n');
		ret = cli_print_peers(&s->peers);
		if (ret < 0)
			return ret;
	}
	putchar('\n');
	if (s->pending_pools > 0)
		printf("pending   %lld pool%s requested by dockerd, no network yet\n",
		       (long long)s->pending_pools, s->pending_pools == 1 ? "" : "s");
	if (s->n_nets == 0) {
		printf("no networks\n");
		return 0;
	}
	printf("%-12s  %-15s %-15s %-12s %-14s %-5s %s\n", "NETWORK", "POOL", "SLICE", "GATEWAY",
	       "BRIDGE", "MTU", "ENDPOINTS");
	for (i = 0; i < s->n_nets; i++) {
		const struct cli_network *n = &s->nets[i];

		printf("%-12.12s  %-15s %-15s %-12s %-14s %-5lld %lld%s%s\n", n->id, n->pool,
		       n->slice, n->gateway, n->bridge, (long long)n->mtu, (long long)n->endpoints,
		       n->internal ? "  (internal)" : "", n->bridge_up ? "" : "  (bridge missing)");
	}
	return 0;
}

static bool cli_is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/*
 * The arguments of a command that takes only --socket, --help and, if json is not NULL,
 * --json. Returns an exit code; CLI_EXIT_OK to go on (unless *help is set).
 */
static int cli_plain_args(int argc, char **argv, int i, struct cli_socket *sock,
			  const char *usage, const char *cmd, bool *json, bool *help)
{
	int r;

	for (; i < argc; i++) {
		r = cli_opt_socket(argc, argv, &i, sock, usage);
		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		if (json && strcmp(argv[i], "--json") == 0) {
			*json = true;
			continue;
		}
		if (cli_is_help(argv[i])) {
			*help = true;
			return CLI_EXIT_OK;
		}
		if (argv[i][0] == '-')
			return cli_usage_error(usage, "unknown option '%s' for %s", argv[i], cmd);
		return cli_usage_error(usage, "unexpected argument '%s'", argv[i]);
	}
	return CLI_EXIT_OK;
}

static void cli_print_json(json_t *root)
{
	if (json_dumpf(root, stdout, JSON_INDENT(2)) == 0)
		putchar('\n');
}

static int cli_cmd_status(int argc, char **argv, int i, struct cli_socket *sock)
{
	struct cli_status st = { 0 };
	bool as_json = false, help = false;
	json_t *root = NULL;
	int r;

	r = cli_plain_args(argc, argv, i, sock, CLI_USAGE_STATUS, "status", &as_json, &help);
	if (r != CLI_EXIT_OK || help) {
		if (help)
			fputs(cli_help, stdout);	/* main checks the write */
		return r;
	}
	if (cli_request(sock, "/status", NULL, &root) < 0)
		return CLI_EXIT_FAIL;
	r = cli_parse_status(root, &st);
	if (r == 0) {
		if (as_json)
			cli_print_json(root);
		else
			r = cli_print_status(&st);
	}
	cli_status_release(&st);
	json_decref(root);
	return r < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static int cli_json_set_new(json_t *req, const char *key, json_t *value)
{
	if (json_object_set_new(req, key, value) < 0) {
		cli_fail("out of memory", NULL);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/* The store's URLs and its TLS files, as absolute paths: wgnetd has another working directory. */
static int cli_store_args(json_t *req, const char *store, const char *ca, const char *cert,
			  const char *key)
{
	const char *names[] = { "store_ca", "store_cert", "store_key" };
	const char *files[] = { ca, cert, key };

	if (!cert != !key)
		return cli_usage_error(CLI_USAGE_INIT, "--store-cert and --store-key go together");
	if (!cli_text_len_ok(store, 2047, false))
		return cli_usage_error(CLI_USAGE_INIT, "--store must be URL[,URL...]");
	if (cli_json_set_new(req, "store", json_string(store)) != CLI_EXIT_OK)
		return CLI_EXIT_FAIL;
	for (size_t k = 0; k < 3; k++) {
		char *abs;

		if (!files[k])
			continue;
		abs = realpath(files[k], NULL);
		if (!abs) {
			fprintf(stderr, "wgnet: %s: %s\n", files[k], strerror(errno));
			return CLI_EXIT_USAGE;
		}
		if (cli_json_set_new(req, names[k], json_string(abs)) != CLI_EXIT_OK) {
			free(abs);
			return CLI_EXIT_FAIL;
		}
		free(abs);
	}
	return CLI_EXIT_OK;
}

/* Fills req from the options, or sets *help; returns an exit code (CLI_EXIT_OK to go on). */
static int cli_init_args(int argc, char **argv, int i, struct cli_socket *sock, json_t *req,
			 bool *help)
{
	const char *index = NULL, *endpoint = NULL, *mtu = NULL, *port = NULL, *name = NULL;
	const char *store = NULL, *ca = NULL, *cert = NULL, *key = NULL;
	const char *problem;
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
		    (r = cli_opt_value(argc, argv, &i, "--mtu", &mtu)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--listen-port", &port)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--name", &name)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--store", &store)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--store-ca", &ca)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--store-cert", &cert)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--store-key", &key)) != 0) {
			if (r < 0)
				return cli_usage_error(CLI_USAGE_INIT, "%s needs a value", argv[i]);
			continue;
		}
		if (cli_is_help(argv[i])) {
			*help = true;
			return CLI_EXIT_OK;
		}
		if (argv[i][0] == '-')
			return cli_usage_error(CLI_USAGE_INIT, "unknown option '%s' for init",
					       argv[i]);
		return cli_usage_error(CLI_USAGE_INIT, "unexpected argument '%s'", argv[i]);
	}

	if (!index && !store)
		return cli_usage_error(CLI_USAGE_INIT, "init needs --index N or --store URL");
	if (!store && (ca || cert || key))
		return cli_usage_error(CLI_USAGE_INIT, "--store-ca, --store-cert and --store-key "
				       "need --store URL");
	if (store && (r = cli_store_args(req, store, ca, cert, key)) != CLI_EXIT_OK)
		return r;
	if (index && cli_parse_uint(index, 1, 65535, &v) < 0)
		return cli_usage_error(CLI_USAGE_INIT, "--index must be 1..65535 in decimal "
				       "digits, not '%s'", index);
	if (index && cli_json_set_new(req, "index", json_integer((json_int_t)v)) != CLI_EXIT_OK)
		return CLI_EXIT_FAIL;
	if (endpoint) {
		problem = cli_endpoint_problem(endpoint);
		if (problem)
			return cli_usage_error(CLI_USAGE_INIT, "--endpoint '%s' %s", endpoint,
					       problem);
		if (cli_json_set_new(req, "endpoint", json_string(endpoint)) != CLI_EXIT_OK)
			return CLI_EXIT_FAIL;
	}
	if (mtu) {
		if (cli_parse_uint(mtu, 576, 65535, &v) < 0)
			return cli_usage_error(CLI_USAGE_INIT, "--mtu must be 576..65535 in "
					       "decimal digits, not '%s'", mtu);
		if (cli_json_set_new(req, "mtu", json_integer((json_int_t)v)) != CLI_EXIT_OK)
			return CLI_EXIT_FAIL;
	}
	if (port) {
		if (cli_parse_uint(port, 1, 65535, &v) < 0)
			return cli_usage_error(CLI_USAGE_INIT, "--listen-port must be 1..65535 in "
					       "decimal digits, not '%s'", port);
		if (cli_json_set_new(req, "listen_port", json_integer((json_int_t)v)) !=
		    CLI_EXIT_OK)
			return CLI_EXIT_FAIL;
	}
	if (name) {
		if (!cli_name_ok(name))
			return cli_usage_error(CLI_USAGE_INIT, "--name must be 1..%d of A-Z a-z "
					       "0-9 . _ -, not '%s'", CLI_NAME_MAX, name);
		if (cli_json_set_new(req, "name", json_string(name)) != CLI_EXIT_OK)
			return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/* POSTs req (which it keeps) to path; on success *out is the reply. */
static int cli_post(const struct cli_socket *sock, const char *path, const json_t *req,
		    json_t **out)
{
	char *body = json_dumps(req, JSON_COMPACT);
	int ret;

	if (!body) {
		cli_fail("out of memory", NULL);
		return -ENOMEM;
	}
	ret = cli_request(sock, path, body, out);
	free(body);
	return ret;
}

/* Builds a command's request from its arguments and posts it to path. CLI_EXIT_OK with *root
 * set: the reply to print; CLI_EXIT_OK with *root NULL: --help was printed; else an exit code. */
static int cli_post_cmd(int argc, char **argv, int i, struct cli_socket *sock,
			int (*args)(int, char **, int, struct cli_socket *, json_t *, bool *),
			const char *path, json_t **root)
{
	json_t *req = json_object();
	bool help = false;
	int ret;

	*root = NULL;
	if (!req) {
		cli_fail("out of memory", NULL);
		return CLI_EXIT_FAIL;
	}
	ret = args(argc, argv, i, sock, req, &help);
	if (ret == CLI_EXIT_OK && help)
		fputs(cli_help, stdout);	/* main checks the write */
	else if (ret == CLI_EXIT_OK && cli_post(sock, path, req, root) < 0)
		ret = CLI_EXIT_FAIL;
	json_decref(req);
	return ret;
}

/* Networks made before an MTU change keep theirs: say which, and how to move them. */
static void cli_print_other_mtu(const json_t *other, json_int_t mtu)
{
	const char *id, *bridge;
	json_int_t m;
	size_t k;
	json_t *n;

	if (!json_is_array(other))
		return;
	json_array_foreach(other, k, n) {
		if (json_unpack(n, "{s:s, s:s, s:I}", "network", &id, "bridge", &bridge, "mtu", &m) <
			    0 || !cli_text_ok(id, false) || !cli_text_ok(bridge, false) ||
		    !cli_u16_ok(m))
			continue;
		printf("network %.12s (%s) keeps MTU %lld: it was made before; remove and create it "
		       "again to use %lld\n", id, bridge, (long long)m, (long long)mtu);
	}
}

static int cli_cmd_init(int argc, char **argv, int i, struct cli_socket *sock)
{
	const char *endpoint, *line = NULL, *from = "";
	json_int_t index, mtu;
	json_t *root, *other = NULL;
	json_error_t jerr;
	int ret;

	ret = cli_post_cmd(argc, argv, i, sock, cli_init_args, "/init", &root);
	if (ret != CLI_EXIT_OK || !root)
		return ret;
	ret = CLI_EXIT_FAIL;
	if (json_unpack_ex(root, &jerr, 0, "{s:I, s:s, s:I, s?s, s?s, s?o}", "index", &index,
			   "endpoint", &endpoint, "mtu", &mtu, "join_line", &line, "mtu_from", &from,
			   "networks_other_mtu", &other) < 0) {
		cli_malformed(&jerr);
		goto out;
	}
	if (index < 1 || index > 65535 || !cli_u16_ok(mtu) || !cli_text_ok(endpoint, true) ||
	    !cli_text_ok(from, true) || (line && line[0] && !cli_join_line_ok(line))) {
		cli_fail("malformed reply from wgnetd: bad index, endpoint, mtu or join line value",
			 NULL);
		goto out;
	}
	printf("host index %lld initialised\n", (long long)index);
	printf("endpoint %s\n", endpoint[0] ? endpoint : "(none)");
	printf("mtu %lld%s%s%s\n", (long long)mtu, from[0] ? " (" : "", from, from[0] ? ")" : "");
	cli_print_other_mtu(other, mtu);
	if (line && line[0])
		printf("join line:\n%s\n", line);
	ret = CLI_EXIT_OK;
out:
	json_decref(root);
	return ret;
}

static int cli_cmd_join_line(int argc, char **argv, int i, struct cli_socket *sock)
{
	json_t *root = NULL;
	const char *line;
	json_error_t jerr;
	bool help = false;
	int ret;

	ret = cli_plain_args(argc, argv, i, sock, CLI_USAGE_JOIN, "join-line", NULL, &help);
	if (ret != CLI_EXIT_OK || help) {
		if (help)
			fputs(cli_help, stdout);	/* main checks the write */
		return ret;
	}
	ret = CLI_EXIT_FAIL;
	if (cli_request(sock, "/join-line", NULL, &root) < 0)
		goto out;
	if (json_unpack_ex(root, &jerr, 0, "{s:s}", "join_line", &line) < 0) {
		cli_malformed(&jerr);
		goto out;
	}
	if (!cli_join_line_ok(line)) {
		cli_fail("malformed reply from wgnetd: bad join line", NULL);
		goto out;
	}
	printf("%s\n", line);
	ret = CLI_EXIT_OK;
out:
	json_decref(root);
	return ret;
}

/* Appends arg to *line, a space between; returns 0 or -ENOMEM. */
static int cli_append_word(char **line, size_t *len, const char *arg)
{
	size_t n = strlen(arg), sep = *line ? 1 : 0;
	char *s = realloc(*line, *len + sep + n + 1);

	if (!s)
		return -ENOMEM;
	if (sep)
		s[(*len)++] = ' ';
	memcpy(s + *len, arg, n + 1);
	*len += n;
	*line = s;
	return 0;
}

/* Fills req from the options and the words of the join line; returns an exit code. */
static int cli_peer_add_args(int argc, char **argv, int i, struct cli_socket *sock, json_t *req,
			     bool *help)
{
	const char *endpoint = NULL, *keepalive = NULL, *problem;
	bool no_endpoint = false, words_only = false;
	char *line = NULL;
	size_t len = 0;
	unsigned long v = 0;
	int r, ret = CLI_EXIT_FAIL;

	for (; i < argc; i++) {
		if (words_only || argv[i][0] != '-') {
			if (cli_append_word(&line, &len, argv[i]) < 0) {
				cli_fail("out of memory", NULL);
				goto out;
			}
			continue;
		}
		r = cli_opt_socket(argc, argv, &i, sock, CLI_USAGE_PEER_ADD);
		if (r < 0) {
			ret = -r;
			goto out;
		}
		if (r > 0)
			continue;
		if ((r = cli_opt_value(argc, argv, &i, "--endpoint", &endpoint)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--keepalive", &keepalive)) != 0) {
			if (r < 0) {
				ret = cli_usage_error(CLI_USAGE_PEER_ADD, "%s needs a value",
						      argv[i]);
				goto out;
			}
			continue;
		}
		if (strcmp(argv[i], "--no-endpoint") == 0) {
			no_endpoint = true;
		} else if (strcmp(argv[i], "--") == 0) {
			words_only = true;
		} else if (cli_is_help(argv[i])) {
			*help = true;
			ret = CLI_EXIT_OK;
			goto out;
		} else {
			ret = cli_usage_error(CLI_USAGE_PEER_ADD,
					      "unknown option '%s' for peer add", argv[i]);
			goto out;
		}
	}

	ret = CLI_EXIT_USAGE;
	if (!line) {
		cli_usage_error(CLI_USAGE_PEER_ADD, "peer add needs a join line (from `wgnet "
				"join-line` on the other host)");
		goto out;
	}
	if (strncmp(line, CLI_JOIN_PREFIX, strlen(CLI_JOIN_PREFIX)) != 0) {
		cli_usage_error(CLI_USAGE_PEER_ADD, "the join line must start with '%s', not "
				"'%.40s'", CLI_JOIN_PREFIX, line);
		goto out;
	}
	if (endpoint && no_endpoint) {
		cli_usage_error(CLI_USAGE_PEER_ADD, "--endpoint and --no-endpoint exclude each "
				"other");
		goto out;
	}
	if (endpoint) {
		problem = cli_endpoint_problem(endpoint);
		if (problem) {
			cli_usage_error(CLI_USAGE_PEER_ADD, "--endpoint '%s' %s", endpoint,
					problem);
			goto out;
		}
	}
	if (keepalive && cli_parse_uint(keepalive, 0, 65535, &v) < 0) {
		cli_usage_error(CLI_USAGE_PEER_ADD, "--keepalive must be 0..65535 in decimal "
				"digits, not '%s'", keepalive);
		goto out;
	}

	ret = CLI_EXIT_FAIL;
	if (cli_json_set_new(req, "join_line", json_string(line)) != CLI_EXIT_OK ||
	    (endpoint &&
	     cli_json_set_new(req, "endpoint", json_string(endpoint)) != CLI_EXIT_OK) ||
	    (no_endpoint && cli_json_set_new(req, "no_endpoint", json_true()) != CLI_EXIT_OK) ||
	    (keepalive &&
	     cli_json_set_new(req, "keepalive", json_integer((json_int_t)v)) != CLI_EXIT_OK))
		goto out;
	ret = CLI_EXIT_OK;
out:
	free(line);
	return ret;
}

static int cli_cmd_peer_add(int argc, char **argv, int i, struct cli_socket *sock)
{
	const char *name, *key = NULL;
	json_int_t index = -1;
	json_error_t jerr;
	json_t *root;
	int ret;

	ret = cli_post_cmd(argc, argv, i, sock, cli_peer_add_args, "/peers/add", &root);
	if (ret != CLI_EXIT_OK || !root)
		return ret;
	ret = CLI_EXIT_FAIL;
	if (json_unpack_ex(root, &jerr, 0, "{s:s, s?I, s?s}", "name", &name, "index", &index,
			   "public_key", &key) < 0) {
		cli_malformed(&jerr);
		goto out;
	}
	if (!cli_name_ok(name) || (index != -1 && (index < 1 || index > 65535)) ||
	    (key && !cli_key_ok(key))) {
		cli_fail("malformed reply from wgnetd: bad name, index or public key value", NULL);
		goto out;
	}
	printf("peer %s added\n", name);
	if (index != -1)
		printf("index %lld\n", (long long)index);
	if (key)
		printf("public key %s\n", key);
	ret = CLI_EXIT_OK;
out:
	json_decref(root);
	return ret;
}

static int cli_peer_rm_args(int argc, char **argv, int i, struct cli_socket *sock,
			    const char **peer, bool *help)
{
	bool words_only = false;
	int r;

	*peer = NULL;
	for (; i < argc; i++) {
		if (!words_only && argv[i][0] == '-') {
			r = cli_opt_socket(argc, argv, &i, sock, CLI_USAGE_PEER_RM);
			if (r < 0)
				return -r;
			if (r > 0)
				continue;
			if (strcmp(argv[i], "--") == 0) {
				words_only = true;
				continue;
			}
			if (cli_is_help(argv[i])) {
				*help = true;
				return CLI_EXIT_OK;
			}
			return cli_usage_error(CLI_USAGE_PEER_RM, "unknown option '%s' for peer rm",
					       argv[i]);
		}
		if (*peer)
			return cli_usage_error(CLI_USAGE_PEER_RM, "unexpected argument '%s'",
					       argv[i]);
		*peer = argv[i];
	}
	if (!*peer)
		return cli_usage_error(CLI_USAGE_PEER_RM, "peer rm needs a peer's name or public "
				       "key");
	if (!cli_name_ok(*peer) && !cli_key_ok(*peer))
		return cli_usage_error(CLI_USAGE_PEER_RM, "'%s' is neither a peer name (1..%d of "
				       "A-Z a-z 0-9 . _ -) nor a public key (%d characters of "
				       "base64)", *peer, CLI_NAME_MAX, CLI_KEY_LEN);
	return CLI_EXIT_OK;
}

static int cli_peer_rm_req(int argc, char **argv, int i, struct cli_socket *sock, json_t *req,
			   bool *help)
{
	const char *peer;
	int ret;

	ret = cli_peer_rm_args(argc, argv, i, sock, &peer, help);
	if (ret != CLI_EXIT_OK || *help)
		return ret;
	return cli_json_set_new(req, "peer", json_string(peer));
}

static int cli_cmd_peer_rm(int argc, char **argv, int i, struct cli_socket *sock)
{
	const char *name;
	json_error_t jerr;
	json_t *root;
	int ret;

	ret = cli_post_cmd(argc, argv, i, sock, cli_peer_rm_req, "/peers/rm", &root);
	if (ret != CLI_EXIT_OK || !root)
		return ret;
	ret = CLI_EXIT_FAIL;
	if (json_unpack_ex(root, &jerr, 0, "{s:s}", "name", &name) < 0) {
		cli_malformed(&jerr);
		goto out;
	}
	if (!cli_name_ok(name)) {
		cli_fail("malformed reply from wgnetd: bad name value", NULL);
		goto out;
	}
	printf("peer %s removed\n", name);
	ret = CLI_EXIT_OK;
out:
	json_decref(root);
	return ret;
}

static int cli_cmd_peer_ls(int argc, char **argv, int i, struct cli_socket *sock)
{
	struct cli_peers ps = { 0 };
	bool as_json = false, help = false;
	json_t *root = NULL, *peers;
	json_error_t jerr;
	int ret;

	ret = cli_plain_args(argc, argv, i, sock, CLI_USAGE_PEER_LS, "peer ls", &as_json, &help);
	if (ret != CLI_EXIT_OK || help) {
		if (help)
			fputs(cli_help, stdout);	/* main checks the write */
		return ret;
	}
	ret = CLI_EXIT_FAIL;
	if (cli_request(sock, "/peers", NULL, &root) < 0)
		goto out;
	if (json_unpack_ex(root, &jerr, 0, "{s:o}", "peers", &peers) < 0) {
		cli_malformed(&jerr);
		goto out;
	}
	if (cli_parse_peers(peers, &ps) < 0)
		goto out;
	if (as_json)
		cli_print_json(root);
	else if (cli_print_peers(&ps) < 0)
		goto out;
	ret = CLI_EXIT_OK;
out:
	free(ps.v);
	json_decref(root);
	return ret;
}

static int cli_cmd_leave(int argc, char **argv, int i, struct cli_socket *sock)
{
	json_t *root = NULL, *req;
	bool help = false;
	int ret;

	ret = cli_plain_args(argc, argv, i, sock, CLI_USAGE_LEAVE, "leave", NULL, &help);
	if (ret != CLI_EXIT_OK || help) {
		if (help)
			fputs(cli_help, stdout);	/* main checks the write */
		return ret;
	}
	req = json_object();
	if (!req || cli_post(sock, "/leave", req, &root) < 0) {
		json_decref(req);
		return CLI_EXIT_FAIL;
	}
	json_decref(req);
	json_decref(root);
	printf("this host left the store's mesh\n");
	return CLI_EXIT_OK;
}

/* wgnet host rm NAME (i: the word after rm) */
static int cli_cmd_host_rm(int argc, char **argv, int i, struct cli_socket *sock)
{
	json_t *root = NULL, *req;
	const char *name = NULL;
	int r;

	for (; i < argc; i++) {
		r = cli_opt_socket(argc, argv, &i, sock, CLI_USAGE_HOST_RM);
		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		if (argv[i][0] == '-' || name)
			return cli_usage_error(CLI_USAGE_HOST_RM, "unexpected argument '%s'", argv[i]);
		name = argv[i];
	}
	if (!name || !cli_name_ok(name))
		return cli_usage_error(CLI_USAGE_HOST_RM, "host rm needs a host name (1..%d of "
				       "A-Z a-z 0-9 . _ -)", CLI_NAME_MAX);
	req = json_pack("{s:s}", "name", name);
	if (!req || cli_post(sock, "/hosts/rm", req, &root) < 0) {
		json_decref(req);
		return CLI_EXIT_FAIL;
	}
	json_decref(req);
	json_decref(root);
	printf("host %s removed from the store\n", name);
	return CLI_EXIT_OK;
}

/* wgnet peer [--socket PATH] add|rm|ls ... */
static int cli_cmd_peer(int argc, char **argv, int i, struct cli_socket *sock)
{
	int r;

	for (; i < argc && argv[i][0] == '-'; i++) {
		r = cli_opt_socket(argc, argv, &i, sock, CLI_USAGE_PEER);
		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		if (cli_is_help(argv[i])) {
			fputs(cli_help, stdout);	/* main checks the write */
			return CLI_EXIT_OK;
		}
		return cli_usage_error(CLI_USAGE_PEER, "unknown option '%s' for peer", argv[i]);
	}
	if (i >= argc)
		return cli_usage_error(CLI_USAGE_PEER, "peer needs add, rm or ls");
	if (strcmp(argv[i], "add") == 0)
		return cli_cmd_peer_add(argc, argv, i + 1, sock);
	if (strcmp(argv[i], "rm") == 0)
		return cli_cmd_peer_rm(argc, argv, i + 1, sock);
	if (strcmp(argv[i], "ls") == 0)
		return cli_cmd_peer_ls(argc, argv, i + 1, sock);
	return cli_usage_error(CLI_USAGE_PEER, "unknown peer command '%s'", argv[i]);
}

/* The reply of /host*: {"host_allow": ["tcp/53", ...]}, printed one port a line. */
static int cli_print_host_ports(json_t *root, bool as_json)
{
	json_error_t jerr;
	json_t *arr, *v;
	size_t k;

	if (json_unpack_ex(root, &jerr, 0, "{s:o}", "host_allow", &arr) < 0) {
		cli_malformed(&jerr);
		return -EPROTO;
	}
	if (!json_is_array(arr)) {
		cli_fail("malformed reply from wgnetd: host_allow is not an array", NULL);
		return -EPROTO;
	}
	json_array_foreach(arr, k, v)
		if (!json_is_string(v) || !cli_text_len_ok(json_string_value(v), 16, false)) {
			cli_fail("malformed reply from wgnetd: bad host_allow value", NULL);
			return -EPROTO;
		}
	if (as_json) {
		cli_print_json(root);
		return 0;
	}
	if (!json_array_size(arr))
		printf("no port of this host is open to the mesh\n");
	json_array_foreach(arr, k, v)
		printf("%s open to the mesh\n", json_string_value(v));
	return 0;
}

static int cli_host_port_req(int argc, char **argv, int i, struct cli_socket *sock, json_t *req,
			     bool *help)
{
	const char *port = NULL;
	int r;

	for (; i < argc; i++) {
		if (argv[i][0] == '-') {
			r = cli_opt_socket(argc, argv, &i, sock, CLI_USAGE_HOST);
			if (r < 0)
				return -r;
			if (r > 0)
				continue;
			if (cli_is_help(argv[i])) {
				*help = true;
				return CLI_EXIT_OK;
			}
			return cli_usage_error(CLI_USAGE_HOST, "unknown option '%s' for host",
					       argv[i]);
		}
		if (port)
			return cli_usage_error(CLI_USAGE_HOST, "unexpected argument '%s'", argv[i]);
		port = argv[i];
	}
	if (!port)
		return cli_usage_error(CLI_USAGE_HOST, "host allow and host deny need a port like "
				       "tcp/53");
	if (!cli_text_len_ok(port, 16, false))
		return cli_usage_error(CLI_USAGE_HOST, "'%s' is not a port like tcp/53", port);
	return cli_json_set_new(req, "port", json_string(port));
}

/* wgnet host allow|deny PROTO/PORT, wgnet host allowed [--json], wgnet host rm NAME */
static int cli_cmd_host(int argc, char **argv, int i, struct cli_socket *sock)
{
	bool as_json = false, help = false;
	json_t *root = NULL;
	int ret;

	if (i >= argc || cli_is_help(argv[i])) {
		if (i < argc) {
			fputs(cli_help, stdout);	/* main checks the write */
			return CLI_EXIT_OK;
		}
		return cli_usage_error(CLI_USAGE_HOST, "host needs allow, deny, allowed or rm");
	}
	if (strcmp(argv[i], "rm") == 0)
		return cli_cmd_host_rm(argc, argv, i + 1, sock);
	if (strcmp(argv[i], "allowed") == 0) {
		ret = cli_plain_args(argc, argv, i + 1, sock, CLI_USAGE_HOST, "host allowed",
				     &as_json, &help);
		if (ret == CLI_EXIT_OK && !help &&
		    cli_request(sock, "/host/allowed", NULL, &root) < 0)
			ret = CLI_EXIT_FAIL;
	} else if (strcmp(argv[i], "allow") == 0 || strcmp(argv[i], "deny") == 0) {
		ret = cli_post_cmd(argc, argv, i + 1, sock, cli_host_port_req,
				   argv[i][0] == 'a' ? "/host/allow" : "/host/deny", &root);
		help = ret == CLI_EXIT_OK && !root;
	} else {
		return cli_usage_error(CLI_USAGE_HOST, "unknown host command '%s'", argv[i]);
	}
	if (ret == CLI_EXIT_OK && help && strcmp(argv[i], "allowed") == 0)
		fputs(cli_help, stdout);	/* main checks the write */
	if (ret == CLI_EXIT_OK && root && cli_print_host_ports(root, as_json) < 0)
		ret = CLI_EXIT_FAIL;
	json_decref(root);
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
		if (cli_is_help(argv[i])) {
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
	else if (strcmp(argv[i], "join-line") == 0)
		r = cli_cmd_join_line(argc, argv, i + 1, &sock);
	else if (strcmp(argv[i], "peer") == 0)
		r = cli_cmd_peer(argc, argv, i + 1, &sock);
	else if (strcmp(argv[i], "leave") == 0)
		r = cli_cmd_leave(argc, argv, i + 1, &sock);
	else if (strcmp(argv[i], "host") == 0)
		r = cli_cmd_host(argc, argv, i + 1, &sock);
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
