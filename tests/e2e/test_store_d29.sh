#!/usr/bin/env bash
# test_store_d29.sh: test_store.sh (membership through etcd) against Docker Engine 29.7.2 with
# its default firewall backend, iptables.
export WGNET_E2E_DOCKER=docker29 WGNET_E2E_FIREWALL=iptables
exec bash "$(dirname "${BASH_SOURCE[0]}")/test_store.sh"
