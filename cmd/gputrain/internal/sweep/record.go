package sweep

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/gputrain/gputrain/metrics"
)

// Fingerprint identifies a sweep: a hash of what decides its trials and
// their results (every setting, in a canonical order, and the data's
// hash). Shards of one sweep share it; merge refuses records that do not.
func Fingerprint(settings map[string]string, dataHash string) string {
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%q=%q\n", k, settings[k])
	}
	fmt.Fprintf(h, "data=%s\n", dataHash)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Num is a float64 that JSON holds as null when it is not finite (the
// ROC-AUC of a split with one class is NaN), and reads back exactly.
type Num float64

// MarshalJSON writes the shortest decimal that reads back as the same
// float64, or null.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return []byte(strconv.FormatFloat(f, 'g', -1, 64)), nil
}

// UnmarshalJSON reads a number, or null as NaN.
func (n *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Num(math.NaN())
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	*n = Num(f)
	return err
}

// Stat is one metric's mean ± sd over a trial's runs (restarts, folds).
type Stat struct {
	Name string `json:"name"`
	Mean Num    `json:"mean"`
	SD   Num    `json:"sd"`
	Min  Num    `json:"min"`
	Max  Num    `json:"max"`
	N    int    `json:"n"`
}

// Run is one trained network's evaluation in a trial: a restart, a fold,
// or a fold's restart.
type Run struct {
	Name   string  `json:"name"`
	Seed   uint64  `json:"seed,omitempty"` // the restart's seed (not set for folds)
	Values []Value `json:"values"`         // the loss first, then the metrics
}

// Value is one named metric of a run.
type Value struct {
	Name  string `json:"name"`
	Value Num    `json:"value"`
}

// Record is one finished trial as --log writes it (a JSON Lines record
// of type "trial"): the sweep it belongs to, the swept values, the split
// it was judged on and each metric's summary over its runs.
type Record struct {
	Type    string       `json:"type"` // "trial"
	Sweep   string       `json:"sweep"`
	Trials  int          `json:"trials"` // in the whole sweep
	Trial   int          `json:"trial"`  // 0-based
	Params  []Assignment `json:"params"`
	Command string       `json:"command"` // the gputrain train command line of the trial
	Split   string       `json:"split"`   // validation, cross-validation or train
	Summary []Stat       `json:"summary"` // the loss first, then the task's metrics
	Runs    []Run        `json:"runs"`
	Elapsed float64      `json:"elapsed_s"`
}

// TrialType is the type field of a trial record.
const TrialType = "trial"

// NewRecord summarises a trial's runs; runs[i] is one network's loss and
// metrics (the loss first, named "loss").
func NewRecord(sweep string, trials int, t Trial, command, split string, names []string, runs [][]metrics.Value, seeds []uint64) Record {
	rec := Record{Type: TrialType, Sweep: sweep, Trials: trials, Trial: t.Index, Params: t.Values, Command: command, Split: split}
	for _, s := range metrics.Summarize(runs) {
		rec.Summary = append(rec.Summary, Stat{Name: s.Name, Mean: Num(s.Mean), SD: Num(s.SD), Min: Num(s.Min), Max: Num(s.Max), N: s.N})
	}
	for i, vals := range runs {
		run := Run{Name: names[i]}
		if i < len(seeds) {
			run.Seed = seeds[i]
		}
		for _, v := range vals {
			run.Values = append(run.Values, Value{Name: v.Name, Value: Num(v.Value)})
		}
		rec.Runs = append(rec.Runs, run)
	}
	return rec
}

// Loss is the mean loss the leaderboard ranks by (+Inf when missing or
// not finite, so that a diverged trial ranks last).
func (r Record) Loss() float64 {
	if len(r.Summary) == 0 || r.Summary[0].Name != "loss" {
		return math.Inf(1)
	}
	v := float64(r.Summary[0].Mean)
	if math.IsNaN(v) {
		return math.Inf(1)
	}
	return v
}

// Better reports whether a ranks before b: the lower mean loss, then the
// lower trial index, so that every run of the same sweep ranks alike.
func Better(a, b Record) bool {
	if c := cmp.Compare(a.Loss(), b.Loss()); c != 0 {
		return c < 0
	}
	return a.Trial < b.Trial
}

// Rank sorts records best first.
func Rank(recs []Record) {
	slices.SortStableFunc(recs, func(a, b Record) int {
		if Better(a, b) {
			return -1
		}
		if Better(b, a) {
			return 1
		}
		return 0
	})
}

// HeaderType is the type field of the record a sweep's --log starts
// with: it names the sweep (fields sweep and trials, as in a Record) before
// any trial finishes, so that a shard that ran no trial still says which
// sweep it belongs to.
const HeaderType = "sweep"

// Source is one --log file of a sweep: the sweep it belongs to and its
// trial records.
type Source struct {
	Name    string
	Sweep   string // the fingerprint; "" for a file with neither header nor trial
	Trials  int    // in the whole sweep
	Records []Record
}

