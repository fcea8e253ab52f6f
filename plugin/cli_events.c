/* SPDX-License-Identifier: MIT */
/*
 * wgnet events: what changes, as it happens, one line each (--json: one JSON object per line),
 * until interrupted. A long poll of GET /events: each answer brings the events numbered above
 * the last one printed. A wgnetd that goes away is waited for; one that restarted numbers its
 * events from 1 again (its epoch says so), and they are read from its first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plugin/cli.h"

#define EVENTS_POLL_WAIT 20		/* seconds a poll is held, within cli_request's 30 */
#define EVENTS_NUMBER_MAX 9223372036854775807LL

struct cli_events {
	json_int_t epoch, last, lost;
	json_t *events;			/* borrowed */
};

static int parse_reply(json_t *root, struct cli_events *out)
{
	json_error_t jerr;

	if (json_unpack_ex(root, &jerr, 0, "{s:I, s:I, s:I, s:o}", "epoch", &out->epoch, "last",
			   &out->last, "lost", &out->lost, "events", &out->events) < 0) {
		cli_malformed(&jerr);
		return -EBADMSG;
	}
	if (out->epoch < 0 || out->last < 0 || out->lost < 0 || !json_is_array(out->events)) {
		cli_fail("malformed reply from wgnetd: a bad events value", NULL);
		return -EBADMSG;
	}
	return 0;
}

/* One event, checked as hostile, printed as a line of text or of JSON. */
static int print_event(json_t *o, bool as_json)
{
	const char *event, *subject, *detail;
	json_int_t seq, at;
	json_error_t jerr;
	char when[32] = "?";
	struct tm tm;
	time_t t;

	if (json_unpack_ex(o, &jerr, 0, "{s:I, s:I, s:s, s:s, s:s}", "seq", &seq, "time", &at,
			   "event", &event, "subject", &subject, "detail", &detail) < 0) {
		cli_malformed(&jerr);
		return -EBADMSG;
	}
	if (seq < 1 || !cli_text_len_ok(event, 32, false) || !cli_text_len_ok(subject, 64, true) ||
	    !cli_text_len_ok(detail, 256, true)) {
		cli_fail("malformed reply from wgnetd: an event has a bad value", NULL);
		return -EBADMSG;
	}
	if (as_json) {
		json_t *line = json_pack("{s:I, s:I, s:s, s:s, s:s}", "seq", seq, "time", at,
					 "event", event, "subject", subject, "detail", detail);
		int ret = line && json_dumpf(line, stdout, JSON_COMPACT) == 0 ? 0 : -ENOMEM;

		json_decref(line);
		putchar('\n');
		return ret;
	}
	t = (time_t)at;
	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	printf("%s  %-16s  ", when, event);
	cli_print_clean(stdout, subject);
	fputs(subject[0] ? ": " : "", stdout);
	cli_print_clean(stdout, detail);
	fputc('\n', stdout);
	return 0;
}

/* One poll: the events after *since printed; *since and *epoch move on. */
static int poll_once(const struct cli_socket *sock, long long *since, long long *epoch,
		     unsigned wait, bool as_json)
{
	struct cli_events ev = { 0 };
	json_t *root = NULL;
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "/events?since=%lld&epoch=%lld&wait=%u", *since, *epoch,
		 wait);
	ret = cli_request(sock, path, NULL, &root);
	if (ret < 0)
		return ret;
	ret = parse_reply(root, &ev);
	if (ret == 0 && *epoch && ev.epoch != *epoch)
		fputs(as_json ? "" : "-- wgnetd restarted: its events from its start --\n", stdout);
	if (ret == 0 && ev.lost && !as_json)
		printf("-- %lld events missed: wgnetd keeps the last 256 --\n", (long long)ev.lost);
	for (size_t k = 0; ret == 0 && k < json_array_size(ev.events); k++)
		ret = print_event(json_array_get(ev.events, k), as_json);
	if (ret == 0) {
		*since = ev.last;
		*epoch = ev.epoch;
	}
	json_decref(root);
	if (fflush(stdout) != 0 || ferror(stdout))
		return -EPIPE;
	return ret;
}

static int events_args(int argc, char **argv, int i, struct cli_socket *sock, bool *as_json,
		       long long *since, bool *help)
{
	unsigned long v;
	const char *val;
	int r;

	for (; i < argc; i++) {
		r = cli_opt_socket(argc, argv, &i, sock, CLI_USAGE_EVENTS);
		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		r = cli_opt_value(argc, argv, &i, "--since", &val);
		if (r < 0)
			return cli_usage_error(CLI_USAGE_EVENTS, "--since needs a number");
		if (r > 0) {
			if (cli_parse_uint(val, 0, 999999999999UL, &v) < 0)
				return cli_usage_error(CLI_USAGE_EVENTS, "--since must be a number "
						       "0..999999999999");
			*since = (long long)v;
			continue;
		}
		if (strcmp(argv[i], "--json") == 0) {
			*as_json = true;
			continue;
		}
		if (cli_is_help(argv[i])) {
			*help = true;
			return CLI_EXIT_HELP;
		}
		if (argv[i][0] == '-')
			return cli_usage_error(CLI_USAGE_EVENTS, "unknown option '%s' for events",
					       argv[i]);
		return cli_usage_error(CLI_USAGE_EVENTS, "unexpected argument '%s'", argv[i]);
	}
	return CLI_EXIT_OK;
}

int cli_cmd_events(int argc, char **argv, int i, struct cli_socket *sock)
{
	long long since = -1, epoch = 0;
	bool as_json = false, help = false, gone = false;
	int r;

	r = events_args(argc, argv, i, sock, &as_json, &since, &help);
	if (r != CLI_EXIT_OK || help)
		return r;
	/* without --since: from now on (the newest number, asked for without waiting) */
	if (since < 0) {
		since = EVENTS_NUMBER_MAX;
		if (poll_once(sock, &since, &epoch, 0, as_json) < 0)
			return CLI_EXIT_FAIL;
	}
	for (;;) {
		r = poll_once(sock, &since, &epoch, EVENTS_POLL_WAIT, as_json);
		if (r == -ENOTCONN) {
			/* wgnetd stopped or restarts: wait for it, quietly after one line */
			if (!gone)
				fputs("wgnet: waiting for wgnetd to answer again\n", stderr);
			gone = true;
			cli_request_quiet(true);
			sleep(1);
			continue;
		}
		if (r < 0)
			return CLI_EXIT_FAIL;
		if (gone)
			fputs("wgnet: wgnetd answers again\n", stderr);
		gone = false;
		cli_request_quiet(false);
	}
}
