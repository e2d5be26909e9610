#!/usr/bin/env bash
# Checks the Prometheus rules of examples/prometheus/: their syntax
# ("promtool check rules") and their unit tests ("promtool test rules").
#
#   bash tests/prometheus/check-rules.sh
#
# Exits 0 when both pass, 1 otherwise (or when promtool is missing).

set -euo pipefail

# the repository's root: two levels above this script
here=${BASH_SOURCE[0]%/*}
if [ "$here" = "${BASH_SOURCE[0]}" ]; then
    here=.
fi
cd "$here/../.."

rules=examples/prometheus/webauthn-rules.yml
tests=examples/prometheus/webauthn-rules.test.yml

if ! command -v promtool >/dev/null 2>&1; then
    echo "promtool not found: apt-get install prometheus" >&2
    exit 1
fi

version=$(promtool --version 2>&1) || true
echo "# ${version%%$'\n'*}"

echo "# promtool check rules $rules"
promtool check rules "$rules"

echo "# promtool test rules $tests"
promtool test rules "$tests"

echo "# ok: the rules are valid and their tests pass"
