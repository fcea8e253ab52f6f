/* SPDX-License-Identifier: MIT */
/* libFuzzer: host records as the store hands them over (anyone with write access wrote them). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "driver/store_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_record r, back;
	struct errbuf e = { 0 };
	char *text;

	if (store_record_parse((const char *)data, size, &r, &e) < 0)
		return 0;
	/* what parses formats back to the same record */
	text = store_record_format(&r);
	if (!text)
		return 0;
	if (store_record_parse(text, strlen(text), &back, &e) < 0 ||
	    memcmp(&r, &back, sizeof(r)) != 0)
		abort();
	free(text);
	return 0;
}
