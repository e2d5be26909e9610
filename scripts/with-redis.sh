#!/bin/sh
# Runs a command with a private Redis, for the Test::Nginx suites:
#
#   scripts/with-redis.sh CMD [ARGS...]
#
# Starts redis-server on 127.0.0.1:$TEST_NGINX_REDIS_PORT (6399 unless
# set), daemonized, from its own directory build/redis-test/PORT (its
# redis.conf, pid file, log and dump file), with no save points and no
# append-only file; waits until it answers PING; runs CMD with
# TEST_NGINX_REDIS_PORT and TEST_NGINX_REDIS_DIR exported (a test that
# stops Redis starts it again with "redis-server $TEST_NGINX_REDIS_DIR/
# redis.conf"); then stops Redis, also when CMD fails or the run is
# interrupted, and exits with CMD's status.
#
# The suites flush this Redis: a port where something already answers is
# refused, so that a Redis of someone else is never used.
#
# Environment: TEST_NGINX_REDIS_PORT (6399), BUILD (build), REDIS_SERVER
# (redis-server), REDIS_CLI (redis-cli).

set -u

if [ $# -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)

port=${TEST_NGINX_REDIS_PORT:-6399}
BUILD=${BUILD:-build}
case $BUILD in
/*) build=$BUILD ;;
*)  build=$root/$BUILD ;;
esac
dir=$build/redis-test/$port
server=${REDIS_SERVER:-redis-server}
cli=${REDIS_CLI:-redis-cli}

case $port in
''|*[!0-9]*)
    echo "$0: TEST_NGINX_REDIS_PORT must be a port number, not \"$port\"" >&2
    exit 2
    ;;
esac

for prog in "$server" "$cli"; do
    if ! command -v "$prog" >/dev/null 2>&1; then
        echo "$0: $prog not found (make deps installs redis-server and" \
             "redis-tools)" >&2
        exit 2
    fi
done

ping() {
    "$cli" -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q '^PONG'
}

# the pid of our Redis, if it runs (a zombie or another program is not it)
redis_pid() {
    [ -f "$dir/redis.pid" ] || return 1
    pid=$(cat "$dir/redis.pid" 2>/dev/null)
    case $pid in ''|*[!0-9]*) return 1 ;; esac
    kill -0 "$pid" 2>/dev/null || return 1
    if [ -r "/proc/$pid/stat" ]; then
        sed 's/^.*) //' "/proc/$pid/stat" | grep -q '^Z' && return 1
        grep -q redis "/proc/$pid/cmdline" 2>/dev/null || return 1
    fi
    echo "$pid"
}

stop_redis() {
    pid=$(redis_pid) || { rm -f "$dir/redis.pid"; return 0; }

    "$cli" -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 \
        || kill "$pid" 2>/dev/null

    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done

    if kill -0 "$pid" 2>/dev/null; then
        echo "$0: Redis $pid did not stop, killing it" >&2
        kill -9 "$pid" 2>/dev/null
    fi

    rm -f "$dir/redis.pid" "$dir/dump.rdb"
}

if ping; then
    echo "$0: something already answers on 127.0.0.1:$port; the tests" \
         "flush their Redis: set TEST_NGINX_REDIS_PORT to a free port" >&2
    exit 2
fi

# a Redis left by an interrupted run of ours
stop_redis

mkdir -p "$dir" || exit 2
rm -f "$dir/dump.rdb" "$dir/redis.log"

cat > "$dir/redis.conf" <<EOF
# written by scripts/with-redis.sh: a private Redis for the tests
bind 127.0.0.1
port $port
protected-mode yes
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir
dbfilename dump.rdb
save ""
appendonly no
EOF

if ! "$server" "$dir/redis.conf"; then
    echo "$0: redis-server failed to start; see $dir/redis.log" >&2
    exit 2
fi

i=0
until ping; do
    i=$((i + 1))
    if [ $i -ge 100 ]; then
        echo "$0: Redis on 127.0.0.1:$port does not answer PING after 10 s;" \
             "see $dir/redis.log" >&2
        stop_redis
        exit 2
    fi
    sleep 0.1
done

TEST_NGINX_REDIS_PORT=$port
TEST_NGINX_REDIS_DIR=$dir
export TEST_NGINX_REDIS_PORT TEST_NGINX_REDIS_DIR

trap 'stop_redis' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

"$@"
status=$?

exit $status
