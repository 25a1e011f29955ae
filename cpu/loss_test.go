package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/device"
)

// BenchmarkLossGradGroups times the workshop's logistic loss (1055 rows,
// one logit) for 1 and 10 restarts side by side; the vectorised kernel
// costs about a nanosecond per logit.
func BenchmarkLossGradGroups(b *testing.B) {
	const rows = 1055
	for _, groups := range []int{1, 10} {
		b.Run(fmt.Sprintf("groups=%d", groups), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(9, 9))
			d := New()
			z, y := randBuf(rng, rows*groups), randBuf(rng, rows)
			for i := range y.data {
				y.data[i] = float32(rng.IntN(2))
			}
			grad, loss := &Buffer{data: make([]float32, rows*groups)}, &Buffer{data: make([]float32, groups)}
			for b.Loop() {
				d.LossGradGroups(device.Logistic, z, y, grad, rows, 1, groups, 0.5, loss, 0)
			}
		})
	}
}

// TestLogisticGroupsMatchesAlone requires the logistic loss of groups side
// by side to give each group the bits of LossGrad on that group alone
// (widths below and above the 256-element chunks, chunks that end
// mid-row and mid-group), at every kernel level.
func TestLogisticGroupsMatchesAlone(t *testing.T) {
	for _, level := range []string{"avx512", "avx2", "generic"} {
		prev, err := SetKernelLevel(level)
		if err != nil {
			continue
		}
		rng := rand.New(rand.NewPCG(9, 9))
		d := New()
		for _, s := range [][3]int{{1055, 1, 10}, {37, 3, 5}, {9, 1, 300}, {5, 7, 41}, {1, 1, 2}} {
			rows, cols, groups := s[0], s[1], s[2]
			width := cols * groups
			z, y := randBuf(rng, rows*width), randBuf(rng, rows*cols)
			for i := range y.data {
				y.data[i] = float32(rng.IntN(2))
			}
			grad, loss := &Buffer{data: make([]float32, rows*width)}, &Buffer{data: make([]float32, groups+1)}
			d.LossGradGroups(device.Logistic, z, y, grad, rows, cols, groups, 0.5, loss, 1)
			for g := range groups {
				zg, gg := &Buffer{data: make([]float32, rows*cols)}, &Buffer{data: make([]float32, rows*cols)}
				for r := range rows {
					copy(zg.data[r*cols:(r+1)*cols], z.data[r*width+g*cols:])
				}
				lg := &Buffer{data: make([]float32, 1)}
				device.LossGrad(d, device.Logistic, zg, y, gg, rows, cols, 0.5, lg, 0)
				if math.Float32bits(lg.data[0]) != math.Float32bits(loss.data[1+g]) {
					t.Fatalf("%s %v group %d: loss %v, alone %v", level, s, g, loss.data[1+g], lg.data[0])
				}
				for r := range rows {
					for c := range cols {
						if a, b := grad.data[r*width+g*cols+c], gg.data[r*cols+c]; math.Float32bits(a) != math.Float32bits(b) {
							t.Fatalf("%s %v group %d: grad[%d,%d] %v, alone %v", level, s, g, r, c, a, b)
						}
					}
				}
			}
		}
		SetKernelLevel(prev)
	}
}
