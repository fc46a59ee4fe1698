#!/usr/bin/env bash
# Installs what Den needs on a Debian machine when it is missing. Idempotent:
# on a machine that has everything it only checks.
set -euo pipefail

need=()
command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || { echo "deps: Go is missing; install Go 1.26 into /usr/local/go" >&2; exit 1; }
command -v gcc >/dev/null || need+=(gcc)
# PostgreSQL's server binaries: den runs its own cluster from them.
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi

# Debian's static busybox: the tests' tiny workspace image is made from it.
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
# OpenSSH's clients and rsync: the SSH tests drive the real tools.
command -v ssh >/dev/null || need+=(openssh-client)
command -v rsync >/dev/null || need+=(rsync)
# OpenSSH's server, for `scripts/deps.sh bench` only: the relay benchmarks
# (e2e) compare Den with ssh to a private sshd they start on loopback.
if [ "${1:-}" = bench ] && [ ! -x /usr/sbin/sshd ]; then need+=(openssh-server); fi
# Chromium, for `scripts/deps.sh test` only: the dashboard's browser tests.
if [ "${1:-}" = test ] && [ ! -x /usr/bin/chromium ]; then need+=(chromium); fi
command -v npm >/dev/null || need+=(nodejs npm)

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "deps: installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
