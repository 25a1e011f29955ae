package job

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// CheckFinite reports the first tensor of the model (by its name in the
// model file) that holds NaN or ±Inf: a model with one predicts NaN for
// every row, which must not pass for a prediction.
func (m *Model) CheckFinite() error {
	tensors := ParamTensors(m.Arch, m.Params)
	names := make([]string, 0, len(tensors))
	for name := range tensors {
		names = append(names, name)
	}
	// layers.10 after layers.9: compare the layer numbers, not the text.
	slices.SortFunc(names, func(a, b string) int {
		var la, lb int
		fmt.Sscanf(a, "layers.%d.", &la)
		fmt.Sscanf(b, "layers.%d.", &lb)
		if la != lb {
			return la - lb
		}
		return strings.Compare(a, b)
	})
	for _, name := range names {
		for i, v := range tensors[name].F32 {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Errorf("tensor %q holds %v at element %d: the model's parameters are not finite, so it cannot predict", name, f, i)
			}
		}
	}
	if s := m.Scaler; s != nil {
		for name, vs := range map[string][]float64{"scaler.mean": s.Mean, "scaler.scale": s.Scale} {
			for i, v := range vs {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("tensor %q holds %v at element %d: the model's standardisation is not finite, so it cannot predict", name, v, i)
				}
			}
		}
	}
	return nil
}
