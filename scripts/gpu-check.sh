#!/usr/bin/env bash
# gpu-check.sh — every GPU check in one call of the lent GPU machine (no Go,
# no network there), from the repo root, with what `make gpu-build` put in
# bin/gpu/:
#
#   make gpu-check     # builds bin/gpu/ here and prints the device command:
#   run  command="GPU_CHECK_BUDGET=300 bash bin/gpu/gpu-check.sh"  carry=["bin/gpu"]  timeout_s=330
#
# One time budget for the whole run (GPU_CHECK_BUDGET seconds, default 300);
# each step gets at most its cap (a part of the budget) and never more than
# the budget leaves after what the last step (the out-of-memory test) and
# the summary need. Steps:
# nvidia-smi; `gputrain-cuda devices` (without a device the run stops
# there); the CPU/GPU parity test; the CUDA backend's other tests
# (conformance, big gemms, determinism, pool, counts); gemm benchmarks; the
# parity through the CLI; the benchmark suite (bench/run_gpu.sh, bounded by
# what is left); last, in its own process, the test that exhausts device
# memory.
#
# $OUT receives at most 4 files, each rewritten as the run goes, so a run
# cut short keeps what it measured:
#   gpu-check-summary.txt   the PASS/FAIL table (after every step)
#   gpu-check-logs.tar.gz   every step's full log (after every step)
#   bench.md, bench.json    the benchmark table and raw results (after every workload)
# The summary is also the last thing printed: the step table, the tests
# (naming one that hung), the parity figures and one line per benchmark
# workload. Exit status 1 if anything failed.
#
# Environment, for runs on the CPU emulator (scripts/gpu-check-dryrun.sh):
# GPU_CHECK_BUDGET (seconds, default 300); GPU_CHECK_TEST_ARGS (extra flags
# for the test binaries, before each step's own -test.run, e.g.
# -parity-steps 200); GPU_CHECK_GEMM_ARGS (default: -test.bench Gemm
# -test.benchtime 20x); GPU_CHECK_TRAIN_ARGS (extra flags for the CLI parity
# runs, e.g. --steps 3); GPU_CHECK_BENCH_ARGS (extra bench-runner flags);
# GPU_CHECK_HANG=STEP[:SECS] freezes that step's process SECS (default 2)
# seconds after it starts, to check that a hung step is stopped at its
# share and named.
set -u
G=$(cd "$(dirname "$0")" && pwd) # bin/gpu, wherever this is run from
ROOT=$(cd "$G/../.." && pwd)
# The binaries travel gzip-compressed (the device tool carries at most 64
# MiB); they are unpacked beside the tree, not into bin/gpu, so that a dry
# run here leaves bin/gpu small enough to carry.
B=$ROOT/build/gpu-bin
unpack() {
	mkdir -p "$B" || return 1
	local z f
	for z in "$G"/*.gz; do
		[ -e "$z" ] || continue
		f=$B/$(basename "$z" .gz)
		if [ ! -x "$f" ] || [ "$z" -nt "$f" ]; then
			gzip -dc "$z" >"$f.tmp" && chmod +x "$f.tmp" && mv "$f.tmp" "$f" || return 1
		fi
	done
}
if ! unpack; then
	echo "gpu-check: cannot unpack the binaries of $G into $B" >&2
	exit 2
fi
[ "${1:-}" = --unpack ] && exit 0
BUDGET=${GPU_CHECK_BUDGET:-300}
OUTDIR=${OUT:-/tmp/gpu-check-out}
mkdir -p "$OUTDIR"
SUMMARY=$OUTDIR/gpu-check-summary.txt
ARCHIVE=$OUTDIR/gpu-check-logs.tar.gz
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check-logs.XXXXXX")
trap 'rm -rf "$LOGS"' EXIT
GRACE=5        # seconds between a step's TERM and its KILL
OOM_SHARE=$((BUDGET * 7 / 100 > 10 ? BUDGET * 7 / 100 : 10)) # kept for the last step, the out-of-memory test
WORKLOADS="w1 w2 w3 w4"
OOM_TEST=TestStickyError
PARITY_TEST=TestBiodegParity
read -r -a TEST_ARGS <<<"${GPU_CHECK_TEST_ARGS:-}"
read -r -a GEMM_ARGS <<<"${GPU_CHECK_GEMM_ARGS:--test.bench Gemm -test.benchtime 20x}"
read -r -a TRAIN_ARGS <<<"${GPU_CHECK_TRAIN_ARGS:-}"
start_all=$(date +%s)
declare -a ROWS=()
failed=() # names of the steps that failed
reserve=$((OOM_SHARE + GRACE))
stopped_why=""

elapsed() { echo $(($(date +%s) - start_all)); }

# share PCT [MIN]: the seconds the next step may take: PCT percent of the
# budget (at least MIN seconds, default 5), or what the budget leaves after
# the reserve if that is less; 0 if that is below MIN.
share() {
	local left=$((BUDGET - $(elapsed) - reserve - GRACE)) min=${2:-5} cap=$((BUDGET * $1 / 100))
	cap=$((cap > min ? cap : min))
	local s=$((cap < left ? cap : left))
	[ "$s" -ge "$min" ] || s=0
	echo "$s"
}

row() { ROWS+=("$(printf '%-26s %-5s %5s  %s' "$1" "$2" "$3" "${4:-}")"); }

# hung LOG: the innermost Go test that started and never finished.
hung() {
	awk '/^=== RUN/ { run[$3] = NR } /^ *--- (PASS|FAIL|SKIP):/ { delete run[$3] }
		END { for (k in run) if (run[k] > m) { m = run[k]; best = k }; print best }' "$1"
}

# step NAME LIMIT CMD...: runs CMD for at most LIMIT seconds (0: skipped,
# out of time) with its output in $LOGS/NAME.log, adds a table row, and
# saves the summary and the logs.
step() {
	local name=$1 limit=$2
	shift 2
	local log="$LOGS/$name.log" t0 rc why in
	if [ "$limit" = 0 ]; then
		row "$name" SKIP "" "(out of time)"
		save
		return 125
	fi
	echo "== $name (≤ ${limit}s): $*"
	t0=$(date +%s)
	local hang=${GPU_CHECK_HANG:-}
	if [ -n "$hang" ] && [ "${hang%%:*}" = "$name" ]; then
		local after=2
		[[ $hang == *:* ]] && after=${hang#*:}
		echo "   (GPU_CHECK_HANG: frozen ${after}s after it starts)"
		timeout -k "$GRACE" "$limit" bash -c '"${@:2}" & p=$!; sleep "$1"; kill -STOP "$p"; wait "$p"' hang "$after" "$@" >"$log" 2>&1
	else
		timeout -k "$GRACE" "$limit" "$@" >"$log" 2>&1
	fi
	rc=$?
	local secs=$(($(date +%s) - t0))
	if [ $rc = 0 ]; then
		row "$name" PASS "${secs}s"
	else
		failed+=("$name")
		why="exit $rc" in="died in"
		if [ $rc = 124 ] || [ $rc = 137 ]; then
			why="timed out after ${limit}s" in="hung in"
		elif grep -q '^panic: test timed out after' "$log"; then
			why="Go test timeout" in="hung in"
		fi
		local h
		h=$(grep -q '^=== RUN' "$log" && hung "$log")
		[ -n "$h" ] && why="$why; $in $h"
		row "$name" FAIL "${secs}s" "($why; $name.log)"
	fi
	tail -n 5 "$log" | cut -c1-200 | sed 's/^/    /'
	save
	return $rc
}

# gotests NAME PCT ARGS...: a step running the CUDA test binary with a Go
# test timeout just inside the step's share, so that Go names a test that
# hangs.
gotests() {
	local name=$1 lim
	lim=$(share "$2")
	shift 2
	step "$name" "$lim" "$B/cuda.test" -test.v -test.timeout "$((lim > 3 ? lim - 3 : 1))s" "${TEST_ARGS[@]}" "$@"
}

# tests STEP: a line per top-level test of the step's log, the failing
# subtests, the counts, and a test that hung.
tests() {
	[ -f "$LOGS/$1.log" ] || return
	awk -v step="$1" '/^ *--- (PASS|FAIL|SKIP):/ {
			res = substr($2, 1, 4); n[res]++
			if ($0 ~ /^---/ || res == "FAIL") printf "  %-48s %s %s\n", $3, res, $4
		}
		END { printf "  (%s: %d passed, %d failed, %d skipped, subtests included)\n", step, n["PASS"], n["FAIL"], n["SKIP"] }' "$LOGS/$1.log"
	local h
	h=$(hung "$LOGS/$1.log")
	[ -n "$h" ] && printf '  %-48s HUNG (running when the step was stopped or died)\n' "$h"
}

# parity: the parity figures, from the test and from the CLI.
parity() {
	local log=$LOGS/cuda-parity.log fig
	fig=$([ -f "$log" ] && sed -n 's/.*\(largest relative loss difference .*\)/\1/p' "$log" | tail -n 1)
	if [ -n "$fig" ]; then
		local res=FAIL
		grep -q "^--- PASS: $PARITY_TEST" "$log" && res=PASS
		echo "parity: $PARITY_TEST $res: $fig (limit 1e-4, confusion matrices equal required)"
	else
		echo "parity: $PARITY_TEST gave no figure (cuda-parity: ${parity_why:-not run})"
	fi
	[ -n "${cli_parity:-}" ] && echo "parity: $cli_parity"
}

# save: rewrites the summary file and the log archive.
save() {
	summary >"$SUMMARY.tmp" && mv "$SUMMARY.tmp" "$SUMMARY"
	tar -czf "$ARCHIVE.tmp" -C "$LOGS" . 2>/dev/null && mv "$ARCHIVE.tmp" "$ARCHIVE"
}

summary() {
	local state="finished"
	[ -z "${done_all:-}" ] && state="running"
	echo "== gpu-check summary ($state): $(elapsed)s of a ${BUDGET}s budget, $(date -u +%FT%TZ)"
	[ -n "$stopped_why" ] && echo "STOPPED: $stopped_why"
	printf '%-26s %-5s %5s\n' step result time
	for r in "${ROWS[@]}"; do echo "$r"; done
	if [ -f "$LOGS/cuda-parity.log" ] || [ -f "$LOGS/cuda-tests.log" ] || [ -f "$LOGS/oom-test.log" ]; then
		echo "cuda tests:"
		for s in cuda-parity cuda-tests oom-test; do tests "$s"; done
	fi
	parity
	for w in $WORKLOADS; do
		local l="bench $w: not run yet"
		if [ -f "$LOGS/bench.log" ]; then
			l=$(grep -m1 "^bench $w:" "$LOGS/bench.log" || echo "bench $w: no result (the bench step ended before it)")
		elif [ -n "${done_all:-}" ]; then
			l="bench $w: not run (the bench step did not run)"
		fi
		echo "$l"
	done | cut -c1-400
	if [ -f "$LOGS/bench.log" ]; then
		echo "bench: gputrain timed in $(grep -cE '^bench w[0-9]+: gputrain \([^)]*\) [0-9.,]+ (µ|m)?s/step' "$LOGS/bench.log") of the $(echo $WORKLOADS | wc -w) workloads$([ -f "$OUTDIR/bench.md" ] && echo "; the table is in bench.md")"
	fi
	if [ -n "${done_all:-}" ]; then
		if [ ${#failed[@]} = 0 ]; then echo "gpu-check: ALL PASS"; else echo "gpu-check: FAILURES: ${failed[*]}"; fi
		echo "files in \$OUT: $(cd "$OUTDIR" && ls | tr '\n' ' ')(full logs in gpu-check-logs.tar.gz)"
	fi
}

echo "gpu-check: $(date -u +%FT%TZ) on $(hostname), budget ${BUDGET}s"
{
	echo "== uname"; uname -a
	echo "== glibc"; ldd --version 2>&1 | head -1
	echo "== binaries"; ls -l "$G"
	echo "== ldd"; ldd "$B/gputrain-cuda" 2>&1
	echo "== environment"; env | grep -E '^(GPU_CHECK|GPUTRAIN|CUDA|FAKECUDA)' | sort
} >"$LOGS/environment.log" 2>&1

if command -v nvidia-smi >/dev/null; then
	step nvidia-smi "$(share 5)" bash -c 'nvidia-smi --query-gpu=index,name,compute_cap,memory.total,driver_version --format=csv && nvidia-smi'
else
	row nvidia-smi SKIP "" "(not installed)"
fi

# Without a usable device nothing else can pass: stop here.
if ! step devices "$(share 10)" "$B/gputrain-cuda" devices; then
	[ -f "$LOGS/devices.log" ] || failed+=(devices)
	stopped_why="no usable CUDA device: $(tail -n 1 "$LOGS/devices.log" 2>/dev/null | cut -c1-200); the other steps were not run"
	done_all=1
	save
	echo
	summary
	exit 1
fi

# The CPU/GPU parity test first: the workshop network for 3000 steps on
# cpu and cuda:0, every step's loss within 1e-4 relative.
gotests cuda-parity 20 -test.run "^$PARITY_TEST\$"
parity_why=${ROWS[-1]}
parity_why=$(echo "$parity_why" | awk '{$1=""; print}' | sed 's/^ *//')

# The rest of the backend's tests (the memory-exhausting one runs last).
gotests cuda-tests 30 -test.skip "^($PARITY_TEST|$OOM_TEST)\$"

step gemm-bench "$(share 10)" "$B/cuda.test" -test.run '^$' "${GEMM_ARGS[@]}"

# Parity through the CLI users run: the printed losses within 1e-4
# relative (6 significant digits are printed) and the confusion matrices
# equal.
step cli-train-cuda "$(share 15)" "$B/gputrain-cuda" train --device cuda "${TRAIN_ARGS[@]}"
step cli-train-cpu "$(share 10)" "$B/gputrain-cuda" train --device cpu "${TRAIN_ARGS[@]}"
if [ -s "$LOGS/cli-train-cuda.log" ] && [ -s "$LOGS/cli-train-cpu.log" ]; then
	losses() { grep -E '^ +[0-9]+ +[0-9.e+-]+$' "$1"; }
	confusion() { grep -E '^ +(NRB|RB) ' "$1"; }
	worst=$(paste <(losses "$LOGS/cli-train-cpu.log") <(losses "$LOGS/cli-train-cuda.log") |
		awk 'NF != 4 || $1 != $3 { bad = 1 } { d = $2 - $4; if (d < 0) d = -d; m = $2 < 0 ? -$2 : $2; r = m > 0 ? d / m : d; if (r > w) w = r }
			END { if (bad || NR == 0) print "mismatch"; else printf "%d %.2g\n", NR, w }')
	if [ "$worst" != mismatch ] && awk -v w="${worst#* }" 'BEGIN { exit !(w <= 1e-4) }' &&
		diff <(confusion "$LOGS/cli-train-cpu.log") <(confusion "$LOGS/cli-train-cuda.log") >"$LOGS/cli-parity.diff"; then
		cli_parity="CLI train --device cuda vs cpu PASS: ${worst%% *} printed losses, largest relative difference ${worst#* } (limit 1e-4), confusion matrices equal"
		row cli-parity PASS ""
	else
		cli_parity="CLI train --device cuda vs cpu FAIL: losses ${worst} (limit 1e-4) or the confusion matrices differ (cli-train-*.log, cli-parity.diff)"
		row cli-parity FAIL "" "(see cli-train-cpu.log, cli-train-cuda.log)"
		failed+=(cli-parity)
	fi
	save
fi

# The benchmark suite's GPU table (gputrain vs PyTorch eager and CUDA graph,
# JAX jit and lax.scan) with what the budget leaves; the runner stops
# itself 10 s before the step's limit.
if [ -x "$B/bench-runner" ] && [ -f "$ROOT/bench/run_gpu.sh" ]; then
	lim=$(share 100 $((BUDGET * 15 / 100)))
	step bench "$lim" env OUT="$OUTDIR" GPU_BIN="$B" BENCH_LOGS="$LOGS/bench-logs" BENCH_REPS=3 BENCH_BUDGET="$((lim - 10))s" \
		BENCH_ARGS="--no-kernels ${GPU_CHECK_BENCH_ARGS:-}" bash "$ROOT/bench/run_gpu.sh"
else
	row bench SKIP "" "(bin/gpu/bench-runner or bench/run_gpu.sh missing)"
fi

# Last, in its own process: exhaust device memory and check the error sticks.
reserve=0
gotests oom-test 100 -test.run "^$OOM_TEST\$"

done_all=1
save
echo
summary
[ ${#failed[@]} = 0 ]
