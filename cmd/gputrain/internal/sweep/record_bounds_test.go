package sweep

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/metrics"
)

// Each run keeps its seed; runs beyond the seeds given have none.
func TestNewRecordSeeds(t *testing.T) {
	runs := [][]metrics.Value{{{Name: "loss", Value: 1}}, {{Name: "loss", Value: 2}}}
	rec := NewRecord("s", 1, Trial{}, "gputrain train", "validation", []string{"restart 1", "restart 2"}, runs, []uint64{7})
	if len(rec.Runs) != 2 || rec.Runs[0].Seed != 7 || rec.Runs[1].Seed != 0 {
		t.Errorf("runs %+v: want seeds 7 and none", rec.Runs)
	}
}

// Read's bounds: a sweep of one trial, its last trial index, one past it,
// and a record line longer than the scanner's first 64 KiB buffer.
func TestReadBounds(t *testing.T) {
	line := func(trial, trials int, command string) string {
		return fmt.Sprintf(`{"type":"trial","sweep":"s","trials":%d,"trial":%d,"command":%q}`, trials, trial, command) + "\n"
	}
	long := strings.Repeat("x", 100<<10)
	for _, c := range []struct {
		name          string
		trial, trials int
		command       string
		ok            bool
	}{
		{"one trial", 0, 1, "c", true},
		{"last trial", 1, 2, "c", true},
		{"past the last", 2, 2, "c", false},
		{"a 100 KiB line", 0, 1, long, true},
	} {
		src, err := Read(strings.NewReader(line(c.trial, c.trials, c.command)), "log")
		if (err == nil) != c.ok {
			t.Errorf("%s: error %v, want ok %v", c.name, err, c.ok)
			continue
		}
		if c.ok && (len(src.Records) != 1 || src.Records[0].Command != c.command) {
			t.Errorf("%s: %d records", c.name, len(src.Records))
		}
	}
}

// The leaderboard's columns, worked by hand: rank, trial, the swept
// values (an empty one quoted), the split's loss and the first metric as
// mean ± sd (later metrics left out), and the number of runs of the loss
// (not of the metric).
func TestWriteLeaderboardColumns(t *testing.T) {
	stats := func(loss, sd float64, n int) []Stat {
		return []Stat{{Name: "loss", Mean: Num(loss), SD: Num(sd), N: n}, {Name: "roc_auc", Mean: 0.9, SD: 0, N: 1}, {Name: "accuracy", Mean: 0.8, N: n}}
	}
	recs := []Record{
		{Trial: 3, Params: []Assignment{{"lr", "0.1"}}, Split: "validation", Summary: stats(0.25, 0.05, 2)},
		{Trial: 1, Params: []Assignment{{"lr", ""}}, Split: "validation", Summary: stats(0.5, 0, 3)},
	}
	var b bytes.Buffer
	if err := WriteLeaderboard(&b, recs); err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		got = append(got, strings.Fields(l))
	}
	want := [][]string{
		{"rank", "trial", "lr", "validation", "loss", "roc_auc", "n"},
		{"1", "3", "0.1", "0.25", "±", "0.05", "0.9", "±", "0", "2"},
		{"2", "1", `""`, "0.5", "±", "0", "0.9", "±", "0", "3"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("leaderboard\n%s\nfields %q\nwant %q", b.String(), got, want)
	}
}
