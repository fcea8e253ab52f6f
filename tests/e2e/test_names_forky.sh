#!/usr/bin/env bash
# test_names_forky.sh: test_names.sh against dockerd 28.5 from Debian 14 (forky), made once by
# forky.sh and reused; if the tree cannot be made, this test fails.
export WGNET_E2E_DOCKER=forky
exec bash "$(dirname "${BASH_SOURCE[0]}")/test_names.sh"
