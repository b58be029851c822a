# Shared shell helpers for hack/ scripts: process management by pid file, and waiting.
# Every process we start writes its pid to $GRAYRELEASE_STATE/pids/<name>.pid and its
# output to $GRAYRELEASE_STATE/logs/<name>.log; stopping only ever signals those pids.
# shellcheck shell=bash

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export GRAYRELEASE_CACHE=${GRAYRELEASE_CACHE:-$HOME/.cache/grayrelease}
export GRAYRELEASE_STATE=${GRAYRELEASE_STATE:-$repo_root/.cache/state}
BIN=$GRAYRELEASE_CACHE/bin
PIDS=$GRAYRELEASE_STATE/pids
LOGS=$GRAYRELEASE_STATE/logs
mkdir -p "$PIDS" "$LOGS"

is_running() { # name -> 0 when the pid in its pid file is alive
  local pid
  pid=$(cat "$PIDS/$1.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

start_daemon() { # name command args... ; detached, logs appended, pid recorded
  local name=$1; shift
  if is_running "$name"; then return 0; fi
  echo "=== $(date -u +%FT%TZ) starting: $*" >> "$LOGS/$name.log"
  setsid "$@" >> "$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
}

stop_daemon() { # name ; TERM, then KILL after 10 s; only the recorded pid
  local name=$1 pid i
  pid=$(cat "$PIDS/$name.pid" 2>/dev/null) || return 0
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDS/$name.pid"
}

wait_for() { # description timeout-seconds command... ; polls every 0.2 s
  local what=$1 timeout=$2 deadline; shift 2
  deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "timed out after ${timeout}s waiting for $what (logs: $LOGS)" >&2
      return 1
    fi
    sleep 0.2
  done
}
