#!/usr/bin/env bash
# test_security_d29_nft.sh: test_security.sh against Docker Engine 29.7.2 with the nftables
# firewall backend: no DOCKER-USER, no FORWARD drop of Docker's, so wgnet's own tables are the
# whole firewall for its traffic (the mutation check's DOCKER-USER part says so and is skipped).
export WGNET_E2E_DOCKER=docker29 WGNET_E2E_FIREWALL=nftables
exec bash "$(dirname "${BASH_SOURCE[0]}")/test_security.sh"
