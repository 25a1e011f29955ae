# mk/cuda.mk — the CUDA build (included by the Makefile). The CPU build needs
# none of this; these targets need the CUDA toolkit (make install-cuda).
#
#   make install-cuda   install nvcc, cuda.h and libcuda (Debian non-free, CUDA 11.8); idempotent
#   make kernels        regenerate kernels/*.ptx from kernels/*.cu (commit the result)
#   make check-ptx      fail if the committed PTX does not match the sources (skips without nvcc)
#   make ptxas          assemble the PTX for sm_80 and sm_90: registers, shared memory, spills
#   make cuda           bin/gputrain-cuda (go build -tags cuda ./cmd/gputrain)
#   make cuda-emu-test  run the CUDA backend's tests on this CPU (bin/fakecuda.so, no GPU needed)
#   make gpu-build      bin/gpu/: the CUDA binary, CUDA test binaries and bench runner (gzip-compressed;
#                       gpu-check.sh unpacks them into build/gpu-bin), gpu-check.sh (≤ 60 MiB)
#   make gpu-check      gpu-build, then print the one device call that runs it on the GPU machine
#   make gpu-check-dryrun  gpu-check.sh here on the CPU emulator with a fake $OUT (HANG=STEP: that step hangs)
#   make cuda-shim      regenerate cuda/preflight/shim_linux_amd64.c after changing gorgonia.org/cu

