#!/usr/bin/env bash
# slurm-check.sh — a sharded sweep on a real Slurm cluster, checked against
# the unsharded sweep (make slurm-check). It starts a one-node cluster on
# this machine: munged and slurmctld/slurmd of Debian's munge and slurm-wlm
# (installed with apt-get when missing), listening on loopback only, with
# their key, configuration, state and logs in a temporary directory that is
# removed at the end (the daemons too). It submits
# deploy/slurm/sweep.sbatch as a 4-task job array, waits for it, merges the
# shards' logs with "gputrain sweep merge" and requires the leaderboard to
# equal, byte for byte, that of the same sweep run in one process. Without
# the packages (and no way to install them) it says so and exits 0.
#
#   scripts/slurm-check.sh bin/gputrain
#
# Environment: SLURM_CHECK_PORT (slurmctld's port, slurmd's is the next;
# default: the first pair from 16817 on that nothing listens on, so that
# two checks on one machine do not meet).
set -euo pipefail
cd "$(dirname "$0")/.."
gputrain=$(realpath "${1:-bin/gputrain}")
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=${SLURM_CHECK_PORT:-}
if [ -z "$port" ]; then
	for p in $(seq 16817 2 16899); do
		if ! listening "$p" && ! listening $((p + 1)); then port=$p; break; fi
	done
	[ -n "$port" ] || { echo "slurm-check: FAILED: no free port pair in 16817-16900 (set SLURM_CHECK_PORT)" >&2; exit 1; }
fi
# The sweep: 8 configurations of the workshop network, short runs.
sweep=(--lr 1e-4,3e-4,1e-3,3e-3 --dropout 0,0.2 --steps 300 --val-split 0.2 --restarts 2)

need() { command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; }
if ! need; then
	echo "slurm-check: installing slurm-wlm and munge with apt-get"
	if ! { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null 2>&1; } || ! need; then
		echo "slurm-check: SKIPPED: Debian's slurm-wlm and munge are not installed and could not be (apt-get failed, or not root)"
		exit 0
	fi
fi

tmp=$(mktemp -d /tmp/gputrain-slurm.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "slurm-check: FAILED: $*" >&2
	for f in "$tmp"/*.log "$tmp"/job/*.out; do [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; } >&2; done
	exit 1
}
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/job"
chmod 700 "$tmp"

# munge: a key of this cluster's own, and a socket in the temporary directory.
mungekey --create --keyfile="$tmp/munge.key" >/dev/null 2>&1 || dd if=/dev/urandom of="$tmp/munge.key" bs=1024 count=1 status=none
chmod 600 "$tmp/munge.key"
munged --foreground --force --key-file="$tmp/munge.key" --socket="$tmp/munge.sock" \
	--pid-file="$tmp/munged.pid" --log-file="$tmp/munged.log" --seed-file="$tmp/munged.seed" >/dev/null 2>&1 &
pids+=($!)

cat >"$tmp/slurm.conf" <<CONF
ClusterName=gputrain-check
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge.sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=check Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$tmp/slurm.conf
for _ in $(seq 50); do [ -S "$tmp/munge.sock" ] && break; sleep 0.1; done
[ -S "$tmp/munge.sock" ] || fail "munged did not start"

slurmctld -D -i -f "$SLURM_CONF" >"$tmp/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >"$tmp/slurmd.out" 2>&1 &
pids+=($!)
up=""
for _ in $(seq 60); do
	if sinfo -h -N -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then up=1; break; fi
	sleep 0.5
done
[ -n "$up" ] || fail "the node did not come up (sinfo: $(sinfo -h -N -o '%N %T' 2>&1 | head -1))"
echo "slurm-check: one-node cluster up ($(slurmctld -V), $(nproc) CPUs, port $port)"

cd "$tmp/job"
start=$(date +%s)
jobid=$(GPUTRAIN="$gputrain" SWEEP_DIR="$tmp/job/shards" sbatch --parsable --wait --array=0-3 \
	"$OLDPWD/deploy/slurm/sweep.sbatch" "${sweep[@]}") || fail "the job array failed (sbatch --wait)"
jobid=${jobid%%;*}
echo "slurm-check: job array $jobid (4 tasks) finished in $(($(date +%s) - start)) s"
ls shards/shard-{0,1,2,3}.jsonl >/dev/null || fail "a shard's log is missing: $(ls shards)"
"$gputrain" sweep merge --quiet shards/shard-*.jsonl >merged.txt || fail "gputrain sweep merge failed"
"$gputrain" sweep --quiet "${sweep[@]}" >whole.txt || fail "the unsharded sweep failed"
if ! cmp -s merged.txt whole.txt; then
	diff merged.txt whole.txt >&2 || true
	fail "the merged leaderboard differs from the unsharded sweep's"
fi
cat merged.txt
echo "slurm-check: PASS: the 4 shards' merged leaderboard equals the unsharded sweep's"
