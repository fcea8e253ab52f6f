/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "driver/errbuf.h"

int errbuf_set(struct errbuf *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int errbuf_http_status(int code)
{
	switch (code) {
	case -EMSGSIZE:
		return 413;
	case -EINVAL:
	case -ERANGE:
	case -EPROTO:
	case -EAFNOSUPPORT:
	case -EOPNOTSUPP:
	case -E2BIG:
	case -ENAMETOOLONG:
		return 400;
	case -ENOENT:
	case -ENODEV:
		return 404;
	case -EEXIST:
	case -EBUSY:
	case -EADDRINUSE:
	case -ENOSPC:		/* a pool or slice is full: a conflict with what exists */
		return 409;
	case -EAGAIN:
	case -ENOTCONN:		/* not initialised yet: try again later */
		return 503;
	default:
		return 500;
	}
}
