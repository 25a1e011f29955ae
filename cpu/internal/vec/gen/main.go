// Command gen writes the element-wise AVX2+FMA kernels in Go assembly
// (../vec_amd64.s). Run it with `go generate ./cpu/internal/vec`.
//
// Every kernel processes 8 float32 lanes per iteration and requires n to be
// a positive multiple of 8; the Go wrappers in vec.go handle the tails.
//
// The transcendental functions are built on one exp: x (never positive
// here) is clamped below at -87.3, split as x = n·ln2 + r with |r| ≤ ln2/2 (ln2 in two parts,
// so r is exact to float32 precision), exp(r) is its Taylor polynomial to
// degree 7 (truncation error r⁸/8! < 6e-9 relative), and 2ⁿ is built in the
// exponent bits.
//
//	tanh(x)    = sign(x)·|m/(2+m)|, m = exp(−2|x|) − 1 computed as
//	             2ⁿ·q + (2ⁿ − 1), q = exp(r) − 1 = r·(1 + r/2 + … + r⁶/7!)
//	             (no leading 1 to cancel, so accurate near 0 too)
//	sigmoid(x) = 1/(1+e) for x ≥ 0, e/(1+e) below, e = exp(−|x|)
//	log1p(e)   = 2·atanh(s), s = e/(2+e) ≤ 1/3, its odd series to s¹⁵
package main

import (
	"bytes"
	"fmt"
	"log"
	"math"
	"os"
	"strings"
)

var out bytes.Buffer

func p(format string, args ...any) { fmt.Fprintf(&out, "\t"+format+"\n", args...) }

// constant emits a 32-byte table holding v eight times.
func constant(name string, v float32) {
	bits := math.Float32bits(v)
	for i := 0; i < 8; i++ {
		fmt.Fprintf(&out, "DATA %s<>+%d(SB)/4, $0x%08x\n", name, 4*i, bits)
	}
	fmt.Fprintf(&out, "GLOBL %s<>(SB), RODATA|NOPTR, $32\n", name)
}

func constantInt(name string, v uint32) {
	for i := 0; i < 8; i++ {
		fmt.Fprintf(&out, "DATA %s<>+%d(SB)/4, $0x%08x\n", name, 4*i, v)
	}
	fmt.Fprintf(&out, "GLOBL %s<>(SB), RODATA|NOPTR, $32\n", name)
}

func c(name string) string { return name + "<>(SB)" }

// exp computes Y(x) = exp(Y(x)) in place for x ≤ 0 (every caller's
// argument is −|z| or −2|z|), using tmp registers t1–t4. The
// polynomial (in t2–t4) goes by Estrin's scheme, (1 + r) + r²·(1/2 + r/6) +
// r⁴·((1/24 + r/120) + r²·(1/720 + r/5040)): its dependency chain is 3
// FMAs long instead of Horner's 7, so more iterations of a kernel's loop
// overlap in the out-of-order window.
func exp(x, t1, t2, t3, t4 string) {
	// Clamp below with x as the second source, which MAXPS returns when
	// either is NaN: NaN stays NaN. (x ≤ 0 needs no upper clamp.)
	p("VMOVUPS %s, %s", c("explo"), t1)
	p("VMAXPS %s, %s, %s", x, t1, x)
	p("VMULPS %s, %s, %s", c("log2e"), x, t1)
	p("VROUNDPS $0, %s, %s", t1, t1) // n, nearest
	p("VFNMADD231PS %s, %s, %s", c("ln2hi"), t1, x)
	p("VFNMADD231PS %s, %s, %s", c("ln2lo"), t1, x) // x = r
	p("VMULPS %s, %s, %s", x, x, t2)                // r²
	p("VMOVUPS %s, %s", c("inv7f"), t3)
	p("VFMADD213PS %s, %s, %s", c("inv6f"), x, t3) // 1/720 + r/5040
	p("VMOVUPS %s, %s", c("inv5f"), t4)
	p("VFMADD213PS %s, %s, %s", c("inv4f"), x, t4) // 1/24 + r/120
	p("VFMADD231PS %s, %s, %s", t2, t3, t4)        // + r²·(1/720 + r/5040)
	p("VMOVUPS %s, %s", c("inv3f"), t3)
	p("VFMADD213PS %s, %s, %s", c("inv2f"), x, t3) // 1/2 + r/6
	p("VADDPS %s, %s, %s", c("one"), x, x)         // 1 + r
	p("VFMADD231PS %s, %s, %s", t2, t3, x)         // (1 + r) + r²·(1/2 + r/6)
	p("VMULPS %s, %s, %s", t2, t2, t2)             // r⁴
	p("VFMADD231PS %s, %s, %s", t2, t4, x)         // + r⁴·(…)
	p("VCVTPS2DQ %s, %s", t1, t1)
	p("VPADDD %s, %s, %s", c("bias127"), t1, t1)
	p("VPSLLD $23, %s, %s", t1, t1)
	p("VMULPS %s, %s, %s", t1, x, x)
}

