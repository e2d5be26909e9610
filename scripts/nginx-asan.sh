#!/bin/sh
# nginx with gcc's AddressSanitizer runtime preloaded, so that a module
# built with -fsanitize=address,undefined (make module-asan) can be loaded
# into the stock, uninstrumented nginx.  Used as TEST_NGINX_BINARY by
# make test-nginx-asan; also usable by hand:
#
#   scripts/nginx-asan.sh -p /path/to/prefix -c conf/nginx.conf
#
# WEBAUTHN_NGINX: the nginx binary (default /usr/sbin/nginx).
# Leak detection is off by default: nginx exits without freeing what it
# allocated for its whole life, which LeakSanitizer would report.

nginx=${WEBAUTHN_NGINX:-/usr/sbin/nginx}
cc=${WEBAUTHN_ASAN_CC:-gcc}

libasan=$("$cc" -print-file-name=libasan.so)

if [ ! -e "$libasan" ]; then
    echo "$0: libasan.so not found by $cc (install gcc)" >&2
    exit 1
fi

LD_PRELOAD=$libasan${LD_PRELOAD:+:$LD_PRELOAD}
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS

exec "$nginx" "$@"
