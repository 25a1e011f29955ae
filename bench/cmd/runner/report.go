package main

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/gputrain/gputrain/bench"
)

// Loss agreement tolerances (relative to gputrain's loss).
const (
	checkTol = 1e-4 // after 2 steps: same data, init and batch order
	finalTol = 1e-3 // at the end of the run (what the suite asks of every implementation)
)

// caseResult holds every measurement of one workload or kernel.
type caseResult struct {
	name     string
	kernel   bench.Kernel   // for kernels
	workload bench.Workload // for workloads
	plan     plan
	reps     map[string][]bench.Result // row key → one result per repetition
	check    map[string]*bench.Result  // row key → the 2-step agreement run
	errs     map[string]string         // row key → why it failed
	dropped  map[string]string         // row key → why it was not repeated
}

func newCaseResult(name string) *caseResult {
	return &caseResult{name: name, reps: map[string][]bench.Result{}, check: map[string]*bench.Result{},
		errs: map[string]string{}, dropped: map[string]string{}}
}

// repCount is the number of repetitions gputrain ran.
func (c *caseResult) repCount() int { return len(c.reps["gputrain"]) }

// stat is the summary of a row's repetition medians.
func (c *caseResult) stat(key string) (bench.Summary, bool) {
	var med []float64
	for _, r := range c.reps[key] {
		if r.Seconds.N > 0 {
			med = append(med, r.Seconds.Median)
		}
	}
	s := bench.Summarize(med)
	return s, s.N > 0
}

// pruneGroups keeps, in every group of alternative rows (PyTorch's thread
// counts), only the fastest after the first repetition; the others are
// marked inactive and noted.
func (c *caseResult) pruneGroups(rows []row, active map[string]bool) {
	groups := map[string][]row{}
	for _, rw := range rows {
		if rw.group != "" && len(c.reps[rw.key]) > 0 {
			groups[rw.group] = append(groups[rw.group], rw)
		}
	}
	for _, members := range groups {
		if len(members) < 2 {
			continue
		}
		best := members[0]
		for _, m := range members[1:] {
			if c.reps[m.key][0].Seconds.Median < c.reps[best.key][0].Seconds.Median {
				best = m
			}
		}
		for _, m := range members {
			if m.key == best.key {
				continue
			}
			t, b := c.reps[m.key][0].Seconds.Median, c.reps[best.key][0].Seconds.Median
			active[m.key] = false
			c.dropped[m.key] = fmt.Sprintf("%s: %s in the first repetition, %.1f× %s's; not repeated", m.label, bench.FormatSeconds(t, " "), t/b, best.label)
		}
	}
}

// limit is a measured limit of the machine.
type limit struct {
	value  float64
	what   string
	method string
}

// refInfo describes one reference as started.
type refInfo struct {
	key, label, describe, err string
}

// report is a finished run of the suite.
type report struct {
	profile, device  string
	reps             int
	date, command    string
	args             string
	machine, blasEnv string
	theoretical      string
	theoreticalValue float64 // GFLOP/s
	flopLimit        limit   // CPU: the FMA loop; GPU: filled from the best reference gemm
	byteLimit        limit
	refs             []refInfo
	rows             []row
	kernels          []*caseResult
	workloads        []*caseResult
	notes            []string
	pending          []string // cases not finished yet (the run is still going)
	elapsed          time.Duration
	loadStart        string // 1-minute load averages at the start and the end
	loadEnd          string
}

// relDiff is |a − b| / |b|.
func relDiff(a, b float64) float64 {
	if b == 0 {
		return math.Abs(a - b)
	}
	return math.Abs(a-b) / math.Abs(b)
}

// failedChecks lists the 2-step agreement failures.
func (rep *report) failedChecks() []string {
	var bad []string
	for _, c := range rep.workloads {
		ours := c.check["gputrain"]
		if ours == nil {
			continue
		}
		for _, rw := range rep.rows {
			x := c.check[rw.key]
			if rw.ours || x == nil {
				continue
			}
			if d := relDiff(x.FinalLoss, ours.FinalLoss); !(d <= checkTol) {
				bad = append(bad, fmt.Sprintf("%s: %s's loss after 2 steps differs from gputrain's by %.1e", c.name, rw.label, d))
			}
		}
	}
	return bad
}

