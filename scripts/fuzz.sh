#!/usr/bin/env bash
# Fuzzes dlsp's readers of outside input (the targets of Sources/FuzzTargets; `all` for every one).
#
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]   e.g. scripts/fuzz.sh jsonrpc 60
#   scripts/fuzz.sh all 0 -runs=1000000                     a million executions of each target
#   FUZZ_MERGE=1 scripts/fuzz.sh TARGET ...                 then fold what the run found into Fuzz/corpus/TARGET,
#                                                           minimised (libFuzzer -merge=1), to be committed
#   FUZZ_MODE=loop scripts/fuzz.sh TARGET SECONDS           the seeded mutation loop even where libFuzzer exists
#
# With libFuzzer (the toolchain's libclang_rt.fuzzer; Swift on Linux ships it) the targets are built with
# coverage-guided fuzzing and the address sanitizer into .build/fuzz; each run starts from the committed corpus and
# regressions, grows a working corpus under .build/fuzz-corpus, and leaves crashes, hangs (> 1 s) and sanitizer
# reports in Fuzz/findings/. Without libFuzzer it falls back to dlsp-fuzz's seeded mutation loop (no coverage
# guidance, no sanitizer) and says so. A fixed finding becomes a regression: move it to Fuzz/regressions/TARGET.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
target=$1; seconds=$2; shift 2

# Every target has a committed corpus directory named after it, and FuzzTargetsTests checks that these directories
# are exactly FuzzTarget's cases, so they list the targets without building anything. An unknown name is refused
# here, before the build: libFuzzer would report the binary's refusal of it as a finding.
known=$(ls Fuzz/corpus)
targets=
for t in $known; do [ "$t" = "$target" ] && targets=$t; done
[ "$target" = all ] && targets=$known
if [ -z "$targets" ]; then
    echo "fuzz.sh: unknown target '$target'" >&2
    echo "targets: $(echo $known) (or all)" >&2
    exit 2
fi
mkdir -p Fuzz/findings

runtime=$(dirname "$(readlink -f "$(command -v swift)")")/../lib
if [ "${FUZZ_MODE:-}" != loop ] && { ls "$runtime"/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1 \
        || ls "$runtime"/swift/clang/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1; }; then
    mode=libfuzzer
    echo "==> building the fuzz targets with libFuzzer and the address sanitizer (.build/fuzz)" >&2
    swift build --scratch-path .build/fuzz --product dlsp-fuzz \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DDLSP_LIBFUZZER 2>&1 | grep -E 'error|warning: unre|Compiling dlsp|Build' >&2 || true
    binary=.build/fuzz/debug/dlsp-fuzz
else
    mode=loop
    echo "==> the seeded mutation loop (FUZZ_MODE=loop, or no libFuzzer in this toolchain): no coverage guidance, no sanitizer" >&2
    swift build --product dlsp-fuzz 2>&1 | grep -E 'error|Build' >&2 || true
    binary=.build/debug/dlsp-fuzz
fi
[ -x "$binary" ] || { echo "fuzz.sh: the build failed" >&2; exit 1; }

status=0
for t in $targets; do
    if [ "$mode" = loop ]; then
        # The loop takes libFuzzer's -runs= and -seed= as its own --runs and --seed; 0 seconds means an hour.
        loop_args=(--seconds "$seconds")
        [ "$seconds" = 0 ] && loop_args=(--seconds 3600)
        for option in "$@"; do
            case $option in
                -runs=*) loop_args+=(--runs "${option#-runs=}") ;;
                -seed=*) loop_args+=(--seed "${option#-seed=}") ;;
                *) echo "fuzz.sh: $option needs libFuzzer; ignored by the mutation loop" >&2 ;;
            esac
        done
        "$binary" run "$t" "${loop_args[@]}" || status=1
        continue
    fi
    work=.build/fuzz-corpus/$t
    mkdir -p "$work" "Fuzz/regressions/$t"
    log=.build/fuzz-corpus/$t.log
    limit=()
    [ "$seconds" != 0 ] && limit=(-max_total_time="$seconds")
    echo "==> $t" >&2
    # No leak report at exit: the fixtures and Swift's runtime caches live for the whole process by design.
    if ! ASAN_OPTIONS=detect_leaks=0 DLSP_FUZZ_TARGET=$t "$binary" "${limit[@]}" -timeout=1 -rss_limit_mb=4096 -malloc_limit_mb=2048 \
            -max_len=16384 -print_final_stats=1 -artifact_prefix="Fuzz/findings/$t-" "$@" \
            "$work" "Fuzz/corpus/$t" "Fuzz/regressions/$t" >"$log" 2>&1; then
        status=1
        echo "    FINDING: see $log and Fuzz/findings/$t-*" >&2
        grep -E 'ERROR|finding:|Fatal error|SUMMARY' "$log" | head -5 >&2 || true
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
    echo "$t: ${runs:-?} executions, ${rate:-?} exec/s, peak RSS ${rss:-?} MB, $cov, corpus $(ls "$work" | wc -l) inputs" 
    if [ "${FUZZ_MERGE:-0}" = 1 ]; then
        ASAN_OPTIONS=detect_leaks=0 DLSP_FUZZ_TARGET=$t "$binary" -merge=1 -max_len=16384 "Fuzz/corpus/$t" "$work" >>"$log" 2>&1
        echo "    Fuzz/corpus/$t now has $(ls "Fuzz/corpus/$t" | wc -l) inputs" >&2
    fi
done
exit $status
