package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gputrain/gputrain/charts"
	"github.com/gputrain/gputrain/cmd/gputrain/internal/sweep"
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/metrics"
	"github.com/gputrain/gputrain/nn"
	"github.com/gputrain/gputrain/nn/job"
	"github.com/spf13/pflag"
)

const sweepHelp = `Usage: gputrain sweep [flags]
       gputrain sweep merge [--plots DIR] [--quiet] SHARD.jsonl...

Trains one network per configuration of a hyper-parameter sweep and ranks
the configurations by their mean loss on the validation rows (--val-split),
on the held-out folds (--cv K), or else on the training rows. Every flag of
"gputrain train" applies to every configuration; these may take several
values:

  --lr --weight-decay --dropout --momentum --batch-size   a comma list (a
        grid: every combination is tried), or a range lo:hi or lo:hi:log
        drawn from at random --trials times (seeded by --seed)
  --activation --optimizer   a comma list
  --hidden   configurations separated by ";" or by repeating the flag
        (--hidden 20 --hidden 64,32), or a range of one layer's width

Repeating any of these flags adds values. --restarts K trains K networks
per configuration (mean ± sd over them); --cv K evaluates each on K folds.
Every configuration uses the same --seed: the same split, initialisation
and shuffling, so differences come from the swept values.

Outputs: a line per finished trial, the leaderboard (best first), with
--log every trial as a JSON Lines record (its values, the train command
that reproduces it, each metric's mean ± sd over its runs), with --out the
best configuration's model, with --plots the loss and the task's first
metric against each swept flag.

Side by side: configurations whose tensors have the same shapes (the
same --hidden, --activation, --batch-size and --optimizer, differing in
--lr, --weight-decay, --momentum or --dropout) train together as replicas
of one network, in one set of launches, each replica with its own
hyper-parameters on the device; each equals its train command bit for
bit on the CPU (on CUDA to float32 rounding). Restarts, --cv, early stopping, class weights and --init-from train
each configuration alone.

Several devices: --device cuda:0,cuda:1 (or --device all) spreads the
groups of configurations over them, each device taking the next group
when it finishes one; the results are those of one device.

Many machines: --shard I/N runs trial i when i mod N = I (I from 0); a
Slurm job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT) or a
Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with --shards N) sets it by
itself. "gputrain sweep merge" builds the leaderboard from the shards'
--log files and refuses files of different sweeps.

Examples:
  gputrain sweep --lr 1e-4,3e-4,1e-3 --weight-decay 0,1e-3 --val-split 0.2
  gputrain sweep --lr 1e-5:1e-3:log --dropout 0:0.5 --trials 20 --cv 5
  gputrain sweep --data penguins.csv --label species --hidden "16;32;64,32" \
                 --activation relu,tanh --restarts 3 --out best.safetensors
  gputrain sweep --lr 1e-4,3e-4 --shard 0/2 --log shard0.jsonl
  gputrain sweep merge shard0.jsonl shard1.jsonl
`

// sweptFlag describes a train flag that a sweep may give several values.
type sweptFlag struct {
	name    string
	kind    sweep.Kind
	listSep string
}

// sweptFlags are the flags a sweep varies, in the order trials list them.
var sweptFlags = []sweptFlag{
	{"lr", sweep.Real, ","},
	{"weight-decay", sweep.Real, ","},
	{"dropout", sweep.Real, ","},
	{"momentum", sweep.Real, ","},
	{"hidden", sweep.Integer, ";"},
	{"activation", sweep.Choice, ","},
	{"batch-size", sweep.Integer, ","},
	{"optimizer", sweep.Choice, ","},
}

// notForSweeps are the train flags a sweep has no use for: checkpoints
// and resuming belong to single runs, and a sweep prints a line per trial.
var notForSweeps = []string{"resume", "checkpoint", "checkpoint-every", "progress", "print-every"}

// sweepOutputs are the flags that say where a sweep's results go; they are
// not the trials' flags and not part of the sweep's fingerprint, so that
// shards writing to different files are one sweep.
var sweepOutputs = map[string]bool{"out": true, "log": true, "plots": true, "quiet": true, "shard": true, "shards": true, "device": true}