// oursFailed lists the cases in which gputrain itself failed (not for
// want of time).
func (rep *report) oursFailed() []string {
	var bad []string
	for _, cs := range [][]*caseResult{rep.workloads, rep.kernels} {
		for _, c := range cs {
			if e := c.errs["gputrain"]; e != "" && failure(e) != e {
				bad = append(bad, fmt.Sprintf("%s: %s", c.name, truncate(e, 200)))
			}
		}
	}
	return bad
}

// gpuFlopLimit is the best reference gemm rate (GPU profile).
func (rep *report) gpuFlopLimit() limit {
	var best limit
	for _, c := range rep.kernels {
		if c.kernel.Op != "gemm" {
			continue
		}
		for _, rw := range rep.rows {
			if rw.ours {
				continue
			}
			if s, ok := c.stat(rw.key); ok && c.kernel.Flops()/s.Median/1e9 > best.value {
				best = limit{value: c.kernel.Flops() / s.Median / 1e9, what: "best reference gemm",
					method: fmt.Sprintf("%s, %s", rw.kernelLabel, c.kernel.Name())}
			}
		}
	}
	return best
}

// markdown renders the report.
func (rep *report) markdown() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	if rep.device != "cpu" && rep.flopLimit.value == 0 {
		rep.flopLimit = rep.gpuFlopLimit()
	}
	title := map[string]string{"cpu": "CPU", "gpu": "GPU"}[rep.profile]
	w("## gputrain benchmark suite — %s\n\n", title)
	w("Run %s with `%s` (bench-runner %s), %s, %s in all.\n\n", rep.date, rep.command, rep.args, plural(rep.reps, "repetition"), rep.elapsed.Round(time.Second))
	w("- Machine: %s\n", rep.machine)
	if rep.loadStart != "" {
		w("- Load average (1 min) at the start %s, at the end %s, on %d logical CPUs: other processes share the machine, so compare ratios within this run only\n", rep.loadStart, rep.loadEnd, runtime.NumCPU())
	}
	if d := rep.oursDevice(); d != "" {
		w("- gputrain: %s\n", d)
	}
	for _, ref := range rep.refs {
		if ref.err != "" {
			note := ""
			if ref.key == "jax" && rep.device == "cpu" {
				note = " (JAX is not packaged for Debian; the GPU suite runs it)"
			}
			w("- %s: not run — %s%s\n", ref.label, ref.err, note)
			continue
		}
		w("- %s: %s\n", ref.label, ref.describe)
	}
	if rep.flopLimit.value > 0 {
		w("- Arithmetic limit: **%s GFLOP/s**, %s (%s)\n", bench.FormatNumber(rep.flopLimit.value), rep.flopLimit.what, rep.flopLimit.method)
	}
	if rep.theoretical != "" {
		w("- Theoretical: %s", rep.theoretical)
		if rep.theoreticalValue > 0 && rep.flopLimit.value > rep.theoreticalValue {
			w("; the FMA loop beats it, so the cores run above that clock")
		}
		w("\n")
	}
	if rep.byteLimit.value > 0 {
		w("- Memory limit: **%s GB/s**, %s (%s)\n", bench.FormatNumber(rep.byteLimit.value), rep.byteLimit.what, rep.byteLimit.method)
	}
	if rep.device == "cpu" {
		w("- %s\n", rep.blasEnv)
	}
	for _, n := range rep.notes {
		w("- Note: %s\n", n)
	}
	if len(rep.pending) > 0 {
		w("- Note: written while the run was going: %s not finished yet\n", strings.Join(rep.pending, ", "))
	}
	limitName := "% of FMA peak"
	if rep.device != "cpu" {
		limitName = "% of best ref. gemm"
	}
	w("\nEach time is the median over the repetitions of one run's median step time (steps are timed in blocks ended by the trainer's loss read; the first block is a warm-up); the spread is the min–max of the repetitions' medians. The implementations alternate within every repetition. **ours ÷ theirs** is gputrain's time over theirs: above 1, gputrain is slower. GFLOP/s count 6·B·Σ fan_in·fan_out per step (B rows per step); %s divides them by the arithmetic limit. Δ loss is |theirs − ours| ÷ |ours|: after 2 steps (must be ≤ %g: same data, initial parameters and batch order) and at the end of the timed run (≤ %g).\n", limitName, checkTol, finalTol)

	for _, c := range rep.workloads {
		rep.workloadTable(&b, c, limitName)
	}
	if len(rep.kernels) > 0 {
		rep.kernelTable(&b)
	}
	return b.String()
}

