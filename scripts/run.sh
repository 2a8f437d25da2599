#!/usr/bin/env bash
# Start the assistant locally: action server, Rasa server (REST + socket.io), the
# outbox worker that mails referrals to the site contact, and the staff console
# (which reads transcripts from the same tracker store), and the public widget page
# (channels.widget). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1
export ACTION_PORT=${ACTION_PORT:-5055}
export RASA_PORT=${RASA_PORT:-5005}
export CONSOLE_PORT=${CONSOLE_PORT:-8080}
export WIDGET_PORT=${WIDGET_PORT:-8081}
export RASA_PUBLIC_URL=${RASA_PUBLIC_URL:-http://127.0.0.1:$RASA_PORT}
# Browsers may call Rasa (socket.io) only from the widget's origin; in production set
# CORS_ORIGIN to the public widget origin and the trial site embedding it (spaces).
read -r -a cors_origins <<<"${CORS_ORIGIN:-http://127.0.0.1:$WIDGET_PORT http://localhost:$WIDGET_PORT}"
# The socket.io channel also refuses browser connections from other origins.
export SOCKETIO_ALLOWED_ORIGINS="${cors_origins[*]}"
mkdir -p var/log
PY=.venv/bin/python

# APP_ENV=production selects deploy/endpoints.production.yml: PostgreSQL tracker
# store, Redis lock store, RabbitMQ event broker (README "Production"); every
# variable it names must be set (deploy/production.env.example lists them), and
# the analytics consumer is started too. The default is the local set-up: SQLite.
ENDPOINTS=endpoints.yml
if [[ "${APP_ENV:-local}" == production ]]; then
  ENDPOINTS=deploy/endpoints.production.yml
  : "${DATABASE_URL:?APP_ENV=production needs DATABASE_URL (PostgreSQL)}"
  : "${ACTION_SERVER_TOKEN:?APP_ENV=production needs ACTION_SERVER_TOKEN}"
  export ACTION_SERVER_URL=${ACTION_SERVER_URL:-http://127.0.0.1:$ACTION_PORT/webhook}
  # The console reads transcripts from the same tracker store Rasa writes.
  export TRACKER_DB_URL=${TRACKER_DB_URL:-postgresql+psycopg2://${TRACKER_DB_USER}:${TRACKER_DB_PASSWORD}@${TRACKER_DB_HOST}:${TRACKER_DB_PORT}/${TRACKER_DB_NAME}}
else
  export TRACKER_DB=${TRACKER_DB:-$PWD/var/tracker.db}
fi

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
# The action server binds ACTION_HOST (127.0.0.1) and, with ACTION_SERVER_TOKEN set,
# refuses calls without it (actions/server.py).
$PY -m actions.server --port "$ACTION_PORT" >var/log/actions.log 2>&1 &
pids+=($!)
$PY -m bot outbox >var/log/outbox.log 2>&1 &
pids+=($!)
$PY -m bot console >var/log/console.log 2>&1 &
pids+=($!)
$PY -m channels.widget >var/log/widget.log 2>&1 &
pids+=($!)
if [[ "$ENDPOINTS" != endpoints.yml ]]; then
  $PY -m bot analytics >var/log/analytics.log 2>&1 &
  pids+=($!)
fi
# Rasa's HTTP API (/model, /conversations, ...) stays off unless RASA_API_TOKEN is
# set; then it is on, and every call must carry ?token=<it>.
api_args=()
if [[ -n "${RASA_API_TOKEN:-}" ]]; then
  api_args=(--enable-api --auth-token "$RASA_API_TOKEN")
fi
.venv/bin/rasa run --model models/current.tar.gz --port "$RASA_PORT" \
  --credentials credentials.yml --endpoints "$ENDPOINTS" \
  ${api_args[@]+"${api_args[@]}"} --cors "${cors_origins[@]}" >var/log/rasa.log 2>&1 &
pids+=($!)

wait_for "http://127.0.0.1:$ACTION_PORT/health" "action server" 60
wait_for "http://127.0.0.1:$RASA_PORT/" "Rasa server" 180
wait_for "http://127.0.0.1:$CONSOLE_PORT/login" "staff console" 60
wait_for "http://127.0.0.1:$WIDGET_PORT/healthz" "widget page" 30
cat <<MSG
Started (logs in var/log/):
  action server   http://127.0.0.1:$ACTION_PORT/webhook
  Rasa server     http://127.0.0.1:$RASA_PORT
    REST channel  POST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook  {"sender": "me", "message": "hi"}
    socket.io     http://127.0.0.1:$RASA_PORT/socket.io  (CORS: ${cors_origins[*]})
    messaging     /webhooks/{telegram,sms,whatsapp,messenger}/webhook when their secrets are set
  web widget      http://127.0.0.1:$WIDGET_PORT/  (the public page; privacy notice /privacy.html)
  outbox worker   mails referrals through SMTP ${SMTP_HOST:-127.0.0.1}:${SMTP_PORT:-8025}
  staff console   http://127.0.0.1:$CONSOLE_PORT
    first admin   .venv/bin/python -m bot create-admin --username NAME
  database        ${DATABASE_URL:-sqlite:///var/screening.db}; tracker store ${TRACKER_DB:-$TRACKER_DB_URL}
  endpoints       $ENDPOINTS
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
