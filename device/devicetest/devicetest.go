// Package devicetest is the conformance suite every gputrain backend passes.
// Each operation of device.Device is run on random inputs (never zeros) with
// its output buffers poisoned (NaN) beforehand, at odd shapes, and compared
// with a float64 reference computed here on the host, with a tolerance
// stated per operation.
package devicetest

import (
	"fmt"
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
		{"Gemm", testGemm},
		{"GemmBetaZeroIgnoresC", testGemmBetaZero},
		{"BiasActivation", testBiasActivation},
		{"ActivationBackward", testActivationBackward},
		{"ColumnSums", testColumnSums},
		{"LossGrad", testLossGrad},
		{"GatherRows", testGatherRows},
		{"Dropout", testDropout},
		{"Mul", testMul},
		{"Optimizers", testOptimizers},
		// Batch normalisation and restarts side by side (batch.go).
		{"GemmStrided", testGemmStrided},
		{"GemmStridedCountOneIsGemm", testGemmStridedIsGemm},
		{"LossGradGroups", testLossGradGroups},
		{"BatchNormTrain", testBatchNormTrain},
		{"BatchNormEval", testBatchNormEval},
		{"BatchNormBackward", testBatchNormBackward},
		{"BatchNormGradient", testBatchNormGradient},
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

func testUploadDownload(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range Shapes {
		x := random(rng, n)
		b := upload(t, d, x)
		check(t, fmt.Sprintf("n=%d", n), download(t, d, b, n), to64(x), 0, 0)
		d.Free(b)
	}
}

func testFillCopy(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(2, 1))
	for _, n := range Shapes {
		x := random(rng, n)
		src := upload(t, d, x)
		dst := poisoned(t, d, n+1)
		d.Fill(dst, n+1, 0.5)
		d.Copy(dst, src, n)
		want := append(to64(x), 0.5)
		check(t, fmt.Sprintf("copy n=%d", n), download(t, d, dst, n+1), want, 0, 0)
	}
}

// refGemm is the float64 reference for row-major C = alpha·op(A)·op(B) + beta·C.
func refGemm(transA, transB bool, m, n, k int, alpha float64, a, b []float32, beta float64, c []float32) []float64 {
	out := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				av := a[i*k+p]
				if transA {
					av = a[p*m+i]
				}
				bv := b[p*n+j]
				if transB {
					bv = b[j*k+p]
				}
				s += float64(av) * float64(bv)
			}
			out[i*n+j] = alpha * s
			if beta != 0 {
				out[i*n+j] += beta * float64(c[i*n+j])
			}
		}
	}
	return out
}

// gemmShapes covers the workshop's shapes (1055×41 · 41×20, 20×1), the
// backward transposes, tiny and one-past-tile sizes.
var gemmShapes = [][3]int{
	{1, 1, 1}, {7, 7, 7}, {1055, 20, 41}, {1055, 1, 20}, {41, 20, 1055}, {20, 1, 1055},
	{1055, 41, 20}, {1055, 20, 1}, {65, 63, 129}, {129, 4097 / 64, 7}, {33, 257, 65},
}

func testGemm(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(3, 1))
	for _, s := range gemmShapes {
		m, n, k := s[0], s[1], s[2]
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			a, b, c := random(rng, m*k), random(rng, k*n), random(rng, m*n)
			alpha, beta := float32(0.75), float32(-0.5)
			ab, bb, cb := upload(t, d, a), upload(t, d, b), upload(t, d, c)
			d.Gemm(tr[0], tr[1], m, n, k, alpha, ab, bb, beta, cb)
			want := refGemm(tr[0], tr[1], m, n, k, float64(alpha), a, b, float64(beta), c)
			// float32 accumulation of k products of magnitude ≤ 1: error grows like k·eps.
			atol := 1e-6 * float64(k)
			check(t, fmt.Sprintf("gemm m=%d n=%d k=%d tA=%v tB=%v", m, n, k, tr[0], tr[1]), download(t, d, cb, m*n), want, 1e-5, atol)
			d.Free(ab)
			d.Free(bb)
			d.Free(cb)
		}
	}
}

func testGemmBetaZero(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(4, 1))
	m, n, k := 41, 20, 7
	a, b := random(rng, m*k), random(rng, k*n)
	ab, bb := upload(t, d, a), upload(t, d, b)
	cb := poisoned(t, d, m*n)
	d.Gemm(false, false, m, n, k, 1, ab, bb, 0, cb)
	check(t, "gemm beta=0 over NaN", download(t, d, cb, m*n), refGemm(false, false, m, n, k, 1, a, b, 0, nil), 1e-5, 1e-5)
}

