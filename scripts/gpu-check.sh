#!/usr/bin/env bash
# gpu-check.sh — the GPU checks, run on the lent GPU machine (no Go, no
# network) from the repo root, with what `make gpu-build` put in bin/gpu/:
#
#   make gpu-check     # builds bin/gpu/ here and prints the device command:
#   run  command="bash bin/gpu/gpu-check.sh"  carry=["bin/gpu"]  timeout_s=360
#
# Steps (each with its own time limit, 270 s in all; a typical run on an
# H100 should take well under a minute):
# nvidia-smi summary, `gputrain-cuda devices`, the CUDA backend's tests
# (conformance suite + big gemm shapes + determinism + pool + sticky error),
# gemm benchmarks, the CPU/GPU parity run (in the tests, and through the
# CLI), and the training benchmarks when bench/run_gpu.sh exists. Full logs go to $OUT/gpu-check/; the last thing
# printed is a table: step or test → PASS/FAIL. Exit status 1 if anything
# failed.
set -u
G=$(cd "$(dirname "$0")" && pwd) # bin/gpu, wherever this is run from
LOGS=${OUT:-/tmp}/gpu-check
mkdir -p "$LOGS"
start_all=$(date +%s)
declare -a ROWS=()
failed=0

# step NAME TIMEOUT CMD...: runs CMD with its output in $LOGS/NAME.log.
step() {
	local name=$1 limit=$2
	shift 2
	local log="$LOGS/$name.log" t0 rc
	t0=$(date +%s)
	echo "== $name: $*"
	timeout -k 10 "$limit" "$@" >"$log" 2>&1
	rc=$?
	local secs=$(($(date +%s) - t0))
	if [ $rc = 0 ]; then
		ROWS+=("$(printf '%-44s PASS  %4ss' "$name" "$secs")")
	else
		failed=1
		local why="exit $rc"
		[ $rc = 124 ] || [ $rc = 137 ] && why="timed out after ${limit}s"
		ROWS+=("$(printf '%-44s FAIL  %4ss  (%s, see %s)' "$name" "$secs" "$why" "gpu-check/$name.log")")
	fi
	tail -n 15 "$log" | sed 's/^/    /'
	return $rc
}

# go_tests LOG: one table row per top-level test and per subtest of
# TestConformance from a -test.v log.
go_tests() {
	sed -n -E 's/^ *--- (PASS|FAIL|SKIP): ([^ ]+) \(([0-9.]+s)\)/\2 \1 \3/p' "$1" |
		while read -r name res secs; do
			printf '  %-42s %s  %5s\n' "$name" "$res" "$secs"
		done
}

echo "gpu-check: $(date -u +%FT%TZ) on $(hostname)"
{
	echo "== uname"; uname -a
	echo "== glibc"; ldd --version 2>&1 | head -1
	echo "== binaries"; ls -l "$G"
	echo "== ldd"; ldd "$G/gputrain-cuda" 2>&1
} >"$LOGS/environment.log" 2>&1

step nvidia-smi 20 bash -c 'nvidia-smi --query-gpu=index,name,compute_cap,memory.total,driver_version --format=csv && nvidia-smi'

step devices 40 "$G/gputrain-cuda" devices

# The CUDA backend's own tests: conformance (devicetest.Run), big gemms,
# determinism, buffer pool, sticky errors.
step cuda-tests 150 "$G/cuda.test" -test.v -test.timeout 140s
cuda_log="$LOGS/cuda-tests.log"

step gemm-bench 60 "$G/cuda.test" -test.run '^$' -test.bench Gemm -test.benchtime 20x

# Further test binaries gpu-build added (GPU_TEST_PKGS in cuda.mk).
for tb in "$G"/*.test; do
	[ "$tb" = "$G/cuda.test" ] && continue
	if [ $(($(date +%s) - start_all)) -gt 200 ]; then
		ROWS+=("$(printf '%-44s SKIP  (out of time)' "$(basename "$tb" .test)-tests")")
		continue
	fi
	name=$(basename "$tb" .test)-tests
	step "$name" 120 "$tb" -test.v -test.timeout 110s
done

# Parity: TestBiodegParity (in cuda-tests above) trains the workshop network
# for 3000 steps on cpu and cuda:0 and compares every step's loss (1e-4
# relative) and the confusion matrix. Here the same through the CLI users run:
step cli-train-cuda 60 "$G/gputrain-cuda" train --device cuda
step cli-train-cpu 60 "$G/gputrain-cuda" train --device cpu
if [ -f "$LOGS/cli-train-cuda.log" ] && [ -f "$LOGS/cli-train-cpu.log" ]; then
	# The printed losses must agree within 1e-4 relative (they print 6
	# significant digits, so the last may differ) and the confusion matrix
	# exactly.
	losses() { grep -E '^ +[0-9]+ +[0-9.e+-]+$' "$1"; }
	confusion() { grep -E '^ +(NRB|RB) ' "$1"; }
	if paste <(losses "$LOGS/cli-train-cpu.log") <(losses "$LOGS/cli-train-cuda.log") |
		awk 'NF != 4 || $1 != $3 { bad = 1 } { d = $2 - $4; if (d < 0) d = -d; m = $2 < 0 ? -$2 : $2; if (d > 1e-4 * m) bad = 1 } END { exit bad + (NR == 0) }' &&
		diff <(confusion "$LOGS/cli-train-cpu.log") <(confusion "$LOGS/cli-train-cuda.log") >"$LOGS/cli-parity.diff"; then
		ROWS+=("$(printf '%-44s PASS' "cli-parity (losses 1e-4, confusion equal)")")
	else
		failed=1
		ROWS+=("$(printf '%-44s FAIL  (compare cli-train-cpu.log and cli-train-cuda.log)' "cli-parity (losses 1e-4, confusion equal)")")
	fi
fi
# The benchmark suite's GPU table (gputrain vs PyTorch eager and CUDA graph,
# JAX jit and lax.scan), written to $OUT/bench.md.
if [ -x "$G/bench-runner" ] && [ -f "$G/../../bench/run_gpu.sh" ]; then
	step bench 150 env BENCH_REPS=3 BENCH_BUDGET=90s bash "$G/../../bench/run_gpu.sh"
fi

echo
echo "== gpu-check summary ($(($(date +%s) - start_all))s; logs in \$OUT/gpu-check/)"
for r in "${ROWS[@]}"; do echo "$r"; done
if [ -f "$cuda_log" ]; then
	echo "cuda tests:"
	go_tests "$cuda_log"
fi
if [ $failed = 0 ]; then echo "gpu-check: ALL PASS"; else echo "gpu-check: FAILURES"; fi
exit $failed
