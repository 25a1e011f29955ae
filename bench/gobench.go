package bench

import (
	"time"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
)

// Benchmark is what TimeSteps needs of a *testing.B. It is an interface so
// that this package, which the gputrain binary links, does not link the
// testing package into it.
type Benchmark interface {
	ResetTimer()
	StopTimer()
	Elapsed() time.Duration
	Fatal(args ...any)
}

// TimeSteps times n training updates of p on dev with an nn.Trainer and
// returns the seconds per update; b is the benchmark and n its b.N. One
// loss read at the end (CheckEvery = n) leaves the loop undisturbed; a
// full-batch trainer adds one forward pass for the final loss, a third of
// a step spread over n steps. The suite's Go benchmarks and the CPU
// backend's use it.
func TimeSteps(b Benchmark, n int, dev device.Device, p *Problem) float64 {
	t, err := nn.NewTrainer(dev, p.Config(n, n), p.X, p.Y, p.Rows)
	if err != nil {
		b.Fatal(err)
	}
	defer t.Close()
	b.ResetTimer()
	if _, err := t.Run(nil); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	return b.Elapsed().Seconds() / float64(n)
}
