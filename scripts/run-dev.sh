#!/usr/bin/env bash
# Start the portal and the review app under gunicorn (no access log); stop both on Ctrl-C.
set -euo pipefail
BIN=${BIN:-.venv/bin}
"$BIN/gunicorn" -c gunicorn.conf.py --workers 2 --bind "127.0.0.1:${REVIEW_PORT:-8001}" wsgi:review &
review_pid=$!
trap 'kill $review_pid 2>/dev/null || true' EXIT INT TERM
echo "Portal:     http://127.0.0.1:${PORTAL_PORT:-8000}"
echo "Review app: http://127.0.0.1:${REVIEW_PORT:-8001}"
"$BIN/gunicorn" -c gunicorn.conf.py --workers 2 --bind "127.0.0.1:${PORTAL_PORT:-8000}" wsgi:portal
