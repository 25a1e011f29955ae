package torchcheck_test

import (
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/nn/torchcheck"
)

func TestCPUMatchesPyTorch(t *testing.T) {
	d := cpu.New()
	defer d.Close()
	torchcheck.Run(t, d)
}
