#!/usr/bin/env bash
# test_gateway_d29_nft.sh: test_gateway.sh against Docker Engine 29.7.2 with the nftables
# firewall backend, whose remote driver sends ProgramExternalConnectivity only to the endpoint
# that becomes the gateway and RevokeExternalConnectivity to the one that stops being it, and
# whose own DNATs for the bridge networks are nftables rules beside wgnet's.
export WGNET_E2E_DOCKER=docker29 WGNET_E2E_FIREWALL=nftables
exec bash "$(dirname "${BASH_SOURCE[0]}")/test_gateway.sh"
