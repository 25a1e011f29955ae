package cpu

import (
	"math"

	"github.com/gputrain/gputrain/cpu/internal/act"
	"github.com/gputrain/gputrain/cpu/internal/pool"
	"github.com/gputrain/gputrain/cpu/internal/update"
	"github.com/gputrain/gputrain/cpu/internal/vec"
	"github.com/gputrain/gputrain/device"
)

// The element-wise operations share one job type (ewJob) that the fixed
// worker pool of cpu/internal/pool splits into pieces computed by the same
// code in the same order, so results are bit-identical whatever the worker
// count; no operation allocates once the device's scratch has grown to the
// shapes in use.

// ewOp names an element-wise operation run by ewJob.
type ewOp int

const (
	opBiasAct ewOp = iota
	opActGrad
	opColSums
	opMul
	opOptim
	opOptimRuns
	opDropoutReplicas
	opL1
)

// ewJob is one element-wise operation, split into pieces of about
// ewPiece elements (whole rows for opBiasAct, column ranges of a multiple
// of 32 for opColSums,
// runs of a multiple of 8 elements for the rest) that the pool's workers
// claim dynamically. Every element is computed by the same code whichever
// piece it falls in, so the split never changes a result.
type ewJob struct {
	op         ewOp
	act        device.Activation
	a, b, c, e []float32
	acc        []float64
	rows, cols int
	n          int
	f0         float32
	update     update.Kernel // opOptim's kernel
	args       update.Args   // and its scalars
	table      []float32     // opOptimRuns' scalars, device.ReplicaArgs per replica
	replicas   int           // opOptimRuns' and opDropoutReplicas' replica count
	seed       uint64        // opDropoutReplicas' stream

	pieces, per int // number of pieces and units (rows, columns, elements) per piece
	ctr         pool.Counter
}

// ewParallelWork is the estimated work (elements × relative cost) from
// which an element-wise operation is split over the pool, and ewPiece the
// work of one piece.
const (
	ewParallelWork = 1 << 18
	ewPiece        = 1 << 15
)

// run executes the job, with the pool when work (elements × relative cost)
// warrants it.
func (j *ewJob) run(work int) {
	units, unitWork := j.n, max(work/max(j.n, 1), 1)
	switch j.op {
	case opBiasAct, opOptimRuns, opDropoutReplicas:
		units, unitWork = j.rows, max(work/max(j.rows, 1), 1)
	case opColSums:
		units, unitWork = (j.cols+7)/8, max(8*work/max(j.cols, 1), 1)
	}
	j.per = max(ewPiece/unitWork, 1)
	switch j.op {
	case opBiasAct, opOptimRuns, opDropoutReplicas:
	case opColSums:
		j.per = (j.per + 3) &^ 3 // whole 32-column blocks of the kernel
	default:
		j.per = (j.per + 7) &^ 7
	}
	j.pieces = (units + j.per - 1) / j.per
	j.ctr.Reset()
	if work >= ewParallelWork && j.pieces > 1 {
		pool.Default().Run(j)
	} else {
		j.Do(0, 1)
	}
	j.a, j.b, j.c, j.e, j.acc, j.table = nil, nil, nil, nil, nil, nil
}

// Do processes pieces until none is left (the caller's Do then waits for
// the others' pieces).
func (j *ewJob) Do(w, workers int) {
	for {
		p, ok := j.ctr.Claim(j.pieces)
		if !ok {
			break
		}
		j.piece(p)
		j.ctr.Done()
	}
	if w == 0 {
		j.ctr.Wait(j.pieces)
	}
}

