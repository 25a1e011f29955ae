#!/usr/bin/env bash
# CI for the CUDA build (called by .ci/run; needs no GPU). It installs the
# CUDA toolkit if missing (make install-cuda), then:
#   - vets and builds everything with -tags cuda, compiles the GPU test
#     binaries (make gpu-build, which also enforces the 60 MiB carry limit);
#   - checks that the committed PTX matches kernels/*.cu and assembles
#     (make check-ptx);
#   - checks the preflight: the CUDA binary has no link-time dependency on
#     libcuda.so.1 and, on this GPU-less machine, exits with status 3 and our
#     one-line message (not gorgonia.org/cu's, not a loader error, not a crash);
#   - runs the CUDA backend's tests on the CPU emulator (make cuda-emu-test:
#     the kernels compiled as C++ behind a stand-in libcuda), the preflight's
#     other messages, a short training run on the emulated device, and a
#     sweep spread over two emulated devices (make sweep-emu-test);
#   - dry-runs make gpu-check's one device call on the emulator with a fake
#     $OUT, normally and with a step made to hang, on short budgets
#     (scripts/gpu-check-dryrun.sh: within budget, ≤ 4 files, the summary's
#     table, parity line and one line per workload in the output's tail).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

echo "== CUDA toolkit"
make install-cuda

echo "== go vet -tags cuda"
go vet -tags cuda ./...

echo "== build (make cuda) and GPU test binaries (make gpu-build)"
make cuda
make gpu-build

echo "== committed PTX matches the sources (make check-ptx)"
make check-ptx

echo "== preflight"
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
bash bin/gpu/gpu-check.sh --unpack
for b in bin/gputrain-cuda build/gpu-bin/*.test; do
	if readelf -d "$b" | grep -q 'NEEDED.*libcuda'; then
		fail "$b links libcuda.so.1 directly (the preflight shim must satisfy gorgonia.org/cu's references; see cuda/preflight/doc.go)"
	fi
done
echo "ok: no DT_NEEDED libcuda in bin/gputrain-cuda and bin/gpu's *.test"

# expect_no_gpu WHAT PATTERN [ENV...]: the CUDA binary must exit 3 with one
# line of output, our preflight's, matching PATTERN.
expect_no_gpu() {
	local what=$1 pattern=$2
	shift 2
	local out rc=0
	out=$(env "$@" bin/gputrain-cuda devices 2>&1) || rc=$?
	if [ $rc = 0 ] && [ $# = 0 ] && echo "$out" | grep -q '^cuda:0'; then
		echo "skip ($what): this machine has a usable GPU:"
		echo "$out"
		return 0
	fi
	[ $rc = 3 ] || fail "$what: exit status $rc, want 3; output: $out"
	[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "$what: want one line, got: $out"
	echo "$out" | grep -Eq "^gputrain: no usable CUDA GPU: $pattern" || fail "$what: unexpected message: $out"
	echo "ok ($what): $out"
}
expect_no_gpu "this machine" '(no NVIDIA driver|no CUDA device|NVIDIA driver too old)'
expect_no_gpu "no driver library" 'no NVIDIA driver' GPUTRAIN_LIBCUDA=/nonexistent/libcuda.so.1

echo "== CUDA backend tests on the CPU emulator (make cuda-emu-test)"
make cuda-emu-test
echo "== a sweep spread over two emulated CUDA devices (make sweep-emu-test)"
make sweep-emu-test
fake=$PWD/bin/fakecuda.so
expect_no_gpu "emulated: no device" 'no CUDA device' GPUTRAIN_LIBCUDA="$fake" FAKECUDA_INIT=100
expect_no_gpu "emulated: none reported" 'no CUDA device' GPUTRAIN_LIBCUDA="$fake" FAKECUDA_DEVICES=0
expect_no_gpu "emulated: old driver" 'NVIDIA driver too old' GPUTRAIN_LIBCUDA="$fake" FAKECUDA_VERSION=11070
expect_no_gpu "emulated: stub library" 'no NVIDIA driver' GPUTRAIN_LIBCUDA="$fake" FAKECUDA_INIT=34
out=$(GPUTRAIN_LIBCUDA="$fake" bin/gputrain-cuda devices)
echo "$out" | grep -q '^cuda:0: ' || fail "devices on the emulator lists no cuda:0: $out"
GPUTRAIN_LIBCUDA="$fake" bin/gputrain-cuda train --device cuda --steps 10 --quiet >/dev/null ||
	fail "training 10 steps on the emulated cuda:0 failed"
echo "ok: devices and a 10-step training run on the emulated cuda:0"

echo "== gpu-check dry run on the CPU emulator (scripts/gpu-check-dryrun.sh)"
GPU_CHECK_BUDGET=100 bash scripts/gpu-check-dryrun.sh
GPU_CHECK_BUDGET=100 bash scripts/gpu-check-dryrun.sh cuda-tests
if ! bin/gputrain-cuda devices >/dev/null 2>&1; then
	# Without a device the run stops after the devices step, saying why.
	out=$(mktemp -d)
	rc=0
	OUT="$out" GPU_CHECK_BUDGET=30 bash bin/gpu/gpu-check.sh >"$out.log" 2>&1 || rc=$?
	grep -q '^STOPPED: no usable CUDA device: gputrain: no usable CUDA GPU' "$out.log" && [ $rc = 1 ] &&
		[ "$(ls "$out" | tr '\n' ' ')" = "gpu-check-logs.tar.gz gpu-check-summary.txt " ] ||
		fail "gpu-check.sh without a device (exit $rc): $(tail -n 15 "$out.log")"
	rm -rf "$out" "$out.log"
	echo "ok: gpu-check.sh without a device stops after the devices step"
fi

echo "== the committed PTX on the PTX interpreter (make cuda-ptx-test: self-tests, conformance, parity, block orders)"
make cuda-ptx-test
echo "CUDA CI OK"