var activations = []device.Activation{device.Identity, device.Tanh, device.ReLU, device.Sigmoid}

func refActivate(act device.Activation, z float64) float64 {
	switch act {
	case device.Tanh:
		return math.Tanh(z)
	case device.ReLU:
		return math.Max(z, 0)
	case device.Sigmoid:
		return 1 / (1 + math.Exp(-z))
	}
	return z
}

func testBiasActivation(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(5, 1))
	for _, act := range activations {
		for _, rows := range Shapes {
			for _, cols := range []int{1, 20, 41} {
				z, bias := random(rng, rows*cols), random(rng, cols)
				for i := range z {
					z[i] *= 4 // reach the saturated parts of tanh and sigmoid
				}
				zb, bb := upload(t, d, z), upload(t, d, bias)
				out := poisoned(t, d, rows*cols)
				d.BiasActivation(act, zb, bb, out, rows, cols)
				want := make([]float64, rows*cols)
				for i := range want {
					want[i] = refActivate(act, float64(z[i])+float64(bias[i%cols]))
				}
				check(t, fmt.Sprintf("%v rows=%d cols=%d", act, rows, cols), download(t, d, out, rows*cols), want, 1e-5, 1e-6)
				// In place (out == z).
				d.BiasActivation(act, zb, bb, zb, rows, cols)
				check(t, fmt.Sprintf("%v in place rows=%d cols=%d", act, rows, cols), download(t, d, zb, rows*cols), want, 1e-5, 1e-6)
			}
		}
	}
}

func testActivationBackward(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(6, 1))
	for _, act := range activations {
		for _, n := range Shapes {
			out, dout := random(rng, n), random(rng, n)
			if act == device.Sigmoid {
				for i := range out {
					out[i] = (out[i] + 1) / 2 // a sigmoid output lies in (0,1)
				}
			}
			ob, gb := upload(t, d, out), upload(t, d, dout)
			dz := poisoned(t, d, n)
			d.ActivationBackward(act, ob, gb, dz, n)
			want := make([]float64, n)
			for i := range want {
				o := float64(out[i])
				deriv := 1.0
				switch act {
				case device.Tanh:
					deriv = 1 - o*o
				case device.ReLU:
					if o <= 0 {
						deriv = 0
					}
				case device.Sigmoid:
					deriv = o * (1 - o)
				}
				want[i] = float64(dout[i]) * deriv
			}
			check(t, fmt.Sprintf("%v' n=%d", act, n), download(t, d, dz, n), want, 1e-5, 1e-7)
		}
	}
}

func testColumnSums(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(7, 1))
	for _, rows := range Shapes {
		for _, cols := range []int{1, 7, 20, 41} {
			x := random(rng, rows*cols)
			xb := upload(t, d, x)
			out := poisoned(t, d, cols)
			d.ColumnSums(xb, rows, cols, out)
			want := make([]float64, cols)
			for i, v := range x {
				want[i%cols] += float64(v)
			}
			check(t, fmt.Sprintf("colsum %d×%d", rows, cols), download(t, d, out, cols), want, 1e-5, 1e-6*float64(rows))
		}
	}
}

// lossProblem draws logits (rows × width, large: a naive log(sigmoid) would
// overflow) and targets for loss with cols outputs per model: 0/1 or values
// (rows × cols), or class indices (rows).
func lossProblem(rng *rand.Rand, loss device.Loss, rows, width, cols int) (z, y []float32) {
	z = random(rng, rows*width)
	for i := range z {
		z[i] *= 30
	}
	switch loss {
	case device.Logistic:
		y = make([]float32, rows*cols)
		for i := range y {
			y[i] = float32(rng.IntN(2))
		}
	case device.SoftmaxCE:
		y = make([]float32, rows)
		for i := range y {
			y[i] = float32(rng.IntN(cols))
		}
	case device.MSE:
		y = random(rng, rows*cols)
	}
	return z, y
}

// targetRow returns row r's targets: cols values (logistic, MSE) or the
// one class index (softmax cross-entropy).
func targetRow(loss device.Loss, y []float32, r, cols int) []float32 {
	if loss == device.SoftmaxCE {
		return y[r : r+1]
	}
	return y[r*cols : (r+1)*cols]
}