// oursDevice is gputrain's device description from any of its results.
func (rep *report) oursDevice() string {
	for _, cs := range [][]*caseResult{rep.workloads, rep.kernels} {
		for _, c := range cs {
			if rs := c.reps["gputrain"]; len(rs) > 0 {
				return fmt.Sprintf("%s, %s", rs[0].Version, rs[0].Describe)
			}
		}
	}
	return ""
}

func (rep *report) workloadTable(b *strings.Builder, c *caseResult, limitName string) {
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	wl := c.workload
	flops := bench.FlopsPerStep(wl.Arch, wl.BatchRows())
	bytes := bench.MinBytesPerStep(wl.Arch, wl.BatchRows(), wl.Optim.Kind)
	w("\n### %s\n\n", wl.Title)
	w("Timed: %d steps in blocks of %d, %s. Napkin math: %s/step; compulsory traffic ≥ %s/step (batch in, parameters and optimizer state in and out); so at most %s flop/byte, and at the arithmetic limit a step takes ≥ %s.\n\n",
		c.plan.steps, c.plan.block, plural(c.repCount(), "repetition"), bench.FormatSI(flops, "FLOP"), bench.FormatSI(bytes, "B"), bench.FormatNumber(flops/bytes), rep.floorTime(flops, bytes))
	w("| implementation | time/step | spread | samples/s | GFLOP/s | %s | ours ÷ theirs | final loss | Δ loss, 2 steps | Δ loss, end |\n", limitName)
	w("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	oursStat, oursOK := c.stat("gputrain")
	var oursLoss, oursCheck float64
	if rs := c.reps["gputrain"]; len(rs) > 0 {
		oursLoss = rs[0].FinalLoss
	}
	if x := c.check["gputrain"]; x != nil {
		oursCheck = x.FinalLoss
	}
	for _, rw := range rep.rows {
		if _, gone := c.dropped[rw.key]; gone {
			continue
		}
		s, ok := c.stat(rw.key)
		if !ok {
			if e := c.errs[rw.key]; e != "" {
				w("| %s | %s | | | | | | | | |\n", rw.label, strings.ReplaceAll(truncate(failure(e), 160), "|", "/"))
			}
			continue
		}
		rs := c.reps[rw.key]
		gf := flops / s.Median / 1e9
		ratio, dEnd, dCheck := "1", "—", "—"
		if !rw.ours {
			ratio = "n/a"
			if oursOK {
				ratio = fmt.Sprintf("%.2f", oursStat.Median/s.Median)
			}
			if oursLoss != 0 {
				dEnd = verdict(relDiff(rs[0].FinalLoss, oursLoss), finalTol)
			}
			if x := c.check[rw.key]; x != nil && oursCheck != 0 {
				dCheck = verdict(relDiff(x.FinalLoss, oursCheck), checkTol)
			}
		}
		w("| %s | %s | %s–%s | %s | %s | %s | %s | %.6g | %s | %s |\n", rw.label, bench.FormatSeconds(s.Median, " "), bench.FormatSeconds(s.Min, " "), bench.FormatSeconds(s.Max, " "),
			bench.FormatSI(float64(rs[0].Batch)/s.Median, ""), bench.FormatNumber(gf), rep.percent(gf, rep.flopLimit.value), ratio, rs[0].FinalLoss, dCheck, dEnd)
	}
	if c.plan.note != "" {
		w("\nNote: %s.\n", c.plan.note)
	}
	var extra []string
	for _, rw := range rep.rows {
		if d, ok := c.dropped[rw.key]; ok {
			extra = append(extra, d)
		}
		if e := c.errs[rw.key]; e != "" && len(c.reps[rw.key]) > 0 {
			extra = append(extra, fmt.Sprintf("%s: %s", rw.label, e))
		}
	}
	for _, e := range extra {
		w("\n%s.\n", strings.TrimSuffix(e, "."))
	}
}

// failure renders why a row has no result: "failed: …", or the budget's
// "not run: …" or "stopped: …".
func failure(e string) string {
	if e == errOutOfTime.Error() || e == errStopped.Error() {
		return e
	}
	return "failed: " + e
}

// summaryLine is one line about a workload for the log: gputrain's step
// time, every reference's with ours ÷ theirs, gputrain's device work per
// step (launches·graph launches·syncs·copies, where the device counts them), the
// repetitions and the 2-step loss check.
func (rep *report) summaryLine(c *caseResult) string {
	parts := []string{}
	ours, oursOK := c.stat("gputrain")
	for _, rw := range rep.rows {
		if _, gone := c.dropped[rw.key]; gone {
			continue
		}
		s, ok := c.stat(rw.key)
		switch {
		case ok && rw.ours:
			parts = append(parts, fmt.Sprintf("%s %s/step", rw.label, bench.FormatSeconds(s.Median, " ")))
		case ok && oursOK:
			parts = append(parts, fmt.Sprintf("%s %s, ours÷theirs %.2f", rw.label, bench.FormatSeconds(s.Median, " "), ours.Median/s.Median))
		case ok:
			parts = append(parts, fmt.Sprintf("%s %s", rw.label, bench.FormatSeconds(s.Median, " ")))
		case c.errs[rw.key] != "":
			parts = append(parts, fmt.Sprintf("%s %s", rw.label, truncate(failure(c.errs[rw.key]), 80)))
		}
	}
	for _, ref := range rep.refs {
		if ref.err != "" {
			parts = append(parts, fmt.Sprintf("%s not started", ref.label))
		}
	}
	if rs := c.reps["gputrain"]; len(rs) > 0 && rs[0].LaunchesPerStep+rs[0].GraphLaunchesPerStep > 0 {
		x := rs[0]
		parts = append(parts, fmt.Sprintf("launches·graph launches·syncs·copies per step %.3g·%.3g·%.3g·%.3g (%s copied)", x.LaunchesPerStep, x.GraphLaunchesPerStep, x.SyncsPerStep, x.CopiesPerStep, bench.FormatSI(x.CopyBytesPerStep, "B")))
	}
	parts = append(parts, plural(c.repCount(), "rep"))
	if check := rep.checkVerdict(c); check != "" {
		parts = append(parts, "2-step loss check "+check)
	}
	return fmt.Sprintf("bench %s: %s", c.name, strings.Join(parts, " | "))
}

// checkVerdict is ✓ when every reference's loss after 2 steps agrees with
// gputrain's, ✗ (naming the first that does not) otherwise, and empty when
// there is nothing to compare.
func (rep *report) checkVerdict(c *caseResult) string {
	ours := c.check["gputrain"]
	if ours == nil {
		return ""
	}
	compared := 0
	for _, rw := range rep.rows {
		x := c.check[rw.key]
		if rw.ours || x == nil {
			continue
		}
		if d := relDiff(x.FinalLoss, ours.FinalLoss); !(d <= checkTol) {
			return fmt.Sprintf("✗ (%s %.1e)", rw.label, d)
		}
		compared++
	}
	if compared == 0 {
		return ""
	}
	return "✓"
}

// floorTime is the shortest a step can take at the machine's limits.
func (rep *report) floorTime(flops, bytes float64) string {
	t := 0.0
	if rep.flopLimit.value > 0 {
		t = flops / (rep.flopLimit.value * 1e9)
	}
	if rep.byteLimit.value > 0 {
		t = max(t, bytes/(rep.byteLimit.value*1e9))
	}
	if t == 0 {
		return "n/a"
	}
	return bench.FormatSeconds(t, " ")
}

func (rep *report) percent(v, lim float64) string {
	if lim <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*v/lim)
}

