#!/bin/bash
# fuzz/run.sh - run the libFuzzer targets that `make fuzz` built, each for a
# bounded time, and fail when one crashes, leaks, times out or runs out of
# memory, naming the input that did it.
#
#   fuzz/run.sh [NAME...]        NAME: range, units, series, ... (default: all)
#
# Environment:
#   FUZZ_SECONDS  seconds per target (default 60; 0 only replays the corpora)
#   FUZZ_TIMEOUT  seconds one input may take before it counts as a hang (10)
#   FUZZ_WORKDIR  where inputs found are kept between runs, logs too
#                 (default fuzz/work; the seeds in fuzz/corpus/NAME are never
#                 written to)
#
# A failing input is saved as fuzz/crashes/NAME-crash-<sha1> (or leak-,
# timeout-, oom-); replay it with fuzz/fuzz_NAME FILE.  Each target runs with
# TMPDIR set to a fresh directory (the targets that parse files write them
# there), removed afterwards.
set -u
cd "$(dirname "$0")/.." || exit 2

seconds=${FUZZ_SECONDS:-60}
timeout=${FUZZ_TIMEOUT:-10}
work=${FUZZ_WORKDIR:-fuzz/work}
crashes=fuzz/crashes

case "$seconds$timeout" in
*[!0-9]*)
	echo "fuzz: FUZZ_SECONDS and FUZZ_TIMEOUT must be whole seconds" >&2
	exit 2
	;;
esac

if [ "$#" -gt 0 ]; then
	names=("$@")
else
	names=()
	for d in fuzz/corpus/*/; do
		names+=("$(basename "$d")")
	done
fi
for name in "${names[@]}"; do
	if [ ! -x "fuzz/fuzz_$name" ]; then
		echo "fuzz: fuzz/fuzz_$name is not built: run 'make fuzz' first" >&2
		exit 2
	fi
done

# Scratch files on tmpfs when there is one: the file targets fsync.
scratch_base=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && scratch_base=/dev/shm

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

mkdir -p "$work" "$crashes"
failed=()
summary=()
start_all=$SECONDS
for name in "${names[@]}"; do
	corpus="$work/corpus/$name"
	log="$work/$name.log"
	dict=()
	[ -f "fuzz/$name.dict" ] && dict=("-dict=fuzz/$name.dict")
	if [ "$seconds" -eq 0 ]; then
		limit=(-runs=0)
	else
		limit=("-max_total_time=$seconds")
	fi
	mkdir -p "$corpus"
	tmp=$(mktemp -d "$scratch_base/trendtrap-fuzz-$name.XXXXXX")
	echo "fuzz: $name (${seconds}s)"
	TMPDIR=$tmp "fuzz/fuzz_$name" "${limit[@]}" "-timeout=$timeout" -rss_limit_mb=2048 \
		-print_final_stats=1 "-artifact_prefix=$crashes/$name-" "${dict[@]}" \
		"$corpus" "fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	rm -rf "$tmp"
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(sed -n 's/^#[0-9]*[[:space:]]*DONE[[:space:]]*cov: \([0-9]*\).*/\1/p' "$log" | tail -1)
	if [ "$rc" -ne 0 ]; then
		failed+=("$name")
		summary+=("$(printf '%-10s FAILED (exit %d)' "$name" "$rc")")
		echo "fuzz: $name FAILED (exit $rc); the end of $log:" >&2
		tail -n 40 "$log" | sed 's/^/    /' >&2
		input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		if [ -n "$input" ]; then
			echo "fuzz: the failing input is $input" >&2
			echo "fuzz: replay it with: fuzz/fuzz_$name $input" >&2
		fi
	else
		summary+=("$(printf '%-10s ok  %10s runs  %7s exec/s  cov %s' "$name" "${runs:-?}" \
			"${rate:-?}" "${cov:-?}")")
	fi
done

echo "fuzz: summary ($((SECONDS - start_all)) s in all)"
printf '    %s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
	echo "fuzz: failed: ${failed[*]} (inputs in $crashes/)" >&2
	exit 1
fi
