#!/bin/sh
# Runs the libFuzzer targets one after the other (never two at once: the
# machine is shared) and prints a summary table.  Called by mk/fuzz.mk.
#
#   sh fuzz/run.sh smoke DIR SECONDS TARGET...
#       each target for SECONDS over a fresh copy of fuzz/corpus/TARGET in
#       DIR/corpus/TARGET (the committed seeds are never written)
#   sh fuzz/run.sh long DIR SECONDS TARGET...
#       each target for SECONDS; new inputs go to DIR/corpus-long/TARGET,
#       kept between runs; the committed seeds are read too
#   sh fuzz/run.sh merge DIR 0 TARGET...
#       add to fuzz/corpus/TARGET the inputs of DIR/corpus-long/TARGET that
#       reach new coverage, named cov-<sha1>
#
# Findings (crash, leak, timeout, out of memory) are saved as
# DIR/artifacts/TARGET/<kind>-<sha1>; the exit status is non-zero when any
# target had one.  Logs: DIR/logs/TARGET.log.  Environment: FUZZ_NICE
# (default "nice -n 10"), FUZZ_RSS_MB (2048), FUZZ_TIMEOUT (10).

set -u

if [ $# -lt 4 ]; then
    echo "usage: $0 smoke|long|merge DIR SECONDS TARGET..." >&2
    exit 2
fi

mode=$1
dir=$2
secs=$3
shift 3

nice_cmd=${FUZZ_NICE-"nice -n 10"}
rss=${FUZZ_RSS_MB:-2048}
timeout=${FUZZ_TIMEOUT:-10}
seeds=fuzz/corpus
dict=fuzz/webauthn.dict

UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export UBSAN_OPTIONS

mkdir -p "$dir/logs"

failed=""
summary=""

# libFuzzer's final statistics and its last status line.
stat() {
    sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

status_field() {
    grep -E '^#[0-9]+' "$2" | tail -n 1 \
        | sed -n "s/.* $1: \([^ ]*\).*/\1/p"
}

for t in "$@"; do
    bin=$dir/fuzz_$t
    log=$dir/logs/$t.log
    art=$dir/artifacts/$t

    if [ ! -x "$bin" ]; then
        echo "fuzz: $bin missing (run make fuzz)" >&2
        failed="$failed $t"
        continue
    fi

    mkdir -p "$art" "$seeds/$t"

    case $t in
    b64url) dict_opt="" ;;
    *)      dict_opt="-dict=$dict" ;;
    esac

    case $mode in
    smoke)
        corpus=$dir/corpus/$t
        rm -rf "$corpus"
        mkdir -p "$corpus"
        cp -R "$seeds/$t"/. "$corpus"/
        dirs=$corpus
        ;;
    long)
        corpus=$dir/corpus-long/$t
        mkdir -p "$corpus"
        dirs="$corpus $seeds/$t"
        ;;
    merge)
        corpus=$dir/corpus-long/$t
        if [ ! -d "$corpus" ]; then
            echo "fuzz: $corpus missing (run make fuzz-long first)" >&2
            continue
        fi
        before=$(ls "$seeds/$t" | wc -l)
        $nice_cmd "$bin" -merge=1 -rss_limit_mb="$rss" -timeout="$timeout" \
            "$seeds/$t" "$corpus" >"$log" 2>&1 || failed="$failed $t"
        for f in "$seeds/$t"/*; do
            b=$(basename "$f")
            case $b in
            ????????????????????????????????????????)
                mv "$f" "$seeds/$t/cov-$b" ;;
            esac
        done
        after=$(ls "$seeds/$t" | wc -l)
        echo "fuzz merge: $t: $before -> $after seeds"
        continue
        ;;
    *)
        echo "fuzz: unknown mode $mode" >&2
        exit 2
        ;;
    esac

    printf 'fuzz %s: %-20s %ss ... ' "$mode" "$t" "$secs"

    # shellcheck disable=SC2086
    $nice_cmd "$bin" -max_total_time="$secs" -rss_limit_mb="$rss" \
        -timeout="$timeout" -print_final_stats=1 \
        -artifact_prefix="$art/" $dict_opt $dirs >"$log" 2>&1
    rc=$?

    execs=$(stat number_of_executed_units "$log")
    rate=$(stat average_exec_per_sec "$log")
    peak=$(stat peak_rss_mb "$log")
    cov=$(status_field cov "$log")
    ft=$(status_field ft "$log")
    corp=$(status_field corp "$log")

    if [ $rc -eq 0 ]; then
        result=ok
        echo "ok (${execs:-?} execs, ${rate:-?}/s, cov ${cov:-?})"
    else
        result="FAIL($rc)"
        failed="$failed $t"
        echo "FAILED (exit $rc), log: $log"
        grep -E 'ERROR: |SUMMARY: |^    #[0-9]+ |Test unit written|artifact_prefix' \
            "$log" | head -n 40 | sed 's/^/    /'
    fi

    summary="$summary
$(printf '%-20s %-9s %12s %8s %6s %7s %-14s %6s' "$t" "$result" \
    "${execs:--}" "${rate:--}" "${cov:--}" "${ft:--}" "${corp:--}" \
    "${peak:--}")"
done

if [ "$mode" != merge ]; then
    echo
    printf '%-20s %-9s %12s %8s %6s %7s %-14s %6s\n' target result execs \
        'exec/s' cov ft corpus rss_mb
    echo "$summary" | sed '/^$/d'
fi

if [ -n "$failed" ]; then
    echo
    echo "fuzz $mode: findings or errors in:$failed"
    echo "reproduce: $dir/fuzz_<target> $dir/artifacts/<target>/<file>"
    exit 1
fi

exit 0
