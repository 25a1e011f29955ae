# Fuzz targets (issue 4): every parser of user input, each fuzzed for a
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
FUZZ_TARGETS := \
	./data:FuzzParseSingle \
	./data:FuzzParseXY \
	./internal/safetensors:FuzzDecode \
	./nn:FuzzDecodeModel \
	./nn:FuzzDecodeCheckpoint \
	./nn:FuzzStateDict \
	./cmd/gputrain:FuzzParseHidden \
	./cmd/gputrain:FuzzFlagValues \
	./cmd/gputrain:FuzzRun

.PHONY: fuzz fuzz-list

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "== $(GO) test -run='^$$' -fuzz='^$$name\$$' -fuzztime=$(FUZZTIME) $$pkg"; \
	  $(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	done

fuzz-list:
	@for t in $(FUZZ_TARGETS); do echo "$$t"; done
