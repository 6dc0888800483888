#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# guest_patches.sh: check the Linux guest series: headers identical to abi/, complete, signed off, applies, checkpatch-clean.
top=$(cd "$(dirname "$0")/../.." && pwd)
exec "$top/guest-patches/check-series"
