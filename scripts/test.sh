#!/usr/bin/env bash
# make test: the whole suite on SQLite, then again on the local PostgreSQL server (test database created and
# dropped by pytest-django). Extra arguments go to pytest: scripts/test.sh jamaa/core -k tenancy
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

PG_URL="${PG_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/jamaa}"
export JAMAA_ENV=test
export PYTHONDONTWRITEBYTECODE=1
unset DATABASE_URL

pg_host_port() {
  # postgres://user@host:port/name -> "host port"
  local rest="${PG_URL#*://}"
  rest="${rest#*@}"
  rest="${rest%%/*}"
  local host="${rest%%:*}" port=5432
  [ "$rest" != "$host" ] && port="${rest##*:}"
  echo "$host $port"
}

read -r pg_host pg_port < <(pg_host_port)
case "$pg_host" in
  127.0.0.1|localhost|::1|\[::1\]) ensure_all postgresql; local_pg=1 ;;
  *) ensure_all postgresql-client; local_pg=0 ;;
esac
compile_messages

# Two workers halve the run; each gets its own test database (test_jamaa_gw0, …) and live server.
PYTEST=("$VENV/bin/pytest" -p xdist -n "${PYTEST_WORKERS:-2}")

status=0
say "Test suite on SQLite"
start=$SECONDS
"${PYTEST[@]}" "$@" || status=$?
sqlite_status=$status
echo "SQLite run: $((SECONDS - start)) s, exit status $sqlite_status"

if [ "$local_pg" -eq 1 ]; then
  ensure_postgres_running "$pg_host" "$pg_port"
fi
say "Test suite on PostgreSQL ($PG_URL)"
start=$SECONDS
pg_status=0
DATABASE_URL="$PG_URL" "${PYTEST[@]}" --create-db "$@" || pg_status=$?
echo "PostgreSQL run: $((SECONDS - start)) s, exit status $pg_status"

if [ "$sqlite_status" -ne 0 ] || [ "$pg_status" -ne 0 ]; then
  die "make test failed (SQLite: exit $sqlite_status, PostgreSQL: exit $pg_status)."
fi
say "All tests passed on SQLite and PostgreSQL."
