//go:build !amd64 || purego

package vec

// asm is false: only the plain-Go kernels exist in this build.
func asm() bool { return false }

// The assembly kernels' stand-ins; asm() being false, they are never called.

func tanhAVX2(dst, src *float32, n int)                            { panic("vec: no assembly") }
func sigmoidAVX2(dst, src *float32, n int)                         { panic("vec: no assembly") }
func reluAVX2(dst, src *float32, n int)                            { panic("vec: no assembly") }
func logisticAVX2(z, y, grad, loss *float32, n int, scale float32) { panic("vec: no assembly") }
func addBiasAVX2(out, z, bias *float32, rows, cols, ld int)        { panic("vec: no assembly") }
func colSumsAVX2(acc *float64, x *float32, rows, cols, ld int)     { panic("vec: no assembly") }
func tanhGradAVX2(dz, o, dout *float32, n int)                     { panic("vec: no assembly") }
func sigmoidGradAVX2(dz, o, dout *float32, n int)                  { panic("vec: no assembly") }
func reluGradAVX2(dz, o, dout *float32, n int)                     { panic("vec: no assembly") }
func mulAVX2(dst, a, b *float32, n int)                            { panic("vec: no assembly") }
func sgdAVX2(p, gr *float32, n int, lr, wd float32)                { panic("vec: no assembly") }
func momentumAVX2(p, gr, v *float32, n int, lr, mom, wd float32)   { panic("vec: no assembly") }
func adamAVX2(p, gr, m, v *float32, n int, k *[9]float32)          { panic("vec: no assembly") }
