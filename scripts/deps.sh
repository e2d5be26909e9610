#!/bin/sh
# Installs, with apt-get, what the build, the tests and the demo need, and
# only what is missing: a second run does nothing.  Debian 12, as root.
#
# nginx and redis-server are installed for their binaries and headers, and
# prometheus for promtool (the tests lint the metrics and the alert rules
# with it); the tests and the demo run private instances on their own
# ports, so the system services are not started (policy-rc.d), and when
# this script installs them on a systemd host they are also disabled, so
# that they do not take ports 80, 6379 and 9090 at the next boot.

set -eu

PACKAGES="
    build-essential make gcc pkg-config
    nginx nginx-dev
    libssl-dev libcbor-dev libjansson-dev libhiredis-dev
    redis-server redis-tools
    perl libtest-base-perl
    clang libclang-rt-14-dev valgrind
    curl openssl jq
    chromium fonts-ipafont-gothic
    prometheus
"

# the browser test (tests/browser) runs on node 18 or newer with npm: the
# Debian packages, unless a node of its own is on the PATH already (from
# NodeSource, say, whose nodejs package carries npm)
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null \
             || echo 0)
if [ "$node_major" -lt 18 ]; then
    PACKAGES="$PACKAGES nodejs npm"
elif ! command -v npm >/dev/null 2>&1; then
    PACKAGES="$PACKAGES npm"
fi

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null \
        | grep -q '^install ok installed$'
}

missing=
for p in $PACKAGES; do
    installed "$p" || missing="$missing $p"
done

if [ -z "$missing" ]; then
    echo "deps: everything is installed"
    exit 0
fi

echo "deps: missing:$missing"

if [ "$(id -u)" -ne 0 ]; then
    echo "deps: run as root, or: sudo apt-get install$missing" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive

policy=/usr/sbin/policy-rc.d

if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# deps.sh: no service starts while installing\n' \
        > "$policy"
    echo 'exit 101' >> "$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT INT TERM
fi

# A fresh image has no package lists; stale lists fail with 404s: in both
# cases update and try again.
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
    apt-get update -q
fi

# shellcheck disable=SC2086
if ! apt-get install -y -q --no-install-recommends $missing; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends $missing
fi

if [ -d /run/systemd/system ]; then
    for svc in nginx redis-server prometheus; do
        case " $missing " in
        *" $svc "*)
            systemctl disable --now "$svc" >/dev/null 2>&1 || true
            ;;
        esac
    done
fi

echo "deps: installed:$missing"