// occurrences is a flag's values as given, one per occurrence.
type occurrences struct {
	vals []string
	def  string
}

func (o *occurrences) String() string {
	if len(o.vals) == 0 {
		return o.def
	}
	return strings.Join(o.vals, " ")
}
func (o *occurrences) Set(s string) error { o.vals = append(o.vals, s); return nil }
func (o *occurrences) Type() string       { return "values" }

// sweepFlags are the flags of "gputrain sweep".
type sweepFlags struct {
	trainFlags
	swept  map[string]*occurrences
	trials int
	shard  string
	shards int
}

func (f *sweepFlags) register(fs *pflag.FlagSet) {
	f.trainFlags.register(fs)
	f.trainFlags.registerRun(fs)
	f.swept = map[string]*occurrences{}
	for _, s := range sweptFlags {
		fl := fs.Lookup(s.name)
		o := &occurrences{def: fl.DefValue}
		fl.Value = o
		f.swept[s.name] = o
		switch {
		case s.listSep != ",":
			fl.Usage += `; sweep: configurations separated by "` + s.listSep + `" or by repeating the flag, or lo:hi[:log], one layer's width drawn --trials times`
		case s.kind == sweep.Choice:
			fl.Usage += "; sweep: a comma list"
		default:
			fl.Usage += "; sweep: a comma list, or lo:hi[:log] drawn --trials times"
		}
	}
	for _, name := range notForSweeps {
		_ = fs.MarkHidden(name)
	}
	fs.Lookup("device").Usage = "compute device: auto, cpu, cuda or cuda:N; or several, comma-separated (cuda:0,cuda:1), or all: the groups of configurations are spread over them, each device taking the next group when it finishes one"
	fs.Lookup("out").Usage = "save the best configuration's model to this safetensors file"
	fs.Lookup("log").Usage = "write every trial's result to this file as JSON Lines (the input of gputrain sweep merge)"
	fs.Lookup("plots").Usage = "write PNG and SVG charts of the loss and the task's first metric against each swept flag to this directory"
	fs.IntVar(&f.trials, "trials", 0, "number of random configurations drawn from the ranges (lo:hi or lo:hi:log)")
	fs.StringVar(&f.shard, "shard", "auto", "run trials i with i mod N = I: I/N (I from 0); auto: from a Slurm job array or Kubernetes Indexed Job, else all")
	fs.IntVar(&f.shards, "shards", 0, "the number of shards of a Kubernetes Indexed Job (its completions), whose pods are told only their index")
}

// sweepRun is a planned sweep: the trials, the shard, and the train flags
// every trial shares.
type sweepRun struct {
	f           *sweepFlags
	base        []sweep.Assignment // the train flags given, other than the swept ones and outputs
	plan        sweep.Plan
	trials      []sweep.Trial
	shard       sweep.Shard
	shardSource string
	experiments map[int]job.Experiment // the shard's trials' experiments
	commands    map[int]string
}

