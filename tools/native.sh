#!/usr/bin/env bash
# Builds the compiled solver (native/arbbot-native, Rust + PyO3) and installs it into .venv.
# Optional: without cargo, or with ARBBOT_NATIVE=0, arbbot runs on its pure-Python models (one warning).
# Re-builds only when the crate's sources, lock or the interpreter change; the cargo target directory
# lives in the cache (ARBBOT_NATIVE_TARGET_DIR), so a re-build after a small edit is incremental.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CACHE="${ARBBOT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/arbbot}"
UV="$CACHE/tools/uv-0.13.9/bin/uv"
CRATE="native/arbbot-native"
MATURIN_VERSION="$(sed -n 's/^maturin==\([0-9.]*\).*/\1/p' native/requirements-build.lock)"
MATURIN_VENV="$CACHE/tools/maturin-$MATURIN_VERSION"
TARGET_DIR="${ARBBOT_NATIVE_TARGET_DIR:-$CACHE/cargo-target-native}"
STAMP=".venv/.arbbot-native"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
warn() { printf '\033[1m[setup]\033[0m warning: %s\n' "$*" >&2; }

uninstall_stale() {
  # A build from other sources must not stay importable: the solver would trust it.
  if .venv/bin/python -c 'import arbbot_native' 2>/dev/null; then
    VIRTUAL_ENV="$ROOT/.venv" "$UV" pip uninstall -q arbbot-native
  fi
  rm -f "$STAMP"
}

if [[ "${ARBBOT_NATIVE:-1}" == "0" ]]; then
  uninstall_stale
  warn "ARBBOT_NATIVE=0: the compiled solver is not built; cycles are solved by the pure-Python models"
  exit 0
fi

SRC_HASH="$( (cat "$CRATE/Cargo.toml" "$CRATE/Cargo.lock" "$CRATE/pyproject.toml" native/requirements-build.lock \
  "$CRATE"/src/*.rs; .venv/bin/python -VV) | sha256sum | cut -c1-16)"
if [[ "$(cat "$STAMP" 2>/dev/null || true)" == "$SRC_HASH" ]] && .venv/bin/python -c 'import arbbot_native' 2>/dev/null; then
  exit 0
fi

if ! command -v cargo >/dev/null; then
  uninstall_stale
  warn "cargo not found: the compiled solver is not built; cycles are solved by the pure-Python models (slower). Install a Rust toolchain and re-run make setup to build it."
  exit 0
fi

if [[ ! -x "$MATURIN_VENV/bin/maturin" ]]; then
  say "installing maturin $MATURIN_VERSION"
  "$UV" venv -q --python "$(command -v python3)" "$MATURIN_VENV"
  VIRTUAL_ENV="$MATURIN_VENV" "$UV" pip sync -q --require-hashes native/requirements-build.lock
fi

say "building the compiled solver (cargo target: $TARGET_DIR)"
OUT="$(mktemp -d)"
LOG="$CACHE/native-build.log"
trap 'rm -rf "$OUT"' EXIT
if ! "$MATURIN_VENV/bin/maturin" build --release --locked --quiet -m "$CRATE/Cargo.toml" \
  --interpreter "$ROOT/.venv/bin/python" --target-dir "$TARGET_DIR" --out "$OUT" >"$LOG" 2>&1; then
  uninstall_stale
  if [[ -n "${CI:-}" ]]; then
    cat "$LOG" >&2
    printf 'setup: error: the compiled solver failed to build (log above)\n' >&2
    exit 1
  fi
  warn "the compiled solver failed to build (see $LOG); cycles are solved by the pure-Python models"
  exit 0
fi
VIRTUAL_ENV="$ROOT/.venv" "$UV" pip install -q --no-deps --reinstall "$OUT"/arbbot_native-*.whl
.venv/bin/python -c 'import arbbot_native' || { uninstall_stale; printf 'setup: error: arbbot_native built but does not import\n' >&2; exit 1; }
echo "$SRC_HASH" > "$STAMP"
