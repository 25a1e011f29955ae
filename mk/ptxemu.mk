# ptxemu.mk — the PTX interpreter (cuda/ptxemu), a second stand-in for
# libcuda.so.1 beside bin/fakecuda.so that runs the committed kernels/*.ptx
# themselves, with bounds, race, barrier and shuffle checks.
#
#   make ptxemu          bin/ptxemu.so (needs cuda.h: make install-cuda)
#   make ptxemu-test     per-instruction tests and mutation self-tests
#   make cuda-ptx-test   ptxemu-test, then the CUDA backend's tests on bin/ptxemu.so
#                        (conformance, determinism, parity; kernels in four block orders)
#   make ptxemu-cost     per-step cost of W1 and W2 on the interpreter, H100 roofline estimate

PTXEMU_DIR := build/ptxemu
PTXEMU_CXX := $(shell command -v g++ 2>/dev/null || command -v g++-11 2>/dev/null || echo g++)
# -frounding-math: the interpreter switches the rounding mode for .rz/.rm/.rp;
# -ffp-contract=off: mul.f32 and add.f32 must not be fused behind our back.
PTXEMU_CXXFLAGS := -O2 -std=c++17 -fPIC -Wall -frounding-math -ffp-contract=off
PTXEMU_CORE := $(PTXEMU_DIR)/parse.o $(PTXEMU_DIR)/exec.o
PTXEMU_HDRS := cuda/ptxemu/ptxemu.h
PTXEMU_PARITY_STEPS ?= 200

.PHONY: ptxemu ptxemu-test cuda-ptx-test ptxemu-cost

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
	sum() { sed -n 's/.*TestDeterministic checksum \([0-9a-f]*\).*/\1/p' $(PTXEMU_DIR)/$$1.log; }; \
	run forward $(PTXEMU_DIR)/cuda.test -test.v -test.short -test.timeout 10m -parity-steps $(PTXEMU_PARITY_STEPS); \
	want=$$(sum forward); \
	for order in reverse shuffle:1 shuffle:2; do \
		echo "== PTXEMU_BLOCK_ORDER=$$order: conformance and determinism"; \
		log=order-$${order%%:*}$${order##*:}; \
		PTXEMU_BLOCK_ORDER=$$order run $$log $(PTXEMU_DIR)/cuda.test -test.v -test.short -test.timeout 10m \
			-test.run 'TestConformance|TestDeterministic|TestGemmLarge|TestGemmSplitKStrided'; \
		got=$$(sum $$log); \
		if [ -z "$$want" ] || [ "$$got" != "$$want" ]; then echo "cuda-ptx-test: TestDeterministic's results differ under PTXEMU_BLOCK_ORDER=$$order: $$got, forward $$want"; exit 1; fi; \
		echo "ok: TestDeterministic's results under PTXEMU_BLOCK_ORDER=$$order are forward's, bit for bit ($$got)"; \
	done

# The cost of one W1 and one W2 training step under the interpreter, with a
# roofline estimate for an H100 (bench/cmd/ptxcost; quoted in bench/README.md).
ptxemu-cost: bin/ptxemu.so
	$(GO) build -tags cuda -o bin/gputrain-cuda ./cmd/gputrain
	$(GO) build -o $(PTXEMU_DIR)/ptxcost ./bench/cmd/ptxcost
	@for w in w1 w2; do \
		for s in 2 3; do \
			rm -f $(PTXEMU_DIR)/$$w-$$s.jsonl; \
			GPUTRAIN_LIBCUDA=$(CURDIR)/bin/ptxemu.so PTXEMU_PROFILE=$(CURDIR)/$(PTXEMU_DIR)/$$w-$$s.jsonl \
				bin/gputrain-cuda bench --workload $$w --device cuda --steps $$s --block 1 >/dev/null || exit 1; \
		done; \
		echo "== $$w: one training step on ptxemu (3 steps minus 2)"; \
		$(PTXEMU_DIR)/ptxcost $(PTXEMU_DIR)/$$w-2.jsonl $(PTXEMU_DIR)/$$w-3.jsonl || exit 1; \
	done
