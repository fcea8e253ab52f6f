/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_ERRBUF_H
#define WGNET_DRIVER_ERRBUF_H

/*
 * An error the user can act on: a negative errno for the caller's logic and one sentence for
 * the human (what is wrong and what to do). driver/ words it once; plugin/ sends it as
 * {"Err": msg} with an HTTP status derived from code (errbuf_http_status).
 */
#define ERRBUF_MSG_MAX 512

struct errbuf {
	int code;			/* negative errno, 0 = no error */
	char msg[ERRBUF_MSG_MAX];
};

/* Sets e (if not NULL) and returns code, so callers can `return errbuf_set(e, -EINVAL, ...)`. */
int errbuf_set(struct errbuf *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* 400 for -EINVAL/-ERANGE/-EOPNOTSUPP..., 404 -ENOENT/-ENODEV, 409 -EEXIST/-EBUSY/-EADDRINUSE/
 * -ENOSPC, 413 -EMSGSIZE, 503 -EAGAIN/-ENOTCONN (not initialised yet), 500 otherwise. */
int errbuf_http_status(int code);

#endif
