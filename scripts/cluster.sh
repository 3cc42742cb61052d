#!/usr/bin/env bash
# A local editor cluster on loopback: redis-server (the session store), N replicas of `draggan serve --store`
# and HAProxy in front (deploy/), so that any replica carries on any session and a dead one loses nothing
# (docs/cluster.md).
#
#   bash scripts/cluster.sh [N] [serve options...]     # N = 3 replicas by default; prints the URL to open
#
# Serve options (--model M, --models DIR, --threads T, ...) go to every replica; the shipped model by default.
# Environment: DRAGGAN_BINARY (build/src/tools/draggan), DRAGGAN_PORT (the URL's port, 7860; 0 = any free
# one), DRAGGAN_CLUSTER_DIR (where logs, configs and pid files go; a new temporary folder by default, removed
# at exit unless given). It stays in the foreground; Ctrl-C or SIGTERM stops everything it started. The pids and
# ports are written to $DIR/cluster.env for scripts that want to kill or freeze a part of it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

N=3
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then N=$1; shift; fi
[ "$N" -ge 1 ] || { echo "cluster.sh: N must be at least 1" >&2; exit 2; }
BINARY=${DRAGGAN_BINARY:-$ROOT/build/src/tools/draggan}
[ -x "$BINARY" ] || { echo "cluster.sh: $BINARY not found (bash scripts/build.sh, or set DRAGGAN_BINARY)" >&2; exit 2; }
for tool in redis-server haproxy; do
  command -v $tool >/dev/null || { echo "cluster.sh: $tool is missing (bash scripts/setup.sh installs it)" >&2; exit 2; }
done

if [ -n "${DRAGGAN_CLUSTER_DIR:-}" ]; then
  DIR=$DRAGGAN_CLUSTER_DIR; mkdir -p "$DIR"; KEEP_DIR=1
else
  DIR=$(mktemp -d -t draggan-cluster.XXXXXX); KEEP_DIR=0
fi

