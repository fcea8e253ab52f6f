/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_ID_LIST_H
#define WGNET_DRIVER_ID_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "driver/names.h"

/* A set of Docker network IDs: the networks whose pools dockerd may replay (RequestPool for a
 * pool already in use) and whose stored addresses it re-requests. */
struct id_list {
	char (*v)[DOCKER_ID_LEN + 1];
	size_t n;
};

bool id_list_has(const struct id_list *l, const char *id);
int id_list_add(struct id_list *l, const char *id);	/* 0, or -ENOMEM */
void id_list_del(struct id_list *l, const char *id);
void id_list_clear(struct id_list *l);

#endif
