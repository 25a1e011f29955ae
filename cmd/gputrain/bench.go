package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gputrain/gputrain/bench"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn/job"
	"github.com/spf13/pflag"
)

const benchHelp = `Usage: gputrain bench [flags]

Times training on each available device (or the one --device names): step
latency (the median over blocks of --block updates, each ended by the
trainer's regular read of the loss; the first block is a warm-up), samples
per second, GFLOP/s counted as 6·batch·Σ fan_in·fan_out per update, and the
final training loss. It runs the same trainer as "gputrain train".

Workloads (--workload):
  w1       biodeg 1055×41, 41→20 tanh→1, logistic (mean), full-batch GD lr 0.1, 2000 steps
  w2       synthetic 60000×784, 784→512→512→10 ReLU, softmax CE, batch 128, Adam 1e-3, 469 steps
  w3       synthetic 8192×2048, 2048→2048→2048→10 ReLU, batch 1024, SGD 0.01, 20 steps
  w4       synthetic 65536×4096, 4×4096 ReLU→10, batch 4096, SGD 0.01, 16 steps (GPU-sized)
  kernels  device kernels alone: gemm and element-wise operations (see --kernels)
Or time your own data: --data and the training flags of "gputrain train"
(--hidden, --activation, --optimizer, --lr, --batch-size, --steps, ...).

Examples:
  gputrain bench                               # w1 on every device
  gputrain bench --workload w2 --steps 100 --device cpu
  gputrain bench --workload kernels --kernels gemm:2048,mul:1e8
  gputrain bench --data iris.csv --label species --hidden 64 --batch-size 16 --steps 500
  gputrain bench --workload w2 --export /tmp/w2   # data, batch order and initial
                                                  # parameters for other frameworks
`

// benchFlags holds the flags of "gputrain bench" beyond the training flags.
type benchFlags struct {
	workload, kernels, export string
	block, kernelBlocks       int
	kernelTime                float64
	json, list                bool
}

// benchTrainFlags are the "gputrain train" flags that set up a timed run of
// the user's own data. Every other training flag (splits, cross-validation,
// saving, logging, early stopping, checkpoints, and any added later) is
// hidden in "gputrain bench" and refused: a timed run is --steps updates of
// training and nothing else.
var benchTrainFlags = map[string]bool{
	"data": true, "label": true, "labels": true, "delimiter": true, "header": true, "index-col": true, "format": true,
	"device": true, "task": true, "hidden": true, "activation": true, "loss-reduction": true,
	"init": true, "init-from": true, "optimizer": true, "lr": true, "lr-schedule": true,
	"warmup-steps": true, "lr-step-size": true, "lr-gamma": true, "lr-min": true,
	"momentum": true, "beta1": true, "beta2": true, "eps": true, "weight-decay": true,
	"dropout": true, "class-weight": true, "batch-size": true, "steps": true, "seed": true,
	"standardize": true,
}

