// Command bench-runner runs gputrain's benchmark suite: gputrain (through
// the `gputrain bench` command users run) and the reference
// implementations in bench/reference (numpy, PyTorch, JAX) on the same
// workloads, alternating between them over several repetitions, and prints
// one Markdown table with medians, spreads, ratios, napkin math and the
// fraction of the machine's measured limit.
//
//	bench-runner --profile cpu     # what `make bench` runs
//	bench-runner --profile gpu     # what bench/run_gpu.sh runs on the GPU machine
//
// Every workload's data, batch order and initial parameters are exported
// once by `gputrain bench --export`, so all implementations train the same
// computation; the runner checks that by comparing losses: after two
// updates (to 1e-4, relative) and at the end of the run (to 1e-3).
//
// --budget bounds the whole run, first repetitions included: every case
// gets a share of what is left, no run starts after the budget and a run
// still going at its end is stopped. The table and the raw results are
// rewritten after every workload, and one line per workload goes to
// stdout as it finishes, so a run cut short keeps what it measured.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gputrain/gputrain/bench"
	"github.com/gputrain/gputrain/internal/atomicfile"
)

// plan is how one workload is run in a profile.
type plan struct {
	name  string
	steps int
	block int
	note  string // why the run is shorter than the workload, if it is
}

// refSpec is one reference server to start.
type refSpec struct {
	key      string   // row key prefix: "numpy", "torch-1", "jax"
	label    string   // row label prefix
	script   string   // file in the references directory
	args     []string // extra arguments
	env      []string // extra environment
	variants []string // requested variants (rows); nil: one row, no variant
	group    string   // alternatives of which only the faster is repeated
}

// profile is a suite configuration.
type profile struct {
	name, device     string
	gputrain, python string
	workloads        []plan
	kernels          []bench.Kernel
	kernelBlocks     int
	kernelTarget     float64
	refs             []refSpec
	limitFromCopyGPU bool          // GPU: limits come from the references (copy, best gemm)
	budget           time.Duration // the whole run's time limit (0: none)
	serverWait       time.Duration
	perRunTimeout    time.Duration
	commandForReadme string
}

func threads(n int) []string {
	v := fmt.Sprint(n)
	return []string{"OMP_NUM_THREADS=" + v, "OPENBLAS_NUM_THREADS=" + v, "MKL_NUM_THREADS=" + v}
}

func profiles(name string) (profile, error) {
	switch name {
	case "cpu":
		return profile{
			name: "cpu", device: "cpu", gputrain: "bin/gputrain", python: "/usr/bin/python3",
			workloads: []plan{
				{name: "w1", steps: 2000, block: 100},
				{name: "w2", steps: 50, block: 5, note: "50 of the epoch's 469 steps: a CPU epoch would take minutes per repetition, and " + adamDrift},
				{name: "w3", steps: 3, block: 1, note: "3 of the workload's 20 steps (the first is the warm-up), to keep `make bench` under 10 minutes on 2 cores"},
			},
			kernels:      bench.DefaultKernels(false),
			kernelBlocks: 3, kernelTarget: 0.1,
			refs: []refSpec{
				{key: "numpy", label: "numpy", script: "numpy_ref.py"},
				{key: "torch-1", label: "PyTorch eager, 1 thread", script: "torch_ref.py", args: []string{"--device", "cpu", "--threads", "1"}, env: threads(1), group: "torch"},
				{key: "torch-2", label: "PyTorch eager, 2 threads", script: "torch_ref.py", args: []string{"--device", "cpu", "--threads", "2"}, env: threads(2), group: "torch"},
				{key: "jax", label: "JAX", script: "jax_ref.py", args: []string{"--device", "cpu"}, variants: []string{"jit", "scan"}},
			},
			serverWait: 60 * time.Second, perRunTimeout: 5 * time.Minute, budget: 10 * time.Minute,
			commandForReadme: "make bench",
		}, nil
	case "gpu":
		return profile{
			name: "gpu", device: "cuda", gputrain: "bin/gpu/gputrain-cuda", python: "python3",
			workloads: []plan{
				{name: "w1", steps: 2000, block: 100},
				{name: "w2", steps: 50, block: 5, note: "50 of the epoch's 469 steps, so that the end-of-run loss check means something: " + adamDrift},
				{name: "w3", steps: 20, block: 2},
				{name: "w4", steps: 16, block: 2},
			},
			kernels:      bench.DefaultKernels(true),
			kernelBlocks: 5, kernelTarget: 0.02,
			refs: []refSpec{
				{key: "torch", label: "PyTorch", script: "torch_ref.py", args: []string{"--device", "cuda"}, variants: []string{"eager", "cuda-graph"}},
				{key: "jax", label: "JAX", script: "jax_ref.py", args: []string{"--device", "cuda"}, variants: []string{"jit", "scan"}},
			},
			limitFromCopyGPU: true,
			// Started side by side: importing JAX and PyTorch and opening the
			// GPU take seconds each, not minutes.
			serverWait: 45 * time.Second, perRunTimeout: 5 * time.Minute,
			commandForReadme: "bash bench/run_gpu.sh (from make gpu-check)",
		}, nil
	}
	return profile{}, fmt.Errorf("unknown --profile %q: want cpu or gpu", name)
}

