//go:build amd64 && !purego

package vec

import "github.com/gputrain/gputrain/cpu/internal/isa"

// asm reports whether the assembly kernels are in use.
func asm() bool { return isa.Current() >= isa.AVX2 }

// The kernels of vec_amd64.s (see gen/main.go). n is a positive multiple of
// 8 (of 4 for colSumsAVX2's cols); addBiasAVX2 and colSumsAVX2 walk rows of
// row stride ld.

//go:noescape
func tanhAVX2(dst, src *float32, n int)

//go:noescape
func sigmoidAVX2(dst, src *float32, n int)

//go:noescape
func reluAVX2(dst, src *float32, n int)

//go:noescape
func logisticAVX2(z, y, grad, loss *float32, n int, scale float32)

//go:noescape
func addBiasAVX2(out, z, bias *float32, rows, cols, ld int)

//go:noescape
func colSumsAVX2(acc *float64, x *float32, rows, cols, ld int)

//go:noescape
func tanhGradAVX2(dz, o, dout *float32, n int)

//go:noescape
func sigmoidGradAVX2(dz, o, dout *float32, n int)

//go:noescape
func reluGradAVX2(dz, o, dout *float32, n int)

//go:noescape
func mulAVX2(dst, a, b *float32, n int)

//go:noescape
func sgdAVX2(p, gr *float32, n int, lr, wd float32)

//go:noescape
func momentumAVX2(p, gr, v *float32, n int, lr, mom, wd float32)

//go:noescape
func adamAVX2(p, gr, m, v *float32, n int, k *[9]float32)
