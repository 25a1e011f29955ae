package bench

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
)

// BlockTimer measures training step latency from an nn.Trainer's loss
// callback, without touching the training loop: the trainer reads its loss
// history from the device every CheckEvery updates (a synchronisation), and
// the callback runs right after each read, so the time between two reads is
// the wall time of CheckEvery updates. Pass OnLoss as the onLoss argument
// of Trainer.Run (or job.RunExperiment) with TrainConfig.CheckEvery = Block.
//
// The first block is a warm-up (first-touch page faults, library set-up)
// and is not timed; so is a last, partial block. Every implementation in
// the suite is timed by the same rule.
type BlockTimer struct {
	Block int // updates per block: the trainer's CheckEvery
	Total int // updates in the run

	seen int
	last time.Time
	// StepSeconds holds, for each timed block, its wall time divided by Block.
	StepSeconds []float64
	// Final is the last loss point the trainer reported.
	Final nn.LossPoint
}

// NewBlockTimer returns a timer for a run of total updates read every block.
func NewBlockTimer(block, total int) *BlockTimer {
	return &BlockTimer{Block: block, Total: total}
}

// OnLoss receives every recorded loss point, in order.
func (b *BlockTimer) OnLoss(p nn.LossPoint) {
	// Points arrive Block at a time; the first point of read j (0-based)
	// marks the end of block j. Reads past the last full block (the
	// full-batch trainer's final loss, a partial block) are not timed.
	if b.seen%b.Block == 0 && b.seen/b.Block < b.Total/b.Block {
		now := time.Now()
		if b.seen > 0 {
			b.StepSeconds = append(b.StepSeconds, now.Sub(b.last).Seconds()/float64(b.Block))
		}
		b.last = now
	}
	b.seen++
	b.Final = p
}

// DefaultBlock picks the block length for a run of steps updates: about a
// tenth of the run, at most 100, at least 1.
func DefaultBlock(steps int) int {
	return max(1, min(100, steps/10))
}

// TimeBlocks runs op perBlock times per block and synchronises dev after
// each block, for warmup+blocks blocks, and returns the wall time per op of
// each timed block (the first warmup blocks are not timed).
func TimeBlocks(dev device.Device, op func(), perBlock, warmup, blocks int) ([]float64, error) {
	var out []float64
	for b := 0; b < warmup+blocks; b++ {
		start := time.Now()
		for i := 0; i < perBlock; i++ {
			op()
		}
		if err := dev.Synchronize(); err != nil {
			return nil, err
		}
		if b >= warmup {
			out = append(out, time.Since(start).Seconds()/float64(perBlock))
		}
	}
	return out, nil
}

// Calibrate times one call of op (synchronised) and returns how many calls
// fill about target seconds, at least 1. The call doubles as a warm-up.
func Calibrate(dev device.Device, op func(), target float64) (int, error) {
	start := time.Now()
	op()
	if err := dev.Synchronize(); err != nil {
		return 0, err
	}
	t := time.Since(start).Seconds()
	if t <= 0 {
		return 1 << 20, nil
	}
	return int(max(1, min(1<<20, math.Round(target/t)))), nil
}

// Summary describes a sample of timings (or any positive values).
type Summary struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Q1     float64 `json:"q1"` // lower quartile
	Q3     float64 `json:"q3"` // upper quartile
}

// Summarize computes the median, extremes and quartiles of xs (linear
// interpolation between order statistics, as numpy's default). An empty
// sample gives a zero Summary with N 0.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return Summary{N: len(s), Median: Quantile(s, 0.5), Min: s[0], Max: s[len(s)-1], Q1: Quantile(s, 0.25), Q3: Quantile(s, 0.75)}
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of the sorted sample s by
// linear interpolation; NaN for an empty sample.
func Quantile(s []float64, q float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (pos-float64(lo))*(s[hi]-s[lo])
}

// Spread renders min–max of a summary scaled by unit (e.g. 1e6 for µs).
func (s Summary) Spread(unit float64) string {
	return fmt.Sprintf("%s–%s", FormatNumber(s.Min*unit), FormatNumber(s.Max*unit))
}

// FormatNumber prints v with three significant digits and thousands
// separators for large values: 0.0123, 1.23, 123, 1,235.
func FormatNumber(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprint(v)
	case math.Abs(v) >= 1000:
		s := fmt.Sprintf("%.0f", v)
		neg := s[0] == '-'
		if neg {
			s = s[1:]
		}
		var out []byte
		for i := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				out = append(out, ',')
			}
			out = append(out, s[i])
		}
		if neg {
			return "-" + string(out)
		}
		return string(out)
	case v == 0:
		return "0"
	}
	// Round to three significant digits first, so that 0.9997 prints as 1.00.
	p := math.Floor(math.Log10(math.Abs(v)))
	scale := math.Pow(10, p-2)
	r := math.Round(v/scale) * scale
	if math.Abs(r) >= 1000 {
		return FormatNumber(r)
	}
	digits := max(0, 2-int(math.Floor(math.Log10(math.Abs(r)))))
	return fmt.Sprintf("%.*f", digits, r)
}

// FormatSeconds renders seconds with a unit, sep between number and unit:
// "151 µs", "3.68 ms", "1.02 s" (sep " "); "n/a" for NaN or a non-positive
// time.
func FormatSeconds(sec float64, sep string) string {
	switch {
	case math.IsNaN(sec) || sec <= 0:
		return "n/a"
	case sec < 1e-3:
		return FormatNumber(sec*1e6) + sep + "µs"
	case sec < 1:
		return FormatNumber(sec*1e3) + sep + "ms"
	}
	return FormatNumber(sec) + sep + "s"
}

// FormatSI prints v with three significant digits and an SI prefix before
// unit: FormatSI(5.3172e6, "FLOP") is "5.32 MFLOP"; with no unit the prefix
// follows the number directly: "47.6k".
func FormatSI(v float64, unit string) string {
	prefixes := []string{"", "k", "M", "G", "T", "P"}
	i := 0
	for math.Abs(v) >= 999.5 && i < len(prefixes)-1 {
		v /= 1000
		i++
	}
	if unit == "" {
		return FormatNumber(v) + prefixes[i]
	}
	return FormatNumber(v) + " " + prefixes[i] + unit
}
