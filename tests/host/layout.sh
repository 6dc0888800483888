#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# layout.sh: hypervisor/ has no include cycle between its folders and no source file over 600 lines.
exec "$(dirname "$0")/../../tools/include-cycles.sh"
