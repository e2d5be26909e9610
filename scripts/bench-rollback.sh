#!/bin/sh
# make bench-rollback: tools/webauthn-admin rollback over a million users,
# and how long another client of the same Redis waits meanwhile.  See
# docs/benchmarks.md.
#
# A private Redis (no persistence) on 127.0.0.1:$BENCH_ROLLBACK_REDIS_PORT,
# everything under $BUILD/bench-rollback; stopped on exit.  CPU 0 runs
# Redis alone; CPU 1 runs the tool and the probe.
#
#   1. build/bench/bench_rollback gen writes BENCH_ROLLBACK_USERS users
#      through `redis-cli --pipe` (not timed): each with a user hash, one
#      to three passkeys, the active set and the set of all, one to three
#      snapshots, the claims, its entry in the index of changed users
#      (marked complete, as after `webauthn-admin reindex`), and a change
#      after T, so that every user is rolled back (the worst case);
#   2. `webauthn-admin rollback --changed-since T` over all of them, timed,
#      while `bench_rollback probe` sends a PING about every millisecond
#      on its own connection and keeps the worst wait;
#
# and ends with the lines "rollback users/s: N" and "max other-client
# latency: N ms".
#
# Environment: BUILD (build), BENCH_ROLLBACK_USERS (1000000),
# BENCH_ROLLBACK_REDIS_PORT (6392), BENCH_ROLLBACK_BATCH (32, the tool's
# --batch), BENCH_ROLLBACK_SCAN (0; 1: the tool's --scan, every key
# instead of the index).  Redis's log stays in $BUILD/bench-rollback.

set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. "$root/scripts/procs.sh"

build=$(build_dir "$root")
dir=$build/bench-rollback
port=${BENCH_ROLLBACK_REDIS_PORT:-6392}
users=${BENCH_ROLLBACK_USERS:-1000000}
batch=${BENCH_ROLLBACK_BATCH:-32}
walk=
if [ "${BENCH_ROLLBACK_SCAN:-0}" = 1 ]; then
    walk=--scan
fi
admin=$build/webauthn-admin
helper=$build/bench/bench_rollback

# the time of the "bad change", a day ago: every generated user changed
# after it
T=$(($(date +%s) - 86400))

for f in "$admin" "$helper"; do
    if [ ! -x "$f" ]; then
        echo "bench-rollback: $f is missing (make bench-rollback builds it)" >&2
        exit 1
    fi
done

for c in redis-server redis-cli taskset; do
    if ! command -v "$c" >/dev/null 2>&1; then
        echo "bench-rollback: $c is missing (make deps)" >&2
        exit 1
    fi
done

if [ "$(nproc)" -ge 2 ]; then
    cpu_redis=0
    cpu_tool=1
else
    cpu_redis=0
    cpu_tool=0
    echo "bench-rollback: one CPU only: everything shares CPU 0" >&2
fi

cli() {
    redis-cli -h 127.0.0.1 -p "$port" "$@"
}

# a field of INFO
info() {
    cli INFO "$1" | tr -d '\r' | sed -n "s/^$2://p"
}

stop() {
    if [ -n "${probe_pid:-}" ]; then
        kill "$probe_pid" 2>/dev/null || true
    fi
    # (no nginx here: stop_private only stops what has a pid file)
    stop_private "$dir" nginx "$port" nosave
}

stop

if port_busy "$port"; then
    echo "bench-rollback: 127.0.0.1:$port is in use; set" \
         "BENCH_ROLLBACK_REDIS_PORT" >&2
    exit 1
fi

trap 'stop' EXIT
trap 'exit 130' INT TERM

rm -rf "$dir"
mkdir -p "$dir/redis"

taskset -c "$cpu_redis" redis-server --bind 127.0.0.1 --port "$port" \
    --dir "$dir/redis" --daemonize yes --pidfile "$dir/redis/redis.pid" \
    --logfile "$dir/redis.log" --save "" --appendonly no

