#!/usr/bin/env bash
# torch-export-check.sh — `gputrain export --format safetensors-torch` loaded
# into a real torch.nn.Sequential with load_state_dict(strict=True), its
# predictions compared with `gputrain predict` (bench/reference/
# torch_state_dict_check.py) for a binary model with batch norm, a
# multiclass one with two hidden layers, a regression one, and models
# with gelu and leaky-relu.
# Needs bin/gputrain and Debian's python3-torch (make torch-export-check
# installs both).
set -euo pipefail
cd "$(dirname "$0")/.."
G=$PWD/bin/gputrain
CHECK=$PWD/bench/reference/torch_state_dict_check.py
PY=${BENCH_PYTHON:-/usr/bin/python3}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
# A numeric table with a three-class label and a continuous target.
awk 'BEGIN { srand(7); print "a,b,c,cls,y";
	for (i = 0; i < 300; i++) { a = rand() * 4 - 2; b = rand() * 4 - 2; c = rand();
		cls = (a + b > 1) ? "hi" : (a - b > 1 ? "lo" : "mid");
		printf "%.4f,%.4f,%.4f,%s,%.4f\n", a, b, c, cls, 3 * a - 2 * b + c }}' >"$d/t.csv"
cut -d, -f1-4 "$d/t.csv" >"$d/mc.csv"
cut -d, -f1-3,5 "$d/t.csv" >"$d/reg.csv"
check() { # name, data file, train flags...
	local name=$1 data=$2
	shift 2
	"$G" train --data "$data" "$@" --out "$d/$name.safetensors" --quiet >/dev/null
	"$G" export --model "$d/$name.safetensors" --format safetensors-torch --out "$d/$name-torch.safetensors" >/dev/null
	"$G" predict --model "$d/$name.safetensors" --data "$data" --out "$d/$name-pred.csv" >/dev/null 2>&1
	echo "== $name"
	"$PY" "$CHECK" "$d/$name.safetensors" "$d/$name-torch.safetensors" "$data" "$d/$name-pred.csv" | tail -n 1
}
check binary-bn data/biodeg/biodeg.csv --preset workshop --batch-norm --steps 200
check multiclass "$d/mc.csv" --label cls --hidden 8,4 --activation sigmoid --epochs 20
check regression "$d/reg.csv" --label y --hidden 6 --activation relu --batch-norm --epochs 20
# Activations with a module argument: gelu (approximate='tanh') and
# leaky-relu with a slope other than PyTorch's default.
check gelu "$d/mc.csv" --label cls --hidden 8 --activation gelu --batch-norm --epochs 20
check leaky-relu "$d/reg.csv" --label y --hidden 6,4 --activation leaky-relu --leaky-slope 0.2 --epochs 20
echo "torch-export-check: OK"
