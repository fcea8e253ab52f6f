/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_WG_GENL_H
#define WGNET_NETLINK_WG_GENL_H

/*
 * The kernel backend of wg.h: wg_genl.c sends and receives (wg_backend_kernel and
 * wg_genl_available are declared in wg.h), wg_genl_build.c builds the requests and
 * wg_genl_parse.c reads the replies, both without a socket, for wg_genl.c and for the tests.
 */
#include "netlink/wg_genl_build.h"
#include "netlink/wg_genl_parse.h"

#endif
