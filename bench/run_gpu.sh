#!/usr/bin/env bash
# run_gpu.sh — the benchmark suite's GPU table, run on the GPU machine from
# the repo root (no Go, no network there). It needs what `make gpu-build`
# and `make bench-gpu-build` put in bin/gpu/ (gputrain-cuda, bench-runner)
# and the references in bench/reference/ (PyTorch and JAX must be
# importable by python3). The Markdown table goes to stdout and to
# $OUT/bench.md, raw results to $OUT/bench.json (both rewritten after every
# workload), one line per workload to stdout as it finishes, the
# references' logs to $BENCH_LOGS.
#
#   bash bench/run_gpu.sh                 # all workloads and kernels, 5 repetitions
#   BENCH_REPS=3 BENCH_BUDGET=120s bash bench/run_gpu.sh
#
# Environment: PYTHON (default python3), BENCH_REPS (5), BENCH_BUDGET
# (150s: the whole run's limit, first repetitions included), BENCH_LOGS
# (default $OUT/bench-logs), BENCH_ARGS (extra bench-runner flags, e.g.
# --workloads w1,w4 or --no-kernels).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gputrain-bench-out}
LOGS=${BENCH_LOGS:-$OUT/bench-logs}
mkdir -p "$OUT" "$LOGS"
# GPU_BIN: where the binaries are (gpu-check.sh unpacks bin/gpu's there).
GPU_BIN=${GPU_BIN:-bin/gpu}
for f in "$GPU_BIN/bench-runner" "$GPU_BIN/gputrain-cuda"; do
	if [ ! -x "$f" ]; then
		echo "run_gpu.sh: $f is missing: run make gpu-build bench-gpu-build on the build machine and carry bin/gpu" >&2
		exit 2
	fi
done
PYTHON=${PYTHON:-python3}
echo "run_gpu.sh: $(date -u +%FT%TZ), $("$PYTHON" --version 2>&1)" >&2
# The data (W4 alone is 1 GiB) go to local disk, removed afterwards.
exec "$GPU_BIN/bench-runner" --profile gpu \
	--gputrain "$GPU_BIN/gputrain-cuda" --python "$PYTHON" --refs bench/reference \
	--reps "${BENCH_REPS:-5}" --budget "${BENCH_BUDGET:-150s}" \
	--out "$OUT/bench.md" --json "$OUT/bench.json" --logs "$LOGS" \
	${BENCH_ARGS:-}
