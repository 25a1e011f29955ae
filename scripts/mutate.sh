#!/usr/bin/env bash
# Runs gremlins on each package given (paths below the module root, each
# with its subpackages) and prints the efficacy per package.
#
#   scripts/mutate.sh [--diff BASE] PKG...
#
# With --diff, only the mutants on lines changed since BASE (a commit or
# branch) are tested, and only in the packages with changed Go files.
# Environment: GREMLINS (the binary), MUTATE_WORKERS (parallel mutants,
# default 1), MUTATE_TIMEOUT_COEFF (each mutant's test time limit as a
# multiple of the package's normal test time, default 10), GOFLAGS (for
# example -short), MUTATE_EXCLUDE (a regexp of file paths inside the
# package to leave alone, e.g. '^(trainer|network)\.go$'), MUTATE_LOG (a directory for the full per-package
# reports, default out/mutate).
set -euo pipefail
cd "$(dirname "$0")/.."
gremlins=${GREMLINS:-bin/tools/gremlins}
workers=${MUTATE_WORKERS:-1}
coeff=${MUTATE_TIMEOUT_COEFF:-10}
logdir=${MUTATE_LOG:-out/mutate}
base=""
if [ "${1:-}" = "--diff" ]; then
  base=$2
  shift 2
fi
if [ $# -eq 0 ]; then
  echo "usage: scripts/mutate.sh [--diff BASE] PKG..." >&2
  exit 2
fi
mkdir -p "$logdir"
# gremlins times each mutant's tests against the first, coverage run: a
# cached result there would make every limit a fraction of a second.
# go vet is off: a mutant that only vet rejects was not caught by a test,
# and vet costs about a third of each mutant's go test.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1 -vet=off"

pkgs=("$@")
if [ -n "$base" ]; then
  if ! changed=$(git diff --name-only "$base" -- '*.go' 2>/dev/null); then
    echo "mutate: cannot diff against $base (a shallow clone?): nothing to test"
    exit 0
  fi
  pkgs=()
  for p in "$@"; do
    if grep -q "^$p/" <<<"$changed"; then
      pkgs+=("$p")
    fi
  done
  if [ ${#pkgs[@]} -eq 0 ]; then
    echo "mutate: no Go file of $* changed since $base"
    exit 0
  fi
fi

if [ -n "$base" ]; then
  # gremlins asks git for the changed lines ("git diff --merge-base BASE")
  # and matches them by file name relative to the package it tests, while
  # git names files from the repository root: this git answers relative
  # to the package (MUTATE_PKG_DIR).
  shim=$(mktemp -d)
  trap 'rm -rf "$shim"' EXIT
  real_git=$(command -v git)
  cat >"$shim/git" <<EOF
#!/bin/sh
if [ "\$1" = diff ] && [ -n "\$MUTATE_PKG_DIR" ]; then
  exec "$real_git" "\$@" --relative="\$MUTATE_PKG_DIR/"
fi
exec "$real_git" "\$@"
EOF
  chmod +x "$shim/git"
  export PATH="$shim:$PATH"
fi

summary=()
for p in "${pkgs[@]}"; do
  export MUTATE_PKG_DIR=$p
  log="$logdir/$(echo "$p" | tr / _).txt"
  # No --test-cpu: gremlins v0.6.0 passes it to go test as the single
  # argument "-cpu N", which go test rejects with exit status 1, the status
  # of a failing test, so every mutant would count as killed.
  # Every status is written to the log, so that a run stopped part-way
  # still says which mutants were killed.
  args=(unleash --workers "$workers" --timeout-coefficient "$coeff" --output-statuses kltc)
  if [ -n "$base" ]; then
    args+=(--diff "$base")
  fi
  if [ -n "${MUTATE_EXCLUDE:-}" ]; then
    args+=(--exclude-files "$MUTATE_EXCLUDE")
  fi
  # gremlins mutates a package's subpackages too: leave out those given
  # as packages of their own (nn/job when nn is given as well), so that
  # none is run twice.
  for q in "${pkgs[@]}"; do
    if [ "${q#"$p"/}" != "$q" ]; then
      args+=(--exclude-files "^${q#"$p"/}/")
    fi
  done
  echo "== gremlins ${args[*]} ./$p"
  start=$SECONDS
  "$gremlins" "${args[@]}" "./$p" 2>&1 | tee "$log" | grep -E '^ *(LIVED|TIMED OUT)|Killed:|efficacy' || true
  killed=$(sed -n 's/.*Killed: \([0-9]*\), Lived: \([0-9]*\).*/\1/p' "$log" | tail -1)
  lived=$(sed -n 's/.*Killed: \([0-9]*\), Lived: \([0-9]*\).*/\2/p' "$log" | tail -1)
  if [ -z "$killed" ]; then
    summary+=("$(printf '%-22s  no result (see %s)' "$p" "$log")")
    continue
  fi
  if [ $((killed + lived)) -gt 0 ]; then
    eff=$(awk -v k="$killed" -v l="$lived" 'BEGIN { printf "%.1f%%", 100 * k / (k + l) }')
  else
    eff="-"
  fi
  summary+=("$(printf '%-22s  killed %4d  lived %4d  efficacy %6s  (%ds)' "$p" "$killed" "$lived" "$eff" $((SECONDS - start)))")
done
echo
echo "== mutation testing${base:+ of the lines changed since $base}"
printf '%s\n' "${summary[@]}"