PIDS=()
stopping=0
cleanup() {
  [ "$stopping" = 1 ] && return
  stopping=1
  trap - INT TERM EXIT
  # Replicas first (they hand their sessions over to the store), then the balancer, then the store.
  for pid in "${REPLICA_PIDS[@]:-}" ${HAPROXY_PID:-} ${REDIS_PID:-}; do
    [ -n "$pid" ] || continue
    kill -CONT "$pid" 2>/dev/null || true   # a frozen process cannot act on TERM
    kill -TERM "$pid" 2>/dev/null || true
  done
  for _ in $(seq 1 100); do
    alive=0
    for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$KEEP_DIR" = 1 ] || rm -rf "$DIR"
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

port_free() { ! ss -Htln "( sport = :$1 )" 2>/dev/null | grep -q .; }
# A free port from a random start (loopback; another cluster or test may be running).
next_port() {
  local p=$(( 20000 + RANDOM % 20000 ))
  while ! port_free $p || [[ " ${TAKEN:-} " == *" $p "* ]]; do p=$((p + 1)); done
  TAKEN="${TAKEN:-} $p"
  echo $p
}
# The status code of GET path on a loopback port (no curl needed).
http_status() {
  local line=""
  exec 3<>"/dev/tcp/127.0.0.1/$1" 2>/dev/null || { echo 000; return; }
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
  IFS= read -r -t 3 line <&3 || true
  exec 3>&- 3<&-
  echo "$line" | awk '{print $2}'
}
wait_until() {  # seconds, command...
  local limit=$1; shift
  for _ in $(seq 1 $((limit * 10))); do "$@" && return 0; sleep 0.1; done
  return 1
}

FRONT_PORT=${DRAGGAN_PORT:-7860}
[ "$FRONT_PORT" = 0 ] && FRONT_PORT=$(next_port)
port_free "$FRONT_PORT" || { echo "cluster.sh: port $FRONT_PORT is taken (set DRAGGAN_PORT)" >&2; exit 2; }
TAKEN=" $FRONT_PORT"

# The store.
REDIS_PORT=$(next_port)
redis-server "$ROOT/deploy/redis.conf" --port "$REDIS_PORT" --dir "$DIR" --logfile "$DIR/redis.log" \
  --daemonize no --pidfile "" &
REDIS_PID=$!; PIDS+=($REDIS_PID)
wait_until 10 bash -c "redis-cli -p $REDIS_PORT ping 2>/dev/null | grep -q PONG" ||
  { echo "cluster.sh: redis-server did not start (log: $DIR/redis.log)" >&2; exit 1; }

# The replicas: each answers any Host, since HAProxy checks it.
REPLICA_PIDS=(); REPLICA_PORTS=(); SERVERS=""
for i in $(seq 1 "$N"); do
  port=$(next_port)
  "$BINARY" serve --store "redis://127.0.0.1:$REDIS_PORT" --replica "r$i" --port "$port" --allowed-host '*' "$@" \
    >"$DIR/r$i.log" 2>&1 &
  REPLICA_PIDS+=($!); REPLICA_PORTS+=($port); PIDS+=($!)
  SERVERS+="  server r$i 127.0.0.1:$port check"$'\n'
done
for i in $(seq 1 "$N"); do
  ok=0
  for _ in $(seq 1 1200); do
    kill -0 "${REPLICA_PIDS[$((i-1))]}" 2>/dev/null || break
    [ "$(http_status "${REPLICA_PORTS[$((i-1))]}" /readyz)" = 200 ] && { ok=1; break; }
    sleep 0.1
  done
  [ $ok = 1 ] || { echo "cluster.sh: replica r$i did not start (log: $DIR/r$i.log):" >&2; tail -5 "$DIR/r$i.log" >&2; exit 1; }
done

# The balancer.
sed -e "s|@BIND@|127.0.0.1:$FRONT_PORT|" -e "s|@PORT@|$FRONT_PORT|" -e "s|@RUN_DIR@|$DIR|" \
    -e "s|@DEPLOY_DIR@|$ROOT/deploy|" -e "s|@EXTRA_HOST_ACL@||" "$ROOT/deploy/haproxy.cfg.in" |
  awk -v servers="$SERVERS" '{ if ($0 == "@SERVERS@") printf "%s", servers; else print }' >"$DIR/haproxy.cfg"
haproxy -f "$DIR/haproxy.cfg" -db >"$DIR/haproxy.log" 2>&1 &
HAPROXY_PID=$!; PIDS+=($HAPROXY_PID)
wait_until 10 bash -c "ss -Htln '( sport = :$FRONT_PORT )' | grep -q ." ||
  { echo "cluster.sh: haproxy did not start (log: $DIR/haproxy.log)" >&2; cat "$DIR/haproxy.log" >&2; exit 1; }

{
  echo "URL=http://127.0.0.1:$FRONT_PORT/"
  echo "DIR=$DIR"
  echo "REDIS_PORT=$REDIS_PORT REDIS_PID=$REDIS_PID HAPROXY_PID=$HAPROXY_PID"
  for i in $(seq 1 "$N"); do echo "R${i}_PORT=${REPLICA_PORTS[$((i-1))]} R${i}_PID=${REPLICA_PIDS[$((i-1))]}"; done
} >"$DIR/cluster.env"
echo "draggan cluster: $N replica(s), store redis://127.0.0.1:$REDIS_PORT, logs and pids in $DIR (cluster.env)" >&2
echo "http://127.0.0.1:$FRONT_PORT/"

# In the foreground until Ctrl-C / SIGTERM (or the balancer stops); replicas may die and come back meanwhile.
while kill -0 "$HAPROXY_PID" 2>/dev/null; do sleep 1 & wait $! || true; done
echo "cluster.sh: haproxy stopped (log: $DIR/haproxy.log)" >&2
exit 1
