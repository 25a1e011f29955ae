package bench

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/device/opspec"
)

// Kernel is one device operation timed on its own: any entry of the
// operation table (package device/opspec) at one shape.
type Kernel struct {
	Op      string // the table's name: "gemm", "mul", "sgd", "bias_act_tanh", …
	M, N, K int    // gemm: C (M×N) = A (M×K) · B (K×N); matrix ops: M rows × N columns
	Size    int    // one-dimensional ops: elements
	Label   string // where the shape comes from, e.g. "w2 layer 1"; may be empty
}

// spec returns the kernel's table entry and shape.
func (k Kernel) spec() (opspec.Op, opspec.Shape, error) {
	op, ok := opspec.Lookup(k.Op)
	if !ok {
		return opspec.Op{}, opspec.Shape{}, fmt.Errorf("unknown kernel op %q", k.Op)
	}
	switch op.Dims {
	case 1:
		return op, opspec.Shape{M: k.Size}, nil
	case 2:
		return op, opspec.Shape{M: k.M, N: k.N}, nil
	}
	return op, opspec.Shape{M: k.M, N: k.N, K: k.K}, nil
}

// Name renders the kernel as "gemm 128x512x784", "bias_act_relu 1024x512",
// "mul 1e6" (powers of ten) or "sgd 123456".
func (k Kernel) Name() string {
	op, s, err := k.spec()
	if err != nil || op.Dims > 1 {
		return k.Op + " " + s.String()
	}
	size := strconv.Itoa(k.Size)
	if e := len(size) - 1; e > 0 && size == "1"+strings.Repeat("0", e) {
		size = fmt.Sprintf("1e%d", e)
	}
	return k.Op + " " + size
}

// Flops is the kernel's arithmetic per call, from the operation table.
func (k Kernel) Flops() float64 {
	op, s, err := k.spec()
	if err != nil {
		return 0
	}
	return op.Flops(s)
}

// MinBytes is the kernel's compulsory memory traffic per call (each operand
// read or written once), from the operation table.
func (k Kernel) MinBytes() float64 {
	op, s, err := k.spec()
	if err != nil {
		return 0
	}
	return op.Bytes(s)
}

// ParseKernel parses "gemm:1024" (square), "gemm:128x512x784" (M×N×K),
// "OP:ROWSxCOLS" for the matrix ops (e.g. "bias_act_tanh:1024x512") and
// "OP:SIZE" for the others (e.g. "mul:1e6", "sgd:100000000").
func ParseKernel(s string) (Kernel, error) {
	name, arg, ok := strings.Cut(strings.TrimSpace(s), ":")
	bad := fmt.Errorf("invalid kernel %q: want gemm:N, gemm:MxNxK, OP:ROWSxCOLS or OP:SIZE (e.g. gemm:2048, mul:1e6, bias_act_relu:1024x512)", s)
	op, known := opspec.Lookup(name)
	if !ok || !known {
		return Kernel{}, bad
	}
	var dims []int
	for _, p := range strings.Split(arg, "x") {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v < 1 || v > 1<<40 || v != float64(int(v)) {
			return Kernel{}, bad
		}
		dims = append(dims, int(v))
	}
	switch {
	case op.Dims == 3 && len(dims) == 1:
		return Kernel{Op: name, M: dims[0], N: dims[0], K: dims[0]}, nil
	case op.Dims == 3 && len(dims) == 3:
		return Kernel{Op: name, M: dims[0], N: dims[1], K: dims[2]}, nil
	case op.Dims == 2 && len(dims) == 2:
		return Kernel{Op: name, M: dims[0], N: dims[1]}, nil
	case op.Dims == 1 && len(dims) == 1:
		return Kernel{Op: name, Size: dims[0]}, nil
	}
	return Kernel{}, bad
}

// Spec renders the kernel in ParseKernel's syntax.
func (k Kernel) Spec() string {
	op, s, err := k.spec()
	if err != nil || op.Dims > 1 {
		return k.Op + ":" + s.String()
	}
	return fmt.Sprintf("%s:%d", k.Op, k.Size)
}

