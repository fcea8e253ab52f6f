/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/id_list.h"

bool id_list_has(const struct id_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], id) == 0)
			return true;
	return false;
}

int id_list_add(struct id_list *l, const char *id)
{
	char (*v)[DOCKER_ID_LEN + 1];

	if (id_list_has(l, id))
		return 0;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	snprintf(l->v[l->n++], sizeof(*v), "%s", id);
	return 0;
}

void id_list_del(struct id_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], id) == 0) {
			memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
			l->n--;
			return;
		}
	}
}

void id_list_clear(struct id_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
