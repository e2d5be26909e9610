#!/bin/sh
# Runs every test suite in turn and reports each; exits non-zero if any
# failed.  Called by `make test` after the dependencies are installed.
#
#   SUITES="unit nginx"  sh scripts/test.sh     to run some of them
set -u

cd "$(dirname "$0")/.." || exit 2
MAKE=${MAKE:-make}
SUITES=${SUITES:-"build unit unit-asan nginx nginx-asan admin prometheus fuzz-smoke browser"}

passed=0
failed=0
failures=""

run() {
    name=$1
    shift
    printf '\n==== %s: %s\n' "$name" "$*"
    start=$(date +%s)
    if "$@"; then
        passed=$((passed + 1))
        printf '==== %s: PASS (%ss)\n' "$name" $(($(date +%s) - start))
    else
        failed=$((failed + 1))
        failures="$failures $name"
        printf '==== %s: FAIL (%ss)\n' "$name" $(($(date +%s) - start))
    fi
}

for s in $SUITES; do
    case $s in
    build)      run build $MAKE --no-print-directory all ;;
    unit)       run unit $MAKE --no-print-directory test-unit ;;
    unit-asan)  run unit-asan $MAKE --no-print-directory test-unit-asan ;;
    nginx)      run nginx $MAKE --no-print-directory test-nginx ;;
    nginx-asan) run nginx-asan $MAKE --no-print-directory test-nginx-asan ;;
    admin)      run admin $MAKE --no-print-directory test-admin ;;
    prometheus) run prometheus $MAKE --no-print-directory test-prometheus ;;
    fuzz-smoke) run fuzz-smoke $MAKE --no-print-directory fuzz-smoke ;;
    browser)    run browser $MAKE --no-print-directory test-browser ;;
    *)          echo "unknown suite: $s" >&2; exit 2 ;;
    esac
done

echo
[ -n "$failures" ] && echo "failed suites:$failures"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
