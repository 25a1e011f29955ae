# CPU backend targets. The kernels in cpu/internal/{sgemm,vec}
# are Go assembly written by generators; `make cpu-generate` rewrites them.

.PHONY: cpu-generate cpu-test-levels cpu-bench

# Regenerate the assembly kernels (sgemm micro-kernels, element-wise kernels).
cpu-generate:
	$(GO) generate ./cpu/internal/sgemm ./cpu/internal/vec

# The CPU tests force every kernel level themselves (AVX-512, AVX2, generic);
# this also runs the nn tests (gradient checks, training) on the lower
# levels and on a build without any assembly.
cpu-test-levels:
	$(GO) test ./cpu/...
	GPUTRAIN_CPU_KERNELS=avx2 $(GO) test ./nn/...
	GPUTRAIN_CPU_KERNELS=generic $(GO) test ./nn/...
	$(GO) test -tags purego ./cpu/...

# Side-by-side timings: the CPU backend's benchmarks, then numpy/OpenBLAS
# and PyTorch in the same command (Debian's python3-numpy, python3-torch;
# the OpenBLAS variables unset for the reference only).
cpu-bench:
	$(GO) test -run XXX -bench 'Sgemm2048|W1Step/avx512|W2Step/avx512|W3Step/avx512' -benchtime 3s ./cpu
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 cpu/testdata/reference.py