func benchCommand(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", benchHelp, stdout)
	var b benchFlags
	fs.StringVar(&b.workload, "workload", "", "w1, w2, w3, w4 or kernels (default w1, or your --data)")
	fs.StringVar(&b.kernels, "kernels", "", "with --workload kernels: comma list of gemm:N, gemm:MxNxK, mul:SIZE, sgd:SIZE (default: the suite's list)")
	fs.IntVar(&b.block, "block", 0, "updates per timed block, the trainer's loss-read interval (default: steps/10, at most 100)")
	fs.IntVar(&b.kernelBlocks, "kernel-blocks", 5, "with --workload kernels: timed blocks per kernel")
	fs.Float64Var(&b.kernelTime, "kernel-time", 0.1, "with --workload kernels: seconds per timed block (calls per block are calibrated)")
	fs.BoolVar(&b.json, "json", false, "print one JSON object per run instead of text")
	fs.StringVar(&b.export, "export", "", "write the workload's data, batch order and initial parameters to this directory (NAME.bin, NAME.json) and exit")
	fs.BoolVar(&b.list, "list", false, "list the workloads and the default kernels, and exit")
	mine := map[string]bool{} // the flags above, bench's own
	fs.VisitAll(func(f *pflag.Flag) { mine[f.Name] = true })
	var tf trainFlags
	tf.register(fs)
	var rejected []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !mine[f.Name] && !benchTrainFlags[f.Name] {
			rejected = append(rejected, f.Name)
			fs.MarkHidden(f.Name)
		}
	})
	tf.device = "all"
	dev := fs.Lookup("device")
	dev.DefValue, dev.Usage = "all", "device to time: all (every device this build can open), cpu, cuda or cuda:N"
	steps := fs.Lookup("steps")
	steps.DefValue, steps.Usage = "0", "updates to time (default: the workload's length; 3000 with --data)"
	if err := parse(fs, args); err != nil {
		return err
	}
	for _, name := range rejected {
		if fs.Changed(name) {
			return usageError{fmt.Errorf("--%s does not apply to gputrain bench (it times --steps updates of training)", name)}
		}
	}
	if b.block < 0 {
		return usageError{errors.New("invalid --block: want ≥ 1")}
	}
	if b.list {
		printBenchList(stdout)
		return nil
	}
	ownData := tf.data != ""
	if ownData && b.workload != "" {
		return usageError{errors.New("give either --workload or --data (your own data), not both")}
	}
	if b.workload == "" {
		b.workload = "w1"
	}
	if b.workload != "kernels" {
		for _, name := range []string{"kernels", "kernel-blocks", "kernel-time"} {
			if fs.Changed(name) {
				return usageError{fmt.Errorf("--%s needs --workload kernels", name)}
			}
		}
	}
	if !inRange(b.kernelBlocks, 1, 1000) || !(b.kernelTime > 0 && b.kernelTime <= 60) {
		return usageError{errors.New("invalid --kernel-blocks or --kernel-time: want 1 to 1000 blocks of more than 0 and at most 60 seconds")}
	}
	if !ownData {
		// A suite workload fixes its data, network and optimizer.
		var stray string
		fs.Visit(func(f *pflag.Flag) {
			switch f.Name {
			case "workload", "kernels", "kernel-blocks", "kernel-time", "block", "json", "export", "list", "device", "steps":
			default:
				if stray == "" {
					stray = f.Name
				}
			}
		})
		if stray != "" {
			return usageError{fmt.Errorf("--%s sets up your own data's training: use it with --data, not with --workload %s", stray, b.workload)}
		}
	}
	if b.export != "" && (ownData || b.workload == "kernels") {
		return usageError{errors.New("--export writes a suite workload (w1 … w4); it needs --workload w1, w2, w3 or w4")}
	}

	var bjob benchJob
	switch {
	case ownData:
		exp, err := tf.experiment(fs)
		if err != nil {
			return err
		}
		if err := setBlock(&b, exp.Steps); err != nil {
			return err
		}
		exp.CheckEvery = b.block
		ds, err := tf.loadLabelled()
		if err != nil {
			return err
		}
		bjob.title = fmt.Sprintf("%s, %d rows × %d features, %s, %d steps", ds.Source, ds.Rows(), ds.Cols(), exp.Optim.Kind, exp.Steps)
		bjob.run = func(d device.Device) ([]bench.Result, error) {
			bt := bench.NewBlockTimer(b.block, exp.Steps)
			start := time.Now()
			res, err := job.RunExperiment(d, ds, exp, bt.OnLoss, nil)
			if err != nil {
				return nil, err
			}
			batch := exp.BatchSize
			if batch <= 0 || batch > ds.Rows() {
				batch = ds.Rows()
			}
			return []bench.Result{bench.TrainResult(d, "data", bt, res.Arch, ds.Rows(), batch, exp.Optim.Kind, time.Since(start))}, nil
		}
	case b.workload == "kernels":
		if fs.Changed("steps") {
			return usageError{errors.New("--steps does not apply to --workload kernels (see --kernel-blocks and --kernel-time)")}
		}
		var ks []bench.Kernel
		if b.kernels != "" {
			for _, s := range strings.Split(b.kernels, ",") {
				k, err := bench.ParseKernel(s)
				if err != nil {
					return usageError{err}
				}
				ks = append(ks, k)
			}
		}
		bjob.title = "kernels"
		bjob.run = func(d device.Device) ([]bench.Result, error) {
			list := ks
			if list == nil {
				list = bench.DefaultKernels(d.Name() != "cpu")
			}
			var out []bench.Result
			for _, k := range list {
				r, err := bench.TimeKernel(d, k, b.kernelBlocks, b.kernelTime)
				if err != nil {
					return out, err
				}
				out = append(out, r)
			}
			return out, nil
		}
	default:
		w, err := bench.Lookup(b.workload)
		if err != nil {
			return usageError{fmt.Errorf("invalid --workload: %v", err)}
		}
		steps := w.Steps
		if fs.Changed("steps") {
			steps = tf.steps
		}
		if steps < 1 {
			return usageError{errors.New("invalid --steps: want ≥ 1")}
		}
		if b.export != "" {
			return benchExport(w, b.export, steps, stdout)
		}
		if err := setBlock(&b, steps); err != nil {
			return err
		}
		p, err := w.Load()
		if err != nil {
			return err
		}
		bjob.title, bjob.gpuOnly = w.Title, w.GPUOnly
		bjob.run = func(d device.Device) ([]bench.Result, error) {
			r, err := bench.TimeTraining(d, p, steps, b.block)
			return []bench.Result{r}, err
		}
	}
	return bjob.each(tf.device, b.json, stdout, stderr)
}

