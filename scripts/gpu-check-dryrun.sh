#!/usr/bin/env bash
# gpu-check-dryrun.sh — runs bin/gpu/gpu-check.sh here, with the CPU
# emulator of the kernels (bin/fakecuda.so, make cuda-emu) as the CUDA
# driver and a fake $OUT, and checks what a device call would bring back:
# the run ends within its budget, $OUT holds at most 4 plain files with
# plain names, and the last 12,000 characters of output hold the PASS/FAIL
# table, the parity line and one line per benchmark workload.
#
#   scripts/gpu-check-dryrun.sh              # a normal run
#   scripts/gpu-check-dryrun.sh cuda-tests   # that step hangs: it must be stopped at its share and named
#
# Needs make gpu-build and make cuda-emu. Environment: GPU_CHECK_BUDGET
# (seconds, default 120). The emulator runs every GPU thread on the CPU
# (a W1 step takes seconds), so this checks the run's mechanics, not the
# backend (make cuda-emu-test does that): the parity runs are 2 and 3 steps,
# the backend tests three quick ones (all of them when a step is made to
# hang, so that it hangs inside one), the gemm benchmark the 256² one once,
# and the budget stops the benchmark suite in its first workload.
set -euo pipefail
cd "$(dirname "$0")/.."
hang=${1:-}
budget=${GPU_CHECK_BUDGET:-120}
bash bin/gpu/gpu-check.sh --unpack 2>/dev/null || true
for f in bin/gpu/gpu-check.sh build/gpu-bin/gputrain-cuda build/gpu-bin/cuda.test build/gpu-bin/bench-runner bin/fakecuda.so; do
	[ -e "$f" ] || { echo "gpu-check-dryrun: $f is missing (make gpu-build cuda-emu)" >&2; exit 2; }
done
out=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$out" "$log"' EXIT
echo "gpu-check-dryrun: budget ${budget}s${hang:+, step $hang made to hang}"
t0=$(date +%s)
rc=0
tests='-parity-steps 2'
[ -n "$hang" ] || tests="$tests -test.run ^(TestListAndDescribe|TestCounts|TestPoolReuse)\$"
env OUT="$out" GPUTRAIN_LIBCUDA="$PWD/bin/fakecuda.so" GPU_CHECK_BUDGET="$budget" \
	GPU_CHECK_TEST_ARGS="$tests" \
	GPU_CHECK_GEMM_ARGS='-test.bench Gemm/256$ -test.benchtime 1x' GPU_CHECK_TRAIN_ARGS='--steps 2' \
	${hang:+GPU_CHECK_HANG=$hang:1} bash bin/gpu/gpu-check.sh >"$log" 2>&1 || rc=$?
wall=$(($(date +%s) - t0))
tail=$(tail -c 12000 "$log")

bad=0
fail() {
	echo "FAIL: $*"
	bad=1
}
echo "wall time ${wall}s (budget ${budget}s), exit status $rc; \$OUT:"
ls -l "$out" | sed 's/^/  /'
[ "$wall" -le $((budget + 15)) ] || fail "took ${wall}s, over the ${budget}s budget"
n=$(find "$out" -mindepth 1 | wc -l)
[ "$n" -le 4 ] || fail "$n entries in \$OUT, want at most 4"
if find "$out" -mindepth 1 ! -type f | grep -q .; then fail "\$OUT holds something other than plain files"; fi
if find "$out" -mindepth 1 -printf '%f\n' | grep -qv '^[A-Za-z0-9._-]*$'; then fail "a name in \$OUT has other characters than [A-Za-z0-9._-]"; fi
[ -s "$out/gpu-check-summary.txt" ] || fail "no summary file"
tar -tzf "$out/gpu-check-logs.tar.gz" >/dev/null 2>&1 || fail "no readable log archive"
want() { grep -Eq "$1" <<<"$tail" || fail "the output's tail lacks $2"; }
want '^== gpu-check summary \(finished\)' "the finished summary"
want '^devices +PASS' "a PASS row for the devices step"
want '^gpu-check: (ALL PASS|FAILURES)' "the verdict"
want '^parity: TestBiodegParity ' "the parity line"
if grep -Eq '^cuda-parity +PASS' <<<"$tail"; then
	want '^parity: TestBiodegParity PASS: largest relative loss difference' "the parity figure"
fi
for w in w1 w2 w3 w4; do want "^bench $w: " "the line of workload $w"; done
if [ -n "$hang" ]; then
	want "^$hang +FAIL .*timed out after" "the hung step $hang, stopped at its share"
	case $hang in cuda-*) want "^$hang +FAIL .*hung in Test" "the test that hung" ;; esac
fi
echo "---- the output's tail from the summary on:"
sed -n '/^== gpu-check summary (finished)/,$p' <<<"$tail"
echo "----"
if [ $bad = 0 ]; then echo "gpu-check-dryrun: OK"; else echo "gpu-check-dryrun: FAILED"; fi
exit $bad
