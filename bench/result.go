package bench

import (
	"time"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
	"github.com/gputrain/gputrain/nn/job"
)

// Result is one timed run: a training workload or a kernel, on one device,
// by one implementation. `gputrain bench --json` prints one per line, the
// Python references in bench/reference print the same fields, and the
// runner reads both.
type Result struct {
	Impl     string `json:"impl"`     // "gputrain", "numpy", "torch", "jax"
	Variant  string `json:"variant"`  // e.g. "eager", "cuda-graph", "jit", "scan"; empty for gputrain
	Version  string `json:"version"`  // the implementation's version
	Device   string `json:"device"`   // "cpu", "cuda:0"
	Describe string `json:"describe"` // one line about the device or library (BLAS kernel, threads)
	Kind     string `json:"kind"`     // "train" or "kernel"
	Case     string `json:"case"`     // workload name ("w1") or kernel name ("gemm 1024x1024x1024")

	Rows  int `json:"rows,omitempty"`  // training rows
	Batch int `json:"batch,omitempty"` // rows per update
	Steps int `json:"steps"`           // updates run (train) or calls timed (kernel)
	Block int `json:"block"`           // updates (calls) per timed block

	// Seconds summarises the per-step (per-call) wall time over the timed blocks.
	Seconds Summary `json:"seconds"`
	// Samples are the per-block seconds per step (per call) behind Seconds.
	Samples []float64 `json:"samples"`

	Flops    float64 `json:"flops"`     // per step (call)
	MinBytes float64 `json:"min_bytes"` // per step (call)
	GFLOPS   float64 `json:"gflops"`    // Flops / median seconds / 1e9
	GBS      float64 `json:"gbs"`       // MinBytes / median seconds / 1e9
	// SamplesPerSecond is Batch / median seconds (training only).
	SamplesPerSecond float64 `json:"samples_per_s,omitempty"`
	// FinalLoss is the last training loss the run reported: for full batch
	// the loss after the last update, for minibatches the loss of the last
	// batch measured before its update. FinalStep is its step.
	FinalLoss float64 `json:"final_loss,omitempty"`
	FinalStep int     `json:"final_step,omitempty"`
	// WallSeconds is the whole timed call's wall time (warm-up included).
	WallSeconds float64 `json:"wall_s"`
	// LaunchesPerStep, GraphLaunchesPerStep, SyncsPerStep and
	// CopiesPerStep are the kernel launches, graph launches (one replays a
	// recorded block of steps), waits for the device and host↔device
	// copies per update, averaged over the whole run (warm-up, the blocks
	// run launch by launch before their graph is captured, and loss reads
	// included), for the devices that count them (device.Counter); 0 for
	// the others. The driver calls that start work per update are
	// LaunchesPerStep + GraphLaunchesPerStep.
	LaunchesPerStep      float64 `json:"launches_per_step,omitempty"`
	GraphLaunchesPerStep float64 `json:"graph_launches_per_step,omitempty"`
	SyncsPerStep         float64 `json:"syncs_per_step,omitempty"`
	CopiesPerStep        float64 `json:"copies_per_step,omitempty"`
	// CopyBytesPerStep is the bytes those copies move per update.
	CopyBytesPerStep float64 `json:"copy_bytes_per_step,omitempty"`
}

// countsOf returns dev's running tally of launches, copies and syncs, if
// it keeps one.
func countsOf(dev device.Device) (device.Counts, bool) {
	c, ok := dev.(device.Counter)
	if !ok {
		return device.Counts{}, false
	}
	return c.Counts(), true
}

// setCounts fills the per-update counts from the tallies before and after
// a run of r.Steps updates.
func (r *Result) setCounts(before, after device.Counts) {
	if r.Steps <= 0 {
		return
	}
	n := float64(r.Steps)
	r.LaunchesPerStep = float64(after.Launches-before.Launches) / n
	r.GraphLaunchesPerStep = float64(after.GraphLaunches-before.GraphLaunches) / n
	r.SyncsPerStep = float64(after.Syncs-before.Syncs) / n
	r.CopiesPerStep = float64(after.Copies-before.Copies) / n
	r.CopyBytesPerStep = float64(after.CopyBytes-before.CopyBytes) / n
}

// finish fills the summary and the rates derived from the median.
func (r *Result) finish() {
	r.Seconds = Summarize(r.Samples)
	if m := r.Seconds.Median; m > 0 {
		r.GFLOPS = r.Flops / m / 1e9
		r.GBS = r.MinBytes / m / 1e9
		if r.Kind == "train" {
			r.SamplesPerSecond = float64(r.Batch) / m
		}
	}
}

// TrainResult turns a finished BlockTimer into a Result for a network of
// arch trained with batchRows rows per update by optimizer opt.
func TrainResult(dev device.Device, name string, bt *BlockTimer, arch nn.Arch, rows, batchRows int, opt nn.Optimizer, wall time.Duration) Result {
	r := Result{
		Impl: "gputrain", Version: job.Version, Device: dev.Name(), Describe: dev.Describe(),
		Kind: "train", Case: name, Rows: rows, Batch: batchRows, Steps: bt.Total, Block: bt.Block,
		Samples: bt.StepSeconds, Flops: FlopsPerStep(arch, batchRows),
		MinBytes: MinBytesPerStep(arch, batchRows, opt), FinalLoss: bt.Final.Loss, FinalStep: bt.Final.Step,
		WallSeconds: wall.Seconds(),
	}
	r.finish()
	return r
}

// TimeTraining trains the problem for steps updates on dev with an
// nn.Trainer, reading the loss every block updates, and times it (see
// BlockTimer). steps must be at least 2·block so that one block is timed.
func TimeTraining(dev device.Device, p *Problem, steps, block int) (Result, error) {
	t, err := nn.NewTrainer(dev, p.Config(steps, block), p.X, p.Y, p.Rows)
	if err != nil {
		return Result{}, err
	}
	defer t.Close()
	bt := NewBlockTimer(block, steps)
	before, counted := countsOf(dev)
	start := time.Now()
	if _, err := t.Run(bt.OnLoss); err != nil {
		return Result{}, err
	}
	r := TrainResult(dev, p.Name, bt, p.Arch, p.Rows, p.BatchRows(), p.Optim.Kind, time.Since(start))
	if counted {
		after, _ := countsOf(dev)
		r.setCounts(before, after)
	}
	return r, nil
}

// TimeKernel validates k on dev against its float64 reference
// (Kernel.Validate), then times it: one calibrating warm-up call, then
// blocks blocks of as many calls as fill about target seconds each.
func TimeKernel(dev device.Device, k Kernel, blocks int, target float64) (Result, error) {
	if err := k.Validate(dev); err != nil {
		return Result{}, err
	}
	op, free, err := k.Prepare(dev)
	if err != nil {
		return Result{}, err
	}
	defer free()
	start := time.Now()
	per, err := Calibrate(dev, op, target)
	if err != nil {
		return Result{}, err
	}
	samples, err := TimeBlocks(dev, op, per, 0, blocks)
	if err != nil {
		return Result{}, err
	}
	r := Result{
		Impl: "gputrain", Version: job.Version, Device: dev.Name(), Describe: dev.Describe(),
		Kind: "kernel", Case: k.Name(), Steps: per * blocks, Block: per, Samples: samples,
		Flops: k.Flops(), MinBytes: k.MinBytes(), WallSeconds: time.Since(start).Seconds(),
	}
	r.finish()
	return r, nil
}
