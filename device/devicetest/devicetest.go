// Package devicetest is the conformance suite every gputrain backend passes.
// Each operation of device.Device is run on random inputs (never zeros) with
// its output buffers poisoned (NaN) beforehand, at odd shapes, and compared
// with a float64 reference computed here on the host, with a tolerance
// stated per operation. The tests of each operation family are in the file
// of the family's name, as in package device and the backends.
package devicetest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/device"
)

// Shapes are the odd sizes every operation is exercised at: 1 and 7 (smaller
// than any tile), 20 and 41 (the workshop network), 1055 (the biodeg rows)
// and 4097 (one past a power of two).
var Shapes = []int{1, 7, 20, 41, 1055, 4097}

// Run runs the whole suite against devices produced by open, one per subtest.
func Run(t *testing.T, open func(t *testing.T) device.Device) {
	tests := []struct {
		name string
		fn   func(*testing.T, device.Device)
	}{
		{"UploadDownload", testUploadDownload},
		{"FillCopy", testFillCopy},
		{"GatherRows", testGatherRows},
		{"Gemm", testGemm},
		{"GemmBetaZeroIgnoresC", testGemmBetaZero},
		{"GemmStrided", testGemmStrided},
		{"ColumnSums", testColumnSums},
		{"BiasActivation", testBiasActivation},
		{"ActivationBackward", testActivationBackward},
		{"LossGrad", testLossGrad},
		{"LossGradGroups", testLossGradGroups},
		{"BatchNormTrain", testBatchNormTrain},
		{"BatchNormEval", testBatchNormEval},
		{"BatchNormBackward", testBatchNormBackward},
		{"BatchNormGradient", testBatchNormGradient},
		{"Optimizers", testOptimizers},
		{"Dropout", testDropout},
		{"Mul", testMul},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := open(t)
			defer d.Close()
			tc.fn(t, d)
			if err := d.Synchronize(); err != nil {
				t.Fatalf("device error: %v", err)
			}
		})
	}
}

// random returns n values uniform in ±[0.1, 1) — never zero.
func random(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		v := 0.1 + 0.9*rng.Float32()
		if rng.IntN(2) == 0 {
			v = -v
		}
		x[i] = v
	}
	return x
}

// upload allocates a buffer holding x.
func upload(t *testing.T, d device.Device, x []float32) device.Buffer {
	t.Helper()
	b, err := d.Alloc(len(x))
	if err != nil {
		t.Fatalf("Alloc(%d): %v", len(x), err)
	}
	d.Upload(b, x)
	return b
}

// poisoned allocates n elements filled with NaN, so unwritten outputs show.
func poisoned(t *testing.T, d device.Device, n int) device.Buffer {
	t.Helper()
	b, err := d.Alloc(n)
	if err != nil {
		t.Fatalf("Alloc(%d): %v", n, err)
	}
	d.Fill(b, n, float32(math.NaN()))
	return b
}

func download(t *testing.T, d device.Device, b device.Buffer, n int) []float32 {
	t.Helper()
	out := make([]float32, n)
	if err := d.Download(out, b); err != nil {
		t.Fatalf("Download: %v", err)
	}
	return out
}

// check compares got with want element by element: |got−want| ≤ atol + rtol·|want|.
func check(t *testing.T, what string, got []float32, want []float64, rtol, atol float64) {
	t.Helper()
	bad := 0
	for i, w := range want {
		g := float64(got[i])
		if math.IsNaN(g) || math.Abs(g-w) > atol+rtol*math.Abs(w) {
			if bad < 5 {
				t.Errorf("%s[%d] = %v, want %v (rtol %g, atol %g)", what, i, g, w, rtol, atol)
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d elements wrong", what, bad, len(want))
	}
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// BatchRows are the batch sizes the batch-normalisation and restart tests use: 1 and 2 (the
// degenerate batch statistics), 7, 41, the biodeg rows and one past a power
// of two.
var BatchRows = []int{1, 2, 7, 41, 1055, 4097}

// nanVec is n NaNs.
func nanVec(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(math.NaN())
	}
	return x
}

// checkInside compares got with want where inside is set (|got−want| ≤
// atol + rtol·|want|) and with old, bit for bit, elsewhere.
func checkInside(t *testing.T, what string, got []float32, want []float64, inside []bool, old []float32, rtol, atol float64) {
	t.Helper()
	bad := 0
	for i, w := range want {
		g := float64(got[i])
		var ok bool
		if inside[i] {
			ok = !math.IsNaN(g) && math.Abs(g-w) <= atol+rtol*math.Abs(w)
		} else {
			ok = math.Float32bits(got[i]) == math.Float32bits(old[i])
		}
		if !ok {
			if bad < 5 {
				if inside[i] {
					t.Errorf("%s: C[%d] = %v, want %v (rtol %g, atol %g)", what, i, g, w, rtol, atol)
				} else {
					t.Errorf("%s: C[%d] = %v outside every C_g, want it untouched (%v)", what, i, g, old[i])
				}
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d elements wrong", what, bad, len(want))
	}
}

// positive returns n values in [0.1, 2).
func positive(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 0.1 + 1.9*rng.Float32()
	}
	return x
}