// adamDrift is why W2 is compared after 50 updates, not after its epoch.
const adamDrift = "Adam's sensitivity to float32 rounding makes the implementations' losses drift apart by more than 1e-3 after about 100 steps (1.8e-2 after the epoch's 469)"

// options are the command line.
type options struct {
	profile, gputrain, python, refs, data, out, jsonOut, logs string
	reps                                                      int
	budget, serverWait                                        time.Duration
	workloads, kernels                                        string
	noKernels                                                 bool
}

func main() {
	os.Exit(mainErr(os.Args[1:], os.Stdout, os.Stderr))
}

func mainErr(args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "bench-runner: %v\n", err)
		return 2
	}
	p, _ := profiles(o.profile)
	if o.gputrain != "" {
		p.gputrain = o.gputrain
	}
	if o.python != "" {
		p.python = o.python
	}
	if o.budget >= 0 {
		p.budget = o.budget
	}
	if o.serverWait > 0 {
		p.serverWait = o.serverWait
	}
	if err := p.selectCases(o.workloads, o.kernels, o.noKernels); err != nil {
		fmt.Fprintf(stderr, "bench-runner: %v\n", err)
		return 2
	}
	r := &runner{p: p, o: o, stdout: stdout, stderr: stderr, args: args}
	rep, err := r.run()
	if err != nil {
		fmt.Fprintf(stderr, "bench-runner: %v\n", err)
		return 1
	}
	fmt.Fprint(stdout, rep.markdown())
	if bad := rep.failedChecks(); len(bad) > 0 {
		fmt.Fprintf(stderr, "bench-runner: the implementations do not compute the same thing: %s\n", strings.Join(bad, "; "))
		return 1
	}
	if bad := rep.oursFailed(); len(bad) > 0 {
		fmt.Fprintf(stderr, "bench-runner: gputrain failed: %s\n", strings.Join(bad, "; "))
		return 1
	}
	return 0
}

// parseOptions parses and checks the command line (errors are one line).
func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench-runner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.profile, "profile", "cpu", "cpu (make bench) or gpu (bench/run_gpu.sh)")
	fs.StringVar(&o.gputrain, "gputrain", "", "the gputrain binary (default: bin/gputrain, or bin/gpu/gputrain-cuda for gpu)")
	fs.StringVar(&o.python, "python", "", "the Python with numpy/torch/jax (default: /usr/bin/python3, or python3 for gpu)")
	fs.StringVar(&o.refs, "refs", "bench/reference", "directory of the reference scripts")
	fs.StringVar(&o.data, "data", "", "directory for the exported workloads (default: a temporary one, removed afterwards)")
	fs.StringVar(&o.out, "out", "", "also write the Markdown table to this file")
	fs.StringVar(&o.jsonOut, "json", "", "also write every raw result to this JSON file")
	fs.StringVar(&o.logs, "logs", "", "directory for the references' stderr logs (default: the data directory)")
	fs.IntVar(&o.reps, "reps", 5, "repetitions of every run (at least 5 for a published table)")
	fs.DurationVar(&o.budget, "budget", -1, "the whole run's time limit, first repetitions included (default: 10m for cpu, none for gpu; 0: none)")
	fs.DurationVar(&o.serverWait, "server-wait", 0, "how long a reference may take to start (default: 60s for cpu, 45s for gpu)")
	fs.StringVar(&o.workloads, "workloads", "", "comma list of workloads to run (default: the profile's)")
	fs.StringVar(&o.kernels, "kernels", "", "comma list of kernels (gemm:N, gemm:MxNxK, mul:N, sgd:N; default: the profile's)")
	fs.BoolVar(&o.noKernels, "no-kernels", false, "skip the kernel benchmarks")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, fmt.Errorf("%v", strings.TrimSpace(strings.SplitN(err.Error(), "\n", 2)[0]))
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if _, err := profiles(o.profile); err != nil {
		return o, err
	}
	if o.reps < 1 {
		return o, errors.New("invalid --reps: want ≥ 1")
	}
	return o, nil
}

