package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// BatchPlan is the order in which a run visits its training rows. With
// minibatches, each epoch draws a fresh permutation of the rows from the
// run's shuffle stream (see Shuffle) and cuts it into consecutive batches
// of Size rows, the epoch's last batch shorter when Size does not divide
// Rows; a full batch uses every row, in file order, for every update. The
// trainer, the float64 reference and the benchmark export all follow one
// plan, so they cannot disagree on which rows an update uses.
type BatchPlan struct {
	Rows     int // training rows
	Size     int // rows per update (Rows for a full batch)
	PerEpoch int // updates per epoch
}

// NewBatchPlan plans batches of size rows over rows training rows; a size
// of 0 or at least rows means a full batch.
func NewBatchPlan(rows, size int) BatchPlan {
	if size <= 0 || size > rows {
		size = rows
	}
	return BatchPlan{Rows: rows, Size: size, PerEpoch: (rows + size - 1) / size}
}

// FullBatch reports whether every update uses all the rows.
func (p BatchPlan) FullBatch() bool { return p.Size == p.Rows }

// Updates is the number of updates of a run that asks for steps updates
// or, when steps is 0, for epochs passes over the rows.
func (p BatchPlan) Updates(steps, epochs int) (int, error) {
	if steps > 0 {
		return steps, nil
	}
	if epochs > math.MaxInt/p.PerEpoch {
		return 0, fmt.Errorf("%d epochs of %d updates each are more updates than a step counter holds", epochs, p.PerEpoch)
	}
	return epochs * p.PerEpoch, nil
}

// Epoch is the epoch (1-based) that update i (0-based) belongs to.
func (p BatchPlan) Epoch(i int) int { return i/p.PerEpoch + 1 }

// EpochsDone is the number of epochs that s updates have begun: the epoch
// of the latest of them, 0 before any.
func (p BatchPlan) EpochsDone(s int) int { return (s + p.PerEpoch - 1) / p.PerEpoch }

// StartsEpoch reports whether update i is the first of an epoch, before
// which a minibatch run draws the epoch's row order.
func (p BatchPlan) StartsEpoch(i int) bool { return i%p.PerEpoch == 0 }

// Batch locates update i's rows in its epoch's row order: rows of them
// from off; index is the batch's place in the epoch.
func (p BatchPlan) Batch(i int) (index, off, rows int) {
	index = i % p.PerEpoch
	off = index * p.Size
	return index, off, min(p.Size, p.Rows-off)
}

// Shuffle sets perm to the next epoch's row order, a uniformly random
// permutation of 0…len(perm)−1 (Fisher–Yates) drawn from rng, the run's
// shuffle stream.
func Shuffle(rng *rand.Rand, perm []int32) {
	for i := range perm {
		perm[i] = int32(i)
	}
	for i := len(perm) - 1; i > 0; i-- {
		j := rng.IntN(i + 1)
		perm[i], perm[j] = perm[j], perm[i]
	}
}

// ShuffleRand returns the shuffle stream of a run seeded with seed.
func ShuffleRand(seed uint64) *rand.Rand { return NewRand(seed, streamShuffle) }

// Order returns the row orders of the epochs that the first steps updates
// of a run seeded with seed visit, concatenated (nil for a full batch):
// update j uses the rows order[e·Rows+off : e·Rows+off+rows] with
// e = Epoch(j)−1 and off, rows from Batch(j).
func (p BatchPlan) Order(seed uint64, steps int) []int32 {
	if p.FullBatch() || steps <= 0 {
		return nil
	}
	rng := ShuffleRand(seed)
	order := make([]int32, p.EpochsDone(steps)*p.Rows)
	for e := 0; e*p.Rows < len(order); e++ {
		Shuffle(rng, order[e*p.Rows:(e+1)*p.Rows])
	}
	return order
}
