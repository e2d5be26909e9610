# Process helpers shared by scripts/demo.sh, scripts/bench-gate.sh and
# scripts/bench-rollback.sh:
# each runs a private nginx and Redis from one directory with the layout
# DIR/logs/nginx.pid and DIR/redis/redis.pid.  Sourced, not run.

# is the process of pid file $1 running (a zombie is not)?
alive() {
    [ -f "$1" ] || return 1
    pid=$(cat "$1" 2>/dev/null) || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    [ -r "/proc/$pid/stat" ] || return 0
    ! sed 's/^.*) //' "/proc/$pid/stat" | grep -q '^Z'
}

# waits up to 5 s for the process in pid file $1 to exit
wait_gone() {
    i=0
    while alive "$1" && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    ! alive "$1"
}

# stops the nginx and the Redis of directory $1: nginx binary $2, Redis
# port $3, and "nosave" as $4 to drop Redis's data instead of saving it
stop_private() {
    if alive "$1/logs/nginx.pid"; then
        "$2" -p "$1/" -c conf/nginx.conf -e logs/error.log -s quit \
            2>/dev/null || kill "$(cat "$1/logs/nginx.pid")"
        wait_gone "$1/logs/nginx.pid" \
            || kill -9 "$(cat "$1/logs/nginx.pid")" 2>/dev/null || true
    fi

    if alive "$1/redis/redis.pid"; then
        redis-cli -h 127.0.0.1 -p "$3" shutdown ${4:-} >/dev/null 2>&1 \
            || kill "$(cat "$1/redis/redis.pid")"
        wait_gone "$1/redis/redis.pid" \
            || kill -9 "$(cat "$1/redis/redis.pid")" 2>/dev/null || true
    fi

    rm -f "$1/logs/nginx.pid" "$1/redis/redis.pid"
}

# is something listening on 127.0.0.1:$1?
port_busy() {
    if command -v ss >/dev/null 2>&1; then
        ss -ltnH "sport = :$1" 2>/dev/null | grep -q .
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

# the build directory, absolute: $BUILD (default build) below $1, the root
build_dir() {
    case ${BUILD:-build} in
    /*) echo "${BUILD:-build}" ;;
    *)  echo "$1/${BUILD:-build}" ;;
    esac
}

# waits up to 5 s for the Redis of pid file $2 to answer PING on port $1
redis_wait() {
    i=0
    until redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG \
            && alive "$2"
    do
        i=$((i + 1))
        [ $i -le 50 ] || return 1
        sleep 0.1
    done
}
