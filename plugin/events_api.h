/* SPDX-License-Identifier: MIT */
#ifndef WGNET_PLUGIN_EVENTS_API_H
#define WGNET_PLUGIN_EVENTS_API_H

#include "driver/driver.h"
#include "plugin/http.h"

/*
 * GET /events?since=N[&epoch=E][&wait=S] on the control socket (plugin/events_api.c): the
 * events numbered above N, answered at once when there are some, else held (without a thread)
 * until one comes or S seconds (default 25, at most 60) passed: a long poll. A thread wakes
 * the held requests at each event and every second.
 */
#define EVENTS_WAIT_DEFAULT 25
#define EVENTS_WAIT_MAX 60

void events_api_serve(struct driver *d, const struct http_request *req, struct http_reply *reply);

struct events_waker;
int events_waker_start(struct driver *d, struct http_server *server, struct events_waker **out);
void events_waker_stop(struct events_waker *w);

#endif