// expm1 computes Y(x) = exp(Y(x)) − 1 for x ≤ 0 (tanh's −2|z|), using
// tmp registers t1–t5, as 2ⁿ·q + (2ⁿ − 1) with q = exp(r) − 1 =
// r·((1 + r/2) + r²·(1/6 + r/24) + r⁴·((1/120 + r/720) + r²/5040)) (Estrin):
// for n = 0 the result is q itself, accurate to the last bits however
// small x is.
func expm1(x, t1, t2, t3, t4, t5 string) {
	p("VMOVUPS %s, %s", c("explo"), t1)
	p("VMAXPS %s, %s, %s", x, t1, x) // NaN stays NaN (see exp)
	p("VMULPS %s, %s, %s", c("log2e"), x, t1)
	p("VROUNDPS $0, %s, %s", t1, t1) // n, nearest
	p("VFNMADD231PS %s, %s, %s", c("ln2hi"), t1, x)
	p("VFNMADD231PS %s, %s, %s", c("ln2lo"), t1, x) // x = r
	p("VMULPS %s, %s, %s", x, x, t2)                // r²
	p("VMOVUPS %s, %s", c("inv6f"), t3)
	p("VFMADD213PS %s, %s, %s", c("inv5f"), x, t3)  // 1/120 + r/720
	p("VFMADD231PS %s, %s, %s", c("inv7f"), t2, t3) // + r²/5040
	p("VMOVUPS %s, %s", c("inv4f"), t4)
	p("VFMADD213PS %s, %s, %s", c("inv3f"), x, t4) // 1/6 + r/24
	p("VMOVUPS %s, %s", c("inv2f"), t5)
	p("VFMADD213PS %s, %s, %s", c("one"), x, t5) // 1 + r/2
	p("VFMADD231PS %s, %s, %s", t2, t4, t5)      // + r²·(1/6 + r/24)
	p("VMULPS %s, %s, %s", t2, t2, t2)           // r⁴
	p("VFMADD231PS %s, %s, %s", t2, t3, t5)      // + r⁴·(…)
	p("VMULPS %s, %s, %s", t5, x, x)             // q
	p("VCVTPS2DQ %s, %s", t1, t1)
	p("VPADDD %s, %s, %s", c("bias127"), t1, t1)
	p("VPSLLD $23, %s, %s", t1, t1)          // 2ⁿ
	p("VSUBPS %s, %s, %s", c("one"), t1, t2) // 2ⁿ − 1
	p("VFMADD213PS %s, %s, %s", t2, t1, x)   // 2ⁿ·q + (2ⁿ − 1)
}

func header(name, args string, frame int) {
	fmt.Fprintf(&out, "\n// func %s\n", args)
	fmt.Fprintf(&out, "TEXT ·%s(SB), NOSPLIT, $0-%d\n", name, frame)
}

// loop emits the n/8 iteration loop around body, with pointer registers
// advanced by 32 bytes each iteration.
func loop(name string, ptrs []string, body func()) {
	fmt.Fprintf(&out, "loop_%s:\n", name)
	body()
	for _, r := range ptrs {
		p("ADDQ $32, %s", r)
	}
	p("SUBQ $8, CX")
	p("JNE loop_%s", name)
	p("VZEROUPPER")
	p("RET")
}

