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
export SITE_PORT="$PORT"  # links in messages, receipts and the acts' QR codes point at this server

ensure_all
compile_messages
say "Preparing the database (var/jamaa.sqlite3)"
stale_database_hint() {
  warn "If the database was created by an older version of Jamaa (before a schema change), start afresh with:"
  warn "  make clean-demo && make demo"
}
manage migrate --noinput -v 0 || { stale_database_hint; exit 1; }
manage collectstatic --noinput -v 0
manage load_demo || { stale_database_hint; exit 1; }
say "Issued acts are sealed with a development trust anchor: var/pki/root.pem (import it into a PDF reader to
    see the seals as trusted). Public keys of the QR codes: http://sale.localhost:$PORT/.well-known/jamaa/trust-list.json"

pids=()
stop_background() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap stop_background EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Started directly (not through a shell function) so that $! is the Python process that `kill` must reach.
say "Starting the task worker (messages it sends are printed here and listed at /dev/outbox/)"
"$VENV/bin/python" manage.py db_worker &
pids+=($!)
say "Starting the scheduler (periodic jobs)"
# Its lock is renewed every few seconds; at INFO level each renewal would be a line in this terminal.
LOG_LEVEL=WARNING "$VENV/bin/python" manage.py crontask &
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
# In the background too, so that Ctrl-C or a TERM reaches the traps at once; they stop all three processes.
"$VENV/bin/python" manage.py runserver "0.0.0.0:$PORT" &
pids+=($!)
wait "${pids[-1]}"
