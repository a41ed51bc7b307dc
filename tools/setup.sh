#!/usr/bin/env bash
# One-step, idempotent setup: Python env (pinned), npm toolchain + protocol artifacts + the console's chart
# library, solc shim wiring.
# Caches live outside the checkout (ARBBOT_CACHE_DIR, uv's and npm's caches), so re-runs take seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CACHE="${ARBBOT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/arbbot}"
UV_VERSION="0.13.9"
SOLC_VERSION="$(node -p "require('./package.json').dependencies.solc")"
mkdir -p "$CACHE"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

command -v python3 >/dev/null || die "python3 not found (need 3.11+)"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "python3 is $(python3 -V 2>&1); need 3.11+"
command -v node >/dev/null || die "node not found (need Node.js 18+ with npm)"
command -v npm >/dev/null || die "npm not found"

# 1. uv, in its own small venv under the cache (never the system Python).
UV="$CACHE/tools/uv-$UV_VERSION/bin/uv"
if [[ ! -x "$UV" ]]; then
  say "installing uv $UV_VERSION"
  python3 -m venv "$CACHE/tools/uv-$UV_VERSION"
  "$CACHE/tools/uv-$UV_VERSION/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION"
fi

# 2. npm toolchain (anvil/forge/cast, solcjs, protocol artifacts), re-installed only when the lock changes.
LOCK_HASH="$(sha256sum package-lock.json | cut -c1-16)"
if [[ "$(cat node_modules/.arbbot-lock 2>/dev/null || true)" != "$LOCK_HASH" ]]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$LOCK_HASH" > node_modules/.arbbot-lock
fi
for bin in anvil forge cast; do
  [[ -x "node_modules/.bin/$bin" ]] || die "node_modules/.bin/$bin missing after npm ci"
done
# 2b. The console's chart library (Chart.js, MIT, pinned in package.json): its UMD build and licence are copied
#     into the console's static dir (not in git), from where the console serves them: nothing is fetched when a
#     page loads. A copy, not a path into node_modules, so the console (and a wheel built here) does not depend
#     on where the npm tree lives.
CHARTJS=node_modules/chart.js
[[ -f "$CHARTJS/dist/chart.umd.js" ]] || die "$CHARTJS/dist/chart.umd.js missing after npm ci"
mkdir -p arbbot/console/static/vendor
cp "$CHARTJS/dist/chart.umd.js" arbbot/console/static/vendor/chart.umd.js
cp "$CHARTJS/LICENSE.md" arbbot/console/static/vendor/chart.js-LICENSE.md

# 3. Python env from the fully pinned lock (hash-checked), plus arbbot itself in editable mode.
if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv"
  "$UV" venv -q --python "$(command -v python3)" .venv
fi
PY_HASH="$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)"
if [[ "$(cat .venv/.arbbot-lock 2>/dev/null || true)" != "$PY_HASH" ]]; then
  say "syncing Python packages (requirements.lock)"
  VIRTUAL_ENV="$ROOT/.venv" "$UV" pip sync -q --require-hashes requirements.lock
  VIRTUAL_ENV="$ROOT/.venv" "$UV" pip install -q --no-deps -e .
  echo "$PY_HASH" > .venv/.arbbot-lock
fi

# 3b. The compiled solver (Rust/PyO3), if cargo is present; the pure-Python models serve otherwise.
#     After a package sync (which removes it) or a source change it is rebuilt.
bash tools/native.sh

# 4. solc: every tool uses solcjs through tools/solc. py-solc-x / ape-solidity look in ~/.solcx;
#    placing the shim there stops them from trying to download a compiler.
SOLCX_DIR="${SOLCX_BINARY_PATH:-$HOME/.solcx}"
mkdir -p "$SOLCX_DIR"
ln -sfn "$ROOT/tools/solc" "$SOLCX_DIR/solc-v$SOLC_VERSION"
[[ "$(tools/solc --version | tail -1)" == Version:\ $SOLC_VERSION* ]] || die "solc shim does not answer --version"

# 5. Protocol artifacts in a form forge's vm.getCode reads (the npm files, re-serialised).
.venv/bin/python -m arbbot.devnet.artifacts export >/dev/null

# 6. PostgreSQL for the database tests (SQLite needs nothing); installs Debian's package if missing.
bash tools/postgres.sh install >/dev/null
# 7. Headless Chromium renders the HTML report in its test, and chromedriver drives it in the console's browser
#    tests (Selenium); installs Debian's chromium and chromium-driver packages if missing.
bash tools/chromium.sh >/dev/null

say "ready"
