# Checks of gputrain sweep beyond "go test":
#
#   make slurm-check     a sharded sweep on a real one-node Slurm cluster
#                        started on this machine (Debian's slurm-wlm and
#                        munge, installed by the script with apt-get when
#                        missing; loopback only, everything in a temporary
#                        directory), merged and compared with the unsharded
#                        sweep: scripts/slurm-check.sh. In CI.
#   make sweep-emu-test  a sweep spread over two CUDA devices in one
#                        process, on the CPU emulator with two devices
#                        (FAKECUDA_DEVICES=2), against one device.

.PHONY: slurm-check sweep-emu-test

slurm-check: build
	scripts/slurm-check.sh bin/gputrain

sweep-emu-test: bin/fakecuda.so
	GPUTRAIN_LIBCUDA=$(CURDIR)/bin/fakecuda.so FAKECUDA_DEVICES=2 GPUTRAIN_SWEEP_DEVICES=2 \
		$(GO) test -tags cuda -count=1 -run TestSweepOverTwoDevices -v ./cmd/gputrain/
