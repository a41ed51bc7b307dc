#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests, from Debian's package: 127.0.0.1 only, run-time port.
#   tools/postgres.sh start DIR   -> prints "URL PID" (initdb on first use)
#   tools/postgres.sh stop DIR    -> fast shutdown of the server whose PID is in DIR/postmaster.pid
set -euo pipefail

cmd="${1:-}"; dir="${2:-}"
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

pg_bin() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [[ -z "$bin" ]]; then
    echo "postgres: installing the postgresql package" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  fi
  echo "$bin"
}

# PostgreSQL refuses to run as root: run it as the 'postgres' system user then.
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    bin="$(pg_bin)"
    mkdir -p "$dir"
    if [[ "$(id -u)" == 0 ]]; then chown postgres: "$dir"; chmod 700 "$dir"; fi
    if [[ ! -f "$dir/PG_VERSION" ]]; then
      as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    pid="$(head -1 "$dir/postmaster.pid")"
    echo "postgresql://postgres@127.0.0.1:$port/postgres $pid"
    ;;
  stop)
    [[ -f "$dir/postmaster.pid" ]] || exit 0
    pid="$(head -1 "$dir/postmaster.pid")"
    kill -INT "$pid" 2>/dev/null || true  # SIGINT = fast shutdown
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
