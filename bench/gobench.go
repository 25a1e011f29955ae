package bench

import (
	"testing"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
)

// TimeSteps times b.N training updates of p on dev with an nn.Trainer and
// returns the seconds per update. One loss read at the end (CheckEvery =
// b.N) leaves the loop undisturbed; a full-batch trainer adds one forward
// pass for the final loss, a third of a step spread over b.N steps. The
// suite's Go benchmarks and the CPU backend's use it.
func TimeSteps(b *testing.B, dev device.Device, p *Problem) float64 {
	t, err := nn.NewTrainer(dev, p.Config(b.N, b.N), p.X, p.Y, p.Rows)
	if err != nil {
		b.Fatal(err)
	}
	defer t.Close()
	b.ResetTimer()
	if _, err := t.Run(nil); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	return b.Elapsed().Seconds() / float64(b.N)
}