// WorkloadGemm is the forward product of a workload's first layer at its
// batch size (rows × first width × inputs), the shape that dominates it.
func WorkloadGemm(w Workload) Kernel {
	n := w.Arch.Outputs
	if len(w.Arch.Hidden) > 0 {
		n = w.Arch.Hidden[0]
	}
	return Kernel{Op: "gemm", M: w.BatchRows(), N: n, K: w.Arch.Inputs, Label: w.Name + " layer 1"}
}

// DefaultKernels is the suite's kernel list, the one the Python references
// time too: gemm at each workload's main shape and at 1024², 2048² (and
// 4096² on a GPU), and mul and sgd at 1e6 and 1e8 elements. W4's shape and
// 4096² are left to GPUs, where they take milliseconds rather than the
// seconds they take on a CPU.
func DefaultKernels(gpu bool) []Kernel {
	var ks []Kernel
	for _, w := range workloads {
		if !w.GPUOnly || gpu {
			ks = append(ks, WorkloadGemm(w))
		}
	}
	sizes := []int{1024, 2048}
	if gpu {
		sizes = append(sizes, 4096)
	}
	for _, s := range sizes {
		k := Kernel{Op: "gemm", M: s, N: s, K: s}
		if !slices.ContainsFunc(ks, func(o Kernel) bool { return o.Spec() == k.Spec() }) {
			ks = append(ks, k)
		}
	}
	for _, op := range []string{"mul", "sgd"} {
		for _, n := range []int{1_000_000, 100_000_000} {
			ks = append(ks, Kernel{Op: op, Size: n})
		}
	}
	return ks
}

// AllKernels is every entry of the operation table once, at a size where
// its arithmetic or memory traffic rather than the call's overhead
// dominates: 1024² products, 4096×1024 matrices (W3's batch times a wide
// layer) and 2²² elements (16 MiB per float32 operand), larger on a GPU.
func AllKernels(gpu bool) []Kernel {
	scale := 1
	if gpu {
		scale = 4
	}
	var ks []Kernel
	for _, op := range opspec.Ops {
		switch op.Dims {
		case 1:
			ks = append(ks, Kernel{Op: op.Name, Size: scale << 22})
		case 2:
			ks = append(ks, Kernel{Op: op.Name, M: scale * 4096, N: 1024})
		default:
			n := scale * 1024
			ks = append(ks, Kernel{Op: op.Name, M: n, N: n, K: n})
		}
	}
	return ks
}

// validationCap is the most elements per dimension (per matrix for the
// matrix ops) at which Validate runs the float64 reference: a 4096³ product
// would take minutes in the reference loop, while the kernels take the
// same code path at any size past a few tiles.
const validationCap = 1 << 20

// validationShape is s capped for the reference.
func validationShape(op opspec.Op, s opspec.Shape) opspec.Shape {
	switch op.Dims {
	case 1:
		s.M = min(s.M, validationCap)
	case 2:
		s.M = min(s.M, max(1, validationCap/s.N))
	default:
		s.M, s.N, s.K = min(s.M, 256), min(s.N, 256), min(s.K, 512)
	}
	return s
}

// Validate runs the kernel once on dev at its shape (capped so that the
// float64 reference stays quick, see validationShape) and compares it with
// the operation table's reference within the table's tolerance.
func (k Kernel) Validate(dev device.Device) error {
	op, s, err := k.spec()
	if err != nil {
		return err
	}
	x, err := opspec.New(dev, op, validationShape(op, s), 1)
	if err != nil {
		return err
	}
	defer x.Free()
	if err := x.Validate(); err != nil {
		return fmt.Errorf("%s on %s: does not match its float64 reference: %w", k.Name(), dev.Name(), err)
	}
	return dev.Synchronize()
}

// Prepare allocates the kernel's operands on dev and returns the operation
// and a function freeing them.
func (k Kernel) Prepare(dev device.Device) (op func(), free func(), err error) {
	o, s, err := k.spec()
	if err != nil {
		return nil, nil, err
	}
	x, err := opspec.New(dev, o, s, 1)
	if err != nil {
		return nil, nil, err
	}
	return x.Run, x.Free, nil
}
