/* SPDX-License-Identifier: MIT */
/*
 * state_parse on arbitrary bytes. Whatever it accepts must dump, parse back and dump to the
 * same text: a state the daemon can save is a state it can load again after a restart.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "driver/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state s = { 0 }, t = { 0 };
	struct errbuf e = { 0 };
	char *a = NULL, *b = NULL;

	if (state_parse((const char *)data, size, &s, &e) < 0) {
		if (e.code != -EINVAL && e.code != -EFBIG && e.code != -ENOMEM)
			abort();	/* every rejection is worded, with a known code */
		if (!e.msg[0])
			abort();
		return 0;
	}
	if (state_dump(&s, &a) < 0)
		abort();
	if (state_parse(a, strlen(a), &t, &e) < 0)
		abort();
	if (state_dump(&t, &b) < 0)
		abort();
	if (strcmp(a, b) != 0)
		abort();
	free(a);
	free(b);
	state_release(&s);
	state_release(&t);
	return 0;
}
