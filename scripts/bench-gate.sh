#!/bin/sh
# make bench-gate: the module end to end in the Debian nginx, against
# plain nginx and against openssl's bare ECDSA P-256 verification.
# See docs/benchmarks.md.
#
# A private Redis (no persistence) and nginx with the module, both on
# 127.0.0.1, everything under $BUILD/bench-gate; stopped on exit.  CPU 0
# runs the one nginx worker and nothing else of ours (openssl speed between
# rounds); CPU 1 runs Redis and the load generator (build/bench/bench_gate).
#
#   1. warm-up, then BENCH_GATE_REQUESTS passkey-gated GETs: the worker's
#      VmRSS before and after (read by the generator, connections open);
#   2. BENCH_GATE_ROUNDS rounds of: plain `return 200`, gated GET,
#      ceremonies (login_options + login with a fresh ES256 assertion),
#      `taskset -c 0 openssl speed ecdsap256`, each BENCH_GATE_SECONDS /
#      BENCH_GATE_ROUNDS long;
#
# and ends with the lines "gate ratio: N.NN", "ceremony ratio: N.NN" and
# "rss growth: N KiB".
#
# Environment: BUILD (build), BENCH_GATE_NGINX (/usr/sbin/nginx; not NGINX,
# which nginx itself reads as a list of inherited sockets), BENCH_GATE_PORT
# (8091), BENCH_GATE_REDIS_PORT (6391), BENCH_GATE_SECONDS (10),
# BENCH_GATE_ROUNDS (5), BENCH_GATE_CONNS (32), BENCH_GATE_REQUESTS
# (1000000); BENCH_GATE_MODES (plain,gated,ceremony: a subset runs only
# those, and without gated no memory run, for trying a build whose
# ceremonies do not work yet).  The logs stay in $BUILD/bench-gate/logs.

set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

