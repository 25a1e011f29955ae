package charts

import (
	"math"
	"testing"
)

// Sweep charts draw numeric, logarithmic and categorical axes, leave out
// a diverged configuration (NaN) and refuse to draw nothing.
func TestSweep(t *testing.T) {
	pts := []Point{{X: 1e-4, Y: 80, SD: 2}, {X: 1e-3, Y: 72, SD: 1}, {X: 1e-2, Y: math.NaN()}, {X: 1e-1, Y: 140, SD: 20}}
	for _, c := range []struct {
		name       string
		categories []string
		logX       bool
	}{{"linear", nil, false}, {"log", nil, true}, {"categories", []string{"a", "b", "c", "d"}, false}} {
		in := pts
		if c.categories != nil {
			in = append([]Point(nil), pts...)
			for i := range in {
				in[i].X = float64(i)
			}
		}
		p, err := Sweep("loss against --lr", "--lr", "loss", in, c.categories, c.logX)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkPNG(t, c.name, p)
		if p.X.Min >= 0 && c.categories != nil || p.X.Max <= in[len(in)-1].X {
			t.Errorf("%s: x axis %v…%v does not leave room around the points", c.name, p.X.Min, p.X.Max)
		}
	}
	if _, err := Sweep("t", "x", "y", []Point{{X: 1, Y: math.Inf(1)}}, nil, false); err == nil {
		t.Error("a chart of no finite point was drawn")
	}
}
