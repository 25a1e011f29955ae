package main

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cmd/gputrain/internal/sweep"
	"github.com/gputrain/gputrain/nn/job"
)

// sweepRecords reads the trial records of a sweep's --log.
func sweepRecords(t *testing.T, path string) []sweep.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, err := sweep.Read(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return src.Records
}

// trainResult reads the evaluations of a train run's --log result record:
// split name → "loss" and each metric → value.
func trainResult(t *testing.T, path string) map[string]map[string]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var rec struct {
			Type        string `json:"type"`
			Evaluations map[string]struct {
				Loss    float64            `json:"loss"`
				Metrics map[string]float64 `json:"metrics"`
			} `json:"evaluations"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Type != "result" {
			continue
		}
		out := map[string]map[string]float64{}
		for split, ev := range rec.Evaluations {
			m := map[string]float64{"loss": ev.Loss}
			for k, v := range ev.Metrics {
				m[k] = v
			}
			out[split] = m
		}
		return out
	}
	t.Fatalf("%s has no result record", path)
	return nil
}

// TestSweepEqualsSeparateTrainRuns runs a 2 × 2 grid and, for each trial,
// the "gputrain train" command its record names: the leaderboard's values
// must be the separate runs' to 1e-4, and are in fact bit for bit the same
// (the same code path trains both); so are the cross-validated folds.
func TestSweepEqualsSeparateTrainRuns(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name  string
		split []string
		eval  func(run int) string // the train log's evaluation of a sweep run
	}{
		{"validation split", []string{"--val-split", "0.2"}, func(int) string { return "validation" }},
		{"cross-validation", []string{"--cv", "3"}, func(r int) string { return "fold " + string(rune('1'+r)) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			log, plots := filepath.Join(dir, "sweep.jsonl"), filepath.Join(dir, "plots-"+c.split[0])
			args := append([]string{"sweep", "--quiet", "--steps", "60", "--lr", "1e-4,1e-3", "--dropout", "0,0.3", "--log", log, "--plots", plots}, c.split...)
			best := filepath.Join(dir, "best.safetensors")
			if c.split[0] == "--val-split" {
				args = append(args, "--out", best)
			}
			if code, _, stderr := gputrain(t, args...); code != exitOK {
				t.Fatalf("sweep: exit %d: %s", code, stderr)
			}
			for _, chart := range []string{"sweep_lr_loss.png", "sweep_dropout_accuracy.svg"} {
				if _, err := os.Stat(filepath.Join(plots, chart)); err != nil {
					t.Errorf("--plots: %v", err)
				}
			}
			recs := sweepRecords(t, log)
			if len(recs) != 4 {
				t.Fatalf("%d trial records, want 4", len(recs))
			}
			for _, rec := range recs {
				cmd := strings.Fields(rec.Command)
				if len(cmd) < 2 || cmd[0] != "gputrain" || cmd[1] != "train" {
					t.Fatalf("trial %d: command %q", rec.Trial, rec.Command)
				}
				trainLog := filepath.Join(dir, "train.jsonl")
				if code, _, stderr := gputrain(t, append(cmd[1:], "--quiet", "--log", trainLog)...); code != exitOK {
					t.Fatalf("%s: exit %d: %s", rec.Command, code, stderr)
				}
				want := trainResult(t, trainLog)
				if c.split[0] == "--val-split" && rec.Trial == bestTrial(recs) {
					// --out saved the best configuration's model: the one
					// its train command saves.
					alone := filepath.Join(dir, "alone.safetensors")
					if code, _, stderr := gputrain(t, append(cmd[1:], "--quiet", "--out", alone)...); code != exitOK {
						t.Fatalf("%s --out: exit %d: %s", rec.Command, code, stderr)
					}
					a, err1 := job.LoadModel(best)
					b, err2 := job.LoadModel(alone)
					if err1 != nil || err2 != nil || !reflect.DeepEqual(a.Params, b.Params) {
						t.Errorf("--out's model differs from the best trial's train --out (%v, %v)", err1, err2)
					}
				}
				for r, run := range rec.Runs {
					ev, ok := want[c.eval(r)]
					if !ok {
						t.Fatalf("%s: no %s evaluation", rec.Command, c.eval(r))
					}
					for _, v := range run.Values {
						got, w := float64(v.Value), ev[v.Name]
						if math.IsNaN(got) {
							continue
						}
						if math.Abs(got-w) > 1e-4*math.Max(1, math.Abs(w)) {
							t.Fatalf("%s: %s %s %v in the sweep, %v alone", rec.Command, run.Name, v.Name, got, w)
						}
						if got != w {
							t.Errorf("%s: %s %s %v in the sweep, %v alone: not bit for bit", rec.Command, run.Name, v.Name, got, w)
						}
					}
				}
			}
		})
	}
}

// bestTrial is the index of the best of recs.
func bestTrial(recs []sweep.Record) int {
	ranked := append([]sweep.Record(nil), recs...)
	sweep.Rank(ranked)
	return ranked[0].Trial
}

// TestSweepShardsMergeToTheSweep splits a random search over three shards
// (one of them told its share by Slurm's variables) and checks that
// merging their logs gives the unsharded sweep's leaderboard exactly.
func TestSweepShardsMergeToTheSweep(t *testing.T) {
	dir := t.TempDir()
	common := []string{"sweep", "--quiet", "--steps", "30", "--val-split", "0.2", "--restarts", "2",
		"--lr", "1e-5:1e-3:log", "--hidden", "4;8", "--trials", "5", "--seed", "3"}
	code, whole, stderr := gputrain(t, common...)
	if code != exitOK {
		t.Fatalf("sweep: exit %d: %s", code, stderr)
	}
	// Trials spread over several devices (here two CPU devices, on a CPU
	// build all of them is the one CPU) give the same leaderboard.
	for _, devs := range []string{"cpu,cpu", "all"} {
		code, spread, stderr := gputrain(t, append(common, "--device", devs)...)
		if code != exitOK || spread != whole {
			t.Fatalf("--device %s: exit %d: %s\n%s\nwant\n%s", devs, code, stderr, spread, whole)
		}
	}
	var logs []string
	for i, shard := range []string{"0/3", "1/3", "auto"} {
		log := filepath.Join(dir, "shard"+string(rune('0'+i))+".jsonl")
		if shard == "auto" {
			t.Setenv("SLURM_ARRAY_TASK_ID", "12")
			t.Setenv("SLURM_ARRAY_TASK_MIN", "10")
			t.Setenv("SLURM_ARRAY_TASK_COUNT", "3")
		}
		if code, _, stderr := gputrain(t, append(common, "--shard", shard, "--log", log)...); code != exitOK {
			t.Fatalf("shard %s: exit %d: %s", shard, code, stderr)
		}
		logs = append(logs, log)
	}
	code, merged, stderr := gputrain(t, append([]string{"sweep", "merge", "--quiet"}, logs...)...)
	if code != exitOK {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	if merged != whole {
		t.Fatalf("merged shards:\n%s\nthe whole sweep:\n%s", merged, whole)
	}
	if !strings.Contains(whole, "5 of 5 trials") || !strings.Contains(whole, "± ") {
		t.Fatalf("leaderboard:\n%s", whole)
	}
	code, _, stderr = gputrain(t, "sweep", "merge", logs[0], logs[1])
	if code != exitFailure || !strings.Contains(stderr, "1 of the sweep's 5 trials are in none of the files (trials 2)") {
		t.Fatalf("merging two shards of three: exit %d, %q", code, stderr)
	}
}

// TestSweepBadInputIsOneLineExit2 covers the sweep's own bad input: each
// is refused before training, with one line naming the flag or file.
func TestSweepBadInputIsOneLineExit2(t *testing.T) {
	dir := t.TempDir()
	logA, logB := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	for _, c := range []struct {
		log string
		lr  string
	}{{logA, "1e-4"}, {logB, "1e-3"}} {
		if code, _, stderr := gputrain(t, "sweep", "--quiet", "--steps", "1", "--lr", c.lr, "--log", c.log); code != exitOK {
			t.Fatalf("sweep: exit %d: %s", code, stderr)
		}
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"empty range", []string{"--lr", "1e-1:1e-4:log", "--trials", "3"}, `^invalid --lr range "1e-1:1e-4:log": the range is empty \(lo > hi\)$`},
		{"bad list value", []string{"--lr", "0.1,fast"}, `^invalid --lr value "fast": `},
		{"list value out of range", []string{"--dropout", "0,1.5"}, `^trial --dropout 1.5: invalid --dropout: want in \[0, 1\)$`},
		{"bad activation", []string{"--activation", "tanh,swish"}, `^trial --activation swish: .*swish`},
		{"range of a choice", []string{"--optimizer", "a:b", "--trials", "2"}, `^invalid --optimizer range "a:b": this flag takes a list`},
		{"range without trials", []string{"--lr", "1e-4:1e-1:log"}, `^a range needs --trials N`},
		{"trials without range", []string{"--lr", "0.1,0.2", "--trials", "4"}, `^--trials draws random configurations`},
		{"shard beyond count", []string{"--shard", "3/2"}, `^invalid --shard "3/2": want I/N with 0 ≤ I < N`},
		{"shards outside kubernetes", []string{"--shards", "4"}, `^--shards 4 goes with a Kubernetes Indexed Job`},
		{"single-run flag", []string{"--checkpoint-every", "10"}, `^--checkpoint-every is a flag of single runs`},
		{"bad device in a list", []string{"--device", "cpu,gpu"}, `^--device gpu: invalid device "gpu"`},
		{"merge of different sweeps", []string{"merge", logA, logB}, `^.*b\.jsonl holds trials of sweep \w+ \(1 trials\), .*a\.jsonl of sweep \w+ \(1 trials\): shards of different sweeps cannot be merged$`},
		{"merge of no file", []string{"merge"}, `^sweep merge needs the --log files`},
		{"merge of a missing file", []string{"merge", filepath.Join(dir, "none.jsonl")}, `none\.jsonl: no such file or directory$`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := gputrain(t, append([]string{"sweep"}, c.args...)...)
			msg, ok := strings.CutPrefix(stderr, "gputrain: ")
			if code != exitBadInput || !ok || strings.Count(stderr, "\n") != 1 || !regexp.MustCompile(c.want).MatchString(strings.TrimSuffix(msg, "\n")) {
				t.Fatalf("exit %d, stderr %q; want exit 2 and one line matching %s", code, stderr, c.want)
			}
			if stdout != "" {
				t.Errorf("printed before refusing: %q", stdout)
			}
		})
	}
}

// TestSweepGroupsBySharedShapes checks which trials train side by side:
// those differing only in hyper-parameters the device holds per replica,
// grouped in trial order; another width, or restarts, train apart.
func TestSweepGroupsBySharedShapes(t *testing.T) {
	plan := func(args ...string) [][]int {
		t.Helper()
		fs := newFlagSet("sweep", sweepHelp, io.Discard)
		f := &sweepFlags{}
		f.register(fs)
		if err := parse(fs, args); err != nil {
			t.Fatal(err)
		}
		s, err := planSweep(fs, f, func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		var out [][]int
		for _, g := range groupTrials(s.trials, s.experiments) {
			var ids []int
			for _, tr := range g {
				ids = append(ids, tr.Index)
			}
			out = append(out, ids)
		}
		return out
	}
	for _, c := range []struct {
		args []string
		want [][]int
	}{
		{[]string{"--lr", "1e-4,3e-4,1e-3,3e-3", "--weight-decay", "0,1e-3,1e-2", "--dropout", "0,0.2"},
			[][]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}}},
		{[]string{"--lr", "1e-3,1e-2", "--hidden", "10;20", "--momentum", "0,0.9", "--optimizer", "momentum"},
			[][]int{{0, 2, 4, 6}, {1, 3, 5, 7}}},
		{[]string{"--lr", "1e-3,1e-2", "--restarts", "2"}, [][]int{{0}, {1}}},
	} {
		got := plan(c.args...)
		// The grid's order decides which trial has which width: compare
		// the partition's sizes and that each group is in trial order.
		if len(got) != len(c.want) {
			t.Fatalf("%v: groups %v, want %v", c.args, got, c.want)
		}
		for i, g := range got {
			if len(g) != len(c.want[i]) || !sort.IntsAreSorted(g) {
				t.Fatalf("%v: groups %v, want %v", c.args, got, c.want)
			}
		}
	}
}