// piece computes piece p.
func (j *ewJob) piece(p int) {
	switch j.op {
	case opBiasAct:
		r0, r1 := p*j.per, min((p+1)*j.per, j.rows)
		lo, hi := r0*j.cols, r1*j.cols
		biasAct(j.act, j.f0, j.c[lo:hi], j.a[lo:hi], j.b, r1-r0, j.cols)
		return
	case opColSums:
		c0, c1 := 8*p*j.per, min(8*(p+1)*j.per, j.cols)
		vec.ColSums(j.acc[c0:c1], j.a[c0:], j.rows, c1-c0, j.cols)
		return
	case opOptimRuns:
		// Whole runs, each with its replica's scalars, so that a run is
		// updated by the same code as its replica's tensor alone.
		for k := p * j.per; k < min((p+1)*j.per, j.rows); k++ {
			lo, hi := k*j.cols, (k+1)*j.cols
			r := k % j.replicas
			a := (*update.Args)(j.table[r*device.ReplicaArgs : (r+1)*device.ReplicaArgs]) // no copy to escape
			j.update(j.a[lo:hi], j.b[lo:hi], part(j.c, lo, hi), part(j.e, lo, hi), a)
		}
		return
	case opDropoutReplicas:
		width, wide := j.cols, j.replicas*j.cols
		for row := p * j.per; row < min((p+1)*j.per, j.rows); row++ {
			for r, pr := range j.table {
				at := row*wide + r*width
				dropoutRun(j.a[at:at+width], j.b[at:at+width], j.seed, row*width, pr)
			}
		}
		return
	}
	lo, hi := p*j.per, min((p+1)*j.per, j.n)
	switch j.op {
	case opActGrad:
		act.Table[j.act].Backward(j.c[lo:hi], j.a[lo:hi], j.e[lo:hi], j.b[lo:hi], j.f0)
	case opMul:
		vec.Mul(j.c[lo:hi], j.a[lo:hi], j.b[lo:hi])
	case opOptim:
		j.update(j.a[lo:hi], j.b[lo:hi], part(j.c, lo, hi), part(j.e, lo, hi), &j.args)
	case opL1:
		addL1(j.a[lo:hi], j.b[lo:hi], j.f0)
	}
}

// Mul computes out = a·b element-wise.
func (d *Device) Mul(a, b, out device.Buffer, n int) {
	j := &d.job
	*j = ewJob{op: opMul, a: f32(a)[:n], b: f32(b)[:n], c: f32(out)[:n], n: n}
	j.run(n)
}

// Dropout draws the mask from device.DropoutKeep and applies it to x.
func (d *Device) Dropout(x, mask device.Buffer, n int, p float32, seed uint64) {
	dropoutRun(f32(x)[:n], f32(mask)[:n], seed, 0, p)
}

// DropoutReplicas draws each replica's mask as Dropout would for its
// rows × width block alone, with the replica's own drop probability, rows
// split over the workers.
func (d *Device) DropoutReplicas(x, mask device.Buffer, rows, width, replicas int, p device.Buffer, seed uint64) {
	n := rows * replicas * width
	j := &d.job
	*j = ewJob{op: opDropoutReplicas, a: f32(x)[:n], b: f32(mask)[:n], table: f32(p)[:replicas],
		rows: rows, cols: width, replicas: replicas, seed: seed, n: n}
	// The hash costs about as much as a tanh per element.
	j.run(8 * n)
}

// dropoutRun applies dropout with probability p to x, writing the mask to
// m, x[j] being element first+j of seed's stream: device.DropoutKeep's
// decision without a branch. With k the hash's top 24 bits, u = k·2⁻²⁴ is
// exact in float32, so u ≥ p exactly when k ≥ ⌈p·2²⁴⌉ (p·2²⁴ is exact in
// float64). p = 0 keeps everything with the mask 1/(1−0) = 1, x as it is.
func dropoutRun(x, m []float32, seed uint64, first int, p float32) {
	m = m[:len(x)]
	if p == 0 {
		for j := range m {
			m[j] = 1
		}
		return
	}
	const golden = 0x9E3779B97F4A7C15
	threshold := uint64(math.Ceil(float64(p) * (1 << 24)))
	scale := math.Float32bits(1 / (1 - p))
	z := seed + uint64(first)*golden
	for j := range x {
		v := z
		z += golden
		v ^= v >> 30
		v *= 0xBF58476D1CE4E5B9
		v ^= v >> 27
		v *= 0x94D049BB133111EB
		v ^= v >> 31
		// k − threshold wraps below 0 (top bit set) exactly when dropped.
		keep := uint32((v>>40-threshold)>>63) ^ 1
		mk := math.Float32frombits(scale & -keep)
		m[j] = mk
		x[j] *= mk
	}
}

// part is x[lo:hi], or nil for an absent (nil) tensor.
func part(x []float32, lo, hi int) []float32 {
	if x == nil {
		return nil
	}
	return x[lo:hi]
}
