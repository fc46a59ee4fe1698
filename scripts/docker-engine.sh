#!/usr/bin/env bash
# Makes sure a Docker engine answers and prints the DOCKER_HOST to use on
# stdout (and nothing else there; messages go to stderr).
#
#   1. $DOCKER_HOST, when it is set and answers;
#   2. else Den's private engine at unix:///run/den-docker.sock, when it answers;
#   3. else installs docker.io when dockerd is missing, starts the private
#      engine (no bridge, no iptables: workspace containers in tests use host
#      networking) and waits until it answers.
#
# Usage: export DOCKER_HOST=$(scripts/docker-engine.sh)
# Idempotent, and quick when the engine already runs.
set -euo pipefail

sock=/run/den-docker.sock
private_host="unix://$sock"
data_root=/var/lib/den-docker
exec_root=/run/den-docker
pidfile=/run/den-docker.pid
logfile=/var/log/den-docker.log
wait_seconds=${DEN_DOCKER_WAIT_SECONDS:-60}

say() { echo "docker-engine: $*" >&2; }

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# answers HOST: does the engine at HOST reply to /_ping? Uses curl for unix
# sockets (no docker client needed), the docker client otherwise.
answers() {
  local host=$1
  case "$host" in
    unix://*)
      local path=${host#unix://}
      [ -S "$path" ] || return 1
      curl -fsS --max-time 3 --unix-socket "$path" http://localhost/_ping >/dev/null 2>&1 && return 0
      # A socket only root may open: ask through sudo.
      [ -n "$sudo" ] && $sudo curl -fsS --max-time 3 --unix-socket "$path" http://localhost/_ping >/dev/null 2>&1
      ;;
    *)
      command -v docker >/dev/null || return 1
      DOCKER_HOST=$host timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
      ;;
  esac
}

if [ -n "${DOCKER_HOST:-}" ]; then
  if answers "$DOCKER_HOST"; then
    echo "$DOCKER_HOST"
    exit 0
  fi
  say "DOCKER_HOST=$DOCKER_HOST does not answer; using Den's private engine at $private_host"
fi

if answers "$private_host"; then
  echo "$private_host"
  exit 0
fi

if ! command -v dockerd >/dev/null; then
  say "dockerd is missing; installing docker.io"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq docker.io >&2
fi
command -v curl >/dev/null || {
  say "curl is missing; installing it"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq curl >&2
}

# A dockerd of ours that died leaves its pidfile and socket behind; one that
# is still running but does not answer is stopped first.
if [ -f "$pidfile" ]; then
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    say "dockerd (pid $pid) runs but does not answer; waiting for it"
    for _ in $(seq 1 "$wait_seconds"); do
      answers "$private_host" && { echo "$private_host"; exit 0; }
      kill -0 "$pid" 2>/dev/null || break
      sleep 1
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "stopping the unresponsive dockerd (pid $pid)"
      $sudo kill "$pid" || true
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
  fi
  $sudo rm -f "$pidfile"
fi
$sudo rm -f "$sock"

say "starting dockerd at $private_host (log: $logfile)"
$sudo mkdir -p "$data_root" "$exec_root" "$(dirname "$logfile")"
$sudo setsid nohup dockerd \
  --host "$private_host" \
  --data-root "$data_root" \
  --exec-root "$exec_root" \
  --pidfile "$pidfile" \
  --bridge=none --iptables=false --ip-masq=false \
  </dev/null >>"$logfile" 2>&1 &
started=$!

deadline=$((SECONDS + wait_seconds))
until answers "$private_host"; do
  if ! kill -0 "$started" 2>/dev/null && ! { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; }; then
    say "dockerd exited before it answered; the end of $logfile:"
    tail -n 30 "$logfile" >&2 || true
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    say "dockerd did not answer at $private_host within ${wait_seconds}s; the end of $logfile:"
    tail -n 30 "$logfile" >&2 || true
    exit 1
  fi
  sleep 0.2
done
say "dockerd answers at $private_host"
echo "$private_host"
