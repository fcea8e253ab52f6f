/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "driver/names.h"

#define BRIDGE_ID_CHARS 10

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* s is exactly n lowercase hex digits */
static bool hex_exactly(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return s[i] == 0;
}

bool names_docker_id_valid(const char *id)
{
	return id && hex_exactly(id, DOCKER_ID_LEN);
}

/* The prefixes plus the id parts stay within IFNAMSIZ - 1 = 15 characters. */
void names_bridge(const char *network_id, char out[IFNAMSIZ])
{
	snprintf(out, IFNAMSIZ, "%s%.*s", NAMES_BRIDGE_PREFIX, BRIDGE_ID_CHARS, network_id);
}

void names_veth_host(const char *endpoint_id, char out[IFNAMSIZ])
{
	snprintf(out, IFNAMSIZ, "%s%.*s", NAMES_VETH_HOST_PREFIX, NAMES_VETH_ID_CHARS, endpoint_id);
}

void names_veth_ctr(const char *endpoint_id, char out[IFNAMSIZ])
{
	snprintf(out, IFNAMSIZ, "%s%.*s", NAMES_VETH_CTR_PREFIX, NAMES_VETH_ID_CHARS, endpoint_id);
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool names_is_ours(const char *ifname)
{
	if (!ifname)
		return false;
	if (has_prefix(ifname, NAMES_BRIDGE_PREFIX))
		return hex_exactly(ifname + strlen(NAMES_BRIDGE_PREFIX), BRIDGE_ID_CHARS);
	if (has_prefix(ifname, NAMES_VETH_HOST_PREFIX))
		return hex_exactly(ifname + strlen(NAMES_VETH_HOST_PREFIX), NAMES_VETH_ID_CHARS);
	if (has_prefix(ifname, NAMES_VETH_CTR_PREFIX))
		return hex_exactly(ifname + strlen(NAMES_VETH_CTR_PREFIX), NAMES_VETH_ID_CHARS);
	return false;
}

const char *names_short_id(const char *id, char buf[13])
{
	snprintf(buf, 13, "%s", id);
	return buf;
}
