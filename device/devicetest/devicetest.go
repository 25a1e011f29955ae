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
	"slices"
	"testing"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/device/opspec"
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
		{"UploadDownload", narrow(testUploadDownload)},
		{"FillCopy", narrow(testFillCopy)},
		{"GatherRows", narrow(testGatherRows)},
		{"Gemm", narrow(testGemm)},
		{"GemmBetaZeroIgnoresC", narrow(testGemmBetaZero)},
		{"GemmStrided", narrow(testGemmStrided)},
		{"BiasActivation", narrow(testBiasActivation)},
		{"ActivationBackward", narrow(testActivationBackward)},
		{"LossGrad", narrow(testLossGrad)},
		{"LossGradGroups", narrow(testLossGradGroups)},
		{"BatchNormTrain", narrow(testBatchNormTrain)},
		{"BatchNormEval", narrow(testBatchNormEval)},
		{"BatchNormBackward", narrow(testBatchNormBackward)},
		{"BatchNormGradient", narrow(testBatchNormGradient)},
		{"Dropout", narrow(testDropout)},
		{"DropoutReplicas", narrow(testDropoutReplicas)},
		{"OptimStepReplicas", narrow(testOptimStepReplicas)},
	}
	for _, f := range families {
		tests = append(tests, struct {
			name string
			fn   func(*testing.T, device.Device)
		}{"Table/" + f, func(t *testing.T, d device.Device) { checkTable(t, d, f) }})
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
func upload(t *testing.T, d device.Memory, x []float32) device.Buffer {
	t.Helper()
	b, err := d.Alloc(len(x))
	if err != nil {
		t.Fatalf("Alloc(%d): %v", len(x), err)
	}
	d.Upload(b, x)
	return b
}

// poisoned allocates n elements filled with NaN, so unwritten outputs show.
func poisoned(t *testing.T, d device.Memory, n int) device.Buffer {
	t.Helper()
	b, err := d.Alloc(n)
	if err != nil {
		t.Fatalf("Alloc(%d): %v", n, err)
	}
	d.Fill(b, n, float32(math.NaN()))
	return b
}

func download(t *testing.T, d device.Memory, b device.Buffer, n int) []float32 {
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

// families are the op families of the opspec table.
var families = func() []string {
	var fs []string
	for _, op := range opspec.Ops {
		if !slices.Contains(fs, op.Family) {
			fs = append(fs, op.Family)
		}
	}
	return fs
}()

// tableShapes are the shapes every table entry is validated at, by the
// number of dimensions the op takes: the odd sizes of Shapes, matrices from
// a single element to the biodeg rows and one past a power of two (257×33:
// just past the rows where the CUDA backend splits column sums, with a
// ragged last block of columns), and the workshop's products.
var tableShapes = [4][]opspec.Shape{
	1: {{M: 1}, {M: 7}, {M: 20}, {M: 41}, {M: 1055}, {M: 4097}},
	2: {{M: 1, N: 1}, {M: 2, N: 41}, {M: 7, N: 20}, {M: 41, N: 7}, {M: 257, N: 33}, {M: 1055, N: 41}, {M: 4097, N: 1}},
	3: {{M: 1, N: 1, K: 1}, {M: 7, N: 7, K: 7}, {M: 1055, N: 20, K: 41}, {M: 20, N: 1, K: 1055}, {M: 65, N: 63, K: 129}},
}

// checkTable validates every op of the family in the opspec table against
// its float64 reference, within the table's tolerance, at tableShapes.
func checkTable(t *testing.T, d device.Device, family string) {
	for _, op := range opspec.Ops {
		if op.Family != family {
			continue
		}
		for i, s := range tableShapes[op.Dims] {
			x, err := opspec.New(d, op, s, uint64(100+i))
			if err != nil {
				t.Fatal(err)
			}
			if err := x.Validate(); err != nil {
				t.Error(err)
			}
			x.Free()
		}
	}
}

// narrow adapts a test of one family, which takes the narrow interface D
// that it needs (as gonum's testblas tests take one BLAS level), to Run's
// table of tests on a whole device.
func narrow[D any](f func(*testing.T, D)) func(*testing.T, device.Device) {
	return func(t *testing.T, d device.Device) { f(t, any(d).(D)) }
}
