#!/usr/bin/env bash
# Start the assistant locally: action server, Rasa server (REST + socket.io), and the
# outbox worker that mails referrals to the site contact. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1
export ACTION_PORT=${ACTION_PORT:-5055}
export RASA_PORT=${RASA_PORT:-5005}
mkdir -p var/log
export TRACKER_DB=${TRACKER_DB:-$PWD/var/tracker.db}
PY=.venv/bin/python

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

wait_for() {  # url, name, seconds
  for _ in $(seq 1 "$3"); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 1
  done
  echo "run: $2 did not start; see var/log/" >&2
  return 1
}

$PY -m bot migrate >/dev/null
.venv/bin/rasa run actions --port "$ACTION_PORT" --actions actions >var/log/actions.log 2>&1 &
pids+=($!)
$PY -m bot outbox >var/log/outbox.log 2>&1 &
pids+=($!)
.venv/bin/rasa run --model models/current.tar.gz --port "$RASA_PORT" \
  --credentials credentials.yml --endpoints endpoints.yml \
  --cors "${CORS_ORIGIN:-http://127.0.0.1:$RASA_PORT}" >var/log/rasa.log 2>&1 &
pids+=($!)

wait_for "http://127.0.0.1:$ACTION_PORT/health" "action server" 60
wait_for "http://127.0.0.1:$RASA_PORT/" "Rasa server" 180
cat <<MSG
Started (logs in var/log/):
  action server   http://127.0.0.1:$ACTION_PORT/webhook
  Rasa server     http://127.0.0.1:$RASA_PORT
    REST channel  POST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook  {"sender": "me", "message": "hi"}
    socket.io     http://127.0.0.1:$RASA_PORT/socket.io
  outbox worker   mails referrals through SMTP ${SMTP_HOST:-127.0.0.1}:${SMTP_PORT:-8025}
  database        ${DATABASE_URL:-sqlite:///var/screening.db}; tracker store $TRACKER_DB
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