// setBlock checks --block against the run's length, or picks the default.
func setBlock(b *benchFlags, steps int) error {
	if steps < 2 {
		return usageError{errors.New("invalid --steps: gputrain bench needs at least 2 (the first block of steps is a warm-up)")}
	}
	if b.block == 0 {
		b.block = bench.DefaultBlock(steps)
		return nil
	}
	if steps < 2*b.block {
		return usageError{fmt.Errorf("invalid --block %d: --steps %d must be at least twice --block (the first block is a warm-up)", b.block, steps)}
	}
	return nil
}

// benchJob is what to run on each device.
type benchJob struct {
	title   string
	gpuOnly bool
	run     func(device.Device) ([]bench.Result, error)
}

// each runs the job on the device spec names ("all": every device this
// build can open) and prints the results.
func (j benchJob) each(spec string, asJSON bool, stdout, stderr io.Writer) error {
	specs := []string{spec}
	if spec == "all" {
		specs = nil
		for _, kind := range device.Kinds() {
			list, err := device.List(kind)
			if err != nil {
				fmt.Fprintf(stderr, "gputrain bench: skipping %s: %s\n", kind, errText(err))
				continue
			}
			for i := range list {
				s := kind
				if i > 0 {
					s = fmt.Sprintf("%s:%d", kind, i)
				}
				if j.gpuOnly && kind == "cpu" {
					fmt.Fprintf(stderr, "gputrain bench: skipping cpu: this workload is sized for a GPU (use --device cpu to run it anyway)\n")
					continue
				}
				specs = append(specs, s)
			}
		}
		if len(specs) == 0 {
			return errors.New("no usable device")
		}
	}
	if !asJSON {
		fmt.Fprintf(stdout, "workload: %s\n", j.title)
	}
	for _, s := range specs {
		d, err := openDevice(s)
		if err != nil {
			return err
		}
		results, err := j.run(d)
		d.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		for _, r := range results {
			if asJSON {
				line, err := json.Marshal(r)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "%s\n", line)
			} else {
				printBenchResult(stdout, r)
			}
		}
	}
	return nil
}

// printBenchResult writes one result as text.
func printBenchResult(w io.Writer, r bench.Result) {
	s := r.Seconds
	if r.Kind == "train" {
		fmt.Fprintf(w, "%s\n  %d steps of %d rows, blocks of %d: %s/step median (%s–%s over %d blocks), %s samples/s, %s GFLOP/s (%s/step), final loss %.6g at step %d\n",
			r.Describe, r.Steps, r.Batch, r.Block, bench.FormatSeconds(s.Median, ""), bench.FormatSeconds(s.Min, ""), bench.FormatSeconds(s.Max, ""), s.N,
			bench.FormatNumber(r.SamplesPerSecond), bench.FormatNumber(r.GFLOPS), bench.FormatSI(r.Flops, "FLOP"), r.FinalLoss, r.FinalStep)
		return
	}
	fmt.Fprintf(w, "%s  %-26s %10s/call (%s–%s)  %8s GFLOP/s  %8s GB/s\n", r.Device, r.Case,
		bench.FormatSeconds(s.Median, ""), bench.FormatSeconds(s.Min, ""), bench.FormatSeconds(s.Max, ""), bench.FormatNumber(r.GFLOPS), bench.FormatNumber(r.GBS))
}

// benchExport writes a workload's data for other implementations.
func benchExport(w bench.Workload, dir string, steps int, stdout io.Writer) error {
	p, err := w.Load()
	if err != nil {
		return err
	}
	if _, err := p.Export(dir, steps); err != nil {
		return usageError{fmt.Errorf("--export: %v", err)}
	}
	fmt.Fprintf(stdout, "wrote %s/%s.bin and %s/%s.json (%s, batch order for %d steps)\n", dir, w.Name, dir, w.Name, w.Title, steps)
	return nil
}

// printBenchList lists the workloads and the default kernels.
func printBenchList(w io.Writer) {
	for _, wl := range bench.Workloads() {
		fmt.Fprintf(w, "%-4s %s; %s/step\n", wl.Name, wl.Title, bench.FormatSI(bench.FlopsPerStep(wl.Arch, wl.BatchRows()), "FLOP"))
	}
	var cpu, gpu []string
	for _, k := range bench.DefaultKernels(false) {
		cpu = append(cpu, k.Spec())
	}
	for _, k := range bench.DefaultKernels(true) {
		gpu = append(gpu, k.Spec())
	}
	fmt.Fprintf(w, "kernels (cpu): %s\nkernels (gpu): %s\n", strings.Join(cpu, ","), strings.Join(gpu, ","))
}
