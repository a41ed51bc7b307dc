#!/usr/bin/env bash
# A throwaway PostgreSQL server (tests, local runs), from Debian's `postgresql` package.
#
#   tools/postgres.sh install            install the package if pg_ctl is missing (needs root)
#   tools/postgres.sh start DIR [PORT]   initdb DIR on first use, start on 127.0.0.1:PORT (default: a free
#                                        port picked now); unix socket in DIR. Prints "URL PID".
#                                        Already running: prints its "URL PID" again (idempotent).
#   tools/postgres.sh status DIR         prints "URL PID" and exits 0 if running, else exits 3
#   tools/postgres.sh stop DIR           fast shutdown (pg_ctl stop -m fast) of the server whose PID is in
#                                        DIR/postmaster.pid; no-op if it is not running
#
# Durability is traded for speed (fsync=off): never point DIR at data you want to keep.
# As root, the server runs as the 'postgres' system user (PostgreSQL refuses root), so DIR's parent
# directories must be traversable by that user.
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }
usage() { echo "usage: $0 install | start DIR [PORT] | status DIR | stop DIR" >&2; exit 2; }

is_root() { [[ "$(id -u)" == 0 ]]; }

find_bin() {
  local ctl="" c
  for c in /usr/lib/postgresql/*/bin/pg_ctl; do  # newest version last
    [[ -x "$c" ]] && ctl="$(printf '%s\n%s\n' "$ctl" "$c" | sed '/^$/d' | sort -V | tail -1)"
  done
  if [[ -z "$ctl" ]] && command -v pg_ctl >/dev/null 2>&1; then
    ctl="$(readlink -f "$(command -v pg_ctl)")"
  fi
  [[ -n "$ctl" ]] && dirname "$ctl"
}

ensure_bin() {
  local bin
  bin="$(find_bin || true)"
  if [[ -z "$bin" ]]; then
    is_root || die "pg_ctl not found and not root: install Debian's 'postgresql' package (apt-get install -y postgresql)"
    echo "postgres.sh: installing the postgresql package" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bin="$(find_bin || true)"
    [[ -n "$bin" ]] || die "the postgresql package is installed but pg_ctl is still missing"
  fi
  echo "$bin"
}

# PostgreSQL refuses to run as root: run it as the 'postgres' system user then (from /, which that
# user can read, instead of root's working directory).
as_pg() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# postmaster.pid: line 1 PID, line 4 port. Prints "URL PID" if that server is alive.
running() {
  local dir="$1" pid port
  [[ -f "$dir/postmaster.pid" ]] || return 1
  pid="$(sed -n 1p "$dir/postmaster.pid")"
  port="$(sed -n 4p "$dir/postmaster.pid")"
  [[ "$pid" =~ ^[0-9]+$ && "$port" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [[ "$(readlink -f "/proc/$pid/cwd" 2>/dev/null || true)" == "$(readlink -f "$dir")" ]] || return 1  # our server, not a reused PID
  echo "postgresql://postgres@127.0.0.1:$port/postgres $pid"
}

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  else
    echo $((20000 + RANDOM % 40000))
  fi
}

start() {
  local dir="$1" port="${2:-}" bin out log
  bin="$(ensure_bin)"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd -P)"
  if out="$(running "$dir")"; then echo "$out"; return 0; fi
  [[ -z "$port" || "$port" =~ ^[0-9]+$ ]] || die "PORT must be a number, got '$port'"
  # The unix socket lives in DIR: its path must fit in sun_path (107 bytes).
  (( ${#dir} + 20 < 107 )) || die "DIR path too long for a unix socket ($dir): use a shorter one"
  if is_root; then
    id postgres >/dev/null 2>&1 || die "no 'postgres' system user (it comes with Debian's postgresql package)"
    chown postgres: "$dir"
    chmod 700 "$dir"
    runuser -u postgres -- test -w "$dir" \
      || die "user 'postgres' cannot reach $dir: make its parent directories traversable (chmod o+x)"
  fi
  if [[ ! -f "$dir/PG_VERSION" ]]; then
    log="$(mktemp)"
    as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >"$log" 2>&1 \
      || { cat "$log" >&2; rm -f "$log"; die "initdb failed in $dir"; }
    rm -f "$log"
  fi
  # A picked port can be taken by someone else before the server binds it: pick again then.
  for _ in 1 2 3 4 5; do
    local p="${port:-$(free_port)}"
    if as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 -s \
      -o "-p $p -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null; then
      running "$dir" || die "server started but $dir/postmaster.pid does not name a live server"
      return 0
    fi
    [[ -z "$port" ]] || break
  done
  tail -20 "$dir/server.log" >&2 2>/dev/null || true
  die "could not start PostgreSQL in $dir (log: $dir/server.log)"
}

stop() {
  local dir="$1" bin pid
  [[ -f "$dir/postmaster.pid" ]] || return 0
  pid="$(sed -n 1p "$dir/postmaster.pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] || die "unreadable $dir/postmaster.pid"
  kill -0 "$pid" 2>/dev/null || return 0  # stale pid file: nothing runs
  bin="$(find_bin || true)"
  if [[ -n "$bin" ]] && as_pg "$bin/pg_ctl" -D "$dir" -m fast -w -t 60 -s stop >/dev/null 2>&1; then
    return 0
  fi
  # pg_ctl could not do it: signal that PID directly (SIGINT = fast shutdown), then insist.
  kill -INT "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

cmd="${1:-}"
case "$cmd" in
  install) [[ $# -eq 1 ]] || usage; ensure_bin >/dev/null ;;
  start) [[ $# -ge 2 && $# -le 3 ]] || usage; start "$2" "${3:-}" ;;
  status) [[ $# -eq 2 ]] || usage; running "$2" || exit 3 ;;
  stop) [[ $# -eq 2 ]] || usage; stop "$2" ;;
  *) usage ;;
esac
