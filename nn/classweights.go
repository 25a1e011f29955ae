package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/gputrain/gputrain/device"
)

// classWeighting weights each row's loss and gradient by its class's
// weight without any device operation beyond the interface: the gradient
// rows are multiplied by a weight matrix gathered like the targets, and the
// weighted loss is Σ_c w_c·L_c, where L_c is the loss of the batch's rows of
// class c, gathered together by an index per batch.
type classWeighting struct {
	t        *Trainer
	w        []float64
	rowClass []int32            // class of each training row
	full     device.Buffer      // n×Outputs: each row's weight, repeated
	wb       device.Buffer      // batch×Outputs: the current batch's (minibatches)
	idx      device.IndexBuffer // per batch: its positions grouped by class
	idxHost  []int32
	counts   [][]int // per batch and class: rows of that class
	sz, sy   device.Buffer
	sg       device.Buffer
}

// classOf returns the class index of training row r of targets y (k
// columns) for the losses that take class weights.
func classOf(y []float32, k, r, classes int) (int, error) {
	v := y[r*k]
	c := int(v)
	if float32(c) != v || c < 0 || c >= classes {
		return 0, fmt.Errorf("class weights: row %d has target %v, not a class index below %d", r, v, classes)
	}
	return c, nil
}

// checkClassWeights checks that weights fit arch's loss.
func checkClassWeights(arch Arch, w []float64) error {
	switch {
	case arch.Loss == device.Logistic && arch.Outputs == 1 && len(w) == 2:
	case arch.Loss == device.SoftmaxCE && len(w) == arch.Outputs:
	default:
		return fmt.Errorf("class weights need a binary or multiclass task with one weight per class (%d weights for %s)", len(w), arch)
	}
	for _, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("class weight %v is not a finite non-negative number", v)
		}
	}
	return nil
}

func newClassWeighting(t *Trainer, y []float32) (*classWeighting, error) {
	arch, w := t.cfg.Arch, t.cfg.ClassWeights
	if err := checkClassWeights(arch, w); err != nil {
		return nil, err
	}
	c := &classWeighting{t: t, w: w, rowClass: make([]int32, t.n), idxHost: make([]int32, t.n)}
	K := arch.Outputs
	host := make([]float32, t.n*K)
	for r := 0; r < t.n; r++ {
		cls, err := classOf(y, t.k, r, len(w))
		if err != nil {
			return nil, err
		}
		c.rowClass[r] = int32(cls)
		for j := 0; j < K; j++ {
			host[r*K+j] = float32(w[cls])
		}
	}
	var err error
	allocs := []struct {
		dst  *device.Buffer
		size int
	}{{&c.full, t.n * K}, {&c.sz, t.plan.Size * K}, {&c.sy, t.plan.Size * t.k}, {&c.sg, t.plan.Size * K}}
	if !t.fullBatch() {
		allocs = append(allocs, struct {
			dst  *device.Buffer
			size int
		}{&c.wb, t.plan.Size * K})
	}
	for _, a := range allocs {
		if *a.dst, err = t.net.alloc(a.size); err != nil {
			return nil, err
		}
	}
	if c.idx, err = t.dev.AllocIndex(t.n); err != nil {
		return nil, err
	}
	t.dev.Upload(c.full, host)
	c.counts = make([][]int, t.plan.PerEpoch)
	for b := range c.counts {
		c.counts[b] = make([]int, len(w))
	}
	if t.fullBatch() {
		c.layout(nil)
	}
	return c, nil
}

// layout groups each batch's positions by class, for the epoch order perm
// (nil: rows in order, one batch), and uploads the index.
func (c *classWeighting) layout(perm []int32) {
	t := c.t
	start := make([]int, len(c.w))
	for b := range c.counts {
		_, off, rows := t.plan.Batch(b)
		cnt := c.counts[b]
		clear(cnt)
		row := func(j int) int32 {
			if perm == nil {
				return int32(off + j)
			}
			return perm[off+j]
		}
		for j := 0; j < rows; j++ {
			cnt[c.rowClass[row(j)]]++
		}
		pos := 0
		for cls := range cnt {
			start[cls] = pos
			pos += cnt[cls]
		}
		for j := 0; j < rows; j++ {
			cls := c.rowClass[row(j)]
			c.idxHost[off+start[cls]] = int32(j)
			start[cls]++
		}
	}
	t.dev.UploadIndex(c.idx, c.idxHost)
}

// apply weights the logits gradient of the current batch (rows rows, batch
// batchIdx of the epoch starting at row off of the order) and writes each
// class's loss sum into the loss history at slot+1+class. It returns the
// classes with no row in the batch, whose slots it left untouched.
func (c *classWeighting) apply(y device.Buffer, rows, batchIdx, off, slot int) (absent []int) {
	t := c.t
	K := t.cfg.Arch.Outputs
	weights := c.full
	if !t.fullBatch() {
		t.dev.GatherRows(c.full, t.perm, off, c.wb, rows, K)
		weights = c.wb
	}
	grad := t.net.logitsGradBuf()
	t.dev.Mul(grad, weights, grad, rows*K)
	if t.an != nil {
		t.an.check("weighted logits gradient", grad, rows*K)
	}
	logits := t.net.logitsBuf()
	pos := off
	for cls, cnt := range c.counts[batchIdx] {
		if cnt == 0 {
			absent = append(absent, cls)
			continue
		}
		t.dev.GatherRows(logits, c.idx, pos, c.sz, cnt, K)
		t.dev.GatherRows(y, c.idx, pos, c.sy, cnt, t.k)
		device.LossGrad(t.dev, t.cfg.Arch.Loss, c.sz, c.sy, c.sg, cnt, K, 0, t.lossHist, slot+1+cls)
		pos += cnt
	}
	return absent
}

// weightedSum combines the per-class loss sums of one recorded loss.
func (c *classWeighting) weightedSum(perClass []float32, absent []int) float64 {
	var s float64
	for cls, v := range perClass {
		if !slices.Contains(absent, cls) {
			s += c.w[cls] * float64(v)
		}
	}
	return s
}
