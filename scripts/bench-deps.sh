#!/usr/bin/env bash
# What `make bench` needs from Debian, installed when missing: wrk, the compiled HTTP load generator
# (with LuaJIT) that drives the submission and status-check levels (bench/run.py, bench/wrk/).
# `make test` does not need it. Needs root (or sudo) only when it is missing.
set -euo pipefail

missing=()
command -v wrk >/dev/null || missing+=(wrk)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages the benchmarks need: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
