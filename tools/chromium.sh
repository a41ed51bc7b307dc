#!/usr/bin/env bash
# Headless Chromium for the HTML report test, from Debian's `chromium` package.
#
#   tools/chromium.sh     install the package if /usr/bin/chromium is missing (needs root); prints its path
set -euo pipefail

BIN=/usr/bin/chromium

die() { echo "chromium.sh: $*" >&2; exit 1; }

if [[ ! -x "$BIN" ]]; then
  [[ "$(id -u)" == 0 ]] || die "$BIN not found and not root: install Debian's 'chromium' package (apt-get install -y chromium)"
  echo "chromium.sh: installing the chromium package" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
  [[ -x "$BIN" ]] || die "the chromium package is installed but $BIN is still missing"
fi
echo "$BIN"
