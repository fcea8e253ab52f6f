/* SPDX-License-Identifier: MIT */
/* Request parsing of the plugin and control APIs: shapes accepted, hostile input refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver/errbuf.h"
#include "plugin/api_json.h"
#include "plugin/http.h"
#include "plugin/requests.h"

#define NET "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define EP "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static json_t *load_ok(const char *s)
{
	struct errbuf e = { 0 };
	json_t *root = NULL;

	assert_int_equal(api_json_load(s, strlen(s), &root, &e), 0);
	assert_non_null(root);
	return root;
}

static void test_load(void **state)
{
	static const char *const bad[] = {
		"", "{", "[]", "null", "42", "\"x\"", "{} {}", "{\"a\":1,\"a\":2}",
		"{\"a\":\"\\u0000\"}", "{\"a\":\"\xff\xfe\"}", "{'a':1}",
	};
	struct errbuf e = { 0 };
	json_t *root = NULL;
	char *big;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(api_json_load(bad[i], strlen(bad[i]), &root, &e), -EINVAL);
		assert_null(root);
		assert_true(strlen(e.msg) > 0);
		assert_int_equal(errbuf_http_status(e.code), 400);
	}
	/* a raw NUL inside a string or after the object: the whole body is read, not to the NUL */
	assert_int_equal(api_json_load("{\"a\":\"x\0y\"}", 11, &root, &e), -EINVAL);
	assert_int_equal(api_json_load("{\"a\":1}\0", 8, &root, &e), -EINVAL);
	assert_null(root);
	big = malloc(API_BODY_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', API_BODY_MAX + 1);
	big[0] = '{';
	big[API_BODY_MAX] = '}';
	assert_int_equal(api_json_load(big, API_BODY_MAX + 1, &root, &e), -EMSGSIZE);
	assert_int_equal(errbuf_http_status(e.code), 413);
	assert_int_equal(api_json_load(big, API_BODY_MAX, &root, &e), -EINVAL);	/* no '}' */
	free(big);
	root = load_ok("{\"a\":1}\n");
	json_decref(root);
}

static void test_create_network(void **state)
{
	struct network_create_req r;
	struct errbuf e = { 0 };
	json_t *root;

	(void)state;
	root = load_ok("{\"NetworkID\":\"" NET "\",\"Options\":{\"com.docker.network.enable_ipv6\":"
		       "false,\"com.docker.network.internal\":true,\"com.docker.network.generic\":"
		       "{\"com.docker.network.driver.mtu\":\"1400\",\"other\":7}},\"IPv4Data\":[{"
		       "\"AddressSpace\":\"wgnet-local\",\"Gateway\":\"10.210.3.1/24\",\"Pool\":"
		       "\"10.210.3.0/24\"}],\"IPv6Data\":[],\"NewKey\":1}");
	assert_int_equal(docker_api_parse_create_network(root, &r, &e), 0);
	assert_string_equal(r.network_id, NET);
	assert_string_equal(r.pool, "10.210.3.0/24");
	assert_string_equal(r.gateway, "10.210.3.1/24");
	assert_string_equal(r.address_space, "wgnet-local");
	assert_string_equal(r.mtu, "1400");
	assert_int_equal(r.n_ipv4_data, 1);
	assert_int_equal(r.n_ipv6_data, 0);
	assert_true(r.internal);
	assert_false(r.enable_ipv6);
	json_decref(root);
}

static void test_create_network_bad(void **state)
{
	static const char *const bad[] = {
		"{}",
		"{\"NetworkID\":\"abc\",\"IPv4Data\":[]}",
		"{\"NetworkID\":\"" NET "0\",\"IPv4Data\":[]}",
		"{\"NetworkID\":42,\"IPv4Data\":[]}",
		"{\"NetworkID\":\"" NET "\",\"IPv4Data\":\"10.0.0.0/24\"}",
		"{\"NetworkID\":\"" NET "\",\"IPv4Data\":[\"10.0.0.0/24\"]}",
		"{\"NetworkID\":\"" NET "\",\"IPv4Data\":[{\"Pool\":42}]}",
		"{\"NetworkID\":\"" NET "\",\"IPv4Data\":[{\"Gateway\":\"10.0.0.1/24\"}]}",
		"{\"NetworkID\":\"" NET "\",\"Options\":42,\"IPv4Data\":[]}",
		"{\"NetworkID\":\"" NET "\",\"Options\":{\"com.docker.network.enable_ipv6\":\"no\"}}",
		"{\"NetworkID\":\"" NET "\",\"Options\":{\"com.docker.network.generic\":\"x\"}}",
		"{\"NetworkID\":\"" NET "\",\"Options\":{\"com.docker.network.generic\":"
		"{\"com.docker.network.driver.mtu\":1400}}}",
	};
	struct network_create_req r;
	struct errbuf e = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *root = load_ok(bad[i]);

		memset(&e, 0, sizeof(e));
		assert_int_equal(docker_api_parse_create_network(root, &r, &e), -EINVAL);
		assert_true(strlen(e.msg) > 0);
		json_decref(root);
	}
}

