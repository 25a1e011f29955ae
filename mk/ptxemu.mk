# ptxemu.mk — the PTX interpreter (cuda/ptxemu), a second stand-in for
# libcuda.so.1 beside bin/fakecuda.so that runs the committed kernels/*.ptx
# themselves, with bounds, race, barrier and shuffle checks.
#
#   make ptxemu          bin/ptxemu.so (needs cuda.h: make install-cuda)
#   make ptxemu-test     per-instruction tests and mutation self-tests
#   make cuda-ptx-test   ptxemu-test, then the CUDA backend's tests on bin/ptxemu.so
#                        (conformance, determinism, parity; kernels in four block orders)

PTXEMU_DIR := build/ptxemu
PTXEMU_CXX := $(shell command -v g++ 2>/dev/null || command -v g++-11 2>/dev/null || echo g++)
# -frounding-math: the interpreter switches the rounding mode for .rz/.rm/.rp;
# -ffp-contract=off: mul.f32 and add.f32 must not be fused behind our back.
PTXEMU_CXXFLAGS := -O2 -std=c++17 -fPIC -Wall -frounding-math -ffp-contract=off
PTXEMU_CORE := $(PTXEMU_DIR)/parse.o $(PTXEMU_DIR)/exec.o
PTXEMU_HDRS := cuda/ptxemu/ptxemu.h
PTXEMU_PARITY_STEPS ?= 200

.PHONY: ptxemu ptxemu-test cuda-ptx-test

$(PTXEMU_DIR)/%.o: cuda/ptxemu/%.cpp $(PTXEMU_HDRS)
	@mkdir -p $(PTXEMU_DIR)
	$(PTXEMU_CXX) $(PTXEMU_CXXFLAGS) -c $< -o $@

bin/ptxemu.so: $(PTXEMU_CORE) $(PTXEMU_DIR)/driver.o
	@mkdir -p bin
	$(PTXEMU_CXX) -shared -o $@ $^

ptxemu: bin/ptxemu.so

$(PTXEMU_DIR)/selftest: $(PTXEMU_CORE) $(PTXEMU_DIR)/selftest.o
	$(PTXEMU_CXX) -o $@ $^

ptxemu-test: $(PTXEMU_DIR)/selftest
	$(PTXEMU_DIR)/selftest kernels

cuda-ptx-test: ptxemu-test bin/ptxemu.so
	$(GO) test -c -tags cuda -o $(PTXEMU_DIR)/cuda.test ./cuda
	@echo "GPUTRAIN_LIBCUDA=$(CURDIR)/bin/ptxemu.so $(PTXEMU_DIR)/cuda.test -test.short (full logs: $(PTXEMU_DIR)/*.log)"
	@export GPUTRAIN_LIBCUDA=$(CURDIR)/bin/ptxemu.so; \
	run() { log=$$1; shift; rc=0; "$$@" >$(PTXEMU_DIR)/$$log.log 2>&1 || rc=$$?; \
		grep -E '^(--- |    --- |PASS|FAIL|ok)|\.go:[0-9]+:|^ptxemu:' $(PTXEMU_DIR)/$$log.log | head -60; \
		if [ $$rc != 0 ]; then tail -n 30 $(PTXEMU_DIR)/$$log.log; echo "cuda-ptx-test: $$log FAILED (exit $$rc)"; exit $$rc; fi; }; \
	run forward $(PTXEMU_DIR)/cuda.test -test.v -test.short -test.timeout 10m -parity-steps $(PTXEMU_PARITY_STEPS); \
	for order in reverse shuffle:1 shuffle:2; do \
		echo "== PTXEMU_BLOCK_ORDER=$$order: conformance and determinism"; \
		PTXEMU_BLOCK_ORDER=$$order run order-$${order%%:*}$${order##*:} $(PTXEMU_DIR)/cuda.test -test.short -test.timeout 10m \
			-test.run 'TestConformance|TestDeterministic|TestGemmLarge'; \
	done
