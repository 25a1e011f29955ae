package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gputrain/gputrain/bench"
)

func TestParseResults(t *testing.T) {
	out := "workload: ignored text\n" +
		`{"impl":"gputrain","device":"cpu","kind":"train","case":"w1","steps":4,"block":2,"seconds":{"n":1,"median":0.002},"final_loss":0.5,"batch":1055}` + "\n" +
		`{"impl":"gputrain","kind":"kernel","case":"gemm 8x8x8","seconds":{"n":2,"median":1e-6}}` + "\n"
	rs, err := parseResults(out)
	if err != nil || len(rs) != 2 {
		t.Fatalf("%v, %v", rs, err)
	}
	if rs[0].Case != "w1" || rs[0].Seconds.Median != 0.002 || rs[0].FinalLoss != 0.5 || rs[1].Kind != "kernel" {
		t.Fatalf("%+v", rs)
	}
	if _, err := parseResults("no json here\n"); err == nil {
		t.Fatal("no result lines accepted")
	}
	if _, err := parseResults("{not json\n"); err == nil {
		t.Fatal("broken JSON accepted")
	}
}

func TestReadyAndAnswers(t *testing.T) {
	r, err := parseReady(`{"ready":true,"impl":"torch","version":"2.11","describe":"torch 2.11","variants":["eager","cuda-graph"]}`)
	if err != nil || !r.Ready || r.Impl != "torch" || len(r.Variants) != 2 {
		t.Fatalf("%+v, %v", r, err)
	}
	r, err = parseReady(`{"ready":false,"error":"ModuleNotFoundError: No module named 'jax'"}`)
	if err != nil || r.Ready || !strings.Contains(r.Error, "jax") {
		t.Fatalf("%+v, %v", r, err)
	}
	if r, _ := parseReady(`{"ready":false}`); r.Error == "" {
		t.Fatal("a not-ready line without a reason has no error")
	}
	if _, err := parseReady("Traceback (most recent call last):"); err == nil {
		t.Fatal("garbage accepted as a ready line")
	}
	var x bench.Result
	if err := decodeAnswer(`{"error":"ValueError: boom"}`, &x); err == nil || err.Error() != "ValueError: boom" {
		t.Fatalf("error answer: %v", err)
	}
	if err := decodeAnswer(`{"impl":"numpy","final_loss":1.5}`, &x); err != nil || x.Impl != "numpy" || x.FinalLoss != 1.5 {
		t.Fatalf("%+v, %v", x, err)
	}
	if err := decodeAnswer(`oops`, &x); err == nil {
		t.Fatal("garbage answer accepted")
	}
}

func TestRefEnv(t *testing.T) {
	env := refEnv([]string{"PATH=/bin", "OPENBLAS_CORETYPE=Haswell", "OPENBLAS_L2_SIZE=1048576", "OMP_NUM_THREADS=8"}, "OMP_NUM_THREADS=1")
	want := []string{"PATH=/bin", "PYTHONDONTWRITEBYTECODE=1", "OMP_NUM_THREADS=1"}
	if !slices.Equal(env, want) {
		t.Fatalf("got %v, want %v", env, want)
	}
}

