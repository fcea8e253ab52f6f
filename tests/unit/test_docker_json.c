/* SPDX-License-Identifier: MIT */
/*
 * The Docker Engine API's answers (docker_json.c), as dockerd 20.10.24 and 28.5.2 gave them
 * (captured on the e2e hosts; the whole captures are tests/fuzz/corpus/fuzz_docker_json/):
 * the API version picked, the containers on our networks, a container's names on each network
 * (name, aliases, DNSNames), the events that name a container; hostile answers refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "driver/docker_json.h"

#define TEXT(s) s, sizeof(s) - 1	/* a literal and its length */
#define NET_APP "896a71ff6b1200b612156dea0a8c8ac592d10e0a5d98009511a25d50f9c3f199"
#define NET_BRIDGE "84c196e079e4a59a6bf7a938e262806c2ef7133b44919989affb5e4da414a366"
#define CTR_WEB "9bfce98548f5da7530fde9f573dcca30c22a2f8df618bdcdd021d91c3d70af8a"
#define CTR_OTHER "27d5acf64a2dad9caaffc150d8cc9f50c891184b51ac2cd8af1bb63bf9a22fe1"
#define EP_WEB "ac8c1d85cbe40e36c348eab50b5c8270e42eb3059c292044200884590fd5666d"

/* dockerd 20.10.24 (API 1.41) */
static const char inspect_2010[] =
	"{\"Id\":\"" CTR_WEB "\",\"Name\":\"/web\",\"State\":{\"Running\":true},"
	"\"NetworkSettings\":{\"Networks\":{\"app\":{\"IPAMConfig\":null,\"Links\":null,"
	"\"Aliases\":[\"svc\",\"Svc2\",\"9bfce98548f5\"],\"NetworkID\":\"" NET_APP "\","
	"\"EndpointID\":\"" EP_WEB "\",\"Gateway\":\"10.210.1.1\",\"IPAddress\":\"10.210.1.2\","
	"\"IPPrefixLen\":24,\"MacAddress\":\"02:42:0a:d2:01:02\",\"DriverOpts\":null}}}}";
/* dockerd 28.5.2 (API 1.51): the short ID is no alias any more, DNSNames has them all */
static const char inspect_285[] =
	"{\"Id\":\"5e8fc24bbec4e6dcf1cb1270de58a246ae41a10cceeac83a85bc5ef9ae6bf3cb\","
	"\"Name\":\"/web\",\"NetworkSettings\":{\"Networks\":{\"app\":{\"IPAMConfig\":null,"
	"\"Links\":null,\"Aliases\":[\"svc\",\"Svc2\"],\"MacAddress\":\"02:42:0a:d2:01:02\","
	"\"DriverOpts\":null,\"GwPriority\":0,\"NetworkID\":"
	"\"e080df4f61fbe243c186d79b8a2642fc17486d3be0f625332021c1e12fcc52b6\",\"EndpointID\":"
	"\"853e03da6443ebfcd1f972068ac5be43a7e4b73d984fc321fec818e4a3fa1351\",\"Gateway\":"
	"\"10.210.1.1\",\"IPAddress\":\"10.210.1.2\",\"IPPrefixLen\":24,\"DNSNames\":[\"web\","
	"\"svc\",\"Svc2\",\"5e8fc24bbec4\"]}}}}";
/* stopped: the endpoint is gone, the aliases stay */
static const char inspect_stopped[] =
	"{\"Id\":\"" CTR_WEB "\",\"Name\":\"/web2\",\"NetworkSettings\":{\"Networks\":{\"app\":"
	"{\"Aliases\":[\"svc\",\"Svc2\",\"9bfce98548f5\"],\"NetworkID\":\"" NET_APP "\","
	"\"EndpointID\":\"\",\"IPAddress\":\"\"}}}}";
static const char list_2010[] =
	"[{\"Id\":\"" CTR_OTHER "\",\"Names\":[\"/other\"],\"NetworkSettings\":{\"Networks\":{"
	"\"app\":{\"Aliases\":null,\"NetworkID\":\"" NET_APP "\"},\"bridge\":{\"NetworkID\":\""
	NET_BRIDGE "\"}}}},{\"Id\":\"" CTR_WEB "\",\"Names\":[\"/web\"],\"NetworkSettings\":"
	"{\"Networks\":{\"app\":{\"NetworkID\":\"" NET_APP "\"}}}},{\"Id\":"
	"\"1111111111111111111111111111111111111111111111111111111111111111\",\"NetworkSettings\":"
	"{\"Networks\":{\"bridge\":{\"NetworkID\":\"" NET_BRIDGE "\"}}}}]";

static void names_are(const struct dns_record *r, const char *const *want)
{
	const char *got = dns_record_name_next(r, NULL);
	size_t i = 0;

	for (; want[i]; i++, got = dns_record_name_next(r, got)) {
		assert_non_null(got);
		assert_string_equal(got, want[i]);
	}
	assert_null(got);
	assert_int_equal(r->nnames, i);
}

