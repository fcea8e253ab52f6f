#!/usr/bin/env bash
# test_mesh_d29_nft.sh: test_mesh.sh against Docker Engine 29.7.2 with the nftables firewall
# backend (no DOCKER-USER; the hosts boot with IPv4 forwarding on, as that backend needs).
export WGNET_E2E_DOCKER=docker29 WGNET_E2E_FIREWALL=nftables
exec bash "$(dirname "${BASH_SOURCE[0]}")/test_mesh.sh"
