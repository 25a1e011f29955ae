// Package bench is gputrain's benchmark suite: the fixed workloads
// (W1…W4), the deterministic data and initial parameters every
// implementation trains on, the napkin math (flops and minimum bytes per
// step), timing helpers shared by `gputrain bench` and the Go benchmarks,
// the export read by the Python references in bench/reference, and the
// machine's measured limits (an FMA loop and a memory copy).
//
// Timing is always of the normal training path: an nn.Trainer on a
// device.Device, exactly as `gputrain train` runs it.
package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
)

// Workload is one fixed training job of the suite.
type Workload struct {
	Name      string // "w1" … "w4", the --workload spelling
	Title     string // one line: data, network, loss, optimizer, length
	Rows      int    // training rows
	Arch      nn.Arch
	Init      nn.Init // scheme of the initial parameters (all implementations load the same values)
	Optim     nn.OptimConfig
	Batch     int // rows per update; 0 means full batch
	Steps     int // the workload's length in updates
	Reduction nn.Reduction
	Seed      uint64
	GPUOnly   bool // too large for a CPU run of the suite
}

// adam is the Adam configuration with PyTorch's default moments.
func adam(lr float64) nn.OptimConfig {
	return nn.OptimConfig{Kind: nn.Adam, LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// workloads are the suite's workloads. W4's definition gives no learning
// rate or length: it uses W3's SGD step 0.01 and one epoch (16 updates).
var workloads = []Workload{
	{
		Name: "w1", Title: "W1 seed: biodeg 1055×41, 41→20 tanh→1, logistic loss (mean), full-batch GD lr 0.1, 2000 steps",
		Rows: 1055, Arch: nn.Arch{Inputs: 41, Hidden: []int{20}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic},
		Init: nn.InitNormal, Optim: nn.OptimConfig{Kind: nn.GD, LR: 0.1}, Steps: 2000, Reduction: nn.Mean, Seed: 1,
	},
	{
		Name: "w2", Title: "W2 mnist-shape: synthetic 60000×784, 784→512→512→10 ReLU, softmax CE, batch 128, Adam 1e-3, one epoch (469 steps)",
		Rows: 60000, Arch: nn.Arch{Inputs: 784, Hidden: []int{512, 512}, Outputs: 10, Activation: device.ReLU, Loss: device.SoftmaxCE},
		Init: nn.InitHe, Optim: adam(1e-3), Batch: 128, Steps: 469, Reduction: nn.Mean, Seed: 1,
	},
	{
		Name: "w3", Title: "W3 wide: synthetic 8192×2048, 2048→2048→2048→10 ReLU, softmax CE, batch 1024, SGD 0.01, 20 steps",
		Rows: 8192, Arch: nn.Arch{Inputs: 2048, Hidden: []int{2048, 2048}, Outputs: 10, Activation: device.ReLU, Loss: device.SoftmaxCE},
		Init: nn.InitHe, Optim: nn.OptimConfig{Kind: nn.SGD, LR: 0.01}, Batch: 1024, Steps: 20, Reduction: nn.Mean, Seed: 1,
	},
	{
		Name: "w4", Title: "W4 gpu-wide: synthetic 65536×4096, 4×4096 ReLU→10, softmax CE, batch 4096, SGD 0.01, one epoch (16 steps)",
		Rows: 65536, Arch: nn.Arch{Inputs: 4096, Hidden: []int{4096, 4096, 4096, 4096}, Outputs: 10, Activation: device.ReLU, Loss: device.SoftmaxCE},
		Init: nn.InitHe, Optim: nn.OptimConfig{Kind: nn.SGD, LR: 0.01}, Batch: 4096, Steps: 16, Reduction: nn.Mean, Seed: 1,
		GPUOnly: true,
	},
}

// Workloads returns the suite's training workloads, W1 to W4.
func Workloads() []Workload {
	out := make([]Workload, len(workloads))
	copy(out, workloads)
	return out
}

// Lookup returns the workload named name ("w1", case-insensitive).
func Lookup(name string) (Workload, error) {
	var names []string
	for _, w := range workloads {
		if strings.EqualFold(w.Name, name) {
			return w, nil
		}
		names = append(names, w.Name)
	}
	return Workload{}, fmt.Errorf("unknown workload %q: want %s", name, strings.Join(names, ", "))
}

// Plan is the workload's minibatch plan, as its trainer follows it.
func (w Workload) Plan() nn.BatchPlan { return nn.NewBatchPlan(w.Rows, w.Batch) }

// BatchRows is the number of rows in a full update: Batch, or Rows for full batch.
func (w Workload) BatchRows() int { return w.Plan().Size }

// Problem is a workload with its data and initial parameters in memory.
type Problem struct {
	Workload
	X    []float32 // Rows × Arch.Inputs, row-major
	Y    []float32 // Rows targets: 0/1 (logistic) or the class index (softmax CE)
	Init nn.Params // the initial parameters, nn.InitParams(Arch, Init, Seed)
}

// Load builds the workload's data and initial parameters. W1 is the
// embedded biodeg data standardised over all rows, exactly as
// `gputrain train` prepares it; the others are synthetic (see Synthetic).
func (w Workload) Load() (*Problem, error) {
	p := &Problem{Workload: w, Init: nn.InitParams(w.Arch, w.Init, w.Seed)}
	if w.Name == "w1" {
		ds, err := data.Biodeg()
		if err != nil {
			return nil, err
		}
		y, _, _, err := data.Encode(ds, data.TaskBinary)
		if err != nil {
			return nil, err
		}
		ds = data.FitScaler(ds, nil).Transform(ds)
		p.X = make([]float32, 0, ds.Rows()*ds.Cols())
		for i := 0; i < ds.Rows(); i++ {
			for _, v := range ds.Row(i) {
				p.X = append(p.X, float32(v))
			}
		}
		p.Y = make([]float32, len(y))
		for i, v := range y {
			p.Y[i] = float32(v)
		}
		return p, nil
	}
	p.X, p.Y = Synthetic(w.Rows, w.Arch.Inputs, w.Arch.Outputs, w.Seed)
	return p, nil
}

// Config is the training configuration that times steps updates of the
// problem, reading the loss history every checkEvery updates.
func (p *Problem) Config(steps, checkEvery int) nn.TrainConfig {
	return nn.TrainConfig{
		Arch: p.Arch, Init: p.Workload.Init, InitFrom: &p.Init, Optim: p.Optim,
		BatchSize: p.Batch, Steps: steps, Reduction: p.Reduction, Seed: p.Seed,
		CheckEvery: checkEvery,
	}
}

// syntheticChunk is the number of rows drawn from one random stream, so
// that the data can be generated in parallel yet identically on any machine.
const syntheticChunk = 1024

// Synthetic returns rows × cols standard normal features and, for each row,
// the class (0 … classes−1) a fixed random linear teacher gives it:
// argmax_c Σ_j x[j]·T[j,c] with T drawn N(0,1), computed in float64. Chunk
// k of syntheticChunk rows is drawn from the PCG stream (seed, k+1) and T
// from stream (seed, 0), so the result depends only on the arguments.
func Synthetic(rows, cols, classes int, seed uint64) (x, y []float32) {
	x, y = make([]float32, rows*cols), make([]float32, rows)
	rng := rand.New(rand.NewPCG(seed, 0))
	teacher := make([]float64, cols*classes)
	for i := range teacher {
		teacher[i] = rng.NormFloat64()
	}
	chunks := (rows + syntheticChunk - 1) / syntheticChunk
	var wg sync.WaitGroup
	next := make(chan int, chunks)
	for k := 0; k < chunks; k++ {
		next <- k
	}
	close(next)
	for g := 0; g < runtime.GOMAXPROCS(0); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			score := make([]float64, classes)
			for k := range next {
				r := rand.New(rand.NewPCG(seed, uint64(k)+1))
				for i := k * syntheticChunk; i < min(rows, (k+1)*syntheticChunk); i++ {
					row := x[i*cols : (i+1)*cols]
					clear(score)
					for j := range row {
						v := float32(r.NormFloat64())
						row[j] = v
						t := teacher[j*classes : (j+1)*classes]
						for c := range score {
							score[c] += float64(v) * t[c]
						}
					}
					best := 0
					for c := range score {
						if score[c] > score[best] {
							best = c
						}
					}
					y[i] = float32(best)
				}
			}
		}()
	}
	wg.Wait()
	return x, y
}

