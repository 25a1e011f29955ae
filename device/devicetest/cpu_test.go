package devicetest_test

import (
	"testing"

	"github.com/gputrain/gputrain/cpu"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/device/devicetest"
)

// TestSuiteOnTheCPU runs the conformance suite from its own package
// against the CPU backend, so that a change to the suite's expected values
// (a mutant, a slip) shows up as a failure here, where the suite lives.
func TestSuiteOnTheCPU(t *testing.T) {
	devicetest.Run(t, func(t *testing.T) device.Device { return cpu.New() })
}