func sweepCommand(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "merge" {
		return sweepMergeCommand(args[1:], stdout)
	}
	fs := newFlagSet("sweep", sweepHelp, stdout)
	f := &sweepFlags{}
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	for _, name := range notForSweeps {
		if fs.Changed(name) {
			return usageError{fmt.Errorf("--%s is a flag of single runs (gputrain train), not of sweeps", name)}
		}
	}
	s, err := planSweep(fs, f, os.Getenv)
	if err != nil {
		return err
	}
	if f.cv >= 2 && f.out != "" {
		return usageError{errors.New("--cv trains one model per fold and saves none: drop --out, or train the best configuration with gputrain train")}
	}
	if err := f.checkRunOutputs(); err != nil {
		return err
	}
	ds, prep, err := f.loadPrepared(stdout)
	if err != nil {
		return err
	}
	devs, err := openDevices(f.device)
	if err != nil {
		return err
	}
	defer func() {
		for _, d := range devs {
			d.Close()
		}
	}()
	fingerprint := s.fingerprint(ds)
	var log *os.File
	if f.logPath != "" {
		if log, err = os.Create(f.logPath); err != nil {
			return usageError{fmt.Errorf("--log %s: %v", f.logPath, unwrapPathError(err))}
		}
		defer log.Close()
	}
	writeLog := func(v any) error {
		if log == nil {
			return nil
		}
		b, err := json.Marshal(v)
		if err == nil {
			_, err = log.Write(append(b, '\n'))
		}
		if err != nil {
			return fmt.Errorf("--log %s: %v", f.logPath, unwrapPathError(err))
		}
		return nil
	}
	mine := s.mine()
	if !f.quiet {
		fmt.Fprintf(stdout, "sweep:     %s, %s; fingerprint %s\n", s.describe(), s.shardNote(len(mine)), fingerprint)
		for _, d := range devs {
			fmt.Fprintf(stdout, "device:    %s\n", d.Describe())
		}
	}
	if err := writeLog(map[string]any{"type": sweep.HeaderType, "sweep": fingerprint, "trials": len(s.trials), "shard": s.shard.String(),
		"params": s.plan.Params, "base": s.base, "devices": deviceNames(devs), "version": job.Version, "time": time.Now().UTC().Format(time.RFC3339)}); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	recs, best, err := s.runTrials(ctx, devs, ds, prep, mine, func(t sweep.Trial, dev device.Device, res *job.Result, elapsed time.Duration) (sweep.Record, error) {
		rec := trialRecord(fingerprint, len(s.trials), t, s.commands[t.Index], s.experiments[t.Index].Seed, res)
		rec.Elapsed = elapsed.Round(time.Millisecond).Seconds()
		if !f.quiet {
			on := ""
			if len(devs) > 1 {
				on = " on " + dev.Name()
			}
			fmt.Fprintf(stdout, "trial %d/%d%s  %s: %s (%.1f s)\n", t.Index+1, len(s.trials), on, orNone(t.String()), summaryLine(rec), rec.Elapsed)
		}
		return rec, writeLog(rec)
	})
	if err != nil {
		var se *data.SplitError
		if errors.As(err, &se) {
			return splitFlagError(fs, se)
		}
		return err
	}
	if err := printLeaderboard(stdout, recs, f.quiet); err != nil {
		return err
	}
	if f.plotsDir != "" {
		if err := writeSweepPlots(f.plotsDir, recs, stdout, f.quiet); err != nil {
			return err
		}
	}
	if f.out != "" && best != nil {
		if err := best.Save(f.out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "model of the best configuration saved to %s\n", f.out)
	}
	if log != nil {
		if err := log.Sync(); err != nil {
			return fmt.Errorf("--log %s: %v", f.logPath, unwrapPathError(err))
		}
		return log.Close()
	}
	return nil
}

// maxSideBySide bounds how many configurations train side by side as
// replicas of one network: a group's memory and the work of each of its
// launches grow with it, and a bigger grid forms several groups.
const maxSideBySide = 64

// groupTrials groups the trials that train side by side (job.VariantKey:
// the same shapes, differing only in hyper-parameters the device reads per
// replica), at most maxSideBySide to a group, each group in the order of
// its first trial and its trials in order; a trial that trains alone is a
// group of its own.
func groupTrials(trials []sweep.Trial, exps map[int]job.Experiment) [][]sweep.Trial {
	var groups [][]sweep.Trial
	open := map[string]int{} // key → index of its group being filled
	for _, t := range trials {
		key, ok := job.VariantKey(exps[t.Index])
		if g, found := open[key]; ok && found && len(groups[g]) < maxSideBySide {
			groups[g] = append(groups[g], t)
			continue
		}
		if ok {
			open[key] = len(groups)
		}
		groups = append(groups, []sweep.Trial{t})
	}
	return groups
}

