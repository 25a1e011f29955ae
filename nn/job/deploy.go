package job

import (
	"strconv"

	"github.com/gputrain/gputrain/data"
)

// DecodeModel reads a model from the bytes of a file written by Save.
func DecodeModel(b []byte) (*Model, error) { return decodeModel(b) }

// Threshold is the binary decision threshold saved with the model (train's
// --threshold, or the one --threshold auto chose), 0.5 for older files.
func (m *Model) Threshold() float64 {
	if v, err := strconv.ParseFloat(m.Info["threshold"], 64); err == nil && v > 0 && v < 1 {
		return v
	}
	return 0.5
}

// Decide returns the index in Classes of the class one row's probabilities
// (see Probabilities) predict: for a binary task the second class when its
// probability prob[0] reaches threshold, for a multiclass task the most
// probable class, the first on a tie. It returns -1 for regression.
func (m *Model) Decide(prob []float64, threshold float64) int {
	switch m.Task {
	case data.TaskBinary:
		if prob[0] >= threshold {
			return 1
		}
		return 0
	case data.TaskMulticlass:
		best := 0
		for c, p := range prob {
			if p > prob[best] {
				best = c
			}
		}
		return best
	}
	return -1
}
