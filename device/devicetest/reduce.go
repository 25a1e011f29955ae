package devicetest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/device"
)

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