// runTrials trains the trials, the configurations of one shape side by
// side (groupTrials), each device taking the next group as it finishes
// one (one after another on a single device), and returns the records
// done makes of them (called one at a time, in the order groups finish and
// trial order within a group, with each trial's share of its group's
// time) and the best trial's model. The first failure stops the other
// devices at their next update.
func (s *sweepRun) runTrials(ctx context.Context, devs []device.Device, ds *data.Dataset, prep *data.PrepConfig, trials []sweep.Trial,
	done func(sweep.Trial, device.Device, *job.Result, time.Duration) (sweep.Record, error)) ([]sweep.Record, *job.Model, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		recs     []sweep.Record
		best     *job.Model
		bestRec  sweep.Record
		firstErr error
		finished int
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	exps := map[int]job.Experiment{}
	for _, t := range trials {
		e := s.experiments[t.Index]
		e.Prep = prep
		exps[t.Index] = e
	}
	next := make(chan []sweep.Trial)
	for _, dev := range devs {
		wg.Add(1)
		go func(dev device.Device) {
			defer wg.Done()
			for group := range next {
				var es []job.Experiment
				for _, t := range group {
					es = append(es, exps[t.Index])
				}
				start := time.Now()
				results, err := job.RunVariants(ctx, dev, ds, es, job.Hooks{})
				share := time.Since(start) / time.Duration(len(group))
				mu.Lock()
				switch {
				case firstErr != nil:
					// Stopped because another device failed.
				case err != nil:
					var ie *job.InterruptedError
					t := group[0]
					if errors.As(err, &ie) {
						fail(fmt.Errorf("interrupted in trial %d (%d of this shard's %d trials finished, in --log when given)", t.Index, finished, len(trials)))
					} else if len(group) > 1 {
						fail(fmt.Errorf("trials %s trained side by side on %s: %w", groupIndices(group), dev.Name(), err))
					} else {
						fail(fmt.Errorf("trial %d (%s) on %s: %w", t.Index, orNone(t.String()), dev.Name(), err))
					}
				default:
					for i, t := range group {
						res := results[i]
						rec, err := done(t, dev, res, share)
						if err != nil {
							fail(err)
							break
						}
						if len(recs) == 0 || sweep.Better(rec, bestRec) {
							best, bestRec = res.Model, rec
						}
						recs = append(recs, rec)
						finished++
					}
				}
				mu.Unlock()
			}
		}(dev)
	}
feed:
	for _, g := range groupTrials(trials, exps) {
		select {
		case next <- g:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		// Interrupted while no trial was running.
		return nil, nil, fmt.Errorf("interrupted (%d of this shard's %d trials finished, in --log when given)", finished, len(trials))
	}
	return recs, best, nil
}

// groupIndices lists a group's trial indices, as "3, 4 and 7".
func groupIndices(group []sweep.Trial) string {
	var ids []string
	for _, t := range group {
		ids = append(ids, strconv.Itoa(t.Index))
	}
	last := len(ids) - 1
	return strings.Join(ids[:last], ", ") + " and " + ids[last]
}

// openDevices opens the sweep's --device: one device, a comma list of
// them (cuda:0,cuda:1), or all: every device of the most preferred kind
// that has one (on a CPU build, the CPU).
func openDevices(spec string) ([]device.Device, error) {
	specs := strings.Split(spec, ",")
	if strings.TrimSpace(spec) == "all" {
		specs = nil
		for _, kind := range device.Kinds() {
			list, err := device.List(kind)
			if err != nil || len(list) == 0 {
				continue
			}
			if len(list) == 1 {
				specs = []string{kind}
			}
			for i := 0; len(list) > 1 && i < len(list); i++ {
				specs = append(specs, fmt.Sprintf("%s:%d", kind, i))
			}
			break
		}
		if specs == nil {
			return nil, usageError{errors.New("--device all: no usable device")}
		}
	}
	var devs []device.Device
	for _, sp := range specs {
		d, err := openDevice(strings.TrimSpace(sp))
		if err != nil {
			for _, o := range devs {
				o.Close()
			}
			return nil, err
		}
		devs = append(devs, d)
	}
	return devs, nil
}

// deviceNames lists the devices' names.
func deviceNames(devs []device.Device) []string {
	var names []string
	for _, d := range devs {
		names = append(names, d.Name())
	}
	return names
}

// orNone shows a trial without swept flags.
func orNone(s string) string {
	if s == "" {
		return "(no swept flag)"
	}
	return s
}

// planSweep reads the swept flags, expands the trials, takes the shard and
// checks every trial of the shard by building its experiment, so that a
// bad value stops the sweep before anything is trained.
func planSweep(fs *pflag.FlagSet, f *sweepFlags, getenv func(string) string) (*sweepRun, error) {
	s := &sweepRun{f: f, plan: sweep.Plan{Trials: f.trials, Seed: f.seed}}
	if f.trials < 0 || f.trials > sweep.MaxTrials {
		return nil, usageError{fmt.Errorf("invalid --trials: want from 1 to %d", sweep.MaxTrials)}
	}
	for _, sf := range sweptFlags {
		o := f.swept[sf.name]
		if len(o.vals) == 0 {
			continue
		}
		p, err := sweep.ParseParam(sf.name, o.vals, sf.kind, sf.listSep)
		if err != nil {
			return nil, usageError{err}
		}
		if sf.name == "hidden" && p.Range != nil && p.Range.Lo < 1 {
			return nil, usageError{fmt.Errorf("invalid --hidden range %q: widths start at 1", o.vals[0])}
		}
		s.plan.Params = append(s.plan.Params, p)
	}
	var err error
	if s.trials, err = s.plan.Expand(); err != nil {
		return nil, usageError{err}
	}
	switch f.shard {
	case "auto":
		if s.shard, s.shardSource, err = sweep.FromEnv(getenv, f.shards); err != nil {
			return nil, usageError{err}
		}
	default:
		if fs.Changed("shards") {
			return nil, usageError{errors.New("--shards goes with a Kubernetes Indexed Job's JOB_COMPLETION_INDEX; --shard I/N already says N")}
		}
		if s.shard, err = sweep.ParseShard(f.shard); err != nil {
			return nil, usageError{err}
		}
	}
	fs.Visit(func(fl *pflag.Flag) {
		if _, swept := f.swept[fl.Name]; swept || sweepOutputs[fl.Name] || fl.Name == "trials" {
			return
		}
		s.base = append(s.base, sweep.Assignment{Flag: fl.Name, Value: fl.Value.String()})
	})
	s.experiments, s.commands = map[int]job.Experiment{}, map[int]string{}
	// Every trial is checked, not only the shard's, so that a bad value
	// stops every shard alike.
	for _, t := range s.trials {
		e, cmd, err := s.trialExperiment(t)
		if err != nil {
			return nil, err
		}
		if s.shard.Owns(t.Index) {
			s.experiments[t.Index], s.commands[t.Index] = e, cmd
		}
	}
	return s, nil
}

// trialExperiment builds a trial's experiment as "gputrain train" would
// from the shared flags and the trial's values, and the train command
// line that reproduces it.
func (s *sweepRun) trialExperiment(t sweep.Trial) (job.Experiment, string, error) {
	fs := newFlagSet("train", trainHelp, io.Discard)
	f := &trainFlags{}
	f.register(fs)
	f.registerRun(fs)
	cmd := []string{"gputrain", "train"}
	for _, a := range append(append([]sweep.Assignment(nil), s.base...), t.Values...) {
		if err := fs.Set(a.Flag, a.Value); err != nil {
			return job.Experiment{}, "", usageError{fmt.Errorf("invalid --%s value %q: %v", a.Flag, a.Value, err)}
		}
		cmd = append(cmd, "--"+a.Flag, sweep.Quote(a.Value))
	}
	bad := func(err error) (job.Experiment, string, error) {
		if len(t.Values) == 0 {
			return job.Experiment{}, "", err
		}
		return job.Experiment{}, "", usageError{fmt.Errorf("trial %s: %v", t, err)}
	}
	if err := f.layersFromInitFile(fs); err != nil {
		return bad(err)
	}
	if _, err := f.applyPreset(fs); err != nil {
		return bad(err)
	}
	e, err := f.experiment(fs)
	if err != nil {
		return bad(err)
	}
	return e, strings.Join(cmd, " "), nil
}

// mine lists the shard's trials.
func (s *sweepRun) mine() []sweep.Trial {
	var out []sweep.Trial
	for _, t := range s.trials {
		if s.shard.Owns(t.Index) {
			out = append(out, t)
		}
	}
	return out
}

// fingerprint identifies the sweep: the shared flags, the swept values as
// given, the data, gputrain's version; not the outputs or the shard.
func (s *sweepRun) fingerprint(ds *data.Dataset) string {
	settings := map[string]string{"version": job.Version, "trials": strconv.Itoa(s.f.trials)}
	for _, a := range s.base {
		settings["flag "+a.Flag] = a.Value
	}
	for name, o := range s.f.swept {
		if len(o.vals) > 0 {
			settings["swept "+name] = strings.Join(o.vals, "\x00")
		}
	}
	return sweep.Fingerprint(settings, job.DataHash(ds))
}

// describe says what the sweep tries: "24 trials (grid: 4 lr × 3 …)".
func (s *sweepRun) describe() string {
	if s.plan.Random() {
		return fmt.Sprintf("%d random trials", len(s.trials))
	}
	var dims []string
	for _, p := range s.plan.Params {
		dims = append(dims, fmt.Sprintf("%d %s", len(p.Values), p.Flag))
	}
	if len(dims) == 0 {
		return "1 trial (no swept flag)"
	}
	what := "trials"
	if len(s.trials) == 1 {
		what = "trial"
	}
	return fmt.Sprintf("%d %s (grid: %s)", len(s.trials), what, strings.Join(dims, " × "))
}

// shardNote says which share of the trials this run takes.
func (s *sweepRun) shardNote(n int) string {
	if s.shard.Count == 1 {
		return "all run here"
	}
	from := ""
	if s.shardSource != "" {
		from = " (from the " + s.shardSource + ")"
	}
	return fmt.Sprintf("shard %s%s: %d of them", s.shard, from, n)
}

// trialRecord summarises a trial's result on the split configurations are
// ranked by: the held-out folds with --cv, the validation rows when there
// are some, else the training rows.
func trialRecord(fingerprint string, trials int, t sweep.Trial, cmd string, seed uint64, res *job.Result) sweep.Record {
	var names []string
	var runs [][]metrics.Value
	var seeds []uint64
	add := func(ev nn.Evaluation, seed uint64) {
		names = append(names, ev.Split)
		runs = append(runs, append([]metrics.Value{{Name: "loss", Value: ev.Loss}}, ev.Metrics...))
		seeds = append(seeds, seed)
	}
	split := "cross-validation"
	switch {
	case len(res.Folds) > 0:
		for _, ev := range res.Folds {
			add(ev, 0)
		}
	default:
		split = "train"
		for _, ev := range res.Evals {
			if ev.Split == "validation" {
				split = "validation"
			}
		}
		restarts := res.Restarts
		if len(restarts) == 0 {
			restarts = []job.RestartResult{{Seed: seed, Evals: res.Evals}}
		}
		for r, rr := range restarts {
			for _, ev := range rr.Evals {
				if ev.Split == split {
					ev.Split = fmt.Sprintf("restart %d", r+1)
					add(ev, rr.Seed)
				}
			}
		}
	}
	return sweep.NewRecord(fingerprint, trials, t, cmd, split, names, runs, seeds)
}

// summaryLine is a trial's result on one line.
func summaryLine(rec sweep.Record) string {
	var parts []string
	for k, st := range rec.Summary {
		if k > 1 {
			break
		}
		name := st.Name
		if k == 0 {
			name = rec.Split + " loss"
		}
		parts = append(parts, fmt.Sprintf("%s %.6g ± %.3g", name, float64(st.Mean), float64(st.SD)))
	}
	return strings.Join(parts, ", ")
}

// printLeaderboard ranks recs and writes the leaderboard and the command
// that trains the best configuration; sweep and sweep merge print it
// alike, so that a sharded sweep's merge can be compared with the sweep.
func printLeaderboard(w io.Writer, recs []sweep.Record, quiet bool) error {
	ranked := append([]sweep.Record(nil), recs...)
	sweep.Rank(ranked)
	if !quiet {
		fmt.Fprintln(w)
	}
	if len(ranked) == 0 {
		_, err := fmt.Fprintln(w, "leaderboard: no trials")
		return err
	}
	fmt.Fprintf(w, "leaderboard: %d of %d trials, best first by the mean %s loss (mean ± sd over %s):\n", len(ranked), ranked[0].Trials, ranked[0].Split, runsWord(ranked[0]))
	if err := sweep.WriteLeaderboard(w, ranked); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "best:      trial %d; train it with: %s\n", ranked[0].Trial, ranked[0].Command)
	return err
}

