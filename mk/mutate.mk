# Mutation testing of the core packages with gremlins (go-gremlins/gremlins):
# every mutant (a flipped comparison, a changed operator, …) is compiled
# into its package and the package's tests run; a mutant the tests do not
# notice "lives". Efficacy = killed ÷ (killed + lived). See docs/mutation.md.
#
#   make mutate                        every core package (hours for nn and cpu)
#   make mutate MUTATE_PKGS="data metrics"
#   make mutate-diff MUTATE_BASE=main  only mutants on the lines changed since
#                                      main, in the packages they touch (CI)
#
# The tool is installed through the Go module proxy, at a pinned version,
# into bin/tools.

GREMLINS_VERSION ?= v0.6.0
GREMLINS := bin/tools/gremlins
MUTATE_PKGS ?= nn nn/job data metrics cpu device/devicetest internal/atomicfile internal/safetensors
MUTATE_BASE ?= HEAD~1
# One mutant at a time, each test run on one CPU: the machines are shared.
MUTATE_WORKERS ?= 1

.PHONY: mutate mutate-diff mutate-tool

mutate-tool: $(GREMLINS)

$(GREMLINS):
	GOBIN=$(CURDIR)/bin/tools $(GO) install github.com/go-gremlins/gremlins/cmd/gremlins@$(GREMLINS_VERSION)

mutate: $(GREMLINS)
	GREMLINS=$(GREMLINS) MUTATE_WORKERS=$(MUTATE_WORKERS) scripts/mutate.sh $(MUTATE_PKGS)

mutate-diff: $(GREMLINS)
	GREMLINS=$(GREMLINS) MUTATE_WORKERS=$(MUTATE_WORKERS) scripts/mutate.sh --diff $(MUTATE_BASE) $(MUTATE_PKGS)
