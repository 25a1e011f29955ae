package device

// Linalg is the linear-algebra family: the matrix product and the column
// sums that give a dense layer's bias gradient.
type Linalg interface {
	// GemmStrided computes, for g < count, C_g = alpha·op(A_g)·op(B_g) +
	// beta·C_g for row-major matrices where op(A_g) is m×k, op(B_g) is k×n
	// and C_g is m×n; op(X) is Xᵀ when the matching trans flag is set (A_g
	// is then stored k×m, B_g n×k). Matrix X_g starts at element g·strideX
	// of buffer X and consecutive rows of A, B and C (as stored) are lda,
	// ldb and ldc elements apart. A stride of 0 shares one matrix across
	// the batch; the C_g must not overlap. When beta is 0, C's previous
	// contents are ignored (NaN in C does not propagate). This is how nn
	// runs many independently initialised copies of a network (restarts)
	// side by side in one set of launches; Gemm is its count-1 case.
	GemmStrided(transA, transB bool, m, n, k int, alpha float32, a Buffer, lda, strideA int, b Buffer, ldb, strideB int, beta float32, c Buffer, ldc, strideC int, count int)
	// ColumnSums computes out[c] = Σ_r x[r,c] for a rows×cols matrix.
	ColumnSums(x Buffer, rows, cols int, out Buffer)
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C for one product of
// row-major matrices stored without padding (op(A) m×k, op(B) k×n, C m×n;
// A is stored k×m when transA, B n×k when transB): GemmStrided with count
// 1 and the natural leading dimensions.
func Gemm(d Linalg, transA, transB bool, m, n, k int, alpha float32, a, b Buffer, beta float32, c Buffer) {
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	d.GemmStrided(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, n, 0, 1)
}