// FlopsPerStep is the conventional count of floating-point operations in
// one training update of rows rows: 6·rows·Σ fan_in·fan_out (2 for the
// forward product, 4 for the two backward products; biases, activations,
// the loss and the optimizer are left out as they are O(rows·width)).
func FlopsPerStep(arch nn.Arch, rows int) float64 {
	sizes := arch.Sizes()
	var s float64
	for l := 0; l+1 < len(sizes); l++ {
		s += float64(sizes[l]) * float64(sizes[l+1])
	}
	return 6 * float64(rows) * s
}

// MinBytesPerStep is the compulsory memory traffic of one update of rows
// rows, in bytes of float32: read the batch's features and targets once,
// read and write every parameter once, and read and write the optimizer's
// state (nn.StateTensors buffers of the parameters' size). It
// assumes activations and gradients never leave the caches, so it is a
// lower bound, not an estimate.
func MinBytesPerStep(arch nn.Arch, rows int, opt nn.Optimizer) float64 {
	state := nn.StateTensors(opt)
	p := float64(arch.ParamCount())
	return 4 * (float64(rows)*float64(arch.Inputs+1) + 2*p*float64(1+state))
}

// GemmFlops is 2·m·n·k, the flops of one m×k by k×n product.
func GemmFlops(m, n, k int) float64 { return 2 * float64(m) * float64(n) * float64(k) }
