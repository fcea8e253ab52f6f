/* SPDX-License-Identifier: MIT */
/*
 * wgnet: the command-line client of wgnetd's control API, JSON over HTTP on a unix socket.
 * It knows the API only (docs: control API), never driver/ or netlink/: whatever it shows comes
 * from the daemon's reply, which it checks as hostile input before printing a byte of it.
 * Keys newer than the first API are optional in replies: an older wgnetd does not send them.
 * One file per command group, plus the shared parts declared here. A new command is a row in
 * cli_main.c's table (its name, function, usage and help) and the function it names.
 */
#ifndef WGNET_PLUGIN_CLI_H
#define WGNET_PLUGIN_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_TEXT_MAX 300	/* longest string from the daemon we print (an endpoint) */
#define CLI_LINE_MAX 511	/* longest join line (the daemon's buffer is 512) */
#define CLI_NAME_MAX 63
#define CLI_KEY_LEN 44		/* base64 of a 32-byte X25519 key */
#define CLI_JOIN_PREFIX "wgnet-join "

/* CLI_EXIT_HELP: --help was asked; main prints the help (made from its table of commands)
 * and exits with CLI_EXIT_OK. */
enum cli_exit { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_HELP = 3 };

#define CLI_USAGE_INIT "wgnet [--socket PATH] init --index N | --store URL[,URL...] " \
		       "[--store-ca FILE] [--store-cert FILE --store-key FILE] " \
		       "[--store-insecure-http] [--store-no-client-cert] [--index N] " \
		       "[--endpoint HOST:PORT] [--mtu N] [--listen-port N] [--name NAME]"
#define CLI_USAGE_LEAVE "wgnet [--socket PATH] leave"
#define CLI_USAGE_HOST_RM "wgnet [--socket PATH] host rm NAME"
#define CLI_USAGE_HOST_REVOKE "wgnet [--socket PATH] host revoke NAME|PUBLIC-KEY"
#define CLI_USAGE_KEY_ROTATE "wgnet [--socket PATH] key rotate [--finish]"
#define CLI_USAGE_KEY "wgnet [--socket PATH] key rotate [--finish]"
#define CLI_USAGE_STATUS "wgnet [--socket PATH] status [--json]"
#define CLI_USAGE_NAMES "wgnet [--socket PATH] names [--json]"
#define CLI_USAGE_JOIN "wgnet [--socket PATH] join-line"
#define CLI_USAGE_EVENTS "wgnet [--socket PATH] events [--json] [--since N]"
#define CLI_USAGE_PEER_ADD "wgnet [--socket PATH] peer add [--endpoint HOST:PORT | " \
			   "--no-endpoint] [--keepalive N] JOIN-LINE..."
#define CLI_USAGE_PEER_RM "wgnet [--socket PATH] peer rm NAME|PUBLIC-KEY"
#define CLI_USAGE_PEER_LS "wgnet [--socket PATH] peer ls [--json]"
#define CLI_USAGE_PEER "wgnet [--socket PATH] peer add|rm|ls [OPTIONS]"
#define CLI_USAGE_HOST "wgnet [--socket PATH] host allow|deny PROTO/PORT, " \
		       "host allowed [--json], host rm NAME, host revoke NAME|PUBLIC-KEY"

struct cli_socket {
	const char *path;
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
	const char *next_key;		/* the key it rotates to, NULL = none */
};

struct cli_peers {
	struct cli_peer *v;		/* strings borrowed from the reply */
	size_t n;
};

/* cli_args.c: the command line */
int cli_usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool cli_is_digit(char c);
int cli_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
const char *cli_endpoint_problem(const char *ep);
bool cli_socket_valid(const char *path);
int cli_opt_value(int argc, char **argv, int *i, const char *name, const char **value);
int cli_opt_socket(int argc, char **argv, int *i, struct cli_socket *sock, const char *usage);
bool cli_is_help(const char *arg);
int cli_plain_args(int argc, char **argv, int i, struct cli_socket *sock, const char *usage,
		   const char *cmd, const char *flag, bool *set, const char **word, bool *help);
int cli_group_args(int argc, char **argv, int *i, struct cli_socket *sock, const char *usage,
		   const char *group, bool *help);

/* cli_request.c: the HTTP client */
int cli_request(const struct cli_socket *sock, const char *path, const char *body, json_t **out);
/* on: an unreachable wgnetd is not printed (wgnet events waiting for it to come back) */
void cli_request_quiet(bool on);
int cli_json_set_new(json_t *req, const char *key, json_t *value);
int cli_post(const struct cli_socket *sock, const char *path, const json_t *req, json_t **out);
int cli_post_cmd(int argc, char **argv, int i, struct cli_socket *sock,
		 int (*args)(int, char **, int, struct cli_socket *, json_t *, bool *),
		 const char *path, json_t **root);

/* cli_reply.c: checks on replies, safe printing */
void cli_print_clean(FILE *f, const char *s);
void cli_fail(const char *what, const char *detail);
void cli_malformed(const json_error_t *jerr);
bool cli_text_len_ok(const char *s, size_t max, bool may_be_empty);
bool cli_text_ok(const char *s, bool may_be_empty);
bool cli_name_ok(const char *s);
bool cli_key_ok(const char *s);
bool cli_join_line_ok(const char *s);
bool cli_id_ok(const char *id);
bool cli_u16_ok(json_int_t v);
void cli_print_json(json_t *root);

/* cli_peers.c: the peers table */
int cli_parse_peers(json_t *arr, struct cli_peers *out);
int cli_print_peers(const struct cli_peers *ps);

/* cli_main.c: the table of commands */

/* The commands: i is the index of the first argument after the command's name. */
int cli_cmd_status(int argc, char **argv, int i, struct cli_socket *sock);	/* cli_status.c */
int cli_cmd_names(int argc, char **argv, int i, struct cli_socket *sock);	/* cli_names.c */
int cli_cmd_events(int argc, char **argv, int i, struct cli_socket *sock);	/* cli_events.c */
/* cli_init.c */
int cli_cmd_init(int argc, char **argv, int i, struct cli_socket *sock);
int cli_cmd_join_line(int argc, char **argv, int i, struct cli_socket *sock);
int cli_cmd_leave(int argc, char **argv, int i, struct cli_socket *sock);
/* cli_peer.c */
int cli_cmd_peer_add(int argc, char **argv, int i, struct cli_socket *sock);
int cli_cmd_peer_rm(int argc, char **argv, int i, struct cli_socket *sock);
int cli_cmd_peer_ls(int argc, char **argv, int i, struct cli_socket *sock);
/* cli_host.c */
int cli_cmd_host_allow(int argc, char **argv, int i, struct cli_socket *sock);
int cli_cmd_host_deny(int argc, char **argv, int i, struct cli_socket *sock);
int cli_cmd_host_allowed(int argc, char **argv, int i, struct cli_socket *sock);
int cli_cmd_host_rm(int argc, char **argv, int i, struct cli_socket *sock);
int cli_cmd_host_revoke(int argc, char **argv, int i, struct cli_socket *sock);
/* cli_key.c */
int cli_cmd_key_rotate(int argc, char **argv, int i, struct cli_socket *sock);

#endif
