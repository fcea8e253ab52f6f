#!/usr/bin/env bash
# test_single_host_d29.sh: test_single_host.sh against Docker Engine 29.7.2 with its default
# firewall backend, iptables (docker29.sh's tree, from WGNET_E2E_DOCKER29's binaries).
export WGNET_E2E_DOCKER=docker29 WGNET_E2E_FIREWALL=iptables
exec bash "$(dirname "${BASH_SOURCE[0]}")/test_single_host.sh"
