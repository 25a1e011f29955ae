package main

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The fixtures in testdata/torch are state_dicts laid out as PyTorch's
// safetensors save_file writes them (see testdata/torch/README.md):
// sequential.safetensors is nn.Sequential(Linear(2, 3), Tanh(), Linear(3, 1));
// sequential_bn.safetensors is nn.Sequential(Linear(2, 3), BatchNorm1d(3),
// ReLU(), Linear(3, 1)) with its int64 num_batches_tracked.
var (
	torchW0 = [3][2]float64{{0.5, -1.0}, {0.25, 0.75}, {-0.5, 0.125}}
	torchB0 = [3]float64{0.1, -0.2, 0.3}
)

// torchRows is a small binary table (features a, b; label y).
var torchRows = [][3]float64{{1, 2, 1}, {-1, 0.5, 0}, {0.3, -2, 1}, {2, -1, 0}, {0, 0, 1}, {-0.7, 1.5, 0}}

// meanLogisticLoss is the mean binary cross-entropy of the logits computed
// by logit, in float64: the loss PyTorch's BCEWithLogitsLoss gives.
func meanLogisticLoss(logit func(a, b float64) float64) float64 {
	var sum float64
	for _, r := range torchRows {
		z := logit(r[0], r[1])
		sum += math.Max(z, 0) - z*r[2] + math.Log1p(math.Exp(-math.Abs(z)))
	}
	return sum / float64(len(torchRows))
}

// TestInitFromPyTorchStateDict: --steps 0 evaluates the parameters of a
// PyTorch nn.Sequential state_dict without training; the loss matches a
// float64 forward pass of the same network written out by hand.
func TestInitFromPyTorchStateDict(t *testing.T) {
	var csv strings.Builder
	csv.WriteString("a,b,y\n")
	for _, r := range torchRows {
		csv.WriteString(strconv.FormatFloat(r[0], 'g', -1, 64) + "," + strconv.FormatFloat(r[1], 'g', -1, 64) + "," + strconv.Itoa(int(r[2])) + "\n")
	}
	path := write(t, t.TempDir(), "tiny.csv", csv.String())
	hidden := func(a, b float64, j int) float64 { return torchW0[j][0]*a + torchW0[j][1]*b + torchB0[j] }
	tanhNet := meanLogisticLoss(func(a, b float64) float64 {
		w1 := [3]float64{1.0, -2.0, 0.5}
		z := 0.25
		for j := range w1 {
			z += w1[j] * math.Tanh(hidden(a, b, j))
		}
		return z
	})
	bnNet := meanLogisticLoss(func(a, b float64) float64 {
		gamma, beta := [3]float64{1.5, 0.5, -1.0}, [3]float64{0.1, 0.0, -0.1}
		mean, variance := [3]float64{0.2, -0.1, 0.05}, [3]float64{2.0, 0.5, 1.0}
		w1 := [3]float64{0.75, -0.5, 1.25}
		z := -0.3
		for j := range w1 {
			h := (hidden(a, b, j)-mean[j])/math.Sqrt(variance[j]+1e-5)*gamma[j] + beta[j]
			z += w1[j] * math.Max(h, 0)
		}
		return z
	})
	lossLine := regexp.MustCompile(`train \(6 rows\): loss ([0-9.e+-]+) \(logistic, mean[;)]`)
	for _, c := range []struct {
		file string
		args []string
		want float64
	}{
		{"sequential.safetensors", []string{"--activation", "tanh", "--hidden", "3"}, tanhNet},
		{"sequential_bn.safetensors", []string{"--activation", "relu", "--hidden", "3", "--batch-norm"}, bnNet},
		// The hidden widths and batch normalisation are read from the file
		// when not given.
		{"sequential_bn.safetensors", []string{"--activation", "relu"}, bnNet},
	} {
		args := append([]string{"train", "--data", path, "--init-from", "testdata/torch/" + c.file, "--steps", "0",
			"--standardize=false"}, c.args...)
		code, stdout, stderr := gputrain(t, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.file, code, stderr)
		}
		m := lossLine.FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("%s: no training-rows loss in:\n%s", c.file, stdout)
		}
		got, _ := strconv.ParseFloat(m[1], 64)
		if math.Abs(got-c.want) > 1e-5*math.Abs(c.want) {
			t.Errorf("%s: loss %v, want %v (float64 forward pass)", c.file, got, c.want)
		}
	}

	// Wrong shapes and a missing --batch-norm are one line naming the
	// file's own tensor names; exit 2.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--init-from", "testdata/torch/sequential.safetensors", "--hidden", "4"}, `sequential\.safetensors: tensor "0\.weight" has shape \[3 2\], want \[4 2\]`},
		{[]string{"--init-from", "testdata/torch/sequential_bn.safetensors", "--batch-norm=false"}, `sequential_bn\.safetensors: the file has batch normalisation \("1\.bias"\) but the network .* has none: add --batch-norm`},
		{[]string{"--init-from", "testdata/torch/sequential.safetensors", "--hidden", "3,3"}, `sequential\.safetensors: tensor "2\.weight" has shape \[1 3\], want \[3 3\]`},
	} {
		code, _, stderr := gputrain(t, append([]string{"train", "--data", path, "--steps", "0", "--quiet"}, c.args...)...)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !regexp.MustCompile(c.want).MatchString(stderr) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
}