func (rep *report) kernelTable(b *strings.Builder) {
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	n := 0
	for _, c := range rep.kernels {
		n = max(n, c.repCount())
	}
	w("\n### Kernels (%s)\n\n", plural(n, "repetition"))
	w("Each cell: median time per call, and GFLOP/s (gemm: 2·M·N·K) or GB/s of compulsory traffic (mul: out = a·b and sgd: p −= lr·g, 12 bytes per element). gemm M×N×K is C (M×N) = A (M×K)·B (K×N); the first rows are the workloads' first-layer shapes. %% of limit: gemm against the arithmetic limit, element-wise against the memory limit (1e6 elements fit in the caches and can beat it).\n\n")
	var cols []row
	for _, rw := range rep.rows {
		if rw.kernelLabel != "" {
			cols = append(cols, rw)
		}
	}
	w("| kernel |")
	for _, rw := range cols {
		w(" %s |", rw.kernelLabel)
	}
	w(" ours ÷ best other | ours, %% of limit |\n|---|")
	for range cols {
		w("--:|")
	}
	w("--:|--:|\n")
	for _, c := range rep.kernels {
		label := c.kernel.Name()
		if c.kernel.Label != "" {
			label += " (" + c.kernel.Label + ")"
		}
		w("| %s |", label)
		best := math.Inf(1)
		for _, rw := range cols {
			s, ok := c.stat(rw.key)
			switch {
			case ok:
				w(" %s · %s |", bench.FormatSeconds(s.Median, " "), kernelRate(c.kernel, s.Median))
				if !rw.ours {
					best = min(best, s.Median)
				}
			case c.dropped[rw.key] != "":
				w(" (slower, dropped) |")
			case c.errs[rw.key] != "":
				w(" failed |")
			default:
				w(" |")
			}
		}
		ours, ok := c.stat("gputrain")
		ratio, pct := "n/a", "n/a"
		if ok && !math.IsInf(best, 1) {
			ratio = fmt.Sprintf("%.2f", ours.Median/best)
		}
		if ok {
			if c.kernel.Op == "gemm" {
				pct = rep.percent(c.kernel.Flops()/ours.Median/1e9, rep.flopLimit.value)
			} else {
				pct = rep.percent(c.kernel.MinBytes()/ours.Median/1e9, rep.byteLimit.value)
			}
		}
		w(" %s | %s |\n", ratio, pct)
	}
	var errs []string
	for _, c := range rep.kernels {
		keys := make([]string, 0, len(c.errs))
		for k := range c.errs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			errs = append(errs, fmt.Sprintf("%s, %s: %s", c.kernel.Name(), k, c.errs[k]))
		}
	}
	for _, e := range errs {
		w("\nFailed: %s\n", e)
	}
}

