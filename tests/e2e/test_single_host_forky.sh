#!/usr/bin/env bash
# test_single_host_forky.sh: test_single_host.sh against dockerd 28.5 from Debian 14 (forky),
# whose firewall differs from 20.10's (DOCKER-FORWARD, raw-table drops). The chroot is made
# once by forky.sh (about 45 s) and reused; if it cannot be made, this test fails.
export WGNET_E2E_DOCKER=forky
exec bash "$(dirname "${BASH_SOURCE[0]}")/test_single_host.sh"
