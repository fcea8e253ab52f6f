/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the Docker Engine API's answers (version, list of containers, a container, an
 * events line) and the store's names records, each parsed as if hostile. What parses must hold
 * only names we can serve, Docker IDs of 64 hex digits, and a names record must format back to
 * itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "driver/docker_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_names(const struct dns_record *r)
{
	char norm[256];
	size_t n = 0;

	if (r->nnames > DNS_RECORD_NAMES_MAX || r->names_len > DNS_RECORD_NAMES_BYTES)
		abort();
	for (const char *x = dns_record_name_next(r, NULL); x; x = dns_record_name_next(r, x)) {
		if (!dns_record_name_norm(x, norm) || strcmp(norm, x) != 0)
			abort();
		n++;
	}
	if (n != r->nnames)
		abort();
}

static void container(const char *text, size_t size)
{
	struct docker_container c = { 0 };

	if (docker_container_parse(text, size, &c, NULL) < 0)
		return;
	if (!names_docker_id_valid(c.id) || c.name[DOCKER_NAME_MAX - 1])
		abort();
	for (size_t i = 0; i < c.neps; i++) {
		if (!names_docker_id_valid(c.eps[i].network_id) ||
		    (c.eps[i].rec.endpoint[0] && !names_docker_id_valid(c.eps[i].rec.endpoint)))
			abort();
		check_names(&c.eps[i].rec);
	}
	docker_container_release(&c);
}

static void record(const char *text, size_t size)
{
	struct dns_record r = { 0 }, back = { 0 };
	char *again;

	if (dns_record_parse(text, size, &r, NULL) < 0)
		return;
	check_names(&r);
	if (!cidr_contains(&r.pool, r.addr))
		abort();
	again = dns_record_format(&r);
	if (again && (dns_record_parse(again, strlen(again), &back, NULL) < 0 ||
		      !dns_record_equal(&r, &back)))
		abort();
	free(again);
	dns_record_release(&back);
	dns_record_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char nets_v[][DOCKER_ID_LEN + 1] = {
		"896a71ff6b1200b612156dea0a8c8ac592d10e0a5d98009511a25d50f9c3f199",
		"e080df4f61fbe243c186d79b8a2642fc17486d3be0f625332021c1e12fcc52b6",
	};
	const struct docker_ids nets = { (char (*)[DOCKER_ID_LEN + 1])nets_v, 2 };
	const char *text = (const char *)data;
	struct docker_version v;
	struct docker_ids ids = { 0 };
	struct docker_event ev;
	char api[DOCKER_API_MAX];

	if (docker_version_parse(text, size, &v, NULL) == 0 && docker_api_pick(&v, api, NULL) == 0 &&
	    strlen(api) < 3)
		abort();
	if (docker_list_parse(text, size, &nets, &ids, NULL) == 0) {
		for (size_t i = 0; i < ids.n; i++)
			if (!names_docker_id_valid(ids.v[i]) ||
			    (i && strcmp(ids.v[i - 1], ids.v[i]) >= 0))
				abort();
		docker_ids_release(&ids);
	}
	container(text, size);
	docker_event_parse(text, size, &ev);
	if (ev.kind == DOCKER_EVENT_CONTAINER && !names_docker_id_valid(ev.container))
		abort();
	record(text, size);
	return 0;
}