if ! redis_wait "$port" "$dir/redis/redis.pid"; then
    echo "bench-rollback: redis did not start, see $dir/redis.log" >&2
    exit 1
fi

echo "bench-rollback: redis $(info server redis_version) on CPU" \
     "$cpu_redis; webauthn-admin and the probe on CPU $cpu_tool;" \
     "--batch $batch${walk:+ $walk}"

load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
    echo "bench-rollback: warning: load average $load: other work on the" \
         "machine lowers the figures" >&2
fi

# 1. the users

echo "bench-rollback: generating $users users, each changed after T: the" \
     "worst case, every user is rolled back"
t0=$(date +%s.%N)
"$helper" gen "$users" "$T" | cli --pipe >"$dir/gen.txt" 2>&1 || true
t1=$(date +%s.%N)
if ! grep -q '^errors: 0,' "$dir/gen.txt"; then
    echo "bench-rollback: generating failed:" >&2
    tail -n 5 "$dir/gen.txt" >&2
    exit 1
fi
echo "generation: $users users, $(cli DBSIZE) keys, $(awk -v a="$t0" \
     -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, redis memory" \
     "$(info memory used_memory_human)"

# 2. the rollback, with the probe beside it

taskset -c "$cpu_tool" "$helper" probe "$port" >"$dir/probe-idle.txt" &
probe_pid=$!
sleep 2
kill "$probe_pid"
wait "$probe_pid" || true
echo "idle $(cat "$dir/probe-idle.txt")"

cli CONFIG RESETSTAT >/dev/null
cpu0=$(info cpu used_cpu_user)
sys0=$(info cpu used_cpu_sys)

taskset -c "$cpu_tool" "$helper" probe "$port" >"$dir/probe.txt" &
probe_pid=$!
sleep 0.5

t0=$(date +%s.%N)
status=0
# shellcheck disable=SC2086
taskset -c "$cpu_tool" "$admin" --redis "127.0.0.1:$port" --actor bench \
    --batch "$batch" rollback --changed-since "$T" $walk \
    >"$dir/summary.txt" 2>"$dir/admin.err" || status=$?
t1=$(date +%s.%N)

sleep 0.5
kill "$probe_pid"
wait "$probe_pid" || true
probe_pid=

if [ "$status" -ne 0 ]; then
    echo "bench-rollback: webauthn-admin exited with $status:" >&2
    head -n 5 "$dir/admin.err" >&2
    exit 1
fi

sed 's/^/rollback: /' "$dir/summary.txt"

rolled=$(sed -n 's/^users_rolled_back: //p' "$dir/summary.txt")
if [ "$rolled" != "$users" ]; then
    echo "bench-rollback: $rolled users rolled back, not $users" >&2
    exit 1
fi

# where Redis's time went: per call, and all of its CPU per user
cli INFO commandstats | tr -d '\r' | awk -F'[:,=]' '
    /^cmdstat_(evalsha|scan|hscan):/ {
        sub(/^cmdstat_/, "", $1)
        printf "redis: %s %d calls, %.1f us per call\n", $1, $3, $7
    }'
cpu1=$(info cpu used_cpu_user)
sys1=$(info cpu used_cpu_sys)
awk -v u0="$cpu0" -v u1="$cpu1" -v s0="$sys0" -v s1="$sys1" -v n="$users" \
    -v a="$t0" -v b="$t1" 'BEGIN {
        c = (u1 - u0) + (s1 - s0)
        printf "redis: %.1f s of CPU in %.1f s (%.0f%% busy), %.1f us per user\n",
               c, b - a, 100 * c / (b - a), 1e6 * c / n
    }'
cat "$dir/probe.txt"

awk -v n="$users" -v a="$t0" -v b="$t1" \
    'BEGIN { printf "rollback users/s: %.0f\n", n / (b - a) }'
sed -n 's/^probe: .*, max \([0-9.]*\) ms,.*/max other-client latency: \1 ms/p' \
    "$dir/probe.txt"