GO ?= go
NVCC ?= nvcc
PTXAS ?= ptxas
# compute_80 PTX is JIT-compiled by the driver for sm_80 and anything newer (H100/H200 included).
NVCCFLAGS ?= -ptx -arch=compute_80 -O3
CUDA_SRCS := $(wildcard kernels/*.cu)
CUDA_PTX := $(CUDA_SRCS:.cu=.ptx)
CUDA_HDRS := $(wildcard kernels/*.cuh)
# Packages whose tests run on the GPU machine: one test binary each in bin/gpu/.
GPU_TEST_PKGS ?= ./cuda
GPU_DIR := bin/gpu
GPU_MAX_MIB := 60
GPU_GOFLAGS := -tags cuda -trimpath -ldflags=-s\ -w

.PHONY: install-cuda kernels check-ptx ptxas cuda cuda-emu cuda-emu-test gpu-build gpu-check gpu-check-dryrun cuda-shim

install-cuda:
	@if command -v $(NVCC) >/dev/null 2>&1 && [ -f /usr/include/cuda.h ]; then \
		echo "install-cuda: CUDA toolkit present ($$($(NVCC) --version | tail -1))"; exit 0; fi; \
	set -e; \
	sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	echo "install-cuda: enabling Debian's contrib, non-free and non-free-firmware components"; \
	for f in /etc/apt/sources.list.d/*.sources; do \
		[ -f "$$f" ] && $$sudo sed -i -E '/^Components:/{/ non-free( |$$)/!s/$$/ contrib non-free non-free-firmware/}' "$$f"; \
	done; \
	if [ -f /etc/apt/sources.list ]; then \
		$$sudo sed -i -E '/^deb /{/ non-free( |$$)/!s/$$/ contrib non-free non-free-firmware/}' /etc/apt/sources.list; fi; \
	$$sudo apt-get update; \
	echo "install-cuda: installing nvidia-cuda-toolkit (CUDA 11.8: nvcc, ptxas, cuda.h, libcuda, g++-11; a few minutes, ~5 GB)"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nvidia-cuda-toolkit; \
	$(NVCC) --version | tail -1

kernels: $(CUDA_PTX)

kernels/%.ptx: kernels/%.cu $(CUDA_HDRS)
	$(NVCC) $(NVCCFLAGS) -o $@ $<

check-ptx:
	@if ! command -v $(NVCC) >/dev/null 2>&1; then \
		echo "check-ptx: skipped: nvcc not found (make install-cuda)"; exit 0; fi; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; fail=0; \
	for f in $(CUDA_SRCS); do \
		p=$${f%.cu}.ptx; n=$$tmp/$$(basename $$p); \
		$(NVCC) $(NVCCFLAGS) -o $$n $$f || exit 1; \
		if ! cmp -s $$p $$n; then \
			echo "check-ptx: $$p does not match $$f: run 'make kernels' and commit the PTX"; \
			echo "  (committed: $$(sed -n 's|^// Cuda compilation tools, ||p' $$p 2>/dev/null); here: $$($(NVCC) --version | sed -n 's/^Cuda compilation tools, //p'))"; \
			diff -u $$p $$n | head -20; fail=1; fi; \
		for arch in sm_80 sm_90; do \
			$(PTXAS) -arch=$$arch $$p -o /dev/null || { echo "check-ptx: ptxas -arch=$$arch $$p failed"; fail=1; }; \
		done; \
	done; \
	[ $$fail = 0 ] && echo "check-ptx: $(words $(CUDA_PTX)) PTX files match their sources and assemble for sm_80 and sm_90"; \
	exit $$fail

ptxas:
	@for p in $(CUDA_PTX); do \
		echo "== $$p (sm_90)"; \
		$(PTXAS) -arch=sm_90 -v $$p -o /dev/null 2>&1 | \
			awk '/Compiling entry/{k=$$7; gsub(/\047/,"",k)} /spill/{sub(/^ +/,""); s=$$0} /registers/{sub(/.*Used /,""); printf "  %-18s %s; %s\n", k, $$0, s}'; \
	done

cuda:
	$(GO) build -tags cuda -o bin/gputrain-cuda ./cmd/gputrain

# The CUDA backend on the CPU: kernels/*.cu compiled as C++ with
# cuda/emu/emu.h, behind a stand-in for libcuda.so.1 (cuda/emu/fakecuda.cpp)
# that the preflight loads via GPUTRAIN_LIBCUDA. Checks everything but the
# PTX itself and the GPU's math library's last bits.
#
# Two flavours: bin/fakecuda.so rounds every mul and add on its own
# (-ffp-contract=off); bin/fakecuda-fma.so contracts a·b+c into one fused
# multiply-add wherever the compiler can (-ffp-contract=fast -mfma), as nvcc
# does by default (--fmad=true: fma.rn.f32). The GPU's rounding lies between
# the two, so tolerances that hold on both hold there.
EMU_DIR := build/emu
EMU_FMA_DIR := build/emu-fma
# g++ (the toolkit's dependencies bring g++-11 where there is no default one).
EMU_CXX := $(shell command -v g++ 2>/dev/null || command -v g++-11 2>/dev/null || echo g++)
EMU_OBJS := $(patsubst kernels/%.cu,$(EMU_DIR)/%.o,$(CUDA_SRCS)) $(EMU_DIR)/fakecuda.o
EMU_FMA_OBJS := $(patsubst kernels/%.cu,$(EMU_FMA_DIR)/%.o,$(CUDA_SRCS)) $(EMU_DIR)/fakecuda.o
EMU_CXXFLAGS := -O2 -std=c++17 -fPIC -Wall -Wno-unused-function -Wno-unknown-pragmas
EMU_FMA_FLAGS := -ffp-contract=fast -mfma
# The CUDA test binary's run on the emulator: the parity test's length, and
# the orders the conformance and determinism tests run in besides forward
# (each printing a checksum of TestDeterministic's results, which must agree).
EMU_PARITY_STEPS ?= 1000
EMU_ORDERS ?= shuffle:1

$(EMU_DIR)/%.o: kernels/%.cu $(CUDA_HDRS) cuda/emu/emu.h
	@mkdir -p $(EMU_DIR)
	$(EMU_CXX) $(EMU_CXXFLAGS) -ffp-contract=off -include cuda/emu/emu.h -x c++ -c $< -o $@

$(EMU_FMA_DIR)/%.o: kernels/%.cu $(CUDA_HDRS) cuda/emu/emu.h
	@mkdir -p $(EMU_FMA_DIR)
	$(EMU_CXX) $(EMU_CXXFLAGS) $(EMU_FMA_FLAGS) -include cuda/emu/emu.h -x c++ -c $< -o $@

$(EMU_DIR)/fakecuda.o: cuda/emu/fakecuda.cpp
	@mkdir -p $(EMU_DIR)
	$(EMU_CXX) $(EMU_CXXFLAGS) -c $< -o $@

bin/fakecuda.so: $(EMU_OBJS)
	@mkdir -p bin
	$(EMU_CXX) -shared -o $@ $(EMU_OBJS)

bin/fakecuda-fma.so: $(EMU_FMA_OBJS)
	@mkdir -p bin
	$(EMU_CXX) -shared -o $@ $(EMU_FMA_OBJS)

cuda-emu: bin/fakecuda.so

# Every CUDA backend test on bin/fakecuda.so in asynchronous mode (work runs
# at the next synchronising call, as on a GPU), the parity test for
# EMU_PARITY_STEPS steps; then conformance and determinism in each of
# EMU_ORDERS and on the FMA flavour, with the determinism checksums compared.
cuda-emu-test: bin/fakecuda.so bin/fakecuda-fma.so
	$(GO) test -c -tags cuda -o $(EMU_DIR)/cuda.test ./cuda
	@echo "FAKECUDA_ASYNC=1 GPUTRAIN_LIBCUDA=$(CURDIR)/bin/fakecuda.so $(EMU_DIR)/cuda.test -test.v -parity-steps $(EMU_PARITY_STEPS) (full logs: $(EMU_DIR)/*.log)"
	@run() { log=$$1; shift; rc=0; env "$$@" >$(EMU_DIR)/$$log.log 2>&1 || rc=$$?; \
		grep -E '^(--- |    --- |PASS|FAIL|ok)|\.go:[0-9]+:' $(EMU_DIR)/$$log.log | head -60; \
		if [ $$rc != 0 ]; then tail -n 30 $(EMU_DIR)/$$log.log; echo "cuda-emu-test: $$log FAILED (exit $$rc)"; exit $$rc; fi; }; \
	sum() { sed -n 's/.*TestDeterministic checksum \([0-9a-f]*\).*/\1/p' $(EMU_DIR)/$$1.log; }; \
	lib=GPUTRAIN_LIBCUDA=$(CURDIR)/bin; \
	run cuda-test FAKECUDA_ASYNC=1 $$lib/fakecuda.so $(EMU_DIR)/cuda.test -test.v -test.timeout 30m -parity-steps $(EMU_PARITY_STEPS); \
	want=$$(sum cuda-test); \
	for order in $(EMU_ORDERS); do \
		echo "== FAKECUDA_ORDER=$$order: conformance and determinism"; \
		run order-$${order%%:*}$${order##*:} FAKECUDA_ORDER=$$order FAKECUDA_ASYNC=1 $$lib/fakecuda.so $(EMU_DIR)/cuda.test -test.v -test.timeout 10m \
			-test.run 'TestConformance|TestDeterministic'; \
		got=$$(sum order-$${order%%:*}$${order##*:}); \
		if [ -z "$$want" ] || [ "$$got" != "$$want" ]; then echo "cuda-emu-test: TestDeterministic's results differ under FAKECUDA_ORDER=$$order: $$got, forward $$want"; exit 1; fi; \
		echo "ok: TestDeterministic's results under FAKECUDA_ORDER=$$order are forward's, bit for bit ($$got)"; \
	done; \
	echo "== bin/fakecuda-fma.so (a·b+c contracted to fma): conformance and a 200-step parity"; \
	run fma $$lib/fakecuda-fma.so $(EMU_DIR)/cuda.test -test.v -test.timeout 10m -parity-steps 200 \
		-test.run 'TestConformance|TestBiodegParity|TestGemmLarge'

gpu-build:
	rm -rf $(GPU_DIR)
	mkdir -p $(GPU_DIR)
	$(GO) build $(GPU_GOFLAGS) -o $(GPU_DIR)/gputrain-cuda ./cmd/gputrain
	@for p in $(GPU_TEST_PKGS); do \
		echo "$(GO) test -c $(GPU_GOFLAGS) -o $(GPU_DIR)/$$(basename $$p).test $$p"; \
		$(GO) test -c $(GPU_GOFLAGS) -o $(GPU_DIR)/$$(basename $$p).test $$p || exit 1; \
	done
	cp scripts/gpu-check.sh $(GPU_DIR)/
	$(MAKE) --no-print-directory bench-gpu-build
	@# Compressed for the carry limit; gpu-check.sh unpacks them.
	cd $(GPU_DIR) && for f in *; do case $$f in *.sh|*.gz) ;; *) gzip -9 -n -f "$$f";; esac; done
	@kib=$$(du -sk $(GPU_DIR) | cut -f1); \
	echo "gpu-build: $(GPU_DIR) holds $$(ls $(GPU_DIR) | tr '\n' ' ')— $$((kib / 1024)) MiB ($$kib KiB; limit $(GPU_MAX_MIB) MiB)"; \
	if [ $$kib -gt $$(( $(GPU_MAX_MIB) * 1024 )) ]; then echo "gpu-build: $(GPU_DIR) is over $(GPU_MAX_MIB) MiB"; exit 1; fi

