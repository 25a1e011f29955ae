// Command ptxcost turns the PTX interpreter's cost report (PTXEMU_PROFILE,
// one JSON line per launch) into the cost of one training step and a
// roofline ESTIMATE of its time on an H100 (67 TFLOP/s FP32, 3.35 TB/s,
// 132 SMs). Nothing here is measured on a GPU.
//
//	ptxcost BASE.jsonl MORE.jsonl
//
// BASE and MORE are profiles of the same run with S and S+1 steps: their
// difference is exactly one step, whatever the set-up launches were.
//
// The estimate per launch is max(flops / (peak·min(1, blocks/132)),
// 32·sectors / bandwidth): every global sector is counted as DRAM traffic
// (no cache), and a grid of fewer blocks than SMs gets that share of the
// arithmetic peak. Launch latency (a few µs per launch) is not included.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"text/tabwriter"
)

const (
	peakFlops = 67e12
	peakBytes = 3.35e12
	sms       = 132
)

// launch is one line of the interpreter's profile.
type launch struct {
	Kernel       string            `json:"kernel"`
	Grid         [3]int            `json:"grid"`
	Instructions map[string]uint64 `json:"instructions"`
	Flops        float64           `json:"flops"`
	LoadSectors  float64           `json:"global_load_sectors"`
	StoreSectors float64           `json:"global_store_sectors"`
	Conflicts    float64           `json:"shared_bank_conflicts"`
	Barriers     float64           `json:"barriers"`
}

// cost is a sum of launches of one kernel.
type cost struct {
	launches, instructions, flops, sectors, conflicts, barriers, seconds float64
}

func (c *cost) add(l launch, sign float64) {
	blocks := float64(l.Grid[0] * l.Grid[1] * l.Grid[2])
	bytes := 32 * (l.LoadSectors + l.StoreSectors)
	t := max(l.Flops/(peakFlops*min(1, blocks/sms)), bytes/peakBytes)
	c.launches += sign
	c.instructions += sign * float64(l.Instructions["total"])
	c.flops += sign * l.Flops
	c.sectors += sign * (l.LoadSectors + l.StoreSectors)
	c.conflicts += sign * l.Conflicts
	c.barriers += sign * l.Barriers
	c.seconds += sign * t
}

func read(path string) ([]launch, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []launch
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var l launch
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, line, err)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// step returns the per-kernel cost of more minus base.
func step(base, more []launch) map[string]*cost {
	m := map[string]*cost{}
	for i, ls := range [][]launch{more, base} {
		for _, l := range ls {
			if m[l.Kernel] == nil {
				m[l.Kernel] = &cost{}
			}
			m[l.Kernel].add(l, 1-2*float64(i))
		}
	}
	for k, c := range m {
		if c.launches == 0 {
			delete(m, k)
		}
	}
	return m
}

func write(w io.Writer, m map[string]*cost) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return m[names[i]].seconds > m[names[j]].seconds })
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kernel\tlaunches\tthread instructions\tMFLOP\tglobal sectors (32 B)\tbank conflicts\tbarriers\tH100 estimate µs\t")
	var total cost
	for _, k := range names {
		c := m[k]
		row(tw, k, c)
		total.launches += c.launches
		total.instructions += c.instructions
		total.flops += c.flops
		total.sectors += c.sectors
		total.conflicts += c.conflicts
		total.barriers += c.barriers
		total.seconds += c.seconds
	}
	row(tw, "step total", &total)
	tw.Flush()
	fmt.Fprintf(w, "ESTIMATE (roofline, not measured): %.2f µs of kernel time per step on an H100, plus ~%.0f launches' latency;\n",
		total.seconds*1e6, total.launches)
	fmt.Fprintf(w, "arithmetic intensity %.2f flop per DRAM byte (the H100's balance point is %.0f).\n",
		total.flops/(32*total.sectors), peakFlops/peakBytes)
}

func row(w io.Writer, name string, c *cost) {
	fmt.Fprintf(w, "%s\t%.0f\t%.4g\t%.3f\t%.0f\t%.0f\t%.0f\t%.2f\t\n", name, c.launches, c.instructions, c.flops/1e6,
		c.sectors, c.conflicts, c.barriers, c.seconds*1e6)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: ptxcost BASE.jsonl MORE.jsonl (profiles of S and S+1 steps)")
		os.Exit(2)
	}
	base, err := read(os.Args[1])
	if err == nil {
		var more []launch
		more, err = read(os.Args[2])
		if err == nil {
			write(os.Stdout, step(base, more))
			return
		}
	}
	fmt.Fprintln(os.Stderr, "ptxcost:", err)
	os.Exit(2)
}
