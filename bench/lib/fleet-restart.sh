#!/bin/sh
# The restart step of the Ansible and Capistrano deploys in bench/fleet-bench.mjs (the same script for both,
# installed once on each testbed host before any timing). The testbed hosts have no systemd, so:
#   1. stop the running `node server.js` by its pid file (SIGTERM, wait until it is gone, SIGKILL after 5 s);
#   2. start the release that `current` points to, detached (setsid + nohup, output to a log file), on the
#      same port;
#   3. wait until it is healthy the way Slipway waits for a new target: GET /healthz on a fresh connection
#      every 200 ms, each check with a 1 s timeout, until 2 checks in a row pass; give up after 15 s.
# Usage: restart.sh <base dir> <port> <release>
set -eu
base=$1
port=$2
release=$3
pidfile="$base/app.pid"

# Running and not a zombie: the old node was started by an earlier session, so its parent is now the machine's
# init, which may reap it only later; a zombie holds no port.
alive() {
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)
  [ -n "$state" ] && [ "$state" != Z ]
}

if [ -f "$pidfile" ]; then
  old=$(cat "$pidfile")
  if [ -n "$old" ] && alive "$old"; then
    kill -TERM "$old"
    i=0
    while alive "$old" && [ "$i" -lt 100 ]; do
      sleep 0.05
      i=$((i + 1))
    done
    if alive "$old"; then kill -KILL "$old" 2>/dev/null || true; fi
  fi
fi

cd "$base/current"
# No job control in a script: setsid does not fork here, so $! is the pid of node itself.
PORT=$port SLIPWAY_RELEASE=$release setsid nohup node server.js >"$base/app.log" 2>&1 </dev/null &
echo $! >"$pidfile"

passes=0
checks=0
while [ "$checks" -lt 75 ]; do
  checks=$((checks + 1))
  if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" 2>/dev/null; then
    passes=$((passes + 1))
    if [ "$passes" -ge 2 ]; then
      echo "$release healthy on port $port after $checks checks (pid $(cat "$pidfile"))"
      exit 0
    fi
  else
    passes=0
    alive "$(cat "$pidfile")" || {
      echo "$release exited at start; see $base/app.log" >&2
      exit 1
    }
  fi
  sleep 0.2
done
echo "$release not healthy on port $port within 15 s; see $base/app.log" >&2
exit 1