# The seconds of work gpu-check.sh does on the card (its steps share them);
# the device call's timeout adds 30 s for the last step's kill grace, the
# log archive and the summary.
GPU_CHECK_BUDGET ?= 300

gpu-check: gpu-build
	@echo
	@echo "Run it on the GPU machine with the device tool, in one call (from the repo root):"
	@echo '  run  command="GPU_CHECK_BUDGET=$(GPU_CHECK_BUDGET) bash bin/gpu/gpu-check.sh"  carry=["bin/gpu"]  timeout_s=$(shell echo $$(($(GPU_CHECK_BUDGET) + 30)))'
	@echo "It works for at most $(GPU_CHECK_BUDGET) s and leaves 4 files in \$$OUT, each rewritten as it goes:"
	@echo "gpu-check-summary.txt, gpu-check-logs.tar.gz (every log), bench.md and bench.json."
	@echo "The last lines printed are the summary: PASS/FAIL table, parity figures, one line per benchmark workload."

# The same run here, on the CPU emulator, checked as the device call would
# bring it back (scripts/gpu-check-dryrun.sh).
gpu-check-dryrun: gpu-build cuda-emu
	bash scripts/gpu-check-dryrun.sh $(HANG)

cuda-shim:
	bash cuda/preflight/gen_shim.sh
