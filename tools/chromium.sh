#!/usr/bin/env bash
# Headless Chromium and its WebDriver, from Debian's `chromium` and `chromium-driver` packages: the HTML report
# test runs the browser alone, the console's browser tests drive it through chromedriver (Selenium).
#
#   tools/chromium.sh     install the packages if either binary is missing (needs root); checks that the two are
#                         the same major version and prints both paths, one per line
set -euo pipefail

BIN=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver

die() { echo "chromium.sh: $*" >&2; exit 1; }

if [[ ! -x "$BIN" || ! -x "$DRIVER" ]]; then
  [[ "$(id -u)" == 0 ]] || die "$BIN or $DRIVER not found and not root: install Debian's 'chromium' and 'chromium-driver' packages (apt-get install -y chromium chromium-driver)"
  echo "chromium.sh: installing the chromium and chromium-driver packages" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >&2
  [[ -x "$BIN" ]] || die "the chromium package is installed but $BIN is still missing"
  [[ -x "$DRIVER" ]] || die "the chromium-driver package is installed but $DRIVER is still missing"
fi

# "Chromium 156.0.8078.129 built on ..." / "ChromeDriver 156.0.8078.129 (...)": the second word's major number.
# Debian's launcher script writes shell noise to stderr on --version; only stdout is read.
major() { "$1" --version 2>/dev/null | awk 'NR == 1 { split($2, v, "."); print v[1] }'; }
browser_major="$(major "$BIN")" || true
driver_major="$(major "$DRIVER")" || true
[[ "$browser_major" =~ ^[0-9]+$ ]] || die "$BIN --version did not answer a version"
[[ "$driver_major" =~ ^[0-9]+$ ]] || die "$DRIVER --version did not answer a version"
[[ "$browser_major" == "$driver_major" ]] \
  || die "$BIN is version $browser_major but $DRIVER is version $driver_major: install the same version of both packages"
echo "$BIN"
echo "$DRIVER"
