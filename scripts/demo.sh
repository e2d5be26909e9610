#!/bin/sh
# The demo: a private Redis and nginx with the module, both on 127.0.0.1,
# everything under build/demo.  Re-runnable: a running demo is stopped
# first.  The Debian packages must be there (make deps, or make demo).
#
#   scripts/demo.sh          build the module, (re)start, print where to look
#   scripts/demo.sh stop     stop both
#
# Environment: DEMO_PORT (8080, the site), DEMO_APP_PORT (8081, the
# application behind it), DEMO_REDIS_PORT (6390), BUILD (build),
# DEMO_DIR (BUILD/demo: the prefix, logs, Redis data and secrets),
# DEMO_USERS ("demo": the password users, each with its name as password),
# DEMO_MAKE (yes: build the module first; no: use the one in BUILD),
# DEMO_NGINX (/usr/sbin/nginx; not NGINX, which nginx itself reads as a
# list of inherited sockets).
#
# The admin API's bearer token is made at the first start and kept in
# DEMO_DIR/conf/admin.tokens (mode 600).

set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

. "$root/scripts/procs.sh"

build=$(build_dir "$root")

demo=${DEMO_DIR:-$build/demo}
port=${DEMO_PORT:-8080}
app_port=${DEMO_APP_PORT:-8081}
redis_port=${DEMO_REDIS_PORT:-6390}
nginx=${DEMO_NGINX:-/usr/sbin/nginx}
module=$build/ngx_http_webauthn_module.so


stop() {
    stop_private "$demo" "$nginx" "$redis_port"
}

case ${1:-start} in
stop)
    stop
    echo "demo: stopped"
    exit 0
    ;;
start)
    ;;
*)
    echo "usage: $0 [start|stop]" >&2
    exit 2
    ;;
esac

stop

for p in "$port" "$app_port" "$redis_port"; do
    if port_busy "$p"; then
        echo "demo: 127.0.0.1:$p is in use; set DEMO_PORT," \
             "DEMO_APP_PORT or DEMO_REDIS_PORT" >&2
        exit 1
    fi
done

[ "${DEMO_MAKE:-yes}" = no ] \
    || make --no-print-directory -C "$root" BUILD="$build" module
if [ ! -f "$module" ]; then
    echo "demo: no $module: make module" >&2
    exit 1
fi

mkdir -p "$demo/conf" "$demo/logs" "$demo/redis" "$demo/tmp"
rm -rf "$demo/html"
cp -R examples/demo/html "$demo/html"
cp client/webauthn.js "$demo/html/webauthn.js"
sed -i "s/@PORT@/$port/g" "$demo/html/index.html"

# secrets are made once and kept, so that sessions survive a restart
(
    umask 077
    [ -s "$demo/conf/session.keys" ] \
        || openssl rand -hex 32 > "$demo/conf/session.keys"
    [ -s "$demo/conf/admin.tokens" ] \
        || openssl rand -hex 32 > "$demo/conf/admin.tokens"
)
for u in ${DEMO_USERS:-demo}; do
    printf '%s:%s\n' "$u" "$(openssl passwd -apr1 "$u")"
done > "$demo/conf/htpasswd"

sed -e "s#@MODULE@#$module#g" \
    -e "s#@PORT@#$port#g" \
    -e "s#@APP_PORT@#$app_port#g" \
    -e "s#@REDIS_PORT@#$redis_port#g" \
    examples/demo/nginx.conf > "$demo/conf/nginx.conf"
cp examples/demo/aaguids.json "$demo/conf/aaguids.json"

redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$demo/redis" \
    --daemonize yes --pidfile "$demo/redis/redis.pid" \
    --logfile "$demo/logs/redis.log" --save "" --appendonly yes

"$nginx" -p "$demo/" -c conf/nginx.conf -e logs/error.log

i=0
until alive "$demo/logs/nginx.pid" && port_busy "$port"; do
    i=$((i + 1))
    if [ $i -gt 50 ]; then
        echo "demo: nginx did not start, see $demo/logs/error.log" >&2
        tail -n 5 "$demo/logs/error.log" >&2
        exit 1
    fi
    sleep 0.1
done

cat <<EOT

demo: running

  open      http://localhost:$port/   (user demo, password demo)
            in a browser with passkeys: Chrome, Edge, Firefox or Safari
            (localhost, not 127.0.0.1: WebAuthn needs a secure context)
  try       curl -u demo:demo http://localhost:$port/trade/positions
  logs      $demo/logs/  (error.log, access.log, redis.log)
  config    $demo/conf/nginx.conf
  redis     redis-cli -p $redis_port
  admin     curl -H "Authorization: Bearer \$(cat $demo/conf/admin.tokens)" \\
                 http://127.0.0.1:$port/webauthn-admin/users/demo
  stop      ${DEMO_DIR:+DEMO_DIR=$demo }scripts/demo.sh stop

EOT
