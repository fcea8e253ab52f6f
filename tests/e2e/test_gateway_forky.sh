#!/usr/bin/env bash
# test_gateway_forky.sh: test_gateway.sh against dockerd 28.5 from Debian 14 (forky.sh's tree),
# where --gw-priority exists and ProgramExternalConnectivity follows 28's gateway rules.
export WGNET_E2E_DOCKER=forky
exec bash "$(dirname "${BASH_SOURCE[0]}")/test_gateway.sh"
