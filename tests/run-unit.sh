#!/bin/sh
# Run the unit tests, the spec vectors and the command-line tests of one
# build flavour, and close with the plain "N passed, N failed" line.
#
#   sh tests/run-unit.sh BUILD_DIR VECTORS_JSON UNIT_TEST...
#
# Every program prints "ok - ..." / "not ok - ..." lines; they are counted
# here.  A program that exits non-zero without printing a "not ok" line
# (a crash, a sanitizer report) counts as one more failure.

BUILD_DIR=$1
VECTORS=$2
shift 2

# neg_attest_formats.c (linked into test_negative) reads the vectors too.
WA_VECTORS=$VECTORS
export WA_VECTORS

passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT INT TERM

run() {
    label=$1
    shift
    echo "# --- $label"
    "$@" >"$log" 2>&1
    status=$?
    cat "$log"
    p=$(grep -c '^ok - ' "$log")
    f=$(grep -c '^not ok - ' "$log")
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $label exited with status $status"
        f=1
    fi
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $label ran no test"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
}

for t in "$@"; do
    run "$t" "$BUILD_DIR/unit/$t"
done

if [ -r "$VECTORS" ]; then
    run "test_vectors" "$BUILD_DIR/vectors/test_vectors" "$VECTORS"
else
    echo "not ok - spec vectors not found at '$VECTORS' (set WA_VECTORS)"
    failed=$((failed + 1))
fi

run "test-cli.sh" env WA_VERIFY="$BUILD_DIR/webauthn-verify" \
    WA_SOFTAUTH="$BUILD_DIR/wa-softauth" \
    WA_TEST_VECTORS="$BUILD_DIR/vectors/test_vectors" \
    WA_VECTORS="$VECTORS" sh tests/cli/test-cli.sh

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