BUILD=${BUILD:-build}
case $BUILD in
/*) build=$BUILD ;;
*)  build=$root/$BUILD ;;
esac

dir=$build/bench-gate
port=${BENCH_GATE_PORT:-8091}
redis_port=${BENCH_GATE_REDIS_PORT:-6391}
secs=${BENCH_GATE_SECONDS:-10}
rounds=${BENCH_GATE_ROUNDS:-5}
conns=${BENCH_GATE_CONNS:-32}
requests=${BENCH_GATE_REQUESTS:-1000000}
modes=${BENCH_GATE_MODES:-plain,gated,ceremony}
nginx=${BENCH_GATE_NGINX:-/usr/sbin/nginx}

# nginx takes $NGINX as sockets inherited from an old binary (a binary
# upgrade): it would not listen, and stay in the foreground
unset NGINX

module=$build/ngx_http_webauthn_module.so
gen=$build/bench/bench_gate

for f in "$module" "$gen"; do
    if [ ! -f "$f" ]; then
        echo "bench-gate: $f is missing (make bench-gate builds it)" >&2
        exit 1
    fi
done

for c in redis-server redis-cli taskset openssl "$nginx"; do
    if ! command -v "$c" >/dev/null 2>&1; then
        echo "bench-gate: $c is missing (make deps)" >&2
        exit 1
    fi
done

ncpu=$(nproc)
if [ "$ncpu" -ge 2 ]; then
    cpu_nginx=0
    cpu_load=1
else
    cpu_nginx=0
    cpu_load=0
    echo "bench-gate: one CPU only: everything shares CPU 0" >&2
fi

# is the process of pid file $1 running (a zombie is not)?
alive() {
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

stop() {
    if alive "$dir/logs/nginx.pid"; then
        "$nginx" -p "$dir/" -c conf/nginx.conf -e logs/error.log -s quit \
            2>/dev/null || kill "$(cat "$dir/logs/nginx.pid")"
        wait_gone "$dir/logs/nginx.pid" \
            || kill -9 "$(cat "$dir/logs/nginx.pid")" 2>/dev/null || true
    fi

    if alive "$dir/redis/redis.pid"; then
        redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave \
            >/dev/null 2>&1 || kill "$(cat "$dir/redis/redis.pid")"
        wait_gone "$dir/redis/redis.pid" \
            || kill -9 "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true
    fi

    rm -f "$dir/logs/nginx.pid" "$dir/redis/redis.pid"
}

port_busy() {
    if command -v ss >/dev/null 2>&1; then
        ss -ltnH "sport = :$1" 2>/dev/null | grep -q .
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

# the lines of error.log that say something broke
log_trouble() {
    grep -E '\[(alert|crit|emerg)\]|exited on signal|worker process .* exited' \
        "$dir/logs/error.log" 2>/dev/null || true
}

# the share of each CPU busy over one second, from /proc/stat (idle and
# iowait are not busy)
cpu_busy() {
    grep '^cpu[0-9]' /proc/stat > "$1.a"
    sleep 1
    grep '^cpu[0-9]' /proc/stat > "$1.b"
    paste "$1.a" "$1.b" | awk '{
        n = NF / 2; t = 0; idle = 0
        for (i = 2; i <= n; i++) {
            d = $(i + n) - $i; t += d
            if (i == 5 || i == 6) idle += d
        }
        printf "%s%s %.0f%%", sep, $1, t ? 100 * (t - idle) / t : 0
        sep = ", "
    }'
    rm -f "$1.a" "$1.b"
}

# the generator stopped: say what nginx said
failed() {
    trouble=$(log_trouble)
    if [ -n "$trouble" ]; then
        echo "bench-gate: nginx's error.log:" >&2
        echo "$trouble" | head -n 5 >&2
    fi
    exit 1
}

stop

for p in "$port" "$redis_port"; do
    if port_busy "$p"; then
        echo "bench-gate: 127.0.0.1:$p is in use; set BENCH_GATE_PORT or" \
             "BENCH_GATE_REDIS_PORT" >&2
        exit 1
    fi
done

trap 'stop' EXIT
trap 'exit 130' INT TERM

rm -rf "$dir"
mkdir -p "$dir/conf" "$dir/logs" "$dir/redis" "$dir/tmp"
(umask 077 && openssl rand -hex 32 > "$dir/conf/session.keys")

affinity=
if [ "$ncpu" -ge 2 ]; then
    # a bit mask, CPU 0 rightmost
    affinity="worker_cpu_affinity 01;"
fi

cat > "$dir/conf/nginx.conf" <<EOF
# generated by scripts/bench-gate.sh
load_module $module;

worker_processes  1;
$affinity
worker_rlimit_nofile  4096;
error_log  logs/error.log  warn;
pid        logs/nginx.pid;

events {
    worker_connections  1024;
}

http {
    default_type  text/plain;
    access_log    off;

    # one connection per generator slot for the whole run
    keepalive_requests  100000000;
    keepalive_timeout   600s;

    client_body_temp_path  tmp/body;
    proxy_temp_path        tmp/proxy;
    fastcgi_temp_path      tmp/fastcgi;
    uwsgi_temp_path        tmp/uwsgi;
    scgi_temp_path         tmp/scgi;

    webauthn_redis          127.0.0.1:$redis_port timeout=1s;
    webauthn_rp_id          localhost;
    webauthn_rp_name        "bench";
    webauthn_origin         http://localhost:$port;
    webauthn_session_key    $dir/conf/session.keys;
    webauthn_session_ttl    1h;
    webauthn_challenge_ttl  5m;
    webauthn_user_verification  required;

    server {
        listen       127.0.0.1:$port;
        server_name  localhost;

        # the password layer of a real site sets this; the generator sends
        # X-User, and may register a first passkey
        webauthn_identity  \$http_x_user;
        webauthn_enroll    open;

        # the reference: plain nginx
        location = /plain {
            return 200 "ok\n";
        }

        # "return" runs in the rewrite phase, before the gate (access
        # phase): a gated location needs a content handler
        location = /gated {
            webauthn_gate  passkey;
            empty_gif;
        }

        # the same content handler without the gate, for comparison
        location = /plain-gif {
            empty_gif;
        }

        location = /webauthn/register/options {
            webauthn_endpoint  register_options;
        }

        location = /webauthn/register {
            webauthn_endpoint  register;
        }

        location = /webauthn/login/options {
            webauthn_endpoint  login_options;
        }

        location = /webauthn/login {
            webauthn_endpoint  login;
        }
    }
}
EOF

taskset -c "$cpu_load" redis-server --bind 127.0.0.1 --port "$redis_port" \
    --dir "$dir/redis" --daemonize yes --pidfile "$dir/redis/redis.pid" \
    --logfile "$dir/logs/redis.log" --save "" --appendonly no

i=0
until redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null \
        | grep -q PONG && alive "$dir/redis/redis.pid"
do
    i=$((i + 1))
    if [ $i -gt 50 ]; then
        echo "bench-gate: redis did not start, see $dir/logs/redis.log" >&2
        exit 1
    fi
    sleep 0.1
done
redis_pid=$(cat "$dir/redis/redis.pid")

# (nginx warns that an http:// origin is for development only)
"$nginx" -p "$dir/" -c conf/nginx.conf -e logs/error.log -t -q \
    2> "$dir/logs/startup.log" || { cat "$dir/logs/startup.log" >&2; exit 1; }
taskset -c "$cpu_nginx" "$nginx" -p "$dir/" -c conf/nginx.conf \
    -e logs/error.log 2> "$dir/logs/startup.log" \
    || { cat "$dir/logs/startup.log" >&2; exit 1; }

worker_pid=
i=0
while :; do
    if alive "$dir/logs/nginx.pid" && port_busy "$port"; then
        master=$(cat "$dir/logs/nginx.pid")
        worker_pid=$(cat "/proc/$master/task/$master/children" 2>/dev/null \
                     | awk '{ print $1 }')
        [ -n "$worker_pid" ] && break
    fi
    i=$((i + 1))
    if [ $i -gt 50 ]; then
        echo "bench-gate: nginx did not start, see $dir/logs/error.log" >&2
        tail -n 5 "$dir/logs/error.log" >&2
        exit 1
    fi
    sleep 0.1
done

echo "bench-gate: nginx $("$nginx" -v 2>&1 | sed 's/.*\///'), worker" \
     "$worker_pid on CPU $(taskset -pc "$worker_pid" | sed 's/.*: //');" \
     "redis $redis_pid and the load generator on CPU $cpu_load;" \
     "$conns connections"

out=$dir/out.txt

# other work on the machine lowers every figure: say so
idle_check=$(cpu_busy "$dir/stat")
echo "bench-gate: before the run, busy: $idle_check"
if echo "$idle_check" | grep -oE '[0-9]+%' | tr -d % \
        | awk '$1 > 10 { busy = 1 } END { exit !busy }'
then
    echo "bench-gate: warning: the CPUs are busy with other work; the" \
         "figures will be low and noisy" >&2
fi

# 1. memory: a warm-up, then the counted gated requests
rss_growth=
case ,$modes, in
*,gated,*)
    taskset -c "$cpu_load" "$gen" -p "$port" -m gated -c "$conns" \
        -C "$cpu_load" -w 3 -n "$requests" -P "$worker_pid" -Q "$redis_pid" \
        > "$out" || { cat "$out"; failed; }
    sed -e '/^bench_gate:/d' -e 's/^gated:/info: gated (memory run):/' "$out"

    rss_growth=$(sed -n 's/^worker rss: .*(growth \(-*[0-9]*\) KiB)$/\1/p' \
                 "$out")
    if [ -z "$rss_growth" ]; then
        echo "bench-gate: no worker rss line from the generator" >&2
        exit 1
    fi
    ;;
esac

now_pid=$(cat "/proc/$(cat "$dir/logs/nginx.pid")/task/$(cat \
          "$dir/logs/nginx.pid")/children" | awk '{ print $1 }')
if [ "$now_pid" != "$worker_pid" ]; then
    echo "bench-gate: the worker changed ($worker_pid, now $now_pid)" >&2
    log_trouble >&2
    exit 1
fi

# 2. the rates, alternating in rounds, with openssl speed on the worker's
#    CPU; the generator prints "gate ratio" and "ceremony ratio" last
taskset -c "$cpu_load" "$gen" -p "$port" -m "$modes" \
    -c "$conns" -C "$cpu_load" -s "$secs" -r "$rounds" -w 1 \
    -O "$cpu_nginx" -P "$worker_pid" -Q "$redis_pid" > "$out" \
    || { cat "$out"; failed; }

trouble=$(log_trouble)
if [ -n "$trouble" ]; then
    cat "$out"
    echo "bench-gate: nginx logged trouble:" >&2
    echo "$trouble" >&2
    exit 1
fi

grep -v -e '^gate ratio:' -e '^ceremony ratio:' "$out"
grep -e '^gate ratio:' -e '^ceremony ratio:' "$out"
if [ -n "$rss_growth" ]; then
    echo "rss growth: $rss_growth KiB"
fi
