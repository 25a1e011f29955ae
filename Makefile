# gputrain — see README.md. The CPU build needs only Go; the CUDA targets
# (cuda, kernels, gpu-check, install-cuda) live in mk/cuda.mk.
GO ?= go

.PHONY: all build run test vet fmt-check check ci clean

all: build

build:
	$(GO) build -o bin/gputrain ./cmd/gputrain

# The README's first command: train the shipped biodeg example.
run: build
	./bin/gputrain train

# The README's second command: every test of the default (CPU) build.
test:
	$(GO) test ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

check: fmt-check vet test

# What CI runs (.ci/run calls this).
ci: check build

clean:
	rm -rf bin build

include $(wildcard mk/*.mk)
