//go:build !cuda

package cuda

import (
	"errors"

	"github.com/gputrain/gputrain/device"
)

// ErrNotBuilt is what the "cuda" device kind reports in a build without the
// cuda tag.
var ErrNotBuilt = errors.New(`gputrain was built without CUDA: build it with "make cuda" (go build -tags cuda ./cmd/gputrain) on a machine with the CUDA toolkit`)

func init() {
	device.Register("cuda", 10,
		func(int) (device.Device, error) { return nil, ErrNotBuilt },
		func() ([]string, error) { return nil, ErrNotBuilt })
}