// Read reads a --log file: its header and trial records (other records are
// skipped). A file whose records name different sweeps is refused. name is
// the file's name for errors.
func Read(r io.Reader, name string) (Source, error) {
	src := Source{Name: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	for line := 1; sc.Scan(); line++ {
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var head struct {
			Type   string `json:"type"`
			Sweep  string `json:"sweep"`
			Trials int    `json:"trials"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			return src, fmt.Errorf("%s line %d: not a JSON record: %v", name, line, err)
		}
		if head.Type != TrialType && head.Type != HeaderType {
			continue
		}
		if head.Sweep == "" || head.Trials < 1 {
			return src, fmt.Errorf("%s line %d: a %s record without its sweep and number of trials", name, line, head.Type)
		}
		if src.Sweep == "" {
			src.Sweep, src.Trials = head.Sweep, head.Trials
		} else if head.Sweep != src.Sweep || head.Trials != src.Trials {
			return src, fmt.Errorf("%s line %d: a record of sweep %s (%d trials) in a file of sweep %s (%d trials)", name, line, head.Sweep, head.Trials, src.Sweep, src.Trials)
		}
		if head.Type == HeaderType {
			continue
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil {
			return src, fmt.Errorf("%s line %d: not a trial record: %v", name, line, err)
		}
		if rec.Trial < 0 || rec.Trial >= rec.Trials {
			return src, fmt.Errorf("%s line %d: trial %d of a sweep of %d trials", name, line, rec.Trial, rec.Trials)
		}
		src.Records = append(src.Records, rec)
	}
	if err := sc.Err(); err != nil {
		return src, fmt.Errorf("%s: %v", name, err)
	}
	return src, nil
}

// Merge joins the records of a sweep's shards. It refuses files of
// different sweeps and one trial recorded twice with different results;
// it returns the records in trial order and the indices of the trials no
// file holds.
func Merge(sources []Source) (recs []Record, missing []int, err error) {
	var first *Source
	for i := range sources {
		src := &sources[i]
		if src.Sweep == "" {
			return nil, nil, fmt.Errorf("%s: not the --log of a gputrain sweep (no sweep or trial record)", src.Name)
		}
		if first == nil {
			first = src
		} else if src.Sweep != first.Sweep || src.Trials != first.Trials {
			return nil, nil, fmt.Errorf("%s holds trials of sweep %s (%d trials), %s of sweep %s (%d trials): shards of different sweeps cannot be merged", src.Name, src.Sweep, src.Trials, first.Name, first.Sweep, first.Trials)
		}
	}
	if first == nil {
		return nil, nil, fmt.Errorf("no --log file to merge")
	}
	byTrial := map[int]Record{}
	from := map[int]string{}
	for _, src := range sources {
		for _, r := range src.Records {
			if prev, ok := byTrial[r.Trial]; ok {
				if !sameResult(prev, r) {
					return nil, nil, fmt.Errorf("trial %d is in %s and in %s with different results", r.Trial, from[r.Trial], src.Name)
				}
				continue
			}
			byTrial[r.Trial], from[r.Trial] = r, src.Name
		}
	}
	for i := 0; i < first.Trials; i++ {
		r, ok := byTrial[i]
		if !ok {
			missing = append(missing, i)
			continue
		}
		recs = append(recs, r)
	}
	return recs, missing, nil
}

// sameResult reports whether two records of one trial agree (a shard run
// twice: the elapsed time may differ, nothing else).
func sameResult(a, b Record) bool {
	a.Elapsed, b.Elapsed = 0, 0
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// WriteLeaderboard writes the records best first as a table: rank, trial,
// the swept values, and the loss and the task's first metric as mean ± sd
// over each trial's runs. recs must be ranked (see Rank).
func WriteLeaderboard(w io.Writer, recs []Record) error {
	if len(recs) == 0 {
		_, err := fmt.Fprintln(w, "no trials")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	metric := ""
	if len(recs[0].Summary) > 1 {
		metric = recs[0].Summary[1].Name
	}
	head := []string{"rank", "trial"}
	for _, a := range recs[0].Params {
		head = append(head, a.Flag)
	}
	head = append(head, recs[0].Split+" loss")
	if metric != "" {
		head = append(head, metric)
	}
	head = append(head, "n")
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for i, r := range recs {
		row := []string{strconv.Itoa(i + 1), strconv.Itoa(r.Trial)}
		for _, a := range r.Params {
			v := a.Value
			if v == "" {
				v = `""`
			}
			row = append(row, v)
		}
		n := 0
		for k, s := range r.Summary {
			if k > 1 {
				break
			}
			row = append(row, fmt.Sprintf("%.6g ± %.3g", float64(s.Mean), float64(s.SD)))
			if k == 0 {
				n = s.N
			}
		}
		row = append(row, strconv.Itoa(n))
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	return tw.Flush()
}
