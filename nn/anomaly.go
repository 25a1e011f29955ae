package nn

import (
	"fmt"
	"math"

	"github.com/gputrain/gputrain/device"
)

// Anomaly is the first non-finite value found in a tensor during training:
// which tensor, in which phase of which update, and the value.
type Anomaly struct {
	Tensor string  // e.g. "layers.0.weight gradient"
	Phase  string  // "forward pass", "loss", "backward pass" or "optimizer step"
	Update int     // 1-based number of the update whose phase produced it
	Value  float64 // NaN, +Inf or -Inf
}

// String says which tensor became what, where.
func (a Anomaly) String() string {
	return fmt.Sprintf("%s became %v in the %s of update %d", a.Tensor, a.Value, a.Phase, a.Update)
}

// anomalyChecker downloads the output of every operation and records the
// first non-finite value (--detect-anomaly, and the replay that names the
// tensor after a non-finite loss). A nil checker checks nothing.
type anomalyChecker struct {
	dev    device.Device
	buf    []float32
	phase  string
	update int
	found  *Anomaly
	err    error // a failed download
}

func newAnomalyChecker(dev device.Device) *anomalyChecker { return &anomalyChecker{dev: dev} }

// at sets the phase and update that following checks belong to.
func (a *anomalyChecker) at(phase string, iter int) {
	if a != nil {
		a.phase, a.update = phase, iter+1
	}
}

// check scans b[0:n], the output of the operation just queued, named name.
func (a *anomalyChecker) check(name string, b device.Buffer, n int) {
	if a == nil || a.found != nil || a.err != nil || n <= 0 {
		return
	}
	if cap(a.buf) < n {
		a.buf = make([]float32, n)
	}
	if err := a.dev.Download(a.buf[:n], b); err != nil {
		a.err = err
		return
	}
	for _, v := range a.buf[:n] {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			a.found = &Anomaly{Tensor: name, Phase: a.phase, Update: a.update, Value: f}
			return
		}
	}
}
