#!/usr/bin/env bash
# make demo: install what is missing, prepare the embedded database under var/, load the demo communes and
# accounts, then run the task worker, the scheduler and the development server until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

export JAMAA_ENV=development
unset DATABASE_URL
PORT="${PORT:-8000}"

ensure_all
compile_messages
say "Preparing the database (var/jamaa.sqlite3)"
manage migrate --noinput -v 0
manage collectstatic --noinput -v 0
manage load_demo

mkdir -p var/log
pids=()
stop_background() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap stop_background EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "Starting the task worker (messages it sends are printed here and listed at /dev/outbox/)"
manage db_worker &
pids+=($!)
say "Starting the scheduler (periodic jobs)"
manage crontask &
pids+=($!)

cat <<MSG

  Jamaa is starting on port $PORT:
    http://sale.localhost:$PORT     Salé (Arabic; French at /fr/, Tamazight at /zgh/)
    http://temara.localhost:$PORT   Témara
    http://localhost:$PORT          the national landing page
    http://sale.localhost:$PORT/dev/outbox/   messages sent (verification codes)
    http://sale.localhost:$PORT/backoffice/   back office (staff, with TOTP: make totp USER=…)
    http://localhost:$PORT/admin/             platform administration (operator, with TOTP)
  Stop with Ctrl-C.

MSG
manage runserver "0.0.0.0:$PORT" &
pids+=($!)
wait "${pids[-1]}"
