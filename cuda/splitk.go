package cuda

// Split-k: how a product's k is split over blocks (kernels/gemm.cu's
// gemm_splitk_xx and gemm_splitk_reduce). This file has no build tag, so the
// choice is tested in every build (splitk_test.go walks the trainer's
// products).

const (
	// gemmTile is the C tile one gemm block computes (gemm.cu's BM = BN).
	gemmTile = 64
	// numSMs is the number of SMs the grids are sized to fill: the H100
	// SXM's and the H200's 132 (NVIDIA H100 Tensor Core GPU Architecture
	// whitepaper, table 3).
	numSMs = 132
	// splitKMinFlops: below 1 MFLOP a product is not split (on an H100 it
	// takes well under a microsecond even on a few SMs, less than the second
	// launch costs).
	splitKMinFlops = 1e6
	// splitKMinSlice is the shortest k slice one block takes: 1, so that
	// even a short k (W2's dX = dZ·Wᵀ through the 10 outputs) fills the GPU;
	// the tile then stages one k value per pass, but the blocks run side by
	// side instead of 16 of them doing the whole product.
	splitKMinSlice = 1
)

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// splitK returns how many k slices (splits) of kslice each count products of
// shape m×n×k are split into, so that the first pass's grid has at least
// numSMs blocks; 1, k when the product already fills the GPU, is below
// splitKMinFlops, or has too little k to split.
func splitK(m, n, k, count int) (splits, kslice int) {
	tiles := ceilDiv(m, gemmTile) * ceilDiv(n, gemmTile) * count
	if tiles >= numSMs || 2*float64(m)*float64(n)*float64(k)*float64(count) < splitKMinFlops {
		return 1, k
	}
	// The floor makes splits = ⌈k/kslice⌉ ≥ the blocks wanted.
	kslice = max(k/ceilDiv(numSMs, tiles), splitKMinSlice)
	splits = ceilDiv(k, kslice)
	if splits < 2 {
		return 1, k
	}
	return splits, kslice
}

// gemmBlocks is the number of blocks of the product's widest launch: the
// first pass's when split, else the one gemm's.
func gemmBlocks(m, n, k, count int) int {
	splits, _ := splitK(m, n, k, count)
	return ceilDiv(m, gemmTile) * ceilDiv(n, gemmTile) * count * splits
}

const (
	// colSumsCols is the columns one column-sums block covers (reduce.cu's
	// CS_COLS; its 16 row lanes are CS_ROWS).
	colSumsCols = 32
	// colSumsMinRows: up to 256 rows a column sum is not split. Unsplit, each
	// of a block's 16 row lanes then loads at most 16 values, one after
	// another; split 132 ways, the second pass's lanes still load about
	// 132/16 ≈ 9 partials each, after the first pass's loads and a second
	// launch, so below this the split would gain nothing.
	colSumsMinRows = 256
)

// colSumsSplit returns how many row slices of rslice rows a rows×cols
// column sum is split into (column_sums_partial over blockIdx.y, then
// column_sums_reduce), so that the first grid has at least numSMs blocks, as
// splitK does for k; 1, rows when the columns already fill the GPU or rows
// ≤ colSumsMinRows.
func colSumsSplit(rows, cols int) (splits, rslice int) {
	blocks := ceilDiv(cols, colSumsCols)
	if blocks >= numSMs || rows <= colSumsMinRows {
		return 1, rows
	}
	// The floor makes splits = ⌈rows/rslice⌉ ≥ the blocks wanted.
	rslice = max(rows/ceilDiv(numSMs, blocks), 1)
	return ceilDiv(rows, rslice), rslice
}

// colSumsBlocks is the number of blocks of a column sum's widest launch.
func colSumsBlocks(rows, cols int) int {
	splits, _ := colSumsSplit(rows, cols)
	return ceilDiv(cols, colSumsCols) * splits
}
