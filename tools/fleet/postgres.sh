#!/usr/bin/env bash
# A throwaway PostgreSQL cluster in a directory, for the fleet tests and for trying a fleet locally
# (docs/deployment.md). Runs initdb/pg_ctl as the unprivileged `postgres` user when started as root.
#
#   tools/fleet/postgres.sh start DIR [PORT]   # prints the state URL: postgres://glassbox@127.0.0.1:PORT/postgres
#   tools/fleet/postgres.sh stop DIR           # clean shutdown
#   tools/fleet/postgres.sh kill DIR           # immediate shutdown, as a crash would (no checkpoint)
#
# The cluster listens on 127.0.0.1:PORT (default 55432) and on a Unix socket in DIR; trust
# authentication and initdb --no-sync, so only for loopback tests and try-outs. PG_BIN overrides
# the binaries' directory.
set -euo pipefail
cmd=${1:?usage: postgres.sh start|stop|kill DIR [PORT]}
dir=${2:?usage: postgres.sh start|stop|kill DIR [PORT]}
port=${3:-55432}
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
  echo "postgres.sh: no PostgreSQL binaries (apt-get install postgresql, or set PG_BIN)" >&2
  exit 3
fi
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
data="$dir/data"
case "$cmd" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
      chown postgres "$dir"
      runuser -u postgres -- test -x "$dir" || { echo "postgres.sh: user postgres cannot reach $dir (make its parents searchable: chmod o+x)" >&2; exit 1; }
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
      as_pg "$bin/initdb" -D "$data" -A trust -U glassbox --no-instructions --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    as_pg "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -o "-c listen_addresses=127.0.0.1 -p $port -k $dir" -w -t 90 start >/dev/null \
      || { tail -n 20 "$dir/postgres.log" >&2; exit 1; }
    echo "postgres://glassbox@127.0.0.1:$port/postgres"
    ;;
  stop | kill)
    mode=fast
    [ "$cmd" = kill ] && mode=immediate
    if [ -f "$data/postmaster.pid" ]; then as_pg "$bin/pg_ctl" -D "$data" -m "$mode" -w -t 30 stop >/dev/null; fi
    ;;
  *)
    echo "postgres.sh: unknown command $cmd (start, stop or kill)" >&2
    exit 2
    ;;
esac
