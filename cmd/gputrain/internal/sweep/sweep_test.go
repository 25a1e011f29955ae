package sweep

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/metrics"
)

func mustParam(t *testing.T, flag string, occ []string, kind Kind, sep string) Param {
	t.Helper()
	p, err := ParseParam(flag, occ, kind, sep)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The grid is the cross product with the last flag varying fastest, and
// repeated flags and ";" lists add values.
func TestGridOrder(t *testing.T) {
	plan := Plan{Params: []Param{
		mustParam(t, "lr", []string{"0.1,0.3", "1"}, Real, ","),
		mustParam(t, "hidden", []string{"20;64,32"}, Integer, ";"),
	}}
	trials, err := plan.Expand()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, tr := range trials {
		if tr.Index != i {
			t.Fatalf("trial %d has index %d", i, tr.Index)
		}
		got = append(got, tr.String())
	}
	want := []string{
		"--lr 0.1 --hidden 20", "--lr 0.1 --hidden 64,32",
		"--lr 0.3 --hidden 20", "--lr 0.3 --hidden 64,32",
		"--lr 1 --hidden 20", "--lr 1 --hidden 64,32",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("grid %q, want %q", got, want)
	}
}

// Random draws stay in their ranges (log ranges cover their decades,
// integer ranges give whole numbers including both ends), are the same for
// the same seed and differ for another.
func TestRandomDraws(t *testing.T) {
	plan := Plan{Trials: 400, Seed: 7, Params: []Param{
		mustParam(t, "lr", []string{"1e-4:1e-1:log"}, Real, ","),
		mustParam(t, "batch-size", []string{"1:4"}, Integer, ","),
		mustParam(t, "activation", []string{"tanh,relu"}, Choice, ","),
	}}
	a, err := plan.Expand()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := plan.Expand()
	decades := map[int]bool{}
	batches := map[string]bool{}
	acts := map[string]bool{}
	for i, tr := range a {
		if tr.String() != b[i].String() {
			t.Fatalf("trial %d drawn as %s, then as %s", i, tr, b[i])
		}
		lr, err := strconv.ParseFloat(tr.Values[0].Value, 64)
		if err != nil || lr < 1e-4 || lr > 1e-1 {
			t.Fatalf("lr %q outside 1e-4:1e-1", tr.Values[0].Value)
		}
		decades[int(math.Floor(math.Log10(lr)))] = true
		batches[tr.Values[1].Value] = true
		acts[tr.Values[2].Value] = true
	}
	if len(decades) != 3 || len(batches) != 4 || len(acts) != 2 {
		t.Fatalf("draws cover decades %v, batch sizes %v, activations %v", decades, batches, acts)
	}
	plan.Seed = 8
	c, _ := plan.Expand()
	if c[0].String() == a[0].String() && c[1].String() == a[1].String() {
		t.Fatal("another seed drew the same trials")
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		occ  []string
		kind Kind
		want string
	}{
		{[]string{"0.1:0.01"}, Real, "the range is empty"},
		{[]string{"0:1:log"}, Real, "a log range needs lo > 0"},
		{[]string{"1:x"}, Real, "hi is not a number"},
		{[]string{"1:2:3"}, Real, "log or lin"},
		{[]string{"1.5:4"}, Integer, "whole numbers"},
		{[]string{"1:1e10"}, Integer, "whole numbers"},
		{[]string{"1:4"}, Choice, "takes a list"},
		{[]string{"0.1,,0.2"}, Real, "an empty value"},
		{[]string{"0.1", "1:2"}, Real, "cannot be combined"},
	}
	for _, c := range cases {
		_, err := ParseParam("lr", c.occ, c.kind, ",")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "--lr") {
			t.Errorf("%q: error %v, want one naming --lr and saying %q", c.occ, err, c.want)
		}
	}
	if _, err := (Plan{Trials: 3, Params: []Param{mustParam(t, "lr", []string{"1,2"}, Real, ",")}}).Expand(); err == nil {
		t.Error("--trials without a range was accepted")
	}
	if _, err := (Plan{Params: []Param{mustParam(t, "lr", []string{"1:2"}, Real, ",")}}).Expand(); err == nil {
		t.Error("a range without --trials was accepted")
	}
}

