#!/bin/sh
# Source-based coverage of the wa core by the fuzz corpus: rebuilds every
# target with clang's coverage instrumentation (no sanitizers), replays
# the committed seeds plus whatever fuzz-long collected
# ($FUZZ_DIR/corpus-long, default build/fuzz), once each, and prints llvm-cov's per-file
# report for the core sources.  Called by `make fuzz-coverage`.
#
#   sh fuzz/coverage.sh OUTDIR TARGET...
#
# Environment: FUZZ_NICE (default "nice -n 10"), CLANG (clang),
# LLVM_PROFDATA / LLVM_COV (llvm-profdata[-14] / llvm-cov[-14]).
# The HTML report is left in OUTDIR/html.

set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 OUTDIR TARGET..." >&2
    exit 2
fi

out=$1
shift

nice_cmd=${FUZZ_NICE-"nice -n 10"}
cc=${CLANG:-clang}
fuzz_dir=${FUZZ_DIR:-build/fuzz}

pick() {
    for t in "$@"; do
        if command -v "$t" >/dev/null 2>&1; then
            echo "$t"
            return
        fi
    done
    echo "fuzz coverage: none of $* found" >&2
    exit 1
}

profdata=${LLVM_PROFDATA:-$(pick llvm-profdata llvm-profdata-14)}
llvmcov=${LLVM_COV:-$(pick llvm-cov llvm-cov-14)}

core=ngx_http_webauthn_module/core
flags="-fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping -g -O1"
incs="-Iinclude -I$core -Ifuzz"
libs="-lssl -lcrypto -lcbor -ljansson"

rm -rf "$out"
mkdir -p "$out/obj" "$out/prof"

echo "fuzz coverage: building into $out"
for src in "$core"/*.c fuzz/fuzz_common.c fuzz/fuzz_vectors.c; do
    $nice_cmd $cc $flags $incs -c -o "$out/obj/$(basename "$src" .c).o" "$src"
done

objs=$(ls "$out"/obj/*.o)
bins=""

for t in "$@"; do
    $nice_cmd $cc $flags $incs -o "$out/fuzz_$t" "fuzz/fuzz_$t.c" $objs $libs
    bins="$bins -object $out/fuzz_$t"

    dirs=fuzz/corpus/$t
    if [ -d "$fuzz_dir/corpus-long/$t" ]; then
        dirs="$dirs $fuzz_dir/corpus-long/$t"
    fi

    # shellcheck disable=SC2086
    if LLVM_PROFILE_FILE="$out/prof/$t.profraw" $nice_cmd "$out/fuzz_$t" \
        -runs=0 -rss_limit_mb=2048 -timeout=30 $dirs >"$out/$t.log" 2>&1
    then
        echo "fuzz coverage: $t replayed"
    else
        # An input that still crashes stops the batch: replay one input
        # per process so that the others count.
        echo "fuzz coverage: $t: an input crashes (see make fuzz-smoke);" \
             "replaying one by one"
        rm -f "$out/prof/$t.profraw"
        # shellcheck disable=SC2086
        find $dirs -type f | while read -r f; do
            LLVM_PROFILE_FILE="$out/prof/$t-%p.profraw" $nice_cmd \
                "$out/fuzz_$t" -rss_limit_mb=2048 -timeout=30 "$f" \
                >>"$out/$t.log" 2>&1 || true
        done
    fi
done

$profdata merge -sparse "$out"/prof/*.profraw -o "$out/all.profdata"

first=$(echo "$bins" | awk '{print $2}')
rest=$(echo "$bins" | cut -d' ' -f4-)

# shellcheck disable=SC2086
$llvmcov report "$first" $rest -instr-profile="$out/all.profdata" \
    -ignore-filename-regex='fuzz/' "$core"/*.c | tee "$out/report.txt"

# shellcheck disable=SC2086
$llvmcov show "$first" $rest -instr-profile="$out/all.profdata" \
    -ignore-filename-regex='fuzz/' -format=html -output-dir="$out/html" \
    "$core"/*.c >/dev/null

echo "fuzz coverage: report $out/report.txt, html $out/html/index.html"
