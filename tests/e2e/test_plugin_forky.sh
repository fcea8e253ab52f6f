#!/usr/bin/env bash
# test_plugin_forky.sh: test_plugin.sh (wgnet as a managed plugin) against dockerd 28.5 from
# Debian 14 (forky.sh's tree).
export WGNET_E2E_DOCKER=forky
exec bash "$(dirname "${BASH_SOURCE[0]}")/test_plugin.sh"
