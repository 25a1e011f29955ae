package device

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
)

// torchActivations is testdata/torch_activations.json, written by
// torch_activations.py from PyTorch's modules in float64.
type torchActivations struct {
	Torch       string
	Alpha       float64
	Z           []float64
	Activations map[string]struct {
		Module string
		F, DF  []float64
	}
}

// TestActivationsMatchPyTorch: every table entry's float64 forward and
// derivative equal PyTorch's (its torch.nn module in float64, derivative by
// autograd) to 1e-12 at every point of the grid, and every entry has
// PyTorch values.
func TestActivationsMatchPyTorch(t *testing.T) {
	b, err := os.ReadFile("testdata/torch_activations.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref torchActivations
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	for _, a := range AllActivations() {
		s := a.Spec()
		want, ok := ref.Activations[s.Name]
		if !ok {
			t.Errorf("%s: no PyTorch values (rerun testdata/torch_activations.py)", s.Name)
			continue
		}
		worst := 0.0
		for i, z := range ref.Z {
			for _, c := range []struct {
				what      string
				got, want float64
			}{{"f", s.Forward(z, ref.Alpha), want.F[i]}, {"f′", s.Derivative(z, ref.Alpha), want.DF[i]}} {
				d := math.Abs(c.got - c.want)
				worst = max(worst, d)
				if d > 1e-12*max(1, math.Abs(c.want)) {
					t.Errorf("%s: %s(%g) = %.17g, %s gives %.17g", s.Name, c.what, z, c.got, want.Module, c.want)
				}
			}
		}
		t.Logf("%-9s largest difference from %s (torch %s): %.3g", s.Name, want.Module, ref.Torch, worst)
	}
}

// TestActivationDerivatives: every entry's Derivative is the derivative of
// its Forward, by central differences (h = 1e-6) away from kinks at 0.
func TestActivationDerivatives(t *testing.T) {
	const h = 1e-6
	for _, a := range AllActivations() {
		s := a.Spec()
		for _, alpha := range []float64{0.01, 0.2} {
			for z := -6.0; z <= 6; z += 0.0625 {
				if math.Abs(z) < 2*h {
					continue
				}
				fd := (s.Forward(z+h, alpha) - s.Forward(z-h, alpha)) / (2 * h)
				if d := s.Derivative(z, alpha); math.Abs(d-fd) > 1e-7*max(1, math.Abs(fd)) {
					t.Errorf("%s(alpha %g): derivative at %g is %.12g, central difference %.12g", s.Name, alpha, z, d, fd)
				}
			}
		}
	}
}

// TestActivationNames: every activation has its own name, and a value
// outside the table prints as a number.
func TestActivationNames(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range AllActivations() {
		if n := a.String(); n == "" || seen[n] {
			t.Errorf("activation %d: name %q empty or taken", int(a), n)
		}
		seen[a.String()] = true
	}
	if s, want := Activation(len(activations)).String(), fmt.Sprintf("Activation(%d)", len(activations)); s != want {
		t.Errorf("out-of-table String() = %q, want %q", s, want)
	}
}