// Every trial belongs to exactly one shard.
func TestShards(t *testing.T) {
	for _, bad := range []string{"3/2", "2/2", "-1/2", "0/0", "1", "a/b"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("--shard %s accepted", bad)
		}
	}
	for text, want := range map[string]Shard{"1/3": {1, 3}, "0/3": {0, 3}, "0/1": {0, 1}, " 2 / 3 ": {2, 3}} {
		if s, err := ParseShard(text); err != nil || s != want {
			t.Fatalf("ParseShard(%q) = %v, %v; want %v", text, s, err, want)
		}
	}
	for i := 0; i < 10; i++ {
		owners := 0
		for k := 0; k < 3; k++ {
			if (Shard{k, 3}).Owns(i) {
				owners++
			}
		}
		if owners != 1 {
			t.Fatalf("trial %d has %d shards", i, owners)
		}
	}
}

func TestShardFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	cases := []struct {
		env   func(string) string
		count int
		want  Shard
		err   string
	}{
		{env(), 0, All, ""},
		{env("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_COUNT", "4"), 0, Shard{2, 4}, ""},
		{env("SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "1"), 0, Shard{2, 4}, ""},
		{env("SLURM_ARRAY_TASK_ID", "8", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "0"), 0, Shard{}, "dense array such as --array=0-3"},
		// The first and last task of an array starting at 1, and tasks
		// just outside it.
		{env("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "1"), 0, Shard{0, 4}, ""},
		{env("SLURM_ARRAY_TASK_ID", "4", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "1"), 0, Shard{3, 4}, ""},
		{env("SLURM_ARRAY_TASK_ID", "0", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "1"), 0, Shard{}, "dense array"},
		{env("SLURM_ARRAY_TASK_ID", "5", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "1"), 0, Shard{}, "dense array"},
		{env("JOB_COMPLETION_INDEX", "0"), 1, Shard{0, 1}, ""},
		{env("JOB_COMPLETION_INDEX", "0"), 3, Shard{0, 3}, ""},
		{env("JOB_COMPLETION_INDEX", "1"), 3, Shard{1, 3}, ""},
		{env("JOB_COMPLETION_INDEX", "1"), 0, Shard{}, "give --shards N"},
		{env("JOB_COMPLETION_INDEX", "3"), 3, Shard{}, "not below --shards 3"},
		{env(), 3, Shard{}, "JOB_COMPLETION_INDEX"},
	}
	for i, c := range cases {
		s, _, err := FromEnv(c.env, c.count)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("case %d: error %v, want %q", i, err, c.err)
			}
			continue
		}
		if err != nil || s != c.want {
			t.Errorf("case %d: %v, %v; want %v", i, s, err, c.want)
		}
	}
}

func record(sweep string, trials, trial int, loss float64) Record {
	runs := [][]metrics.Value{{{Name: "loss", Value: loss}, {Name: "roc_auc", Value: math.NaN()}}}
	return NewRecord(sweep, trials, Trial{Index: trial, Values: []Assignment{{"lr", strconv.Itoa(trial)}}}, "gputrain train", "validation", []string{"restart 1"}, runs, []uint64{1})
}

// Records survive JSON exactly (a NaN metric included), and the shards'
// records merge into the whole sweep's leaderboard.
func TestRecordsMergeAndRank(t *testing.T) {
	var shard0, shard1 bytes.Buffer
	for i := 0; i < 4; i++ {
		rec := record("abc", 4, i, 1/float64(i+3))
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		w := &shard0
		if i%2 == 1 {
			w = &shard1
		}
		w.Write(append(b, '\n'))
		if i == 0 {
			w.WriteString(`{"type":"sweep","sweep":"abc","trials":4}` + "\n")
		}
	}
	var sources []Source
	for name, buf := range map[string]*bytes.Buffer{"0.jsonl": &shard0, "1.jsonl": &shard1} {
		src, err := Read(buf, name)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, src)
	}
	recs, missing, err := Merge(sources)
	if err != nil || len(missing) != 0 || len(recs) != 4 {
		t.Fatalf("merge: %d records, missing %v, %v", len(recs), missing, err)
	}
	for i, r := range recs {
		if r.Trial != i || r.Loss() != 1/float64(i+3) || !math.IsNaN(float64(r.Summary[1].Mean)) {
			t.Fatalf("record %d read back as trial %d loss %v, %v", i, r.Trial, r.Loss(), r.Summary[1].Mean)
		}
	}
	Rank(recs)
	if recs[0].Trial != 3 || recs[3].Trial != 0 {
		t.Fatalf("ranked trials %d…%d, want 3…0", recs[0].Trial, recs[3].Trial)
	}
	var table bytes.Buffer
	if err := WriteLeaderboard(&table, recs); err != nil || !strings.Contains(table.String(), "validation loss") {
		t.Fatalf("leaderboard %q, %v", table.String(), err)
	}

	other := Source{"other.jsonl", "xyz", 4, []Record{record("xyz", 4, 1, 0.5)}}
	if _, _, err := Merge(append(sources, other)); err == nil || !strings.Contains(err.Error(), "different sweeps") {
		t.Fatalf("merging another sweep: %v", err)
	}
	changed := Source{"again.jsonl", "abc", 4, []Record{record("abc", 4, 1, 0.9)}}
	if _, _, err := Merge(append(sources, changed)); err == nil || !strings.Contains(err.Error(), "different results") {
		t.Fatalf("merging a trial with another result: %v", err)
	}
	_, missing, err = Merge(sources[:1])
	if err != nil || len(missing) != 2 {
		t.Fatalf("one shard of two: missing %v, %v", missing, err)
	}
	if _, err := Read(strings.NewReader("{not json\n"), "bad.jsonl"); err == nil || !strings.Contains(err.Error(), "bad.jsonl line 1") {
		t.Fatalf("reading a damaged file: %v", err)
	}
	// A shard that ran no trial names its sweep in its header: merged with
	// the others it adds nothing, with another sweep's it is refused.
	empty, err := Read(strings.NewReader(`{"type":"sweep","sweep":"abc","trials":4}`+"\n"), "empty.jsonl")
	if err != nil || empty.Sweep != "abc" || len(empty.Records) != 0 {
		t.Fatalf("reading a shard without trials: %+v, %v", empty, err)
	}
	if recs, missing, err := Merge(append(sources, empty)); err != nil || len(recs) != 4 || len(missing) != 0 {
		t.Fatalf("merging a shard without trials: %d records, missing %v, %v", len(recs), missing, err)
	}
	empty.Sweep = "xyz"
	if _, _, err := Merge(append(sources, empty)); err == nil || !strings.Contains(err.Error(), "empty.jsonl holds trials of sweep xyz") {
		t.Fatalf("merging another sweep's empty shard: %v", err)
	}
	if _, err := Read(strings.NewReader(`{"type":"sweep","sweep":"abc","trials":4}`+"\n"+`{"type":"sweep","sweep":"abd","trials":4}`+"\n"), "mixed.jsonl"); err == nil || !strings.Contains(err.Error(), "mixed.jsonl line 2") {
		t.Fatalf("reading a file of two sweeps: %v", err)
	}
	if _, _, err := Merge([]Source{{Name: "other.log"}}); err == nil || !strings.Contains(err.Error(), "not the --log of a gputrain sweep") {
		t.Fatalf("merging a file of no sweep: %v", err)
	}
}

// A fingerprint depends on every setting and the data, not on map order.
func TestFingerprint(t *testing.T) {
	a := Fingerprint(map[string]string{"lr": "0.1", "seed": "1"}, "d")
	if a != Fingerprint(map[string]string{"seed": "1", "lr": "0.1"}, "d") {
		t.Fatal("fingerprint depends on map order")
	}
	if a == Fingerprint(map[string]string{"lr": "0.1", "seed": "2"}, "d") || a == Fingerprint(map[string]string{"lr": "0.1", "seed": "1"}, "e") {
		t.Fatal("fingerprint ignores a setting or the data")
	}
}
