#!/bin/sh
# Runs the Test::Nginx suites (t/*.t by default) with prove.
#
# The real Test::Nginx (CPAN) is used when it is installed.  Otherwise the
# fallback runner of the same DSL in t/lib is put on the include path, and
# only then: "prove -It/lib" would take precedence over an installed
# Test::Nginx, so the choice is made here explicitly.
#
#   scripts/prove-nginx.sh [prove arguments and test files]
#
# Environment: TEST_NGINX_BINARY (default /usr/sbin/nginx),
# TEST_NGINX_WEBAUTHN_MODULE (default build/ngx_http_webauthn_module.so),
# TEST_NGINX_SERVER_PORT (default 1984), TEST_NGINX_SERVROOT (default
# build/servroot), TEST_NGINX_USE_VALGRIND, PROVE (default prove).

set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

: "${TEST_NGINX_BINARY:=/usr/sbin/nginx}"
: "${TEST_NGINX_WEBAUTHN_MODULE:=$root/build/ngx_http_webauthn_module.so}"
: "${TEST_NGINX_SERVROOT:=$root/build/servroot}"
: "${PROVE:=prove}"

# nginx resolves a relative load_module path against its prefix
case $TEST_NGINX_WEBAUTHN_MODULE in
/*) ;;
*)  TEST_NGINX_WEBAUTHN_MODULE=$root/$TEST_NGINX_WEBAUTHN_MODULE ;;
esac

export TEST_NGINX_BINARY TEST_NGINX_WEBAUTHN_MODULE TEST_NGINX_SERVROOT

if [ ! -f "$TEST_NGINX_WEBAUTHN_MODULE" ]; then
    echo "$0: no module at $TEST_NGINX_WEBAUTHN_MODULE (run make module)" >&2
    exit 1
fi

if [ $# -eq 0 ]; then
    set -- t/
fi

if perl -MTest::Nginx::Socket -e1 2>/dev/null; then
    echo "# runner: Test::Nginx::Socket from CPAN" >&2

    # Debian's nginx is built with --error-log-path=stderr: configuration
    # errors never reach t/servroot/logs/error.log, where the real
    # Test::Nginx looks for them (--- must_die with --- error_log).  The
    # wrapper makes nginx write them there, as an upstream build does.
    if "$TEST_NGINX_BINARY" -V 2>&1 | grep -q -- '--error-log-path=stderr'
    then
        WEBAUTHN_ERROR_LOG_NGINX=$TEST_NGINX_BINARY
        TEST_NGINX_BINARY=$root/scripts/nginx-error-log.sh
        export WEBAUTHN_ERROR_LOG_NGINX TEST_NGINX_BINARY
    fi

    exec $PROVE -r "$@"
fi

echo "# runner: fallback t/lib/Test/Nginx/Socket.pm" >&2

exec $PROVE -r -I"$root/t/lib" "$@"