// runsWord names what a record's runs are.
func runsWord(r sweep.Record) string {
	restarts := len(r.Runs) > 0 && strings.Contains(r.Runs[len(r.Runs)-1].Name, "restart")
	switch {
	case r.Split == "cross-validation" && restarts:
		return "folds × restarts"
	case r.Split == "cross-validation":
		return "folds"
	}
	return "restarts"
}

// sweepMergeCommand builds the leaderboard from the --log files of a
// sweep's shards.
func sweepMergeCommand(args []string, stdout io.Writer) error {
	fs := newFlagSet("sweep merge", sweepHelp, stdout)
	var plotsDir string
	var quiet bool
	fs.StringVar(&plotsDir, "plots", "", "write the sweep's charts (as gputrain sweep --plots) to this directory")
	fs.BoolVar(&quiet, "quiet", false, "print only the leaderboard")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("sweep merge needs the --log files of the sweep's shards")}
	}
	if err := checkOutputDir("--plots", plotsDir); err != nil {
		return err
	}
	var sources []sweep.Source
	for _, path := range fs.Args() {
		file, err := os.Open(path)
		if err != nil {
			return usageError{fmt.Errorf("%s: %v", path, unwrapPathError(err))}
		}
		src, err := sweep.Read(file, path)
		file.Close()
		if err != nil {
			return usageError{err}
		}
		sources = append(sources, src)
	}
	recs, missing, err := sweep.Merge(sources)
	if err != nil {
		return usageError{err}
	}
	if err := printLeaderboard(stdout, recs, quiet); err != nil {
		return err
	}
	if plotsDir != "" {
		if err := writeSweepPlots(plotsDir, recs, stdout, quiet); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		var ids []string
		for _, i := range missing {
			ids = append(ids, strconv.Itoa(i))
		}
		return fmt.Errorf("%d of the sweep's %d trials are in none of the files (trials %s): a shard did not finish, or its file was not given", len(missing), len(recs)+len(missing), strings.Join(ids, ", "))
	}
	return nil
}

