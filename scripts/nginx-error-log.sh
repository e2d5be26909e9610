#!/bin/sh
# nginx for the real Test::Nginx, when nginx is built with
# --error-log-path=stderr (Debian): errors found while reading the
# configuration are written to the test server root's logs/error.log
# ("nginx -e"), where Test::Nginx checks --- error_log.
#
# WEBAUTHN_ERROR_LOG_NGINX: the nginx binary, or another wrapper such as
# scripts/nginx-asan.sh (default /usr/sbin/nginx).

nginx=${WEBAUTHN_ERROR_LOG_NGINX:-/usr/sbin/nginx}

case " $* " in
*" -V "* | *" -v "* | *" -h "* | *" -t "* | *" -T "*)
    exec "$nginx" "$@"
    ;;
esac

exec "$nginx" -e "${TEST_NGINX_SERVER_ROOT:-t/servroot}/logs/error.log" "$@"