// refLossRow is the float64 reference of one row's loss (returned) and its
// gradient scale·∂loss/∂z (written to grad), for logits z and targets y.
func refLossRow(loss device.Loss, z []float64, y []float32, scale float64, grad []float64) float64 {
	var l float64
	switch loss {
	case device.Logistic:
		for c, zz := range z {
			yy := float64(y[c])
			l += math.Max(zz, 0) + math.Log1p(math.Exp(-math.Abs(zz))) - yy*zz
			grad[c] = scale * (1/(1+math.Exp(-zz)) - yy)
		}
	case device.MSE:
		for c, zz := range z {
			res := zz - float64(y[c])
			l += res * res
			grad[c] = scale * 2 * res
		}
	case device.SoftmaxCE:
		mx := math.Inf(-1)
		for _, v := range z {
			mx = math.Max(mx, v)
		}
		var s float64
		for _, v := range z {
			s += math.Exp(v - mx)
		}
		label := int(y[0])
		l = math.Log(s) + mx - z[label]
		for c, v := range z {
			p := math.Exp(v-mx) / s
			if c == label {
				p--
			}
			grad[c] = scale * p
		}
	}
	return l
}

func testLossGrad(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(8, 1))
	for _, loss := range []device.Loss{device.Logistic, device.SoftmaxCE, device.MSE} {
		for _, rows := range Shapes {
			cols := 1
			if loss == device.SoftmaxCE {
				cols = 10
			}
			z, y := lossProblem(rng, loss, rows, cols, cols)
			zb, yb := upload(t, d, z), upload(t, d, y)
			grad := poisoned(t, d, rows*cols)
			lossOut := poisoned(t, d, 3)
			scale := float32(1) / float32(rows)
			d.LossGrad(loss, zb, yb, grad, rows, cols, scale, lossOut, 1)
			wantGrad := make([]float64, rows*cols)
			var wantLoss float64
			for r := 0; r < rows; r++ {
				wantLoss += refLossRow(loss, to64(z[r*cols:(r+1)*cols]), targetRow(loss, y, r, cols), float64(scale), wantGrad[r*cols:(r+1)*cols])
			}
			name := fmt.Sprintf("%v rows=%d", loss, rows)
			check(t, name+" grad", download(t, d, grad, rows*cols), wantGrad, 1e-4, 1e-7)
			lo := download(t, d, lossOut, 3)
			check(t, name+" loss", lo[1:2], []float64{wantLoss}, 1e-5, 1e-5)
			if !math.IsNaN(float64(lo[0])) || !math.IsNaN(float64(lo[2])) {
				t.Errorf("%s: LossGrad wrote outside lossOut[lossAt]: %v", name, lo)
			}
		}
	}
}

func testGatherRows(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(9, 1))
	for _, rows := range Shapes {
		cols := 41
		src := random(rng, rows*cols)
		sb := upload(t, d, src)
		n, off := rows/2+1, 3
		idx := make([]int32, n+off)
		for i := range idx {
			idx[i] = int32(rng.IntN(rows))
		}
		ib, err := d.AllocIndex(n + off)
		if err != nil {
			t.Fatal(err)
		}
		d.UploadIndex(ib, idx)
		dst := poisoned(t, d, n*cols)
		d.GatherRows(sb, ib, off, dst, n, cols)
		want := make([]float64, n*cols)
		for i, j := range idx[off:] {
			copy(want[i*cols:(i+1)*cols], to64(src[int(j)*cols:(int(j)+1)*cols]))
		}
		check(t, fmt.Sprintf("gather %d of %d rows", n, rows), download(t, d, dst, n*cols), want, 0, 0)
		d.FreeIndex(ib)
	}
}

// keep is the dropout rule written out independently of
// device.DropoutKeep, so that a device and the expected mask cannot share
// a bug: the top 24 bits of the SplitMix64 finaliser of seed + i·φ, as a
// fraction of 2²⁴, compared with p.
func keep(seed uint64, i int, p float32) bool {
	z := seed + uint64(i)*0x9E3779B97F4A7C15
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	z ^= z >> 31
	return float32(z>>40)/(1<<24) >= p
}

