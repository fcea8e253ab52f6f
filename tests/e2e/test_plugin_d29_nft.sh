#!/usr/bin/env bash
# test_plugin_d29_nft.sh: test_plugin.sh (wgnet as a managed plugin) against Docker Engine
# 29.7.2 with the nftables firewall backend, where the plugin finds no DOCKER-USER.
export WGNET_E2E_DOCKER=docker29 WGNET_E2E_FIREWALL=nftables
exec bash "$(dirname "${BASH_SOURCE[0]}")/test_plugin.sh"
