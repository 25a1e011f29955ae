# The ONNX export checked in the real runtime: "make onnx-check" installs
# onnxruntime-node from the npm registry into build/onnxrt (its CPU library
# ships inside the package; --ignore-scripts skips the install script,
# which only fetches GPU extras), then exports trained models of every
# shape and runs them in ONNX Runtime against "gputrain predict"
# (TestONNXMatchesPredict). Where Debian's python3-onnx is available (the
# target tries to install it with apt), every exported model also passes
# onnx.checker. Without Node.js the check is skipped with a message.

ONNXRT_DIR ?= build/onnxrt
ONNXRT_VERSION ?= 1.30.0

.PHONY: onnx-check onnx-deps

onnx-deps:
	@if ! command -v node >/dev/null; then echo "onnx-check: Node.js (node) is not installed: the ONNX Runtime check will be skipped"; \
	elif [ ! -d $(ONNXRT_DIR)/node_modules/onnxruntime-node ]; then \
		mkdir -p $(ONNXRT_DIR) && cd $(ONNXRT_DIR) && npm install --ignore-scripts --no-audit --no-fund --no-save onnxruntime-node@$(ONNXRT_VERSION); fi
	@if ! /usr/bin/python3 -c 'import onnx' 2>/dev/null; then \
		(apt-get install -y --no-install-recommends python3-onnx >/dev/null 2>&1 || \
		 (apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends python3-onnx >/dev/null 2>&1)) || \
		echo "onnx-check: python3-onnx could not be installed: onnx.checker will not run"; fi

onnx-check: onnx-deps
	GPUTRAIN_ONNXRUNTIME_MODULES=$(abspath $(ONNXRT_DIR))/node_modules GPUTRAIN_ONNX_REQUIRED=1 \
		$(GO) test -count=1 -v -run 'TestONNXMatchesPredict' ./cmd/gputrain/

# The safetensors-torch export loaded into PyTorch (Debian's python3-torch,
# installed by bench-deps) with load_state_dict(strict=True), predictions
# compared with "gputrain predict" (scripts/torch-export-check.sh).
.PHONY: torch-export-check
torch-export-check: bench-deps build
	bash scripts/torch-export-check.sh