func main() {
	fmt.Fprintln(&out, "// Code generated by gen/main.go; DO NOT EDIT.")
	fmt.Fprintln(&out)
	fmt.Fprintln(&out, "//go:build amd64 && !purego")
	fmt.Fprintln(&out)
	fmt.Fprintln(&out, `#include "textflag.h"`)
	fmt.Fprintln(&out)
	constant("explo", -87.3)
	constant("log2e", float32(math.Log2E))
	ln2hi := float32(0.693145751953125) // 0x3f317200: 16 significant bits, so n·ln2hi is exact
	constant("ln2hi", ln2hi)
	constant("ln2lo", float32(math.Ln2-float64(ln2hi)))
	fact := 1.0
	for k := 2; k <= 7; k++ {
		fact *= float64(k)
		constant(fmt.Sprintf("inv%df", k), float32(1/fact))
	}
	constant("one", 1)
	constant("two", 2)
	constant("mtwo", -2)
	constant("zero", 0)
	constantInt("bias127", 127)
	constantInt("absmask", 0x7fffffff)
	constantInt("signmask", 0x80000000)
	// 2·atanh(s) = 2s·(1 + s²/3 + s⁴/5 + … + s¹⁴/15).
	for k := 3; k <= 15; k += 2 {
		constant(fmt.Sprintf("at%d", k), float32(1/float64(k)))
	}

	// tanh: Y0 = x; Y1 = |x|; Y2 = sign bits.
	header("tanhAVX2", "tanhAVX2(dst, src *float32, n int)", 24)
	p("MOVQ dst+0(FP), DI")
	p("MOVQ src+8(FP), SI")
	p("MOVQ n+16(FP), CX")
	loop("tanh", []string{"SI", "DI"}, func() {
		p("VMOVUPS (SI), Y0")
		p("VANDPS %s, Y0, Y1", c("absmask"))
		p("VANDPS %s, Y0, Y2", c("signmask"))
		p("VMULPS %s, Y1, Y3", c("mtwo"))         // −2|x|
		expm1("Y3", "Y4", "Y5", "Y6", "Y7", "Y8") // m
		p("VADDPS %s, Y3, Y6", c("two"))          // 2 + m
		p("VDIVPS Y6, Y3, Y5")                    // m/(2+m) = −tanh|x|
		p("VANDPS %s, Y5, Y5", c("absmask"))
		p("VORPS Y2, Y5, Y5")
		p("VMOVUPS Y5, (DI)")
	})

	// sigmoid: e = exp(−|x|); s = 1/(1+e); x ≥ 0 ? s : e·s.
	header("sigmoidAVX2", "sigmoidAVX2(dst, src *float32, n int)", 24)
	p("MOVQ dst+0(FP), DI")
	p("MOVQ src+8(FP), SI")
	p("MOVQ n+16(FP), CX")
	loop("sigmoid", []string{"SI", "DI"}, func() {
		p("VMOVUPS (SI), Y0")
		sigmoid("Y0", "Y1", "Y2")
		p("VMOVUPS Y1, (DI)")
	})

	// logistic: grad = scale·(sigmoid(z) − y);
	// loss = max(z,0) − y·z + log1p(exp(−|z|)).
	header("logisticAVX2", "logisticAVX2(z, y, grad, loss *float32, n int, scale float32)", 44)
	p("MOVQ z+0(FP), SI")
	p("MOVQ y+8(FP), DX")
	p("MOVQ grad+16(FP), DI")
	p("MOVQ loss+24(FP), R8")
	p("MOVQ n+32(FP), CX")
	p("VBROADCASTSS scale+40(FP), Y15")
	loop("logistic", []string{"SI", "DX", "DI", "R8"}, func() {
		p("VMOVUPS (SI), Y0")
		sigmoid("Y0", "Y1", "Y2") // Y1 = sigmoid, Y2 = e
		p("VSUBPS (DX), Y1, Y1")
		p("VMULPS Y15, Y1, Y1")
		p("VMOVUPS Y1, (DI)")
		// log1p(e): s = e/(2+e).
		p("VADDPS %s, Y2, Y3", c("two"))
		p("VDIVPS Y3, Y2, Y3") // s
		p("VMULPS Y3, Y3, Y4") // s²
		p("VMOVUPS %s, Y5", c("at15"))
		for _, k := range []string{"at13", "at11", "at9", "at7", "at5", "at3", "one"} {
			p("VFMADD213PS %s, Y4, Y5", c(k))
		}
		p("VADDPS Y3, Y3, Y3")
		p("VMULPS Y3, Y5, Y5") // log1p(e)
		p("VMAXPS %s, Y0, Y6", c("zero"))
		p("VMULPS (DX), Y0, Y7")
		p("VSUBPS Y7, Y6, Y6")
		p("VADDPS Y5, Y6, Y6")
		p("VMOVUPS Y6, (R8)")
	})

	// addBias: out[r*cols+c] = z[r*cols+c] + bias[c] for c < cols (≥ 8):
	// whole vectors, then the last cols%8 columns with masked loads (the
	// mask is 8−rem ones-from-the-end of maskTable).
	for i := 0; i < 16; i++ {
		v := uint32(0)
		if i < 8 {
			v = 0xffffffff
		}
		fmt.Fprintf(&out, "DATA maskTable<>+%d(SB)/4, $0x%08x\n", 4*i, v)
	}
	fmt.Fprintln(&out, "GLOBL maskTable<>(SB), RODATA|NOPTR, $64")
	header("addBiasAVX2", "addBiasAVX2(out, z, bias *float32, rows, cols, ld int)", 48)
	p("MOVQ out+0(FP), DI")
	p("MOVQ z+8(FP), SI")
	p("MOVQ rows+24(FP), R9")
	p("MOVQ ld+40(FP), R10")
	p("SHLQ $2, R10")
	p("MOVQ cols+32(FP), R11")
	p("ANDQ $7, R11") // rem
	p("LEAQ maskTable<>(SB), R12")
	p("MOVQ $8, R13")
	p("SUBQ R11, R13")
	p("VMOVUPS (R12)(R13*4), Y15") // rem lanes set
	p("MOVQ cols+32(FP), R13")
	p("ANDQ $-8, R13")
	fmt.Fprintln(&out, "row_addbias:")
	p("MOVQ bias+16(FP), DX")
	p("MOVQ R13, CX")
	p("XORQ AX, AX")
	fmt.Fprintln(&out, "col_addbias:")
	p("VMOVUPS (SI)(AX*1), Y0")
	p("VADDPS (DX)(AX*1), Y0, Y0")
	p("VMOVUPS Y0, (DI)(AX*1)")
	p("ADDQ $32, AX")
	p("SUBQ $8, CX")
	p("JNE col_addbias")
	p("TESTQ R11, R11")
	p("JEQ next_addbias")
	p("VMASKMOVPS (SI)(AX*1), Y15, Y0")
	p("VMASKMOVPS (DX)(AX*1), Y15, Y1")
	p("VADDPS Y1, Y0, Y0")
	// Stored in pieces of 4, 2 and 1 lanes: a VMASKMOVPS store is slow on
	// AMD's cores (the 128-bit forms clear Y0's upper half, saved in X1).
	p("VEXTRACTF128 $1, Y0, X1")
	p("LEAQ (DI)(AX*1), BX")
	p("TESTQ $4, R11")
	p("JEQ two_addbias")
	p("VMOVUPS X0, (BX)")
	p("VMOVAPS X1, X0")
	p("ADDQ $16, BX")
	fmt.Fprintln(&out, "two_addbias:")
	p("TESTQ $2, R11")
	p("JEQ one_addbias")
	p("VMOVSD X0, (BX)")
	p("VMOVHLPS X0, X0, X0")
	p("ADDQ $8, BX")
	fmt.Fprintln(&out, "one_addbias:")
	p("TESTQ $1, R11")
	p("JEQ next_addbias")
	p("VMOVSS X0, (BX)")
	fmt.Fprintln(&out, "next_addbias:")
	p("ADDQ R10, SI")
	p("ADDQ R10, DI")
	p("DECQ R9")
	p("JNE row_addbias")
	p("VZEROUPPER")
	p("RET")

	// colSums: acc[c] += float64(x[r*ld+c]) for c < cols (a multiple of 4),
	// r < rows, added row by row. Blocks of 32 columns keep their sums in
	// 8 registers down all the rows (8 independent add chains, no store
	// per row); the last cols%32 go in blocks of 16, 8 and 4.
	header("colSumsAVX2", "colSumsAVX2(acc *float64, x *float32, rows, cols, ld int)", 40)
	p("MOVQ acc+0(FP), DI")
	p("MOVQ x+8(FP), SI")
	p("MOVQ rows+16(FP), R9")
	p("MOVQ cols+24(FP), CX")
	p("MOVQ ld+32(FP), R10")
	p("SHLQ $2, R10")
	for _, w := range []int{32, 16, 8, 4} {
		v := w / 4 // accumulators
		fmt.Fprintf(&out, "block%d_colsums:\n", w)
		p("CMPQ CX, $%d", w)
		if w == 4 {
			p("JLT done_colsums")
		} else {
			p("JLT block%d_colsums", w/2)
		}
		for i := 0; i < v; i++ {
			p("VMOVUPD %d(DI), Y%d", 32*i, i)
		}
		p("MOVQ SI, R11")
		p("MOVQ R9, R12")
		fmt.Fprintf(&out, "row%d_colsums:\n", w)
		for i := 0; i < v; i++ {
			p("VCVTPS2PD %d(R11), Y%d", 16*i, 8+i)
			p("VADDPD Y%d, Y%d, Y%d", 8+i, i, i)
		}
		p("ADDQ R10, R11")
		p("DECQ R12")
		p("JNE row%d_colsums", w)
		for i := 0; i < v; i++ {
			p("VMOVUPD Y%d, %d(DI)", i, 32*i)
		}
		p("ADDQ $%d, SI", 4*w)
		p("ADDQ $%d, DI", 8*w)
		p("SUBQ $%d, CX", w)
		p("JMP block%d_colsums", w)
	}
	fmt.Fprintln(&out, "done_colsums:")
	p("VZEROUPPER")
	p("RET")

	// Activation derivatives through the output o: dz = dout·f'(o).
	for _, g := range []struct{ name, doc string }{
		{"tanhGrad", "dout·(1−o²)"}, {"sigmoidGrad", "dout·o·(1−o)"}, {"reluGrad", "dout·[o>0]"},
	} {
		header(g.name+"AVX2", g.name+"AVX2(dz, o, dout *float32, n int) // "+g.doc, 32)
		p("MOVQ dz+0(FP), DI")
		p("MOVQ o+8(FP), SI")
		p("MOVQ dout+16(FP), DX")
		p("MOVQ n+24(FP), CX")
		p("VMOVUPS %s, Y15", c("one"))
		p("VXORPS Y14, Y14, Y14")
		loop(g.name, []string{"SI", "DX", "DI"}, func() {
			p("VMOVUPS (SI), Y0")
			switch g.name {
			case "tanhGrad":
				p("VMOVAPS Y15, Y1")
				p("VFNMADD231PS Y0, Y0, Y1") // 1 − o²
			case "sigmoidGrad":
				p("VSUBPS Y0, Y15, Y1")
				p("VMULPS Y0, Y1, Y1")
			case "reluGrad":
				p("VCMPPS $14, Y14, Y0, Y1") // o > 0 (GT_OS)
				p("VANDPS Y15, Y1, Y1")
			}
			p("VMULPS (DX), Y1, Y1")
			p("VMOVUPS Y1, (DI)")
		})
	}

	// relu: dst = src > 0 ? src : 0.
	header("reluAVX2", "reluAVX2(dst, src *float32, n int)", 24)
	p("MOVQ dst+0(FP), DI")
	p("MOVQ src+8(FP), SI")
	p("MOVQ n+16(FP), CX")
	p("VXORPS Y14, Y14, Y14")
	loop("relu", []string{"SI", "DI"}, func() {
		p("VMOVUPS (SI), Y0")
		p("VCMPPS $14, Y14, Y0, Y1")
		p("VANDPS Y0, Y1, Y1")
		p("VMOVUPS Y1, (DI)")
	})

	// mul: dst = a·b.
	header("mulAVX2", "mulAVX2(dst, a, b *float32, n int)", 32)
	p("MOVQ dst+0(FP), DI")
	p("MOVQ a+8(FP), SI")
	p("MOVQ b+16(FP), DX")
	p("MOVQ n+24(FP), CX")
	loop("mul", []string{"SI", "DX", "DI"}, func() {
		p("VMOVUPS (SI), Y0")
		p("VMULPS (DX), Y0, Y0")
		p("VMOVUPS Y0, (DI)")
	})

	// sgd: p −= lr·(g + wd·p).
	header("sgdAVX2", "sgdAVX2(p, gr *float32, n int, lr, wd float32)", 32)
	p("MOVQ p+0(FP), DI")
	p("MOVQ gr+8(FP), SI")
	p("MOVQ n+16(FP), CX")
	p("VBROADCASTSS lr+24(FP), Y15")
	p("VBROADCASTSS wd+28(FP), Y14")
	loop("sgd", []string{"SI", "DI"}, func() {
		p("VMOVUPS (DI), Y0")
		p("VMULPS Y14, Y0, Y1")
		p("VADDPS (SI), Y1, Y1")
		p("VMULPS Y15, Y1, Y1")
		p("VSUBPS Y1, Y0, Y0")
		p("VMOVUPS Y0, (DI)")
	})

	// momentum: v = mom·v + g + wd·p; p −= lr·v.
	header("momentumAVX2", "momentumAVX2(p, gr, v *float32, n int, lr, mom, wd float32)", 44)
	p("MOVQ p+0(FP), DI")
	p("MOVQ gr+8(FP), SI")
	p("MOVQ v+16(FP), DX")
	p("MOVQ n+24(FP), CX")
	p("VBROADCASTSS lr+32(FP), Y15")
	p("VBROADCASTSS mom+36(FP), Y14")
	p("VBROADCASTSS wd+40(FP), Y13")
	loop("momentum", []string{"SI", "DX", "DI"}, func() {
		p("VMOVUPS (DI), Y0")
		p("VMULPS (DX), Y14, Y1")
		p("VADDPS (SI), Y1, Y1")
		p("VMULPS Y13, Y0, Y2")
		p("VADDPS Y2, Y1, Y1")
		p("VMOVUPS Y1, (DX)")
		p("VMULPS Y15, Y1, Y1")
		p("VSUBPS Y1, Y0, Y0")
		p("VMOVUPS Y0, (DI)")
	})

	// adam: d = g + wd·p; m = b1·m + (1−b1)·d; v = b2·v + (1−b2)·d²;
	// p −= lr·(m·rbc1) / (sqrt(v·rbc2) + eps). k points at
	// [lr, b1, 1−b1, b2, 1−b2, eps, wd, rbc1, rbc2]. No FMA: every
	// product is rounded as in Adam's scalar tail and the generic level,
	// so an element's update does not depend on where it lies in a call.
	header("adamAVX2", "adamAVX2(p, gr, m, v *float32, n int, k *[9]float32)", 48)
	p("MOVQ p+0(FP), DI")
	p("MOVQ gr+8(FP), SI")
	p("MOVQ m+16(FP), DX")
	p("MOVQ v+24(FP), R8")
	p("MOVQ n+32(FP), CX")
	p("MOVQ k+40(FP), AX")
	for i := 0; i < 9; i++ {
		p("VBROADCASTSS %d(AX), Y%d", 4*i, 7+i)
	}
	// Y7 lr, Y8 b1, Y9 1−b1, Y10 b2, Y11 1−b2, Y12 eps, Y13 wd, Y14 rbc1, Y15 rbc2
	loop("adam", []string{"SI", "DX", "R8", "DI"}, func() {
		p("VMOVUPS (DI), Y0")
		p("VMULPS Y13, Y0, Y1")
		p("VADDPS (SI), Y1, Y1") // d
		p("VMULPS (DX), Y8, Y2")
		p("VMULPS Y1, Y9, Y4")
		p("VADDPS Y4, Y2, Y2") // m
		p("VMOVUPS Y2, (DX)")
		p("VMULPS Y1, Y1, Y1")
		p("VMULPS (R8), Y10, Y3")
		p("VMULPS Y1, Y11, Y4")
		p("VADDPS Y4, Y3, Y3") // v
		p("VMOVUPS Y3, (R8)")
		p("VMULPS Y15, Y3, Y3")
		p("VSQRTPS Y3, Y3")
		p("VADDPS Y12, Y3, Y3")
		p("VMULPS Y14, Y2, Y2")
		p("VMULPS Y7, Y2, Y2")
		p("VDIVPS Y3, Y2, Y2")
		p("VSUBPS Y2, Y0, Y0")
		p("VMOVUPS Y0, (DI)")
	})

	src := strings.ReplaceAll(out.String(), "\n\n\n", "\n\n")
	if err := os.WriteFile("vec_amd64.s", []byte(src), 0o644); err != nil {
		log.Fatal(err)
	}
}

// sigmoid sets s = sigmoid(x) and e = exp(−|x|), using Y3–Y6.
func sigmoid(x, s, e string) {
	p("VANDPS %s, %s, %s", c("absmask"), x, e)
	p("VXORPS %s, %s, %s", c("signmask"), e, e) // −|x|
	exp(e, "Y3", "Y4", "Y8", "Y9")
	p("VADDPS %s, %s, %s", c("one"), e, "Y5")
	p("VMOVUPS %s, %s", c("one"), s)
	p("VDIVPS Y5, %s, %s", s, s)             // 1/(1+e)
	p("VMULPS %s, %s, Y6", e, s)             // e/(1+e)
	p("VCMPPS $1, %s, %s, Y5", c("zero"), x) // x < 0
	p("VBLENDVPS Y5, Y6, %s, %s", s, s)
}