// writeSweepPlots draws, for each swept flag, the loss and the task's
// first metric of every trial against the flag's value (sweep_<flag>_<what>
// PNG and SVG), with ±1 sd bars over the trial's runs.
func writeSweepPlots(dir string, recs []sweep.Record, stdout io.Writer, quiet bool) error {
	if len(recs) == 0 {
		return nil
	}
	files := 0
	for k, a := range recs[0].Params {
		xs, categories, logX := sweptAxis(recs, k)
		for m, st := range recs[0].Summary {
			if m > 1 {
				break
			}
			var pts []charts.Point
			for i, r := range recs {
				pts = append(pts, charts.Point{X: xs[i], Y: float64(r.Summary[m].Mean), SD: float64(r.Summary[m].SD)})
			}
			label := st.Name
			if m == 0 {
				label = recs[0].Split + " loss"
			}
			p, err := charts.Sweep(label+" against --"+a.Flag, "--"+a.Flag, label, pts, categories, logX)
			if err != nil {
				continue // nothing finite to draw: every trial diverged
			}
			paths, err := charts.Save(p, dir, "sweep_"+a.Flag+"_"+st.Name)
			if err != nil {
				return err
			}
			files += len(paths)
		}
	}
	if !quiet {
		fmt.Fprintf(stdout, "plots:     %d charts (PNG and SVG) in %s\n", files/2, dir)
	}
	return nil
}

// sweptAxis places the records along swept flag k: at their values when
// every value is a number (on a log axis when they span a factor of 10 or
// more and are positive), else at the index of their value among the
// distinct values in order of appearance.
func sweptAxis(recs []sweep.Record, k int) (xs []float64, categories []string, logX bool) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range recs {
		v, err := strconv.ParseFloat(r.Params[k].Value, 64)
		if err != nil {
			xs = nil
			break
		}
		xs = append(xs, v)
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if xs != nil {
		return xs, nil, lo > 0 && hi >= 10*lo
	}
	index := map[string]int{}
	for _, r := range recs {
		v := r.Params[k].Value
		if _, ok := index[v]; !ok {
			index[v] = len(categories)
			categories = append(categories, v)
		}
		xs = append(xs, float64(index[v]))
	}
	return xs, categories, false
}
