/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_LOG_H
#define WGNET_DRIVER_LOG_H

#include <time.h>

/*
 * One line per event on stderr. Under journald (JOURNAL_STREAM set) each line starts with a
 * <3>..<7> priority so the level survives. Levels: error = a request or reconcile step failed;
 * warn = unexpected, going on; info = rare lifecycle events; debug = per-request detail.
 * Never log a private key.
 */
enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_set_level(enum log_level level);
int log_level_parse(const char *name, enum log_level *out);	/* "error".."debug" */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "HH:MM:SS", local time: when something happened, in status notes as in the log */
void log_clock(time_t t, char out[16]);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