// kernelRate renders a kernel's rate at a time per call.
func kernelRate(k bench.Kernel, sec float64) string {
	if k.Op == "gemm" {
		return bench.FormatNumber(k.Flops()/sec/1e9) + " GFLOP/s"
	}
	return bench.FormatNumber(k.MinBytes()/sec/1e9) + " GB/s"
}

// plural renders "1 repetition", "5 repetitions".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// verdict renders a relative difference with ✓ or ✗ against tol.
func verdict(d, tol float64) string {
	mark := "✓"
	if !(d <= tol) {
		mark = "✗"
	}
	if d == 0 {
		return "0 " + mark
	}
	return fmt.Sprintf("%.1e %s", d, mark)
}

// rawCase is a case's results for the --json file.
type rawCase struct {
	Case    string                    `json:"case"`
	Reps    map[string][]bench.Result `json:"reps"`
	Check   map[string]*bench.Result  `json:"check,omitempty"`
	Errors  map[string]string         `json:"errors,omitempty"`
	Dropped map[string]string         `json:"dropped,omitempty"`
}

// raw is every result, for --json.
func (rep *report) raw() map[string]any {
	var ws, ks []rawCase
	for _, c := range rep.workloads {
		ws = append(ws, rawCase{c.name, c.reps, c.check, c.errs, c.dropped})
	}
	for _, c := range rep.kernels {
		ks = append(ks, rawCase{c.name, c.reps, nil, c.errs, c.dropped})
	}
	return map[string]any{"date": rep.date, "profile": rep.profile, "machine": rep.machine,
		"flop_limit_gflops": rep.flopLimit.value, "byte_limit_gbs": rep.byteLimit.value,
		"workloads": ws, "kernels": ks}
}