static void test_create_endpoint(void **state)
{
	struct endpoint_create_req r;
	struct errbuf e = { 0 };
	json_t *root;

	(void)state;
	root = load_ok("{\"NetworkID\":\"" NET "\",\"EndpointID\":\"" EP "\",\"Interface\":{"
		       "\"Address\":\"10.210.3.2/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},"
		       "\"Options\":{\"com.docker.network.portmap\":[{\"Proto\":6,\"IP\":\"\","
		       "\"Port\":80,\"HostIP\":\"\",\"HostPort\":8080,\"HostPortEnd\":8090},{"
		       "\"Proto\":17,\"Port\":53,\"HostIP\":\"127.0.0.1\",\"HostPort\":0}]}}");
	assert_int_equal(docker_api_parse_create_endpoint(root, &r, &e), 0);
	assert_string_equal(r.endpoint_id, EP);
	assert_string_equal(r.address, "10.210.3.2/24");
	assert_int_equal(r.nports, 2);
	assert_int_equal(r.ports[0].proto, 6);
	assert_int_equal(r.ports[0].port, 80);
	assert_int_equal(r.ports[0].host_port, 8080);
	assert_int_equal(r.ports[0].host_port_end, 8090);
	assert_int_equal(r.ports[0].host_ip, 0);
	assert_int_equal(r.ports[1].proto, 17);
	assert_int_equal(r.ports[1].host_port, 0);
	assert_int_equal(r.ports[1].host_ip, 0x7f000001);
	free((void *)r.ports);
	json_decref(root);
}

static void test_portmap_bad(void **state)
{
	static const char *const bad[] = {
		"\"x\"", "[\"x\"]", "[{\"Proto\":999,\"Port\":80}]", "[{\"Proto\":\"tcp\",\"Port\":80}]",
		"[{\"Proto\":6,\"Port\":-1}]", "[{\"Proto\":6,\"Port\":70000}]",
		"[{\"Proto\":6,\"Port\":0}]", "[{\"Proto\":6,\"Port\":80,\"HostPort\":70000}]",
		"[{\"Proto\":6,\"Port\":80,\"HostPort\":8080,\"HostPortEnd\":8070}]",
		"[{\"Proto\":6,\"Port\":80,\"HostIP\":\"foo\"}]",
		"[{\"Proto\":6,\"Port\":80,\"HostIP\":\"::1\"}]", "[{\"Proto\":1,\"Port\":80}]",
		"[{\"Port\":80}]",
	};
	struct port_binding *ports = NULL;
	struct errbuf e = { 0 };
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char doc[512];
		json_t *root;

		snprintf(doc, sizeof(doc), "{\"com.docker.network.portmap\":%s}", bad[i]);
		root = load_ok(doc);
		memset(&e, 0, sizeof(e));
		assert_int_equal(api_json_portmap(root, &ports, &n, &e), -EINVAL);
		assert_null(ports);
		assert_true(strlen(e.msg) > 0);
		json_decref(root);
	}
}

static void test_join_and_ids(void **state)
{
	char doc[1024], key[400];
	struct join_req r;
	struct errbuf e = { 0 };
	const char *a, *b;
	json_t *root;

	(void)state;
	root = load_ok("{\"NetworkID\":\"" NET "\",\"EndpointID\":\"" EP "\",\"SandboxKey\":"
		       "\"/var/run/docker/netns/0123\",\"Options\":{}}");
	assert_int_equal(docker_api_parse_join(root, &r, &e), 0);
	assert_string_equal(r.sandbox_key, "/var/run/docker/netns/0123");
	assert_int_equal(docker_api_parse_ids(root, &a, &b, &e), 0);
	assert_string_equal(a, NET);
	assert_string_equal(b, EP);
	json_decref(root);

	memset(key, 'a', sizeof(key) - 1);
	key[sizeof(key) - 1] = 0;
	snprintf(doc, sizeof(doc), "{\"NetworkID\":\"" NET "\",\"EndpointID\":\"" EP "\","
		 "\"SandboxKey\":\"/%s\"}", key);
	root = load_ok(doc);
	assert_int_equal(docker_api_parse_join(root, &r, &e), -EINVAL);
	json_decref(root);
	root = load_ok("{\"NetworkID\":\"" NET "\",\"EndpointID\":\"" EP "\"}");
	assert_int_equal(docker_api_parse_join(root, &r, &e), -EINVAL);	/* SandboxKey missing */
	json_decref(root);
	root = load_ok("{\"NetworkID\":\"" NET "\",\"EndpointID\":\"" NET "\",\"SandboxKey\":1}");
	assert_int_equal(docker_api_parse_join(root, &r, &e), -EINVAL);
	json_decref(root);
	root = load_ok("{\"NetworkID\":\"" NET "\",\"EndpointID\":\"FEDCBA9876543210FEDCBA9876543210"
		       "FEDCBA9876543210FEDCBA9876543210\"}");
	assert_int_equal(docker_api_parse_ids(root, &a, &b, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "EndpointID"));
	json_decref(root);
}