static void test_version(void **state)
{
	static const char v2010[] =
		"{\"Version\":\"20.10.24+dfsg1\",\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"1.12\"}";
	static const struct {
		const char *api, *min, *want;
	} picks[] = {
		{ "1.51", "1.24", "1.51" },		/* 28.5.2 */
		{ "1.52", "1.44", DOCKER_API_TESTED },	/* Docker 29: refuses below 1.44 */
		{ "1.9", "1.9", "1.9" },		/* a minor is a number, not a fraction */
	};
	struct docker_version v;
	struct errbuf e = { 0 };
	char api[DOCKER_API_MAX];

	(void)state;
	assert_int_equal(docker_version_parse(v2010, sizeof(v2010) - 1, &v, &e), 0);
	assert_string_equal(v.version, "20.10.24+dfsg1");
	assert_int_equal(docker_api_pick(&v, api, &e), 0);
	assert_string_equal(api, "1.41");
	for (size_t i = 0; i < sizeof(picks) / sizeof(picks[0]); i++) {
		snprintf(v.api, sizeof(v.api), "%s", picks[i].api);
		snprintf(v.min_api, sizeof(v.min_api), "%s", picks[i].min);
		assert_int_equal(docker_api_pick(&v, api, &e), 0);
		assert_string_equal(api, picks[i].want);
	}
	/* one that no longer speaks what we tested */
	snprintf(v.api, sizeof(v.api), "2.3");
	snprintf(v.min_api, sizeof(v.min_api), "1.60");
	assert_int_equal(docker_api_pick(&v, api, &e), -EPROTONOSUPPORT);
	assert_non_null(strstr(e.msg, "1.60"));
	assert_int_equal(docker_version_parse(TEXT("{\"ApiVersion\":\"1.x\"}"), &v, &e), -EPROTO);
	assert_int_equal(docker_version_parse(TEXT("{\"ApiVersion\":1.41}"), &v, &e), -EPROTO);
	assert_int_equal(docker_version_parse(TEXT("{\"ApiVersion\":\"1.41\",\"MinAPIVersion\":"
						   "\"x\"}"), &v, &e), -EPROTO);
	assert_int_equal(docker_version_parse(TEXT("{}"), &v, &e), -EPROTO);
	assert_int_equal(docker_version_parse(TEXT("<html>"), &v, &e), -EPROTO);
}

static void test_list(void **state)
{
	static const char bad_id[] = "[{\"Id\":\"abc\",\"NetworkSettings\":{\"Networks\":{"
				     "\"app\":{\"NetworkID\":\"" NET_APP "\"}}}}]";
	struct docker_ids nets = { 0 }, ids = { 0 };
	struct errbuf e = { 0 };

	(void)state;
	assert_int_equal(docker_ids_add(&nets, NET_APP), 0);
	assert_int_equal(docker_ids_add(&nets, NET_APP), 0);
	assert_int_equal(docker_ids_add(&nets, "not-an-id"), -EINVAL);
	assert_int_equal(nets.n, 1);
	assert_int_equal(docker_list_parse(list_2010, sizeof(list_2010) - 1, &nets, &ids, &e), 0);
	assert_int_equal(ids.n, 2);		/* the container on docker0 alone is not ours */
	assert_string_equal(ids.v[0], CTR_OTHER);	/* sorted */
	assert_string_equal(ids.v[1], CTR_WEB);
	docker_ids_release(&ids);
	assert_int_equal(docker_list_parse("{}", 2, &nets, &ids, &e), -EPROTO);
	assert_int_equal(docker_list_parse(bad_id, sizeof(bad_id) - 1, &nets, &ids, &e), -EPROTO);
	docker_ids_release(&nets);
}

static void test_container(void **state)
{
	struct docker_container c;
	struct errbuf e = { 0 };

	(void)state;
	assert_int_equal(docker_container_parse(inspect_2010, sizeof(inspect_2010) - 1, &c, &e), 0);
	assert_string_equal(c.id, CTR_WEB);
	assert_string_equal(c.name, "web");
	assert_int_equal(c.neps, 1);
	assert_string_equal(c.eps[0].network, "app");
	assert_string_equal(c.eps[0].network_id, NET_APP);
	assert_string_equal(c.eps[0].rec.endpoint, EP_WEB);
	names_are(&c.eps[0].rec, (const char *const[]){ "web", "svc", "svc2", "9bfce98548f5",
							NULL });
	docker_container_release(&c);
	assert_int_equal(docker_container_parse(inspect_285, sizeof(inspect_285) - 1, &c, &e), 0);
	names_are(&c.eps[0].rec, (const char *const[]){ "web", "svc", "svc2", "5e8fc24bbec4",
							NULL });
	docker_container_release(&c);
	assert_int_equal(docker_container_parse(inspect_stopped, sizeof(inspect_stopped) - 1, &c,
						&e), 0);
	assert_string_equal(c.eps[0].rec.endpoint, "");	/* no endpoint: no record */
	docker_container_release(&c);
}

