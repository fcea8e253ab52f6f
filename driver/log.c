/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/log.h"

#define LOG_LINE_MAX 2048

static _Atomic int log_level = LOG_LEVEL_INFO;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

/* syslog priorities, which journald reads from the start of each line */
static const char *const level_prio[] = {
	[LOG_LEVEL_ERROR] = "<3>",
	[LOG_LEVEL_WARN] = "<4>",
	[LOG_LEVEL_INFO] = "<6>",
	[LOG_LEVEL_DEBUG] = "<7>",
};

void log_set_level(enum log_level level)
{
	atomic_store(&log_level, (int)level);
}

int log_level_parse(const char *name, enum log_level *out)
{
	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;		/* nowhere left to report it */
		buf += n;
		len -= (size_t)n;
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	size_t len, start;
	va_list ap;
	int n;

	if ((int)level < LOG_LEVEL_ERROR || (int)level > LOG_LEVEL_DEBUG ||
	    (int)level > atomic_load(&log_level))
		return;
	n = snprintf(line, sizeof(line), "%s%s: ", getenv("JOURNAL_STREAM") ? level_prio[level] :
		     "", level_names[level]);
	if (n < 0)
		return;
	start = (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(line + start, sizeof(line) - start, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	len = start + (size_t)n;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;		/* truncated: keep room for the newline */
	/* One event, one line: a newline from user input must not forge another entry. */
	for (size_t i = start; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[len++] = '\n';
	line[len] = 0;
	/* One write per line, so lines from several threads do not interleave. */
	write_all(STDERR_FILENO, line, len);
}

void log_clock(time_t t, char out[16])
{
	struct tm tm;

	strftime(out, 16, "%H:%M:%S", localtime_r(&t, &tm));
}
