package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/metrics"
	"github.com/gputrain/gputrain/nn"
	"github.com/gputrain/gputrain/nn/job"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress display modes (--progress).
const (
	progressAuto  = "auto"  // a bar on a terminal, lines otherwise
	progressBar   = "bar"   // always the bar
	progressLines = "lines" // always plain lines
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// lineInterval is the longest a plain-lines run stays silent: a line is
// printed whenever this much time has passed since the last one.
const lineInterval = 30 * time.Second

// printer writes training progress and results: the loss table (steps 0,
// 1, 10, 100, … or every --print-every), with a progress bar under it on a
// terminal, and the evaluations at the end.
type printer struct {
	w      io.Writer
	quiet  bool
	every  int // print every this many steps (or epochs); 0: 0, 1, 10, 100, …
	bar    *progressbar.ProgressBar
	useBar bool
	val    bool // a validation column
	// labelDefault: the label column was not named, so the header says
	// which was taken.
	labelDefault bool
	// evalMode labels the evaluations' losses when they differ in kind
	// from the curve's training-mode losses (batch norm, dropout).
	evalMode string

	last      *nn.LossPoint // the latest point, printed at the end if it was not yet
	printed   bool          // whether last was printed
	epochSum  float64       // minibatch: the running epoch's summed batch losses
	epochN    int
	epoch     int
	minibatch bool
	modeKnown bool // whether minibatch is known
	started   bool // whether the table's header is printed
	reduction nn.Reduction
	preset    string          // the active --preset, shown in the header ("": not shown)
	restarts  int             // models trained side by side
	valAt     map[int]float64 // validation loss by step
	lastLine  time.Time
	start     int // the step the run (or its resumed part) starts from
	total     int
	lastRec   *nn.Progress
}

func newPrinter(w io.Writer, quiet bool, every int, mode string) *printer {
	p := &printer{w: w, quiet: quiet, every: every, valAt: map[int]float64{}, lastLine: time.Now()}
	p.useBar = !quiet && (mode == progressBar || (mode == progressAuto && isTerminal(w)))
	return p
}

// layout says how a CSV file was read: whether its first row was a
// header and by which rule, and, when the label column was not named, which
// column was taken.
func (p *printer) layout(ds *data.Dataset) {
	l := ds.Layout
	if p.quiet || l.HeaderRule == nil {
		return
	}
	if l.Header {
		fmt.Fprintf(p.w, "header:    the first row, as %s (--header no to read it as data)\n", l.HeaderRule(flagName))
	} else {
		fmt.Fprintf(p.w, "header:    none, the first row is data as %s (--header yes to take it as the header)\n", l.HeaderRule(flagName))
	}
	if p.labelDefault && l.LabelColumn > 0 {
		fmt.Fprintf(p.w, "label:     column %d (%q), the last; choose another with --label NAME or --label NUMBER\n", l.LabelColumn, ds.LabelName)
	}
}

func (p *printer) header(ds *data.Dataset, e job.Experiment, dev string) {
	p.reduction, p.restarts = e.Reduction, e.Restarts
	if (e.BatchNorm && len(e.Hidden) > 0) || (e.Dropout > 0 && len(e.Hidden) > 0) {
		// The loss curve is in training mode; the evaluations are not.
		p.evalMode = "; evaluation mode: no dropout, batch norm with its running statistics"
	}
	p.val = e.ValSplit > 0 && e.CV < 2
	if p.quiet {
		return
	}
	fmt.Fprintf(p.w, "data:      %s, %d rows × %d features\n", ds.Source, ds.Rows(), ds.Cols())
	p.layout(ds)
	fmt.Fprintf(p.w, "device:    %s\n", dev)
	if p.preset != "" {
		fmt.Fprintf(p.w, "preset:    %s\n", p.preset)
	}
	batch := "full batch"
	if e.BatchSize > 0 && e.BatchSize < ds.Rows() {
		batch = fmt.Sprintf("batch %d", e.BatchSize)
	}
	length := fmt.Sprintf("%d steps", e.Steps)
	if e.Epochs > 0 {
		length = fmt.Sprintf("%d epochs", e.Epochs)
	}
	fmt.Fprintf(p.w, "training:  %s, lr %g, %s, %s, loss %s, seed %d\n", e.Optim.Kind, e.Optim.LR, batch, length, e.Reduction, e.Seed)
	if e.CV >= 2 {
		fmt.Fprintf(p.w, "validation: %d-fold cross-validation\n", e.CV)
	}
	var extras []string
	if s := e.Schedule; s.Kind != "" && s.Kind != nn.ConstantLR || s.Warmup > 0 {
		sched := string(s.Kind)
		if sched == "" {
			sched = string(nn.ConstantLR)
		}
		if s.Warmup > 0 {
			sched += fmt.Sprintf(" after %d warm-up steps", s.Warmup)
		}
		extras = append(extras, "lr schedule "+sched)
	}
	if e.ClassWeight == "balanced" {
		extras = append(extras, "balanced class weights")
	}
	if es := e.EarlyStopping; es.Patience > 0 {
		extras = append(extras, fmt.Sprintf("early stopping (patience %d, min delta %g)", es.Patience, es.MinDelta))
	}
	if e.DetectAnomaly {
		extras = append(extras, "every operation checked for NaN/Inf")
	}
	if len(extras) > 0 {
		fmt.Fprintf(p.w, "options:   %s\n", strings.Join(extras, ", "))
	}
}

// begin is called when training starts (Hooks.Start).
// prep prints the column kinds the preprocessing found in the training
// rows: of the run, or of the first cross-validation fold.
func (p *printer) prep(fold int, pr *data.Prep) {
	switch {
	case p.quiet || fold > 1:
	case fold == 1:
		fmt.Fprintf(p.w, "columns:   %s (fold 1's training rows; each fold fits its own)\n", pr.Describe())
	default:
		fmt.Fprintf(p.w, "columns:   %s (fitted on the training rows)\n", pr.Describe())
	}
}

func (p *printer) begin(rs job.RunStart, resumedFrom string) {
	p.start, p.total = rs.Step, rs.Total
	for _, r := range rs.Records {
		if r.HasVal {
			p.valAt[r.Step] = r.ValLoss
		}
	}
	if len(rs.History) > 0 {
		// Carry the interrupted epoch's batch losses into its mean.
		last := rs.History[len(rs.History)-1]
		p.modeKnown, p.minibatch = true, rs.History[0].Step == 1
		p.last, p.printed = &last, true
		if p.minibatch {
			p.epoch = last.Epoch
			for i := len(rs.History) - 1; i >= 0 && rs.History[i].Epoch == last.Epoch; i-- {
				p.epochSum += rs.History[i].Loss
				p.epochN++
			}
		}
	}
	if p.quiet {
		return
	}
	if resumedFrom != "" {
		fmt.Fprintf(p.w, "resumed:   %s at step %d of %d\n", resumedFrom, rs.Step, rs.Total)
	}
	if p.useBar {
		p.bar = progressbar.NewOptions(max(rs.Total-rs.Step, 1),
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("training"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("steps"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetRenderBlankState(true),
		)
	}
}

// line prints one line of the table, above the bar if there is one.
func (p *printer) line(format string, args ...any) {
	if p.bar != nil {
		p.bar.Clear()
	}
	fmt.Fprintf(p.w, format, args...)
	p.lastLine = time.Now()
}

// note prints a one-off message (a checkpoint written, …).
func (p *printer) note(format string, args ...any) {
	if !p.quiet {
		p.line(format+"\n", args...)
	}
}

// milestone reports whether step n is one to print: every p.every, or 0, 1,
// 10, 100, … when p.every is 0.
func (p *printer) milestone(n int) bool {
	if p.every > 0 {
		return n%p.every == 0
	}
	for n >= 10 && n%10 == 0 {
		n /= 10
	}
	return n <= 1
}

// due reports whether a line is due: at a milestone, or when the run has
// been silent for lineInterval (plain lines only).
func (p *printer) due(n int) bool {
	return p.milestone(n) || (p.bar == nil && time.Since(p.lastLine) >= lineInterval)
}

func (p *printer) valColumn(step int) string {
	if !p.val {
		return ""
	}
	if v, ok := p.valAt[step]; ok {
		return fmt.Sprintf(" %14.6g", v)
	}
	return fmt.Sprintf(" %14s", "")
}

// loss receives every recorded training loss.
func (p *printer) loss(pt nn.LossPoint) {
	if p.quiet {
		return
	}
	if p.bar != nil {
		p.bar.Set(pt.Step - p.start)
	}
	valHead := ""
	if p.val {
		valHead = fmt.Sprintf(" %14s", "val loss")
	}
	if !p.modeKnown {
		p.modeKnown = true
		p.minibatch = pt.Step == 1 // full batch starts at step 0
	}
	if !p.started {
		p.started = true
		if p.minibatch {
			p.line("%8s %8s %15s%s\n", "epoch", "step", "mean batch loss", valHead)
		} else {
			p.line("%8s %14s%s\n", "step", "loss", valHead)
		}
	}
	if p.minibatch {
		if pt.Epoch != p.epoch && p.epochN > 0 {
			p.flushEpoch(false)
		}
		p.epoch = pt.Epoch
		p.epochSum += pt.Loss
		p.epochN++
		p.last = &pt
		return
	}
	p.last, p.printed = &pt, p.due(pt.Step)
	if p.printed {
		p.line("%8d %14.6g%s\n", pt.Step, pt.Loss, p.valColumn(pt.Step))
	}
}

// progress receives every progress record.
func (p *printer) progress(pr nn.Progress) {
	if pr.HasVal {
		p.valAt[pr.Step] = pr.ValLoss
	}
	p.lastRec = &pr
	if p.bar != nil {
		desc := fmt.Sprintf("loss %.4g", pr.Loss)
		if pr.HasVal {
			desc += fmt.Sprintf(", val loss %.4g", pr.ValLoss)
			for _, v := range pr.ValMetrics {
				if v.Name == "accuracy" || v.Name == "r2" {
					desc += fmt.Sprintf(", val %s %.4f", v.Name, v.Value)
				}
			}
		}
		p.bar.Describe(desc)
	}
}

// flushEpoch prints the finished epoch's mean batch loss when it is a
// milestone (or always, at the end).
func (p *printer) flushEpoch(final bool) {
	if p.epochN > 0 && (final || p.due(p.epoch)) {
		p.line("%8d %8d %15.6g%s\n", p.epoch, p.last.Step, p.epochSum/float64(p.epochN), p.valColumn(p.last.Step))
	}
	p.epochSum, p.epochN = 0, 0
}

func (p *printer) fold(ev nn.Evaluation) {
	if p.quiet {
		return
	}
	fmt.Fprintf(p.w, "%-8s %d rows: loss %.6g", ev.Split, ev.Rows, ev.Loss)
	for _, v := range ev.Metrics {
		if v.Name == "accuracy" || v.Name == "r2" {
			fmt.Fprintf(p.w, ", %s %.4f", v.Name, v.Value)
		}
	}
	fmt.Fprintln(p.w)
}

// stopBar removes the bar (at the end, or before an error message).
func (p *printer) stopBar() {
	if p.bar != nil {
		p.bar.Clear()
		p.bar.Exit()
		p.bar = nil
	}
}

// finish prints the last loss, the model and the evaluations.
func (p *printer) finish(res *job.Result, elapsed time.Duration, autoThreshold bool) {
	if !p.quiet && p.last != nil {
		if p.minibatch {
			p.flushEpoch(true)
		} else if !p.printed {
			p.line("%8d %14.6g%s\n", p.last.Step, p.last.Loss, p.valColumn(p.last.Step))
		}
	}
	p.stopBar()
	fmt.Fprintf(p.w, "model:     %s, %d parameters, task %s, trained in %s\n", res.Arch, res.Arch.ParamCount(), res.Task, elapsed.Round(time.Millisecond))
	if es := res.EarlyStop; es != nil && es.Stopped {
		restored := "kept the last weights"
		if es.Restored {
			restored = fmt.Sprintf("restored the weights of step %d", es.BestStep)
		}
		fmt.Fprintf(p.w, "early stop: at step %d, the validation loss had not improved since step %d (%.6g); %s\n", es.Step, es.BestStep, es.BestLoss, restored)
	}
	if autoThreshold {
		fmt.Fprintf(p.w, "threshold: %.4g, chosen on the validation rows (best balanced accuracy)\n", res.Threshold)
	}
	if len(res.CVSummary) > 0 {
		what := "folds"
		if p.restarts > 1 {
			what = fmt.Sprintf("models: %d folds × %d restarts", len(res.Folds)/p.restarts, p.restarts)
		}
		fmt.Fprintf(p.w, "\ncross-validation (mean ± sd over %d %s):\n", len(res.Folds), what)
		for _, s := range res.CVSummary {
			fmt.Fprintf(p.w, "  %s\n", s)
		}
		return
	}
	if n := len(res.Restarts); n > 1 {
		fmt.Fprintf(p.w, "\nrestarts:  %d trained side by side; %s\n", n, res.Model.Info["restart_kept"])
		for _, ss := range res.RestartSummary {
			fmt.Fprintf(p.w, "  %s, over the %d restarts:\n", ss.Split, n)
			for _, s := range ss.Metrics {
				fmt.Fprintf(p.w, "    %s\n", s)
			}
		}
		fmt.Fprintf(p.w, "\nthe kept restart (%d):\n", res.Best+1)
	}
	for _, ev := range res.Evals {
		loss := fmt.Sprintf("%.6g (%s, %s%s)", ev.Loss, res.Arch.Loss, p.reduction, p.evalMode)
		if p.reduction == nn.Sum && ev.Rows > 0 {
			// eval reports the mean: show it too, labelled.
			loss = fmt.Sprintf("%.6g (%s, sum; mean %.6g%s)", ev.Loss, res.Arch.Loss, ev.Loss/float64(ev.Rows), p.evalMode)
		}
		fmt.Fprintf(p.w, "\n%s (%d rows): loss %s\n", ev.Split, ev.Rows, loss)
		for _, line := range strings.Split(strings.TrimRight(metrics.FormatValues(ev.Metrics), "\n"), "\n") {
			fmt.Fprintf(p.w, "  %s\n", line)
		}
		if ev.Confusion != nil {
			fmt.Fprintf(p.w, "  confusion matrix (%s):\n", ev.Split)
			for _, line := range strings.Split(strings.TrimRight(ev.Confusion.Table(), "\n"), "\n") {
				fmt.Fprintf(p.w, "    %s\n", line)
			}
		}
	}
}

// jsonLog writes --log: JSON Lines, one object per line: first the run's
// manifest, then one record per progress record, then the result.
type jsonLog struct {
	f      *os.File
	path   string
	device string
	start  time.Time
	err    error
}

// openLog creates (or truncates) the log file. A resumed run appends to it
// instead, so the records of the run it continues are kept; its own
// manifest record starts its part.
func openLog(path, device string, resumed bool) (*jsonLog, error) {
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if resumed {
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return nil, usageError{fmt.Errorf("--log %s: %v", path, unwrapPathError(err))}
	}
	return &jsonLog{f: f, path: path, device: device, start: time.Now()}, nil
}

// finite drops the non-finite numbers JSON cannot hold.
func finite(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// write appends one record; the first failure is kept for Close.
func (l *jsonLog) write(rec map[string]any) {
	if l == nil || l.err != nil {
		return
	}
	for k, v := range rec {
		if v == nil {
			delete(rec, k)
		}
	}
	b, err := json.Marshal(rec)
	if err == nil {
		_, err = l.f.Write(append(b, '\n'))
	}
	l.err = err
}

// manifest writes the run's manifest, and a resumed run's earlier records.
func (l *jsonLog) manifest(rs job.RunStart, resumedFrom string) {
	if l == nil {
		return
	}
	rec := map[string]any{"type": "manifest", "time": time.Now().UTC().Format(time.RFC3339), "total_steps": rs.Total,
		"train_rows": rs.TrainRows, "validation_rows": rs.ValRows}
	for k, v := range rs.Manifest {
		rec[k] = v
	}
	if flags := rs.Manifest["flags"]; flags != "" {
		rec["flags"] = json.RawMessage(flags)
	}
	if resumedFrom != "" {
		rec["resumed_from"], rec["resumed_at_step"] = resumedFrom, rs.Step
	}
	l.write(rec)
	for _, pr := range rs.Records {
		rec := l.record(pr)
		rec["restored"] = true
		delete(rec, "elapsed")
		l.write(rec)
	}
}

func (l *jsonLog) record(pr nn.Progress) map[string]any {
	rec := map[string]any{"type": "progress", "step": pr.Step, "epoch": pr.Epoch, "loss": finite(pr.Loss),
		"lr": finite(pr.LR), "elapsed": math.Round(time.Since(l.start).Seconds()*1000) / 1000, "device": l.device}
	if pr.HasVal {
		rec["val_loss"] = finite(pr.ValLoss)
		m := map[string]any{}
		for _, v := range pr.ValMetrics {
			if f := finite(v.Value); f != nil {
				m["val_"+v.Name] = f
			}
		}
		rec["metrics"] = m
	}
	return rec
}

// progress writes one progress record.
func (l *jsonLog) progress(pr nn.Progress) {
	if l != nil {
		l.write(l.record(pr))
	}
}

// event writes a record of another type (checkpoint, interrupted, error, result).
func (l *jsonLog) event(kind string, fields map[string]any) {
	if l == nil {
		return
	}
	rec := map[string]any{"type": kind, "elapsed": math.Round(time.Since(l.start).Seconds()*1000) / 1000}
	for k, v := range fields {
		rec[k] = v
	}
	l.write(rec)
}

// result writes the final evaluations.
func (l *jsonLog) result(res *job.Result) {
	if l == nil {
		return
	}
	evals := map[string]any{}
	for _, ev := range append(append([]nn.Evaluation(nil), res.Evals...), res.Folds...) {
		m := map[string]any{}
		for _, v := range ev.Metrics {
			if f := finite(v.Value); f != nil {
				m[v.Name] = f
			}
		}
		evals[ev.Split] = map[string]any{"rows": ev.Rows, "loss": finite(ev.Loss), "metrics": m}
	}
	fields := map[string]any{"evaluations": evals}
	if res.Task == data.TaskBinary {
		fields["threshold"] = res.Threshold
	}
	if es := res.EarlyStop; es != nil {
		fields["early_stopping"] = map[string]any{"stopped": es.Stopped, "step": es.Step, "best_step": es.BestStep,
			"best_val_loss": finite(es.BestLoss), "restored": es.Restored}
	}
	l.event("result", fields)
}

// Close syncs and closes the log, reporting any write error.
func (l *jsonLog) Close() error {
	if l == nil {
		return nil
	}
	if err := l.f.Sync(); err != nil && l.err == nil {
		l.err = err
	}
	if err := l.f.Close(); err != nil && l.err == nil {
		l.err = err
	}
	if l.err != nil {
		return fmt.Errorf("--log %s: %v", l.path, unwrapPathError(l.err))
	}
	return nil
}
