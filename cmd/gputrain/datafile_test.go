package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDataFileReading covers files that used to be misread: a headerless
// file whose first label occurs once (all its rows are used, the header
// line says why, and the label line says which column was taken), a
// header without the model's label column at eval (refused, not the last
// feature), and an unterminated quote (reported where it opened).
func TestDataFileReading(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("3.919,2.6909,once\n")
	for i := 1; i < 200; i++ {
		fmt.Fprintf(&b, "%d.5,%d,%s\n", i, i%7, []string{"RB", "NRB"}[i%2])
	}
	headerless := write(t, dir, "headerless.csv", b.String())
	code, stdout, stderr := gputrain(t, "train", "--data", headerless, "--steps", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"data:      " + headerless + ", 200 rows × 2 features\n",
		"header:    none, the first row is data as its cells besides the label are numbers (--header yes to take it as the header)\n",
		"label:     column 3 (\"y\"), the last; choose another with --label NAME or --label NUMBER\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, stdout)
		}
	}
	if _, stdout, _ := gputrain(t, "train", "--data", headerless, "--label", "3", "--steps", "1"); strings.Contains(stdout, "label:") {
		t.Errorf("a named label column is announced as the default:\n%s", stdout)
	}

	model := filepath.Join(dir, "m.safetensors")
	labelled := write(t, dir, "labelled.csv", "a,b,class\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n")
	if code, _, stderr := gputrain(t, "train", "--data", labelled, "--steps", "2", "--quiet", "--out", model); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	other := write(t, dir, "other.csv", "a,b,c\n1,2,3\n3,4,5\n")
	code, _, stderr = gputrain(t, "eval", "--model", model, "--data", other)
	if code != exitBadInput || !strings.Contains(stderr, `the model's label column "class" is not in the file; name the file's label column with --label`) || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("eval without the label column: exit %d: %q", code, stderr)
	}

	b.Reset()
	b.WriteString("a,b,label\n")
	for i := 2; i <= 200; i++ {
		if i == 100 {
			b.WriteString("1,\"2,x\n")
			continue
		}
		fmt.Fprintf(&b, "%d,%d,%s\n", i, i, []string{"x", "y"}[i%2])
	}
	quote := write(t, dir, "quote.csv", b.String())
	code, _, stderr = gputrain(t, "train", "--data", quote)
	if code != exitBadInput || !regexp.MustCompile(`^gputrain: .*quote\.csv:100: CSV syntax error: a quoted field of the row starting here is never closed \(the quote runs on to line \d+\)\n$`).MatchString(stderr) {
		t.Fatalf("unterminated quote: exit %d: %q", code, stderr)
	}
}