// selectCases narrows the profile to the workloads and kernels asked for.
func (p *profile) selectCases(workloads, kernels string, noKernels bool) error {
	if workloads != "" {
		var keep []plan
		for _, name := range strings.Split(workloads, ",") {
			name = strings.TrimSpace(name)
			found := false
			for _, pl := range p.workloads {
				if pl.name == name {
					keep, found = append(keep, pl), true
				}
			}
			if !found {
				if _, err := bench.Lookup(name); err != nil {
					return fmt.Errorf("invalid --workloads: %v", err)
				}
				w, _ := bench.Lookup(name)
				keep = append(keep, plan{name: w.Name, steps: w.Steps, block: bench.DefaultBlock(w.Steps)})
			}
		}
		p.workloads = keep
	}
	if kernels != "" {
		p.kernels = nil
		for _, s := range strings.Split(kernels, ",") {
			k, err := bench.ParseKernel(s)
			if err != nil {
				return fmt.Errorf("invalid --kernels: %v", err)
			}
			p.kernels = append(p.kernels, k)
		}
	}
	if noKernels {
		p.kernels = nil
	}
	return nil
}

// row is one implementation as the table lists it.
type row struct {
	key, label string
	ours       bool
	server     *refServer
	variant    string
	group      string
	// kernelLabel is the row's column title in the kernel table; empty for
	// the rows that do not time kernels (a reference's further variants:
	// a CUDA graph or lax.scan changes nothing for a single kernel call).
	kernelLabel string
}

// runner holds one run of the suite.
type runner struct {
	p              profile
	o              options
	stdout, stderr io.Writer
	args           []string
	data           string
	logs           string
	rows           []row
	srvs           []*refServer
	start          time.Time
	deadline       time.Time // start + budget
	caseEnd        time.Time // no further repetition of the current case after this
}

// errOutOfTime and errStopped mark the runs the time budget left out or
// stopped.
var (
	errOutOfTime = errors.New("not run: the time budget ran out")
	errStopped   = errors.New("stopped: the time budget ran out")
)

// left is the time left in the budget (practically unlimited without one).
func (r *runner) left() time.Duration {
	if r.p.budget <= 0 {
		return 1<<62 - 1
	}
	return time.Until(r.deadline)
}

// outOfTime reports whether the time budget is spent.
func (r *runner) outOfTime() bool { return r.left() <= 0 }

// bounded is d, or the budget left if that is less.
func (r *runner) bounded(d time.Duration) time.Duration { return max(0, min(d, r.left())) }

// shareCase gives the case about to run its share of the time left: an
// equal part with the casesLeft−1 after it.
func (r *runner) shareCase(casesLeft int) {
	r.caseEnd = time.Now().Add(r.left() / time.Duration(max(casesLeft, 1)))
}

// anotherRep reports whether repetition rep (0-based) of the current case
// may start, the previous one having taken last: the first always may,
// within the budget; a further one if it should end within the case's
// share.
func (r *runner) anotherRep(rep int, last time.Duration) bool {
	if r.outOfTime() {
		return false
	}
	return rep == 0 || r.p.budget <= 0 || time.Now().Add(last).Before(r.caseEnd)
}

func (r *runner) progress(format string, a ...any) {
	fmt.Fprintf(r.stderr, "bench: "+format+"\n", a...)
}

