package main

// The AVX2 edge kernels: a 4×24 tile (12 ymm accumulators, three B
// vectors and a broadcast register) for products whose width is not a
// multiple of 16 and for short products, where the 6×16 kernel would
// waste a third of its columns and pay for packing A. Like the AVX-512
// kernels they read A in place (kernavx2e: A(i,p) = a[p*lda+i], a packed
// sliver with lda = 4 or a transposed A; kernavx2en: A(i,p) = a[i*lda+p],
// an untransposed A), for slivers tiles down a column of C at once (A
// astep bytes further for each; all but the last with 4 rows), and store
// edge tiles: only the first rows rows and
// the first 8·full+rem columns of C are read and written, the partial
// vector's lanes in pieces of 4, 2 and 1 (VMASKMOVPS stores are slow on
// AMD's cores, and the workshop's width of 20 puts one in every row).
// Each element goes through the same multiply and fused multiply-add
// whichever piece holds it. B(p,j) = b[p*ldb+j] (a
// packed sliver with ldb = 24, or an untransposed B in place): its loads
// are not masked, so all 24 columns of every step must be readable (the
// columns past cols feed only lanes that are never stored).

import (
	"bytes"
	"fmt"
)

// edgeKernels writes both AVX2 edge kernels.
func edgeKernels(w *bytes.Buffer) {
	edgeKernel(w, "kernavx2e", false)
	edgeKernel(w, "kernavx2en", true)
}

// edgeKernel writes one 4×24 AVX2 kernel.
//
// Registers: CX steps left, SI the A cursor (aRows: row 0; rows 1-3 at
// R10, 2·R10 and BX), R10 lda in bytes, DI the B cursor, R13 ldb in bytes,
// R8 the C row, R9 ldc in bytes. Accumulator (i, v) is Y(3i+v), B vectors 12-14, the
// broadcast 15; in the epilogue alpha is 12, beta 13, 14 the upper half
// of a partial vector and 15 a temporary, with R12 the rows left, R11 the
// full vectors, AX the partial vector's lanes and DX its cursor.
func edgeKernel(w *bytes.Buffer, name string, aRows bool) {
	e := emitter{w: w}
	const mr, vecs, unroll = 4, 3, 4
	acc := func(i, v int) string { return fmt.Sprintf("Y%d", i*vecs+v) }
	fmt.Fprintf(w, "\n// func %s(kc int, a, b, c *float32, ldc int, alpha, beta float32, load, rows, full, rem, lda, ldb, slivers, astep int)\n", name)
	// Locals: the current sliver's A and C and the slivers left.
	fmt.Fprintf(w, "TEXT ·%s(SB), NOSPLIT, $24-112\n", name)
	e.p("MOVQ a+8(FP), SI")
	e.p("MOVQ c+24(FP), R8")
	e.p("MOVQ slivers+96(FP), AX")
	e.p("MOVQ AX, left-24(SP)")
	e.p("MOVQ ldc+32(FP), R9")
	e.p("SHLQ $2, R9")
	e.p("MOVQ lda+80(FP), R10")
	e.p("SHLQ $2, R10")
	e.p("MOVQ ldb+88(FP), R13")
	e.p("SHLQ $2, R13")
	e.label("sliver")
	e.p("MOVQ SI, a0-8(SP)")
	e.p("MOVQ R8, c0-16(SP)")
	e.p("MOVQ kc+0(FP), CX")
	e.p("MOVQ b+16(FP), DI")
	if aRows {
		e.p("LEAQ (SI)(R10*2), BX")
		e.p("ADDQ R10, BX") // SI + 3·lda
	}
	// The C tile is touched only after the k loop, its rows far apart.
	e.p("MOVQ R8, R12")
	for i := 0; i < mr; i++ {
		e.p("PREFETCHT0 (R12)")
		e.p("PREFETCHT0 64(R12)")
		e.p("ADDQ R9, R12")
	}
	for i := 0; i < mr*vecs; i++ {
		e.p("VXORPS Y%d, Y%d, Y%d", i, i, i)
	}
	aAddr := func(i, u int) string {
		if !aRows {
			return fmt.Sprintf("%d(SI)", 4*i)
		}
		switch i {
		case 0:
			return fmt.Sprintf("%d(SI)", 4*u)
		case 1:
			return fmt.Sprintf("%d(SI)(R10*1)", 4*u)
		case 2:
			return fmt.Sprintf("%d(SI)(R10*2)", 4*u)
		}
		return fmt.Sprintf("%d(BX)", 4*u)
	}
	step := func(u int) {
		for v := 0; v < vecs; v++ {
			e.p("VMOVUPS %d(DI), Y%d", 32*v, 12+v)
		}
		e.p("ADDQ R13, DI")
		for i := 0; i < mr; i++ {
			e.p("VBROADCASTSS %s, Y15", aAddr(i, u))
			for v := 0; v < vecs; v++ {
				e.p("VFMADD231PS Y%d, Y15, %s", 12+v, acc(i, v))
			}
		}
		if !aRows {
			e.p("ADDQ R10, SI")
		}
	}
	advance := func(steps int) {
		if aRows {
			e.p("ADDQ $%d, SI", 4*steps)
			e.p("ADDQ $%d, BX", 4*steps)
		}
	}
	e.p("CMPQ CX, $%d", unroll)
	e.p("JLT tail")
	e.label("loop")
	for u := 0; u < unroll; u++ {
		step(u)
	}
	advance(unroll)
	e.p("SUBQ $%d, CX", unroll)
	e.p("CMPQ CX, $%d", unroll)
	e.p("JGE loop")
	e.label("tail")
	e.p("TESTQ CX, CX")
	e.p("JEQ done")
	e.label("one")
	step(0)
	advance(1)
	e.p("DECQ CX")
	e.p("JNE one")
	e.label("done")
	e.p("VBROADCASTSS alpha+40(FP), Y12")
	e.p("VBROADCASTSS beta+44(FP), Y13")
	// Every sliver but the last has all mr rows.
	e.p("MOVQ $%d, R12", mr)
	e.p("CMPQ left-24(SP), $1")
	e.p("JNE rowsset")
	e.p("MOVQ rows+56(FP), R12")
	e.label("rowsset")
	e.p("MOVQ full+64(FP), R11")
	e.p("MOVQ rem+72(FP), AX")
	e.p("MOVQ load+48(FP), DX")
	e.p("TESTQ DX, DX")
	e.p("JEQ st_row0")
	// rows emits the epilogue; load selects the beta·C term. Each row
	// stores its full vectors, then the partial one (if any lanes).
	rows := func(load bool, tag string) {
		for i := 0; i < mr; i++ {
			row := fmt.Sprintf("%s_row%d", tag, i)
			part := func(v int) string { return fmt.Sprintf("%s_p%d", row, v) }
			e.label(row)
			for v := 0; v < vecs; v++ {
				e.p("CMPQ R11, $%d", v)
				e.p("JEQ %s", part(v))
				e.p("VMULPS Y12, %s, %s", acc(i, v), acc(i, v))
				if load {
					e.p("VFMADD231PS %d(R8), Y13, %s", 32*v, acc(i, v))
				}
				e.p("VMOVUPS %s, %d(R8)", acc(i, v), 32*v)
			}
			e.p("JMP %s_next", row)
			for v := 0; v < vecs; v++ {
				e.label(part(v))
				e.p("TESTQ AX, AX")
				e.p("JEQ %s_next", row)
				y := acc(i, v)
				e.p("VMULPS Y12, %s, %s", y, y)
				e.p("LEAQ %d(R8), DX", 32*v)
				partialStore(e, y, "AX", "DX", "13", load, part(v), row+"_next")
				if v < vecs-1 {
					e.p("JMP %s_next", row)
				}
			}
			e.label(row + "_next")
			e.p("DECQ R12")
			e.p("JEQ end")
			e.p("ADDQ R9, R8")
		}
		e.p("JMP end")
	}
	rows(true, "ld")
	rows(false, "st")
	e.label("end")
	e.p("DECQ left-24(SP)")
	e.p("JEQ ret")
	e.p("MOVQ a0-8(SP), SI")
	e.p("ADDQ astep+104(FP), SI")
	e.p("MOVQ c0-16(SP), R8")
	e.p("LEAQ (R8)(R9*%d), R8", mr)
	e.p("JMP sliver")
	e.label("ret")
	e.p("VZEROUPPER")
	e.p("RET")
}

