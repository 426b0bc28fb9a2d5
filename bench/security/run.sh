#!/usr/bin/env bash
# Dynamic security checks against both apps on loopback (not in CI; results in docs/SECURITY.md).
#   bash bench/security/run.sh            # needs Debian's sqlmap and wapiti
# Rate limits are raised for the run so the scanners test the code, not the limiter.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-bench/security/results}
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
export KANAL_DATA_DIR="$WORK/data" KANAL_KDF_MEMORY_KIB=1024 KANAL_KDF_ITERATIONS=1 KANAL_KDF_LANES=1
export KANAL_LIMIT_STATUS=100000/minute KANAL_LIMIT_STATUS_GLOBAL=100000/minute
export KANAL_LIMIT_SUBMIT=100000/hour KANAL_LIMIT_SUBMIT_GLOBAL=100000/minute KANAL_LIMIT_LOGIN_GLOBAL=100000/minute
.venv/bin/flask --app wsgi:review dev-setup > "$WORK/setup.txt"
PORTAL=127.0.0.1:18180 REVIEW=127.0.0.1:18181
.venv/bin/gunicorn -c gunicorn.conf.py --workers 2 --bind $PORTAL wsgi:portal 2>"$OUT/portal.log" &
.venv/bin/gunicorn -c gunicorn.conf.py --workers 2 --bind $REVIEW wsgi:review 2>"$OUT/review.log" &
for _ in $(seq 50); do curl -sf "http://$PORTAL/healthz" >/dev/null && curl -sf "http://$REVIEW/healthz" >/dev/null && break; sleep 0.2; done

echo "== headers"; .venv/bin/python bench/security/headers.py "http://$PORTAL" "http://$REVIEW" | tee "$OUT/headers.txt"

echo "== sqlmap $(sqlmap --version 2>/dev/null | tail -1)"
for target in "http://$PORTAL/lapor" "http://$PORTAL/status" "http://$REVIEW/login"; do
  sqlmap -u "$target" --forms --batch --level=2 --risk=2 --csrf-token=csrf_token --csrf-url="$target" \
    --output-dir="$WORK/sqlmap" --disable-coloring 2>&1 | tail -n 25 > "$OUT/sqlmap-$(echo "$target" | tr -c 'a-z0-9' '_').txt" || true
done
grep -hiE "injectable|all tested parameters|no parameter|CRITICAL|WARNING.*does not seem" "$OUT"/sqlmap-*.txt | sort | uniq -c | tee "$OUT/sqlmap-summary.txt"

echo "== wapiti $(wapiti --version 2>/dev/null | head -1)"
for target in "http://$PORTAL/" "http://$REVIEW/login"; do
  name=$(echo "$target" | tr -c 'a-z0-9' '_')
  wapiti -u "$target" --scope folder -m "xss,sql,blindsql,exec,file,crlf,redirect,csrf,http_headers,cookieflags" \
    --max-scan-time 240 --flush-session -f json -o "$OUT/wapiti-$name.json" > "$OUT/wapiti-$name.txt" 2>&1 || true
done
.venv/bin/python - "$OUT" <<'PY'
import json, pathlib, sys
for report in sorted(pathlib.Path(sys.argv[1]).glob("wapiti-*.json")):
    data = json.loads(report.read_text())
    found = {kind: len(items) for kind, items in data.get("vulnerabilities", {}).items() if items}
    anomalies = {kind: len(items) for kind, items in data.get("anomalies", {}).items() if items}
    print(report.name, "vulnerabilities:", found or "none", "anomalies:", anomalies or "none")
    for kind, items in data.get("vulnerabilities", {}).items():
        for item in items:
            print("  ", kind, "|", item.get("path"), "|", item.get("info"))
PY
