package bench

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gputrain/gputrain/device"
)

// Kernel is one device operation timed on its own: a matrix product or an
// element-wise operation.
type Kernel struct {
	Op      string // "gemm", "mul" (out = a·b) or "sgd" (p −= lr·g)
	M, N, K int    // gemm: C (M×N) = A (M×K) · B (K×N)
	Size    int    // element-wise: elements
	Label   string // where the shape comes from, e.g. "w2 layer 1"; may be empty
}

// Name renders the kernel as "gemm 128x512x784", "mul 1e6" (powers of ten)
// or "sgd 123456".
func (k Kernel) Name() string {
	if k.Op == "gemm" {
		return fmt.Sprintf("gemm %dx%dx%d", k.M, k.N, k.K)
	}
	size := strconv.Itoa(k.Size)
	if e := len(size) - 1; e > 0 && size == "1"+strings.Repeat("0", e) {
		size = fmt.Sprintf("1e%d", e)
	}
	return k.Op + " " + size
}

// Flops is the kernel's arithmetic: 2·M·N·K for gemm, one operation per
// element for mul, two (a fused multiply-add) for sgd.
func (k Kernel) Flops() float64 {
	switch k.Op {
	case "gemm":
		return GemmFlops(k.M, k.N, k.K)
	case "sgd":
		return 2 * float64(k.Size)
	}
	return float64(k.Size)
}

// MinBytes is the kernel's compulsory memory traffic: read A and B and
// write C once for gemm; read two arrays and write one for mul and sgd.
func (k Kernel) MinBytes() float64 {
	if k.Op == "gemm" {
		return 4 * (float64(k.M)*float64(k.K) + float64(k.K)*float64(k.N) + float64(k.M)*float64(k.N))
	}
	return 12 * float64(k.Size)
}

// ParseKernel parses "gemm:1024" (square), "gemm:128x512x784" (M×N×K),
// "mul:1e6" or "sgd:100000000".
func ParseKernel(s string) (Kernel, error) {
	op, arg, ok := strings.Cut(strings.TrimSpace(s), ":")
	bad := fmt.Errorf("invalid kernel %q: want gemm:N, gemm:MxNxK, mul:SIZE or sgd:SIZE (e.g. gemm:2048, mul:1e6)", s)
	if !ok {
		return Kernel{}, bad
	}
	positive := func(t string) (int, bool) {
		v, err := strconv.ParseFloat(t, 64)
		if err != nil || v < 1 || v > 1<<40 || v != float64(int(v)) {
			return 0, false
		}
		return int(v), true
	}
	switch op {
	case "gemm":
		parts := strings.Split(arg, "x")
		var dims []int
		for _, p := range parts {
			v, ok := positive(p)
			if !ok {
				return Kernel{}, bad
			}
			dims = append(dims, v)
		}
		switch len(dims) {
		case 1:
			return Kernel{Op: op, M: dims[0], N: dims[0], K: dims[0]}, nil
		case 3:
			return Kernel{Op: op, M: dims[0], N: dims[1], K: dims[2]}, nil
		}
	case "mul", "sgd":
		if v, ok := positive(arg); ok {
			return Kernel{Op: op, Size: v}, nil
		}
	}
	return Kernel{}, bad
}

// Spec renders the kernel in ParseKernel's syntax.
func (k Kernel) Spec() string {
	if k.Op == "gemm" {
		return fmt.Sprintf("gemm:%dx%dx%d", k.M, k.N, k.K)
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

// DefaultKernels is the suite's kernel list: gemm at each workload's main
// shape and at 1024², 2048² (and 4096² on a GPU), and mul and sgd at 1e6
// and 1e8 elements. W4's shape and 4096² are left to GPUs, where they take
// milliseconds rather than the seconds they take on a CPU.
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

// Prepare allocates the kernel's operands on dev (filled with small
// constants) and returns the operation and a function freeing them.
func (k Kernel) Prepare(dev device.Device) (op func(), free func(), err error) {
	var bufs []device.Buffer
	free = func() {
		for _, b := range bufs {
			dev.Free(b)
		}
	}
	alloc := func(n int, v float32) device.Buffer {
		if err != nil {
			return nil
		}
		var b device.Buffer
		if b, err = dev.Alloc(n); err != nil {
			err = fmt.Errorf("%s: allocating %d floats on %s: %w", k.Name(), n, dev.Name(), err)
			return nil
		}
		bufs = append(bufs, b)
		dev.Fill(b, n, v)
		return b
	}
	switch k.Op {
	case "gemm":
		a, b, c := alloc(k.M*k.K, 0.01), alloc(k.K*k.N, 0.02), alloc(k.M*k.N, 0)
		op = func() { device.Gemm(dev, false, false, k.M, k.N, k.K, 1, a, b, 0, c) }
	case "mul":
		a, b, c := alloc(k.Size, 1.001), alloc(k.Size, 0.999), alloc(k.Size, 0)
		op = func() { dev.Mul(a, b, c, k.Size) }
	case "sgd":
		p, g := alloc(k.Size, 1), alloc(k.Size, 0.5)
		op = func() { dev.SGDStep(p, g, k.Size, 1e-6, 0) }
	default:
		err = fmt.Errorf("unknown kernel op %q", k.Op)
	}
	if err == nil {
		err = dev.Synchronize()
	}
	if err != nil {
		free()
		return nil, nil, err
	}
	return op, free, nil
}
