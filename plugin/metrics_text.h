/* SPDX-License-Identifier: MIT */
#ifndef WGNET_PLUGIN_METRICS_TEXT_H
#define WGNET_PLUGIN_METRICS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "driver/metrics.h"
#include "plugin/api_stats.h"

/*
 * The metrics as Prometheus' text exposition format, version 0.0.4 (plugin/metrics_text.c,
 * pure): each family with its HELP and TYPE, its samples together. The WireGuard families are
 * those of the WireGuard exporter that dashboards read (wireguard_peer_*_bytes_total,
 * wireguard_peer_last_handshake_seconds with the labels device and public_key), with wgnet's
 * name and index of the peer added; wgnet's own are wgnet_*.
 */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A malloc'd NUL-terminated text, NULL on ENOMEM; now (unix seconds) tells which peers are
 * up. */
char *metrics_text(const struct driver_metrics *m, const struct api_stat_row *rows, size_t nrows,
		   int64_t now);

#endif
