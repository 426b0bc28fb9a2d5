#!/usr/bin/env bash
# What `make test` needs from Debian, installed when missing (a fresh machine has none of it):
# Chromium for the browser tests (Playwright's own download does not work here), Java for the Nu HTML
# checker, nginx, tor and
# systemd-analyze for the deployment-recipe tests. Needs root (or sudo) only when something is missing.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/sbin/tor ] || missing+=(tor)
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v npm >/dev/null || missing+=(npm)
command -v java >/dev/null || missing+=(default-jre-headless)  # the Nu HTML checker (vnu.jar)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages the tests need: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
