# Benchmark suite: gputrain against numpy, PyTorch and JAX and the
# machine's limit, side by side in one run. See bench/README.md.
#
#   make bench            CPU table (installs the Python references first)
#   make bench-deps       Debian's numpy, PyTorch, OpenBLAS and threadpoolctl
#   make bench-gpu-build  the runner for the GPU machine, into bin/gpu/
#
# The GPU table comes from bench/run_gpu.sh, run by `make gpu-check` on the
# GPU machine (it needs bin/gpu/gputrain-cuda and bin/gpu/bench-runner).

BENCH_PYTHON ?= /usr/bin/python3
BENCH_FLAGS ?=
# The Debian packages the references need; libopenblas0-pthread makes
# numpy's (and PyTorch's generic) BLAS OpenBLAS instead of the reference BLAS.
BENCH_DEBS := python3-numpy python3-torch python3-threadpoolctl libopenblas0-pthread

.PHONY: bench bench-deps bench-runner bench-gpu-build

bench-deps:
	@missing=$$(for p in $(BENCH_DEBS); do \
	  dpkg-query -W -f='$${db:Status-Abbrev}' $$p 2>/dev/null | grep -q '^ii' || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "bench-deps: $(BENCH_DEBS) already installed"; exit 0; fi; \
	sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	echo "bench-deps: installing" $$missing; \
	$$sudo dpkg --configure -a && $$sudo apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing

bench-runner:
	$(GO) build -o bin/bench-runner ./bench/cmd/runner

bench: bench-deps build bench-runner
	./bin/bench-runner --profile cpu --gputrain bin/gputrain --python $(BENCH_PYTHON) $(BENCH_FLAGS)

# Static, cgo-free runner for the GPU machine (no Go there), next to
# bin/gpu/gputrain-cuda: run it after gpu-build (which empties bin/gpu).
bench-gpu-build:
	mkdir -p bin/gpu
	CGO_ENABLED=0 $(GO) build -ldflags='-s -w' -o bin/gpu/bench-runner ./bench/cmd/runner
