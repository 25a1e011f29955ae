//go:build cuda

package cuda_test

import (
	"testing"

	"github.com/gputrain/gputrain/nn/torchcheck"
)

// TestMatchesPyTorch repeats the PyTorch float32 training runs of package
// torchcheck (every activation, every optimizer) on cuda:0.
func TestMatchesPyTorch(t *testing.T) {
	d := openCUDA(t)
	defer d.Close()
	torchcheck.Run(t, d)
}
