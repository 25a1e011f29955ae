# A sharded sweep on a real one-node Slurm cluster started on this machine
# (Debian's slurm-wlm and munge, installed by the script with apt-get when
# missing; loopback only, everything in a temporary directory), merged and
# compared with the unsharded sweep: scripts/slurm-check.sh.

.PHONY: slurm-check

slurm-check: build
	scripts/slurm-check.sh bin/gputrain
