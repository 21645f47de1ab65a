#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1 for the tests (the portal server runs on SQLite and PostgreSQL)
# and print its URL. Installs Debian's postgresql with apt-get when the binaries are missing and we are root.
#   url=$(bash scripts/postgres.sh start DIR)   # cluster in DIR, listening on a free port
#   bash scripts/postgres.sh stop DIR
set -euo pipefail
action=${1:?start or stop}
dir=${2:?a directory for the cluster}

bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

as_owner() {
  # PostgreSQL refuses to run as root: the cluster belongs to the postgres user then.
  if [[ $(id -u) -eq 0 ]]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

case $action in
start)
  if [[ -z $(bindir) ]]; then
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
      echo "PostgreSQL is not installed (apt-get install postgresql), or set PORTALCTL_TEST_POSTGRES" >&2
      exit 1
    fi
    echo "installing Debian's postgresql" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
  fi
  bin=$(bindir)
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
  as_owner "$bin/initdb -D '$dir/data' -U postgres -A trust -E UTF8 --locale=C.UTF-8" >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  # fsync off: a test cluster thrown away after the run needs no crash safety, and the run is faster without it.
  as_owner "$bin/pg_ctl -D '$dir/data' -l '$dir/server.log' -w -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start" >&2 \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "postgresql://postgres@127.0.0.1:$port/postgres"
  ;;
stop)
  bin=$(bindir)
  [[ -d $dir/data ]] && as_owner "$bin/pg_ctl -D '$dir/data' -m fast stop" >/dev/null 2>&1 || true
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2
  exit 2
  ;;
esac
