// Package opspec is the table of device operations that both the
// conformance suite (package devicetest) and `gputrain bench --workload
// kernels` read: per op family (one file each, as in package device), every
// operation with its float64 reference, the tolerance its results must meet,
// and its arithmetic and compulsory memory traffic per call. The suite
// validates every entry on a backend at odd shapes; the benchmark validates
// an entry at (a capped copy of) the timed shape and then reports its
// GFLOP/s and GB/s.
//
// The package does not import testing, so the product binary may use it.
package opspec

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gputrain/gputrain/device"
)

// Shape is an operation's problem size. Ops of one dimension use M (the
// element count); ops on a matrix use M rows and N columns; the product
// uses M×N×K.
type Shape struct{ M, N, K int }

func (s Shape) String() string {
	switch {
	case s.K > 0:
		return fmt.Sprintf("%dx%dx%d", s.M, s.N, s.K)
	case s.N > 0:
		return fmt.Sprintf("%dx%d", s.M, s.N)
	}
	return fmt.Sprint(s.M)
}

// Op is one device operation as the table describes it.
type Op struct {
	// Name is the op's spelling in --kernels, e.g. "gemm" or "bias_act_tanh".
	Name string
	// Family is the op family (the file name in device, cpu, cuda, kernels).
	Family string
	// Dims is the number of Shape fields the op uses: 1 (M), 2 (M×N) or 3.
	Dims int
	// Inputs returns the host inputs for shape s (drawn from rng, never 0
	// where a zero would hide a bug).
	Inputs func(rng *rand.Rand, s Shape) [][]float32
	// Index returns the op's index buffer, for the ops that take one.
	Index func(rng *rand.Rand, s Shape) []int32
	// Outputs are the lengths of the buffers the op writes that are not
	// inputs; they are filled with NaN before the call.
	Outputs func(s Shape) []int
	// Run queues the op; bufs are the inputs and then the outputs.
	Run func(d device.Device, s Shape, bufs []device.Buffer, idx device.IndexBuffer)
	// Check are the indices into bufs of the buffers Ref describes.
	Check []int
	// Ref returns the expected contents of the Check buffers after one
	// call, computed in float64 from the inputs.
	Ref func(s Shape, in [][]float32, idx []int32) [][]float64
	// Tol is the tolerance: |got − want| ≤ atol + rtol·|want|.
	Tol func(s Shape) (rtol, atol float64)
	// Flops and Bytes are the arithmetic and the compulsory memory traffic
	// (each operand read or written once) of one call.
	Flops, Bytes func(s Shape) float64
}

// Ops is the whole table, family by family.
var Ops = concat(memoryOps, gemmOps, reduceOps, activationOps(), lossOps(), batchNormOps, optimOps, elementwiseOps)

func concat(lists ...[]Op) []Op {
	var all []Op
	for _, l := range lists {
		all = append(all, l...)
	}
	return all
}

// Lookup returns the op named name.
func Lookup(name string) (Op, bool) {
	for _, op := range Ops {
		if op.Name == name {
			return op, true
		}
	}
	return Op{}, false
}

// Instance is an op's operands allocated on a device for one shape.
type Instance struct {
	op   Op
	s    Shape
	d    device.Device
	in   [][]float32
	idx  []int32
	bufs []device.Buffer
	ib   device.IndexBuffer
}

// New allocates and uploads the op's operands for shape s on d (inputs
// drawn from a generator seeded with seed) and poisons its outputs.
func New(d device.Device, op Op, s Shape, seed uint64) (*Instance, error) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := &Instance{op: op, s: s, d: d, in: op.Inputs(rng, s)}
	if op.Index != nil {
		x.idx = op.Index(rng, s)
		ib, err := d.AllocIndex(len(x.idx))
		if err != nil {
			return nil, fmt.Errorf("%s %v: %w", op.Name, s, err)
		}
		x.ib = ib
		d.UploadIndex(ib, x.idx)
	}
	alloc := func(n int) (device.Buffer, error) {
		b, err := d.Alloc(max(n, 1))
		if err != nil {
			x.Free()
			return nil, fmt.Errorf("%s %v: allocating %d floats on %s: %w", op.Name, s, n, d.Name(), err)
		}
		x.bufs = append(x.bufs, b)
		return b, nil
	}
	for _, v := range x.in {
		b, err := alloc(len(v))
		if err != nil {
			return nil, err
		}
		d.Upload(b, v)
	}
	for _, n := range op.Outputs(s) {
		b, err := alloc(n)
		if err != nil {
			return nil, err
		}
		d.Fill(b, n, float32(math.NaN()))
	}
	return x, d.Synchronize()
}

// Run queues one call of the op.
func (x *Instance) Run() { x.op.Run(x.d, x.s, x.bufs, x.ib) }

// Validate runs the op once on freshly uploaded inputs and compares the
// results with the float64 reference, returning an error that names the
// first mismatch and how many elements are off.
func (x *Instance) Validate() error {
	for i, v := range x.in {
		x.d.Upload(x.bufs[i], v)
	}
	x.Run()
	want := x.op.Ref(x.s, x.in, x.idx)
	rtol, atol := x.op.Tol(x.s)
	for j, bi := range x.op.Check {
		got := make([]float32, len(want[j]))
		if err := x.d.Download(got, x.bufs[bi]); err != nil {
			return err
		}
		bad, first := 0, -1
		for i, w := range want[j] {
			g := float64(got[i])
			if !(math.Abs(g-w) <= atol+rtol*math.Abs(w)) {
				if first < 0 {
					first = i
				}
				bad++
			}
		}
		if bad > 0 {
			return fmt.Errorf("%s %v: output %d: %d of %d elements outside ±(%g + %g·|want|), first [%d] = %g, want %g",
				x.op.Name, x.s, j, bad, len(want[j]), atol, rtol, first, got[first], want[j][first])
		}
	}
	return nil
}

// Free releases the operands.
func (x *Instance) Free() {
	for _, b := range x.bufs {
		x.d.Free(b)
	}
	x.bufs = nil
	if x.ib != nil {
		x.d.FreeIndex(x.ib)
		x.ib = nil
	}
}

// random returns n values uniform in ±[0.1, 1): never zero.
func random(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		v := 0.1 + 0.9*rng.Float32()
		if rng.IntN(2) == 0 {
			v = -v
		}
		x[i] = v
	}
	return x
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// fixedTol is a tolerance that does not depend on the shape.
func fixedTol(rtol, atol float64) func(Shape) (float64, float64) {
	return func(Shape) (float64, float64) { return rtol, atol }
}

// perElement is flops or bytes proportional to the element count M·N (M
// when the op has one dimension).
func perElement(c float64) func(Shape) float64 {
	return func(s Shape) float64 { return c * float64(s.M) * float64(max(s.N, 1)) }
}

// Positive returns n values in [0.1, 2).
func Positive(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 0.1 + 1.9*rng.Float32()
	}
	return x
}