// fakeServer writes a shell script that behaves like a reference server.
func fakeServer(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fake.sh")
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestServerProtocol(t *testing.T) {
	script := fakeServer(t, `echo '{"ready":true,"impl":"fake","version":"1","describe":"a fake"}'
while read -r line; do
  case "$line" in
    *w1*) echo '{"impl":"fake","kind":"train","case":"w1","steps":4,"block":2,"seconds":{"n":1,"median":0.25},"final_loss":0.75}' ;;
    *) echo '{"error":"ValueError: no such case"}' ;;
  esac
done
`)
	log := filepath.Join(t.TempDir(), "fake.log")
	s, err := startServer("fake", "/bin/sh", script, nil, os.Environ(), log, 10*time.Second)
	if err != nil || !s.ready.Ready {
		t.Fatalf("%+v, %v", s, err)
	}
	defer s.stop(stopGrace)
	var x bench.Result
	if err := s.do(request{Kind: "train", Case: "w1", Steps: 4, Block: 2}, 10*time.Second, &x); err != nil || x.FinalLoss != 0.75 {
		t.Fatalf("%+v, %v", x, err)
	}
	if err := s.do(request{Kind: "train", Case: "w2"}, 10*time.Second, &x); err == nil || !strings.Contains(err.Error(), "no such case") {
		t.Fatalf("error answer: %v", err)
	}

	notReady := fakeServer(t, `echo '{"ready":false,"error":"ImportError: no jax"}'`)
	s2, err := startServer("jax", "/bin/sh", notReady, nil, os.Environ(), log, 10*time.Second)
	if err != nil || s2.ready.Ready || !strings.Contains(s2.ready.Error, "no jax") {
		t.Fatalf("%+v, %v", s2.ready, err)
	}
	if err := s2.do(request{Kind: "train"}, time.Second, &x); err == nil {
		t.Fatal("a request to a server that is not ready succeeded")
	}

	dies := fakeServer(t, `exit 3`)
	s3, err := startServer("dies", "/bin/sh", dies, nil, os.Environ(), log, 10*time.Second)
	if err != nil || s3.ready.Ready || !strings.Contains(s3.ready.Error, "exited") {
		t.Fatalf("%+v, %v", s3.ready, err)
	}
}

func TestRotated(t *testing.T) {
	rows := []row{{key: "a"}, {key: "b"}, {key: "c"}}
	var keys []string
	for _, r := range rotated(rows, 4) {
		keys = append(keys, r.key)
	}
	if strings.Join(keys, "") != "bca" {
		t.Fatalf("got %v", keys)
	}
	if rotated(nil, 3) != nil {
		t.Fatal("rotating nothing")
	}
}

// result is a training result with the given median step time and loss.
func result(median, loss float64) bench.Result {
	return bench.Result{Kind: "train", Batch: 100, Seconds: bench.Summary{N: 3, Median: median}, FinalLoss: loss, Version: "0.1.0", Describe: "cpu: test"}
}

func TestPruneGroups(t *testing.T) {
	rows := []row{{key: "gputrain", ours: true}, {key: "torch-1", label: "torch 1", group: "torch"}, {key: "torch-2", label: "torch 2", group: "torch"}}
	c := newCaseResult("w1")
	c.reps["gputrain"] = []bench.Result{result(2e-3, 1)}
	c.reps["torch-1"] = []bench.Result{result(1e-3, 1)}
	c.reps["torch-2"] = []bench.Result{result(5e-3, 1)}
	active := map[string]bool{"gputrain": true, "torch-1": true, "torch-2": true}
	c.pruneGroups(rows, active)
	if !active["torch-1"] || active["torch-2"] || !active["gputrain"] {
		t.Fatalf("active %v", active)
	}
	if d := c.dropped["torch-2"]; !strings.Contains(d, "5.0× torch 1") {
		t.Fatalf("note %q", d)
	}
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct {
		sec  float64
		want string
	}{{151e-6, "151 µs"}, {3.68e-3, "3.68 ms"}, {1.02, "1.02 s"}, {0, "n/a"}} {
		if got := bench.FormatSeconds(c.sec, " "); got != c.want {
			t.Errorf("FormatSeconds(%v) = %q, want %q", c.sec, got, c.want)
		}
	}
	if v := verdict(2e-4, 1e-3); v != "2.0e-04 ✓" {
		t.Errorf("verdict %q", v)
	}
	if v := verdict(2e-3, 1e-3); v != "2.0e-03 ✗" {
		t.Errorf("verdict %q", v)
	}
	if relDiff(1.001, 1) > 1.0001e-3 || relDiff(0, 0) != 0 {
		t.Error("relDiff")
	}
}

func TestCPUInfo(t *testing.T) {
	c := parseCPUInfo("processor\t: 0\nmodel name\t: Test CPU\ncpu MHz\t\t: 2600.000\nflags\t\t: fpu avx2 fma avx512f\nprocessor\t: 1\nmodel name\t: Other\n")
	if c.model != "Test CPU" || c.mhz != 2600 || !c.flags["avx512f"] {
		t.Fatalf("%+v", c)
	}
	if got, v := theoreticalFrom(c, 2); !strings.HasPrefix(got, "333 GFLOP/s = 2 cores × 64 flops/cycle") || v != 332.8 {
		t.Fatalf("%q, %v", got, v)
	}
	if got, v := theoreticalFrom(cpuInfo{mhz: 1000, flags: map[string]bool{}}, 2); got != "" || v != 0 {
		t.Fatalf("%q", got)
	}
}

func TestReport(t *testing.T) {
	w1, _ := bench.Lookup("w1")
	rows := []row{
		{key: "gputrain", label: "gputrain (cpu)", ours: true, kernelLabel: "gputrain (cpu)"},
		{key: "numpy", label: "numpy", kernelLabel: "numpy"},
		{key: "torch-1", label: "torch 1", group: "torch", kernelLabel: "torch 1"},
		{key: "torch-2", label: "torch 2", group: "torch", kernelLabel: "torch 2"},
	}
	c := newCaseResult("w1")
	c.workload, c.plan = w1, plan{name: "w1", steps: 2000, block: 100, note: "a note"}
	c.reps["gputrain"] = []bench.Result{result(2e-3, 0.5), result(2.2e-3, 0.5)}
	c.reps["numpy"] = []bench.Result{result(1e-3, 0.5000001), result(1e-3, 0.5000001)}
	c.reps["torch-1"] = []bench.Result{result(4e-3, 0.51)}
	c.reps["torch-2"] = []bench.Result{result(9e-3, 0.5)}
	c.dropped["torch-2"] = "torch 2: 9 ms, not repeated"
	c.check["gputrain"] = &bench.Result{FinalLoss: 0.7}
	c.check["numpy"] = &bench.Result{FinalLoss: 0.7000001}
	c.check["torch-1"] = &bench.Result{FinalLoss: 0.8}
	k := newCaseResult("gemm 8x8x8")
	k.kernel = bench.Kernel{Op: "gemm", M: 8, N: 8, K: 8}
	k.reps["gputrain"] = []bench.Result{{Kind: "kernel", Seconds: bench.Summary{N: 1, Median: 1e-6}}}
	k.reps["numpy"] = []bench.Result{{Kind: "kernel", Seconds: bench.Summary{N: 1, Median: 5e-7}}}
	k.errs["torch-1"] = "boom"
	rep := &report{profile: "cpu", device: "cpu", reps: 2, date: "today", command: "make bench", machine: "a test machine",
		theoretical: "90 GFLOP/s = test", theoreticalValue: 90,
		flopLimit: limit{value: 100, what: "FMA loop", method: "test"}, byteLimit: limit{value: 10, what: "copy", method: "test"},
		refs: []refInfo{{key: "numpy", label: "numpy", describe: "numpy 1.24"}, {key: "jax", label: "JAX", err: "ModuleNotFoundError: No module named 'jax'"}},
		rows: rows, workloads: []*caseResult{c}, kernels: []*caseResult{k}}
	md := rep.markdown()
	for _, want := range []string{
		"| gputrain (cpu) | 2.10 ms | 2.00 ms–2.20 ms | 47.6k | 2.53 | 2.5% | 1 | 0.5 | — | — |",
		"| numpy | 1.00 ms | 1.00 ms–1.00 ms | 100k | 5.32 | 5.3% | 2.10 | 0.5 | 1.4e-07 ✓ | 2.0e-07 ✓ |",
		"| torch 1 | 4.00 ms |",
		"| 1.4e-01 ✗ | 2.0e-02 ✗ |",
		"torch 2: 9 ms, not repeated.",
		"Note: a note.",
		"- Theoretical: 90 GFLOP/s = test; the FMA loop beats it, so the cores run above that clock",
		"Napkin math: 5.32 MFLOP/step; compulsory traffic ≥ 184 kB/step",
		"JAX: not run — ModuleNotFoundError: No module named 'jax' (JAX is not packaged for Debian",
		"| gemm 8x8x8 | 1.00 µs · 1.02 GFLOP/s | 0.500 µs · 2.05 GFLOP/s | failed |",
		"| 2.00 | 1.0% |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "| torch 2 | 9") {
		t.Error("a dropped alternative has a row")
	}
	bad := rep.failedChecks()
	if len(bad) != 1 || !strings.Contains(bad[0], "torch 1") {
		t.Fatalf("failed checks %v", bad)
	}
	if bad := rep.oursFailed(); len(bad) != 0 {
		t.Fatalf("gputrain failures %v in a run where it never failed", bad)
	}
	k.errs["gputrain"] = "exit status 2: boom"
	c.errs["gputrain"] = errStopped.Error()
	if bad := rep.oursFailed(); len(bad) != 1 || bad[0] != "gemm 8x8x8: exit status 2: boom" {
		t.Fatalf("gputrain failures %v, want the kernel's alone (W1 was stopped for want of time)", bad)
	}
}

func TestOptions(t *testing.T) {
	var stderr bytes.Buffer
	for _, args := range [][]string{
		{"--profile", "tpu"},
		{"--reps", "0"},
		{"extra"},
		{"--nope"},
	} {
		stderr.Reset()
		if code := mainErr(args, &bytes.Buffer{}, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if lines := strings.Count(strings.TrimSpace(stderr.String()), "\n"); args[0] != "--nope" && lines != 0 {
			t.Errorf("%v: %d-line error %q", args, lines+1, stderr.String())
		}
	}
	p, _ := profiles("cpu")
	if err := p.selectCases("w3,w1", "gemm:64,mul:1e3", false); err != nil || len(p.workloads) != 2 || p.workloads[0].name != "w3" || p.workloads[0].steps != 3 || len(p.kernels) != 2 {
		t.Fatalf("%+v, %v", p.workloads, err)
	}
	if err := p.selectCases("w4", "", true); err != nil || p.workloads[0].steps != 16 || p.kernels != nil {
		t.Fatalf("%+v, %v", p.workloads, err)
	}
	if err := p.selectCases("w9", "", false); err == nil {
		t.Fatal("unknown workload accepted")
	}
	if err := p.selectCases("", "gemm:x", false); err == nil {
		t.Fatal("bad kernel accepted")
	}
	if code := mainErr([]string{"--gputrain", "/nonexistent/gputrain", "--no-kernels", "--workloads", "w1"}, &bytes.Buffer{}, &stderr); code != 1 {
		t.Fatalf("missing binary: exit %d", code)
	}
}

func TestGPUReport(t *testing.T) {
	w4, _ := bench.Lookup("w4")
	rows := []row{{key: "gputrain", label: "gputrain (cuda)", ours: true, kernelLabel: "gputrain (cuda)"},
		{key: "torch/eager", label: "PyTorch eager", kernelLabel: "PyTorch"}, {key: "torch/cuda-graph", label: "PyTorch cuda-graph"}}
	k := newCaseResult("gemm 4096x4096x4096")
	k.kernel = bench.Kernel{Op: "gemm", M: 4096, N: 4096, K: 4096}
	k.reps["gputrain"] = []bench.Result{{Kind: "kernel", Seconds: bench.Summary{N: 1, Median: 4e-3}}}
	k.reps["torch/eager"] = []bench.Result{{Kind: "kernel", Seconds: bench.Summary{N: 1, Median: 2.5e-3}}}
	c := newCaseResult("w4")
	c.workload, c.plan = w4, plan{name: "w4", steps: 16, block: 2}
	c.reps["gputrain"] = []bench.Result{result(0.05, 2.3)}
	c.reps["torch/cuda-graph"] = []bench.Result{result(0.04, 2.3)}
	rep := &report{profile: "gpu", device: "cuda", reps: 1, rows: rows, kernels: []*caseResult{k}, workloads: []*caseResult{c},
		byteLimit: limit{value: 3000, what: "device copy", method: "torch"}}
	md := rep.markdown()
	for _, want := range []string{
		"## gputrain benchmark suite — GPU",
		"Arithmetic limit: **54,976 GFLOP/s**, best reference gemm (PyTorch, gemm 4096x4096x4096)",
		"% of best ref. gemm",
		"| PyTorch cuda-graph | 40.0 ms |",
		"| 1.25 |",
		"| kernel | gputrain (cuda) | PyTorch | ours ÷ best other |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

// TestBudgetBoundsTheRun runs the GPU profile against a fake gputrain and
// fake references (shell scripts) in which W3 hangs: the run must end at
// its budget, print one line per workload, and have written the table
// after each workload.
func TestBudgetBoundsTheRun(t *testing.T) {
	dir := t.TempDir()
	md, js, peek := filepath.Join(dir, "bench.md"), filepath.Join(dir, "bench.json"), filepath.Join(dir, "peek.md")
	result := `{"impl":"IMPL","device":"cuda:0","kind":"train","case":"'$w'","steps":4,"block":2,"batch":100,"seconds":{"n":1,"median":SEC},"final_loss":0.5,"launches_per_step":16,"syncs_per_step":0.5,"copies_per_step":0.25}`
	gputrain := fakeServer(t, `#!/bin/sh
w=$3
case "$*" in *--export*) echo exported; exit 0 ;; esac
[ "$w" = w2 ] && cp "`+md+`" "`+peek+`"
[ "$w" = w3 ] && exec sleep 100
echo '`+strings.NewReplacer("IMPL", "gputrain", "SEC", "0.002").Replace(result)+`'
`)
	refs := t.TempDir()
	server := `echo '{"ready":true,"impl":"fake","version":"1","describe":"a fake"}'
while read -r line; do
  w=$(echo "$line" | sed -n 's/.*"case":"\(w[0-9]\)".*/\1/p')
  [ "$w" = w3 ] && exec sleep 100
  echo '` + strings.NewReplacer("IMPL", "fake", "SEC", "0.001", `"launches_per_step":16,"syncs_per_step":0.5,"copies_per_step":0.25`, `"wall_s":0`).Replace(result) + `'
done
`
	for _, name := range []string{"torch_ref.py", "jax_ref.py"} {
		if err := os.WriteFile(filepath.Join(refs, name), []byte(server), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const budget = 3 * time.Second
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := mainErr([]string{"--profile", "gpu", "--gputrain", gputrain, "--python", "/bin/sh", "--refs", refs, "--reps", "3",
		"--budget", budget.String(), "--no-kernels", "--out", md, "--json", js, "--logs", t.TempDir()}, &stdout, &stderr)
	took := time.Since(start)
	if code != 0 {
		t.Errorf("exit %d; stderr:\n%s", code, stderr.String())
	}
	if took > budget+2*time.Second {
		t.Errorf("a %s budget took %s", budget, took)
	}
	var lines []string
	for _, l := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(l, "bench w") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 4 {
		t.Fatalf("want one line per workload, got %d:\n%s", len(lines), stdout.String())
	}
	for _, want := range []string{
		"bench w1: gputrain (cuda) 2.00 ms/step | PyTorch eager 1.00 ms, ours÷theirs 2.00 | PyTorch cuda-graph 1.00 ms, ours÷theirs 2.00 | JAX jit",
		"launches·graph launches·syncs·copies per step 16·0·0.5·0.25",
		"the time budget ran out | PyTorch eager not run: the time budget ran out", // W3: stopped (or, on a loaded machine, not run)
		"bench w4: gputrain (cuda) not run: the time budget ran out",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	if !strings.Contains(lines[0], "2-step loss check ✓") || !regexp.MustCompile(` [0-9] reps? \| `).MatchString(lines[0]) {
		t.Errorf("w1 line: %s", lines[0])
	}
	b, err := os.ReadFile(peek)
	if err != nil || !strings.Contains(string(b), "| PyTorch eager | 1.00 ms |") || !strings.Contains(string(b), "w2, w3, w4 not finished yet") {
		t.Errorf("the table as W2 started (%v):\n%s", err, b)
	}
	b, err = os.ReadFile(md)
	if err != nil || !strings.Contains(string(b), "| gputrain (cuda) | not run: the time budget ran out |") || strings.Contains(string(b), "not finished yet") ||
		!strings.Contains(string(b), "Note: the time budget of 3s ran out") {
		t.Errorf("the final table (%v):\n%s", err, b)
	}
	if b, err := os.ReadFile(js); err != nil || !strings.Contains(string(b), `"launches_per_step": 16`) {
		t.Errorf("the JSON results (%v):\n%s", err, b)
	}
}
