#!/usr/bin/env bash
# test_metrics_d29.sh: test_metrics.sh (wgnetd --metrics scraped) against Docker Engine 29.7.2
# with its default firewall backend, iptables.
export WGNET_E2E_DOCKER=docker29 WGNET_E2E_FIREWALL=iptables
exec bash "$(dirname "${BASH_SOURCE[0]}")/test_metrics.sh"
