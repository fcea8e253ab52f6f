#!/usr/bin/env bash
# test_plugin_forky.sh: test_plugin.sh (wgnet as a managed plugin) against dockerd 28.5 from
# Debian 14 (forky.sh's tree), with the plugin's rootfs built from the Dockerfile
# (scripts/build-plugin-image.sh; test_plugin.sh keeps the rootfs assembled from this machine).
export WGNET_E2E_DOCKER=forky WGNET_PLUGIN_ROOTFS=image
exec bash "$(dirname "${BASH_SOURCE[0]}")/test_plugin.sh"
