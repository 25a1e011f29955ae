package devicetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/device"
)

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
