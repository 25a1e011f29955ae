package nn

import (
	"fmt"
	"math"

	"github.com/gputrain/gputrain/internal/advice"
)

// ScheduleKind names a learning-rate schedule.
type ScheduleKind string

// The learning-rate schedules.
const (
	// ConstantLR keeps the learning rate at its base value.
	ConstantLR ScheduleKind = "constant"
	// StepLR multiplies the learning rate by Gamma every StepSize updates
	// (PyTorch's StepLR).
	StepLR ScheduleKind = "step"
	// CosineLR anneals the learning rate from its base value towards MinLR
	// along half a cosine over the updates after warm-up (PyTorch's
	// CosineAnnealingLR with T_max the number of those updates).
	CosineLR ScheduleKind = "cosine"
)

// ParseSchedule checks a learning-rate schedule's name.
func ParseSchedule(s string) (ScheduleKind, error) {
	switch ScheduleKind(s) {
	case ConstantLR, StepLR, CosineLR:
		return ScheduleKind(s), nil
	}
	return "", invalidName(advice.LRSchedule, s, "constant, step or cosine")
}

// Schedule says how the learning rate changes over the updates of a run.
// The zero value keeps it constant.
type Schedule struct {
	Kind ScheduleKind
	// Warmup is the number of updates over which the learning rate rises
	// linearly from base/Warmup to base before the schedule proper starts.
	Warmup int
	// StepSize and Gamma parameterise StepLR.
	StepSize int
	Gamma    float64
	// MinLR is where CosineLR ends.
	MinLR float64
}

// Validate checks the schedule's parameters.
func (s Schedule) Validate() error {
	switch s.Kind {
	case "", ConstantLR, CosineLR:
	case StepLR:
		if s.StepSize < 1 {
			return advice.New(func(name advice.Namer) string {
				return fmt.Sprintf("%s step needs %s ≥ 1 (updates between decays)", name(advice.LRSchedule), name(advice.LRStepSize))
			})
		}
		if !(s.Gamma > 0) || math.IsInf(s.Gamma, 0) {
			return invalidValue(advice.LRGamma, "a positive number")
		}
	default:
		return fmt.Errorf("unknown learning-rate schedule %q", s.Kind)
	}
	if s.Warmup < 0 {
		return invalidValue(advice.WarmupSteps, "≥ 0")
	}
	if s.MinLR < 0 || math.IsInf(s.MinLR, 0) || math.IsNaN(s.MinLR) {
		return invalidValue(advice.LRMin, "≥ 0")
	}
	return nil
}

// LR returns the learning rate of update i (0-based) of a run of total
// updates with base rate base.
func (s Schedule) LR(base float64, i, total int) float64 {
	if i < s.Warmup {
		return base * float64(i+1) / float64(s.Warmup)
	}
	j, span := i-s.Warmup, total-s.Warmup
	switch s.Kind {
	case StepLR:
		return base * math.Pow(s.Gamma, float64(j/s.StepSize))
	case CosineLR:
		if span < 1 {
			return base
		}
		frac := float64(j) / float64(span)
		return s.MinLR + (base-s.MinLR)*0.5*(1+math.Cos(math.Pi*frac))
	}
	return base
}