// run executes the whole suite and returns the report.
func (r *runner) run() (*report, error) {
	r.start = time.Now()
	r.deadline = r.start.Add(r.p.budget)
	if _, err := os.Stat(r.p.gputrain); err != nil {
		return nil, fmt.Errorf("the gputrain binary %s is missing (make build / make gpu-build): %v", r.p.gputrain, err)
	}
	r.data = r.o.data
	if r.data == "" {
		dir, err := os.MkdirTemp("", "gputrain-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		r.data = dir
	} else if err := os.MkdirAll(r.data, 0o755); err != nil {
		return nil, err
	}
	r.logs = r.o.logs
	if r.logs == "" {
		r.logs = r.data
	} else if err := os.MkdirAll(r.logs, 0o755); err != nil {
		return nil, err
	}
	rep := &report{
		profile: r.p.name, device: r.p.device, reps: r.o.reps,
		date:    time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		command: r.p.commandForReadme, args: strings.Join(r.args, " "),
		machine: machineInfo(), blasEnv: blasEnvNote(), loadStart: loadAverage(),
	}
	for _, pl := range r.p.workloads {
		rep.pending = append(rep.pending, pl.name)
	}
	if len(r.p.kernels) > 0 {
		rep.pending = append(rep.pending, "kernels")
	}
	if r.p.device == "cpu" {
		r.progress("measuring the FMA peak and the memory copy bandwidth")
		if pk, err := bench.FMAPeak(1.0); err == nil {
			rep.flopLimit = limit{value: pk.Value, what: "FMA loop", method: pk.Method}
		} else {
			rep.notes = append(rep.notes, "no FMA peak: "+err.Error())
		}
		bw := bench.CopyBandwidth(256)
		rep.byteLimit = limit{value: bw.Value, what: "memory copy", method: bw.Method}
		rep.theoretical, rep.theoreticalValue = theoreticalPeak()
	}
	r.startServers(rep)
	defer r.stopServers()
	rep.rows = r.rows
	if r.p.limitFromCopyGPU {
		r.gpuCopyLimit(rep)
	}
	if err := r.save(rep); err != nil {
		return nil, err
	}
	cases := len(rep.pending)
	for i, pl := range r.p.workloads {
		w, _ := bench.Lookup(pl.name)
		r.shareCase(cases - i)
		c := r.runWorkload(w, pl)
		rep.workloads = append(rep.workloads, c)
		rep.pending = rep.pending[1:]
		fmt.Fprintln(r.stdout, rep.summaryLine(c))
		if err := r.save(rep); err != nil {
			return nil, err
		}
	}
	if len(r.p.kernels) > 0 {
		r.shareCase(1)
		rep.kernels = r.runKernels()
		rep.pending = nil
	}
	if r.outOfTime() {
		rep.notes = append(rep.notes, fmt.Sprintf("the time budget of %s ran out: later cases have fewer repetitions or none (see each table)", r.p.budget))
	}
	if r.p.device == "cpu" && !r.outOfTime() {
		// Measured again at the end, keeping the better: other processes
		// sharing the cores lower a single measurement.
		if pk, err := bench.FMAPeak(1.0); err == nil && pk.Value > rep.flopLimit.value {
			rep.flopLimit = limit{value: pk.Value, what: "FMA loop", method: pk.Method + ", the better of the start and the end of the run"}
		}
		if bw := bench.CopyBandwidth(256); bw.Value > rep.byteLimit.value {
			rep.byteLimit = limit{value: bw.Value, what: "memory copy", method: bw.Method + ", the better of the start and the end of the run"}
		}
	}
	if err := r.save(rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// save rewrites the --out table and the --json results with everything
// measured so far.
func (r *runner) save(rep *report) error {
	rep.elapsed = time.Since(r.start)
	rep.loadEnd = loadAverage()
	if r.o.out != "" {
		if err := atomicfile.Write(r.o.out, []byte(rep.markdown()), 0o644); err != nil {
			return err
		}
	}
	if r.o.jsonOut != "" {
		b, _ := json.MarshalIndent(rep.raw(), "", " ")
		if err := atomicfile.Write(r.o.jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ours runs `gputrain bench args...` and returns its JSON results.
func (r *runner) ours(args ...string) ([]bench.Result, error) {
	out, err := r.gputrainOutput(args...)
	if err != nil {
		return nil, err
	}
	return parseResults(out)
}

// gputrainOutput runs `gputrain bench args...` within the budget and
// returns its output.
func (r *runner) gputrainOutput(args ...string) (string, error) {
	if r.outOfTime() {
		return "", errOutOfTime
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.bounded(r.p.perRunTimeout))
	defer cancel()
	cmd := exec.CommandContext(ctx, r.p.gputrain, append([]string{"bench"}, args...)...)
	cmd.WaitDelay = 2 * time.Second // a killed run's children may hold its output open
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if r.outOfTime() {
			return "", errStopped
		}
		msg := strings.TrimSpace(errb.String())
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return "", fmt.Errorf("%s bench %s: %v: %s", r.p.gputrain, strings.Join(args, " "), err, msg)
	}
	return out.String(), nil
}

// startServers starts every reference, side by side, and builds the
// table's rows.
func (r *runner) startServers(rep *report) {
	name := "gputrain (" + r.p.device + ")"
	r.rows = []row{{key: "gputrain", label: name, ours: true, kernelLabel: name}}
	base := os.Environ()
	srvs := make([]*refServer, len(r.p.refs))
	errs := make([]error, len(r.p.refs))
	var wg sync.WaitGroup
	for i, spec := range r.p.refs {
		r.progress("starting %s", spec.key)
		args := append([]string{"--data", r.data}, spec.args...)
		wg.Add(1)
		go func() {
			defer wg.Done()
			srvs[i], errs[i] = startServer(spec.key, r.p.python, filepath.Join(r.o.refs, spec.script), args,
				refEnv(base, spec.env...), filepath.Join(r.logs, spec.key+".log"), r.bounded(r.p.serverWait))
		}()
	}
	wg.Wait()
	for i, spec := range r.p.refs {
		srv, err := srvs[i], errs[i]
		if err != nil {
			rep.refs = append(rep.refs, refInfo{key: spec.key, label: spec.label, err: err.Error()})
			continue
		}
		r.srvs = append(r.srvs, srv)
		rep.refs = append(rep.refs, refInfo{key: spec.key, label: spec.label, describe: srv.ready.Describe, err: srv.ready.Error})
		if !srv.ready.Ready {
			continue
		}
		if spec.variants == nil {
			r.rows = append(r.rows, row{key: spec.key, label: spec.label, server: srv, group: spec.group, kernelLabel: spec.label})
			continue
		}
		for i, v := range spec.variants {
			rw := row{key: spec.key + "/" + v, label: spec.label + " " + v, server: srv, variant: v, group: spec.group}
			if i == 0 {
				rw.kernelLabel = spec.label
			}
			r.rows = append(r.rows, rw)
		}
	}
}

// stopServers ends the references, at once when the budget is spent.
func (r *runner) stopServers() {
	for _, s := range r.srvs {
		s.stop(r.bounded(stopGrace))
	}
}

// gpuCopyLimit asks the first reference that can (PyTorch) for the device
// copy bandwidth.
func (r *runner) gpuCopyLimit(rep *report) {
	for _, s := range r.srvs {
		if !s.ready.Ready || s.ready.Impl != "torch" {
			continue
		}
		var c struct {
			GBS      float64 `json:"gbs"`
			Describe string  `json:"describe"`
		}
		if err := s.do(request{Kind: "copy", Bytes: 1 << 30}, r.bounded(time.Minute), &c); err != nil {
			rep.notes = append(rep.notes, "no device copy bandwidth: "+err.Error())
			return
		}
		rep.byteLimit = limit{value: c.GBS, what: "device copy", method: c.Describe}
		return
	}
	rep.notes = append(rep.notes, "no device copy bandwidth: PyTorch did not start")
}

// rotated returns the rows starting at index k, wrapping around, so that
// no implementation always runs first.
func rotated(rows []row, k int) []row {
	if len(rows) == 0 {
		return nil
	}
	k %= len(rows)
	return append(append([]row(nil), rows[k:]...), rows[:k]...)
}

// runKernels times every kernel, alternating implementations per repetition.
func (r *runner) runKernels() []*caseResult {
	var cases []*caseResult
	byName := map[string]*caseResult{}
	for _, k := range r.p.kernels {
		c := newCaseResult(k.Name())
		c.kernel = k
		cases = append(cases, c)
		byName[k.Name()] = c
	}
	var specs []string
	for _, k := range r.p.kernels {
		specs = append(specs, k.Spec())
	}
	active := map[string]map[string]bool{} // case → row keys still repeated
	for _, c := range cases {
		active[c.name] = map[string]bool{}
		for _, rw := range r.rows {
			active[c.name][rw.key] = true
		}
	}
	var last time.Duration
	for rep := 0; rep < r.o.reps && r.anotherRep(rep, last); rep++ {
		t0 := time.Now()
		r.progress("kernels, repetition %d/%d", rep+1, r.o.reps)
		for _, rw := range rotated(r.rows, rep) {
			if rw.kernelLabel == "" {
				continue
			}
			if rw.ours {
				res, err := r.ours("--workload", "kernels", "--kernels", strings.Join(specs, ","), "--device", r.p.device, "--json",
					"--kernel-blocks", fmt.Sprint(r.p.kernelBlocks), "--kernel-time", fmt.Sprint(r.p.kernelTarget))
				if err != nil {
					for _, c := range cases {
						c.errs[rw.key] = err.Error()
					}
					continue
				}
				for _, x := range res {
					if c := byName[x.Case]; c != nil {
						c.reps[rw.key] = append(c.reps[rw.key], x)
					}
				}
				continue
			}
			for _, c := range cases {
				if !active[c.name][rw.key] || c.errs[rw.key] != "" {
					continue
				}
				var x bench.Result
				if err := r.ask(rw, request{Kind: "kernel", Case: c.kernel.Spec(), Blocks: r.p.kernelBlocks, Target: r.p.kernelTarget, Variant: rw.variant}, &x); err != nil {
					c.errs[rw.key] = err.Error()
					continue
				}
				c.reps[rw.key] = append(c.reps[rw.key], x)
			}
		}
		if rep == 0 {
			for _, c := range cases {
				c.pruneGroups(r.rows, active[c.name])
			}
		}
		last = time.Since(t0)
	}
	return cases
}

// runWorkload exports one workload, runs the agreement check and then the
// repetitions, within the case's share of the budget.
func (r *runner) runWorkload(w bench.Workload, pl plan) *caseResult {
	c := newCaseResult(w.Name)
	c.workload, c.plan = w, pl
	if !r.outOfTime() {
		r.progress("exporting %s (%d steps)", pl.name, pl.steps)
	}
	if _, err := r.gputrainOutput("--workload", pl.name, "--export", r.data, "--steps", fmt.Sprint(pl.steps)); err != nil {
		for _, rw := range r.rows {
			c.errs[rw.key] = err.Error()
		}
		return c
	}
	r.progress("%s: checking that every implementation computes the same losses (2 steps)", w.Name)
	for _, rw := range r.rows {
		x, err := r.train(rw, w.Name, 2, 1)
		if err != nil {
			c.errs[rw.key] = err.Error()
			continue
		}
		c.check[rw.key] = &x
	}
	active := map[string]bool{}
	for _, rw := range r.rows {
		active[rw.key] = c.errs[rw.key] == ""
	}
	var last time.Duration
	for rep := 0; rep < r.o.reps && r.anotherRep(rep, last); rep++ {
		t0 := time.Now()
		var line []string
		for _, rw := range rotated(r.rows, rep) {
			if !active[rw.key] {
				continue
			}
			x, err := r.train(rw, w.Name, pl.steps, pl.block)
			if err != nil {
				c.errs[rw.key] = err.Error()
				active[rw.key] = false
				continue
			}
			c.reps[rw.key] = append(c.reps[rw.key], x)
			line = append(line, fmt.Sprintf("%s %s", rw.key, bench.FormatSeconds(x.Seconds.Median, " ")))
		}
		r.progress("%s repetition %d/%d: %s", w.Name, rep+1, r.o.reps, strings.Join(line, ", "))
		if rep == 0 {
			c.pruneGroups(r.rows, active)
		}
		last = time.Since(t0)
	}
	return c
}

// train runs one training measurement of a row.
func (r *runner) train(rw row, name string, steps, block int) (bench.Result, error) {
	if rw.ours {
		res, err := r.ours("--workload", name, "--steps", fmt.Sprint(steps), "--block", fmt.Sprint(block), "--device", r.p.device, "--json")
		if err != nil {
			return bench.Result{}, err
		}
		return res[0], nil
	}
	var x bench.Result
	err := r.ask(rw, request{Kind: "train", Case: name, Steps: steps, Block: block, Variant: rw.variant}, &x)
	return x, err
}

// ask sends a request to a row's reference within the budget (a server
// that does not answer in time is stopped).
func (r *runner) ask(rw row, req request, out any) error {
	if r.outOfTime() {
		return errOutOfTime
	}
	err := rw.server.do(req, r.bounded(r.p.perRunTimeout), out)
	if err != nil && r.outOfTime() {
		return errStopped
	}
	return err
}
