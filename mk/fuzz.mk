# Fuzz targets: every parser of user input, each fuzzed for a
# bounded time. Go allows one -fuzz target per invocation, so each target
# runs on its own; the seed corpora are in each package's testdata/fuzz/
# (plain "go test" runs them too).
#
#   make fuzz                   every target for FUZZTIME (30s) each
#   make fuzz FUZZTIME=5m       longer
#   make fuzz-list              the targets
#
# A failure writes the crashing input to the package's testdata/fuzz/ and
# stops; "go test -run=FuzzX/NAME ./pkg" replays it.

FUZZTIME ?= 30s
# Each new interesting input is minimised for this many runs of the
# target. Go's default, 60 s per input, leaves a 30 s run almost nothing
# but minimisation (FuzzDecodeCheckpoint: about a dozen execs); 100 runs
# keep minimising cheap and every target above 10 000 execs in 30 s.
FUZZMINIMIZETIME ?= 100x
# A target below this many execs is flagged in the summary.
FUZZMINEXECS ?= 10000
FUZZ_TARGETS := \
	./data:FuzzParseSingle \
	./data:FuzzParseXY \
	./internal/safetensors:FuzzDecode \
	./nn/job:FuzzDecodeModel \
	./nn/job:FuzzDecodeCheckpoint \
	./nn/job:FuzzStateDict \
	./cmd/gputrain:FuzzParseHidden \
	./cmd/gputrain:FuzzFlagValues \
	./cmd/gputrain:FuzzRun

.PHONY: fuzz fuzz-list

fuzz:
	@summary=$$(mktemp); log=$$(mktemp); trap 'rm -f "$$summary" "$$log"' EXIT; \
	for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "== $(GO) test -run='^$$' -fuzz='^$$name\$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZETIME) $$pkg"; \
	  $(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZETIME) $$pkg >"$$log" 2>&1; rc=$$?; \
	  cat "$$log"; \
	  execs=$$(sed -n 's/.*execs: \([0-9][0-9]*\).*/\1/p' "$$log" | tail -n 1); \
	  note=""; if [ "$${execs:-0}" -lt $(FUZZMINEXECS) ]; then note=" (below $(FUZZMINEXECS))"; fi; \
	  printf '  %-40s %10s execs%s\n' "$$t" "$${execs:-?}" "$$note" >>"$$summary"; \
	  if [ $$rc -ne 0 ]; then echo "== fuzz: $$t failed"; cat "$$summary"; exit $$rc; fi; \
	done; \
	echo "== fuzz targets and their exec counts in $(FUZZTIME) each:"; cat "$$summary"

fuzz-list:
	@for t in $(FUZZ_TARGETS); do echo "$$t"; done
