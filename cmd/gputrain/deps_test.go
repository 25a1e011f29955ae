package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestBinaryDoesNotLinkTesting checks that no non-test file the binary
// depends on imports the testing package, which would add its flags and
// code to every gputrain run.
func TestBinaryDoesNotLinkTesting(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the binary's dependencies:", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/gputrain/gputrain/nn") {
		t.Fatalf("go list -deps printed no nn package, so its list cannot be trusted:\n%s", out)
	}
	for _, banned := range []string{"testing", "testing/fstest", "testing/iotest", "testing/quick"} {
		if slices.Contains(deps, banned) {
			t.Errorf("the gputrain binary links %s; find the non-test file that imports it with: go list -f '{{.ImportPath}}: {{.Imports}}' -deps ./cmd/gputrain | grep testing", banned)
		}
	}
}