// partialStore stores the first lanes (1-7, in register lanes) of ymm
// register y at the address in register addr, in pieces of 4, 2 and 1
// lanes (advancing addr), then jumps to done. With load, each piece first
// adds beta (register number beta, broadcast) times the old values, as the
// whole-vector code does. X14 (and, with load, X15) is overwritten;
// labels start with tag.
func partialStore(e emitter, y, lanes, addr, beta string, load bool, tag, done string) {
	x := "X" + y[1:]
	// The 128-bit forms clear y's upper half: keep it in X14.
	e.p("VEXTRACTF128 $1, %s, X14", y)
	e.p("TESTQ $4, %s", lanes)
	e.p("JEQ %s_2", tag)
	if load {
		e.p("VMOVUPS (%s), X15", addr)
		e.p("VFMADD231PS X15, X%s, %s", beta, x)
	}
	e.p("VMOVUPS %s, (%s)", x, addr)
	e.p("VMOVAPS X14, %s", x)
	e.p("ADDQ $16, %s", addr)
	e.label(tag + "_2")
	e.p("TESTQ $2, %s", lanes)
	e.p("JEQ %s_1", tag)
	if load {
		e.p("VMOVSD (%s), X15", addr)
		e.p("VFMADD231PS X15, X%s, %s", beta, x)
	}
	e.p("VMOVSD %s, (%s)", x, addr)
	e.p("VMOVHLPS %s, %s, %s", x, x, x)
	e.p("ADDQ $8, %s", addr)
	e.label(tag + "_1")
	e.p("TESTQ $1, %s", lanes)
	e.p("JEQ %s", done)
	if load {
		e.p("VMOVSS (%s), X15", addr)
		e.p("VFMADD231SS X15, X%s, %s", beta, x)
	}
	e.p("VMOVSS %s, (%s)", x, addr)
}
