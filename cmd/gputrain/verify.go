package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/nn"
)

const verifyHelp = `Usage: gputrain verify [--steps N] [training flags]

Trains the same network for N steps on every device this build can open,
from the same initial parameters with the same minibatches, dropout masks
and learning rates, and in float64 with gputrain's independent reference
implementation; then reports, for every parameter tensor, the largest
absolute and relative difference of each device from the float64 reference
(and, with several devices, from the first device). It exits with status 1
if any element differs by more than the tolerance, |Δ| ≤ atol + rtol·|ref|.

The network, data and optimizer flags are those of "gputrain train"
(default: the workshop network on the embedded biodeg data, all rows).

Examples:
  gputrain verify
  gputrain verify --steps 200 --optimizer adam --lr 1e-3 --batch-size 64 --dropout 0.2
`

// Training flags that have no meaning for verify.
var verifyRejected = []string{"val-split", "test-split", "cv", "threshold", "out", "print-every", "quiet", "epochs", "device", "detect-anomaly"}

func verifyCommand(args []string, stdout io.Writer) error {
	fs := newFlagSet("verify", verifyHelp, stdout)
	var f trainFlags
	f.register(fs)
	var rtol, atol float64
	fs.Float64Var(&rtol, "rtol", nn.DefaultTolerance.RTol, "relative tolerance")
	fs.Float64Var(&atol, "atol", nn.DefaultTolerance.ATol, "absolute tolerance")
	fs.Lookup("steps").DefValue = "100"
	f.steps = 100
	fs.Lookup("steps").Usage = "updates to train on each device"
	for _, name := range verifyRejected {
		fs.MarkHidden(name)
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	for _, name := range verifyRejected {
		if fs.Changed(name) {
			return usageError{fmt.Errorf("--%s does not apply to gputrain verify (it trains --steps updates on every device)", name)}
		}
	}
	if !(rtol >= 0) || !(atol >= 0) || rtol+atol == 0 {
		return usageError{errors.New("invalid --rtol/--atol: want non-negative numbers, not both 0")}
	}
	tol := nn.Tolerance{RTol: rtol, ATol: atol}
	exp, err := f.experiment(fs)
	if err != nil {
		return err
	}
	ds, err := f.loadLabelled()
	if err != nil {
		return err
	}
	if ds.NeedsPrep() {
		return usageError{fmt.Errorf("%s has text or missing cells: verify compares devices on numeric data without gaps", ds.Source)}
	}
	cfg, x, y, n, err := exp.VerifyConfig(ds, f.steps)
	if err != nil {
		return err
	}
	var devs []device.Device
	defer func() {
		for _, d := range devs {
			d.Close()
		}
	}()
	var skipped []string
	for _, kind := range device.Kinds() {
		list, err := device.List(kind)
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("%s: unavailable: %v", kind, err))
			continue
		}
		for i := range list {
			spec := kind
			if len(list) > 1 {
				spec = fmt.Sprintf("%s:%d", kind, i)
			}
			d, err := device.Open(spec)
			if err != nil {
				skipped = append(skipped, fmt.Sprintf("%s: cannot open: %v", spec, err))
				continue
			}
			devs = append(devs, d)
		}
	}
	if len(devs) == 0 {
		return fmt.Errorf("verify: no device opens (%s)", strings.Join(skipped, "; "))
	}
	batch := "full batch"
	if cfg.BatchSize > 0 && cfg.BatchSize < n {
		batch = fmt.Sprintf("batch %d", cfg.BatchSize)
	}
	fmt.Fprintf(stdout, "verify:    %d steps of %s (lr %g, %s, dropout %g) on %s, %d rows of %s, seed %d\n",
		cfg.Steps, cfg.Optim.Kind, cfg.Optim.LR, batch, cfg.Dropout, cfg.Arch, n, ds.Source, cfg.Seed)
	fmt.Fprintf(stdout, "tolerance: %s\n", tol)
	for _, s := range skipped {
		fmt.Fprintf(stdout, "skipped:   %s\n", s)
	}
	res, err := nn.Verify(devs, cfg, x, y, n, tol)
	if err != nil {
		return err
	}
	var failed []string
	for _, c := range res {
		fmt.Fprintf(stdout, "\n%s against the %s:\n", c.Name, c.Baseline)
		if c.Baseline == nn.ReferenceName {
			fmt.Fprintf(stdout, "  (%s)\n", c.Describe)
		}
		fmt.Fprintf(stdout, "  %-18s %12s %18s %10s\n", "tensor", "max |Δ|", "max |Δ|/max|ref|", "of tol")
		for _, d := range c.Diffs {
			mark := "ok"
			if !d.OK() {
				mark = "FAIL"
			}
			fmt.Fprintf(stdout, "  %-18s %12.3g %18.3g %10.3g  %s\n", d.Name, d.MaxAbs, d.MaxRel, d.Excess, mark)
		}
		if len(c.Diffs) == 0 {
			failed = append(failed, fmt.Sprintf("%s: no tensor was compared with the %s", c.Name, c.Baseline))
		} else if !c.OK() {
			w := c.Worst()
			failed = append(failed, fmt.Sprintf("%s differs from the %s in %s by up to %.3g (%.3g times the tolerance)", c.Name, c.Baseline, w.Name, w.MaxAbs, w.Excess))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("verify failed: %s", strings.Join(failed, "; "))
	}
	fmt.Fprintf(stdout, "\nverify OK: every tensor on every device is within the tolerance\n")
	return nil
}