/* names that are no DNS names are left out and counted, never served */
static void test_container_odd_names(void **state)
{
	static const char text[] =
		"{\"Id\":\"" CTR_WEB "\",\"Name\":\"/web\",\"NetworkSettings\":{\"Networks\":{"
		"\"app\":{\"Aliases\":[\"ok\",\"not ok\",\"a..b\",\"x.y\"],\"DNSNames\":null,"
		"\"NetworkID\":\"" NET_APP "\",\"EndpointID\":\"" EP_WEB "\"}}}}";
	struct docker_container c;

	(void)state;
	assert_int_equal(docker_container_parse(text, sizeof(text) - 1, &c, NULL), 0);
	names_are(&c.eps[0].rec, (const char *const[]){ "web", "ok", "x.y", NULL });
	assert_int_equal(c.eps[0].skipped, 2);
	docker_container_release(&c);
}

static void test_container_hostile(void **state)
{
	static const char *const bad[] = {
		"",
		"null",
		"[]",
		"{\"Id\":\"" CTR_WEB "\",\"Name\":\"/web\"}",
		"{\"Id\":\"abc\",\"Name\":\"/web\",\"NetworkSettings\":{\"Networks\":{}}}",
		"{\"Id\":\"" CTR_WEB "\",\"Name\":5,\"NetworkSettings\":{\"Networks\":{}}}",
		"{\"Id\":\"" CTR_WEB "\",\"Name\":\"/w\",\"NetworkSettings\":{\"Networks\":[]}}",
		/* a network without an ID, an endpoint that is no ID, aliases of another type */
		"{\"Id\":\"" CTR_WEB "\",\"Name\":\"/w\",\"NetworkSettings\":{\"Networks\":{\"a\":{}}}}",
		"{\"Id\":\"" CTR_WEB "\",\"Name\":\"/w\",\"NetworkSettings\":{\"Networks\":{\"a\":{"
		"\"NetworkID\":\"" NET_APP "\",\"EndpointID\":\"../../x\"}}}}",
		"{\"Id\":\"" CTR_WEB "\",\"Name\":\"/w\",\"NetworkSettings\":{\"Networks\":{\"a\":{"
		"\"NetworkID\":\"" NET_APP "\",\"Aliases\":\"web\"}}}}",
		"{\"Id\":\"" CTR_WEB "\",\"Name\":\"/w\",\"NetworkSettings\":{\"Networks\":{\"a\":{"
		"\"NetworkID\":\"" NET_APP "\",\"DNSNames\":[1]}}}}",
		"{\"Id\":\"" CTR_WEB "\",\"Id\":\"" CTR_WEB "\",\"Name\":\"/w\",\"NetworkSettings\":"
		"{\"Networks\":{}}}",
		NULL,
	};
	struct docker_container c;
	struct errbuf e;

	(void)state;
	for (size_t i = 0; bad[i]; i++) {
		e = (struct errbuf){ 0 };
		assert_int_equal(docker_container_parse(bad[i], strlen(bad[i]), &c, &e), -EPROTO);
		assert_true(e.msg[0] != 0);
	}
	e = (struct errbuf){ 0 };
	assert_int_equal(docker_container_parse(inspect_2010, DOCKER_BODY_MAX + 1, &c, &e),
			 -EMSGSIZE);
}

static void test_events(void **state)
{
	static const struct {
		const char *line;
		bool container;
	} cases[] = {
		{ "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"" NET_APP "\","
		  "\"Attributes\":{\"container\":\"" CTR_WEB "\",\"name\":\"app\",\"type\":\"wgnet\"}},"
		  "\"scope\":\"local\",\"time\":1796652622}", true },
		{ "{\"Type\":\"network\",\"Action\":\"disconnect\",\"Actor\":{\"ID\":\"" NET_APP "\","
		  "\"Attributes\":{\"container\":\"" CTR_WEB "\"}}}", true },
		{ "{\"status\":\"rename\",\"id\":\"" CTR_WEB "\",\"Type\":\"container\",\"Action\":"
		  "\"rename\",\"Actor\":{\"ID\":\"" CTR_WEB "\",\"Attributes\":{\"name\":\"web2\","
		  "\"oldName\":\"/web\"}}}", true },
		{ "{\"Type\":\"container\",\"Action\":\"destroy\",\"Actor\":{\"ID\":\"" CTR_WEB "\"}}",
		  true },
		{ "{\"Type\":\"container\",\"Action\":\"exec_create: sh\",\"Actor\":{\"ID\":\""
		  CTR_WEB "\"}}", false },
		{ "{\"Type\":\"network\",\"Action\":\"create\",\"Actor\":{\"ID\":\"" NET_APP "\"}}",
		  false },
		{ "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"abc\"}}", false },
		{ "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"Attributes\":{}}}", false },
		{ "not json", false },
	};
	struct docker_event ev;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		docker_event_parse(cases[i].line, strlen(cases[i].line), &ev);
		assert_int_equal(ev.kind, cases[i].container ? DOCKER_EVENT_CONTAINER :
				 DOCKER_EVENT_OTHER);
		if (cases[i].container)
			assert_string_equal(ev.container, CTR_WEB);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_container),
		cmocka_unit_test(test_container_odd_names),
		cmocka_unit_test(test_container_hostile),
		cmocka_unit_test(test_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