func testDropout(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(10, 1))
	for _, p := range []float32{0.1, 0.5} {
		for _, n := range Shapes {
			x := random(rng, n)
			xb := upload(t, d, x)
			mask := poisoned(t, d, n)
			seed := rng.Uint64()
			d.Dropout(xb, mask, n, p, seed)
			wantMask, wantX := make([]float64, n), make([]float64, n)
			scale := float64(float32(1) / (1 - p))
			for i := range wantMask {
				if keep(seed, i, p) {
					wantMask[i] = scale
				}
				wantX[i] = float64(x[i]) * wantMask[i]
			}
			name := fmt.Sprintf("dropout p=%v n=%d", p, n)
			check(t, name+" mask", download(t, d, mask, n), wantMask, 0, 0)
			check(t, name+" x", download(t, d, xb, n), wantX, 1e-7, 0)
		}
	}
	// The mask itself: about p of a large vector dropped.
	n, p := 100000, float32(0.3)
	kept := 0
	for i := 0; i < n; i++ {
		if keep(12345, i, p) {
			kept++
		}
	}
	if frac := 1 - float64(kept)/float64(n); math.Abs(frac-0.3) > 0.01 {
		t.Errorf("DropoutKeep drops %.4f of elements, want 0.3 ± 0.01", frac)
	}
}

func testMul(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(11, 1))
	for _, n := range Shapes {
		a, b := random(rng, n), random(rng, n)
		ab, bb := upload(t, d, a), upload(t, d, b)
		out := poisoned(t, d, n)
		d.Mul(ab, bb, out, n)
		want := make([]float64, n)
		for i := range want {
			want[i] = float64(a[i]) * float64(b[i])
		}
		check(t, fmt.Sprintf("mul n=%d", n), download(t, d, out, n), want, 1e-7, 0)
	}
}

func testOptimizers(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(12, 1))
	const lr, wd, mom, b1, b2, eps = 0.01, 0.1, 0.9, 0.9, 0.999, 1e-8
	for _, n := range Shapes {
		p0, g, v0, m0 := random(rng, n), random(rng, n), random(rng, n), random(rng, n)
		for i := range v0 {
			v0[i] = v0[i] * v0[i] // Adam's second moment is non-negative
		}
		// SGD
		pb, gb := upload(t, d, p0), upload(t, d, g)
		d.SGDStep(pb, gb, n, lr, wd)
		want := make([]float64, n)
		for i := range want {
			want[i] = float64(p0[i]) - lr*(float64(g[i])+wd*float64(p0[i]))
		}
		check(t, fmt.Sprintf("sgd n=%d", n), download(t, d, pb, n), want, 1e-6, 1e-7)
		// Momentum
		pb, vb := upload(t, d, p0), upload(t, d, m0)
		d.MomentumStep(pb, gb, vb, n, lr, mom, wd)
		wantV := make([]float64, n)
		for i := range want {
			wantV[i] = mom*float64(m0[i]) + float64(g[i]) + wd*float64(p0[i])
			want[i] = float64(p0[i]) - lr*wantV[i]
		}
		check(t, fmt.Sprintf("momentum p n=%d", n), download(t, d, pb, n), want, 1e-6, 1e-7)
		check(t, fmt.Sprintf("momentum v n=%d", n), download(t, d, vb, n), wantV, 1e-6, 1e-7)
		// Adam, at step 3 so the bias corrections matter.
		pb, mb, vb2 := upload(t, d, p0), upload(t, d, m0), upload(t, d, v0)
		const step = 3
		d.AdamStep(pb, gb, mb, vb2, n, lr, b1, b2, eps, wd, step)
		wantM, wantV2 := make([]float64, n), make([]float64, n)
		for i := range want {
			gi := float64(g[i]) + wd*float64(p0[i])
			wantM[i] = b1*float64(m0[i]) + (1-b1)*gi
			wantV2[i] = b2*float64(v0[i]) + (1-b2)*gi*gi
			mHat := wantM[i] / (1 - math.Pow(b1, step))
			vHat := wantV2[i] / (1 - math.Pow(b2, step))
			want[i] = float64(p0[i]) - lr*mHat/(math.Sqrt(vHat)+eps)
		}
		check(t, fmt.Sprintf("adam p n=%d", n), download(t, d, pb, n), want, 1e-5, 1e-6)
		check(t, fmt.Sprintf("adam m n=%d", n), download(t, d, mb, n), wantM, 1e-5, 1e-7)
		check(t, fmt.Sprintf("adam v n=%d", n), download(t, d, vb2, n), wantV2, 1e-5, 1e-7)
	}
}