static void test_ipam(void **state)
{
	struct ipam_pool_req pool;
	struct ipam_addr_req addr;
	struct errbuf e = { 0 };
	const char *a, *b;
	json_t *root;

	(void)state;
	root = load_ok("{\"AddressSpace\":\"wgnet-local\",\"Pool\":\"10.210.0.0/16\",\"SubPool\":"
		       "\"\",\"Options\":{\"wgnet.slice\":\"25\"},\"V6\":false}");
	assert_int_equal(ipam_api_parse_request_pool(root, &pool, &e), 0);
	assert_string_equal(pool.pool, "10.210.0.0/16");
	assert_string_equal(pool.slice_opt, "25");
	assert_false(pool.v6);
	json_decref(root);
	root = load_ok("{\"AddressSpace\":\"wgnet-local\",\"Pool\":\"\",\"Options\":{\"wgnet.slice\":"
		       "25}}");
	assert_int_equal(ipam_api_parse_request_pool(root, &pool, &e), -EINVAL);
	json_decref(root);
	root = load_ok("{\"AddressSpace\":42,\"Pool\":\"\"}");
	assert_int_equal(ipam_api_parse_request_pool(root, &pool, &e), -EINVAL);
	json_decref(root);

	root = load_ok("{\"PoolID\":\"wgnet-local/10.210.3.0/24\",\"Address\":\"\",\"Options\":{"
		       "\"RequestAddressType\":\"com.docker.network.gateway\"}}");
	assert_int_equal(ipam_api_parse_request_address(root, &addr, &e), 0);
	assert_true(addr.gateway);
	json_decref(root);
	root = load_ok("{\"PoolID\":\"wgnet-local/10.210.3.0/24\",\"Address\":\"10.210.3.9\","
		       "\"Options\":null}");
	assert_int_equal(ipam_api_parse_request_address(root, &addr, &e), 0);
	assert_false(addr.gateway);
	assert_string_equal(addr.address, "10.210.3.9");
	assert_int_equal(ipam_api_parse_release_address(root, &a, &b, &e), 0);
	assert_string_equal(a, "wgnet-local/10.210.3.0/24");
	json_decref(root);
	root = load_ok("{\"PoolID\":\"wgnet-local/10.210.3.0/24\",\"Options\":{"
		       "\"RequestAddressType\":42}}");
	assert_int_equal(ipam_api_parse_request_address(root, &addr, &e), -EINVAL);
	json_decref(root);
	root = load_ok("{\"PoolID\":42}");
	assert_int_equal(ipam_api_parse_pool_id(root, &a, &e), -EINVAL);
	json_decref(root);
}

static void test_init(void **state)
{
	static const char *const bad[] = {
		"{}", "{\"index\":0}", "{\"index\":70000}", "{\"index\":\"3\"}",
		"{\"index\":3,\"bogus\":1}", "{\"index\":3,\"mtu\":100}", "{\"index\":3.5}",
		"{\"index\":3,\"endpoint\":7}",
	};
	struct host_init_req r;
	struct errbuf e = { 0 };
	json_t *root;

	(void)state;
	root = load_ok("{\"index\":3,\"endpoint\":\"203.0.113.7:51820\",\"mtu\":1400}");
	assert_int_equal(control_api_parse_init(root, &r, &e), 0);
	assert_int_equal(r.index, 3);
	assert_string_equal(r.endpoint, "203.0.113.7:51820");
	assert_int_equal(r.mtu, 1400);
	json_decref(root);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		root = load_ok(bad[i]);
		assert_int_equal(control_api_parse_init(root, &r, &e), -EINVAL);
		json_decref(root);
	}
}

static void test_error_body(void **state)
{
	char *s = http_error_body("bad \"thing\"\n");
	json_t *root;

	(void)state;
	assert_non_null(s);
	root = load_ok(s);
	assert_string_equal(json_string_value(json_object_get(root, "Err")), "bad \"thing\"\n");
	json_decref(root);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_create_network),
		cmocka_unit_test(test_create_network_bad),
		cmocka_unit_test(test_create_endpoint),
		cmocka_unit_test(test_portmap_bad),
		cmocka_unit_test(test_join_and_ids),
		cmocka_unit_test(test_ipam),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_error_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
