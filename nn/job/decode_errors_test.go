package job

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
	"github.com/gputrain/gputrain/internal/safetensors"
	"github.com/gputrain/gputrain/nn"
)

// damage is one change to a valid file and the error it must cause.
type damage struct {
	name   string
	change func(f *safetensors.File)
	want   string // the error must contain this
}

func setMeta(key, value string) func(f *safetensors.File) {
	return func(f *safetensors.File) { f.Metadata[key] = value }
}

func dropMeta(key string) func(f *safetensors.File) {
	return func(f *safetensors.File) { delete(f.Metadata, key) }
}

func dropTensor(name string) func(f *safetensors.File) {
	return func(f *safetensors.File) { delete(f.Tensors, name) }
}

func setTensor(name string, shape []int, v ...float64) func(f *safetensors.File) {
	return func(f *safetensors.File) { f.Tensors[name] = safetensors.Tensor{Shape: shape, F64: v} }
}

// applyDamage decodes the valid file b, changes it, encodes it again and
// hands it to decode; every damage must give a one-line error containing
// its text.
func applyDamage(t *testing.T, b []byte, decode func([]byte) error, cases []damage) {
	t.Helper()
	for _, c := range cases {
		f, err := safetensors.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		c.change(&f)
		damaged, err := safetensors.Encode(f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		err = decode(damaged)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.ContainsAny(err.Error(), "\n\r") {
			t.Errorf("%s: error %v, want one line containing %q", c.name, err, c.want)
		}
	}
}

// bnModel is a small binary model with batch normalisation and a scaler.
func bnModel(t *testing.T) []byte {
	arch := nn.Arch{Inputs: 2, Hidden: []int{3}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic, BatchNorm: true}
	m := &Model{Arch: arch, Params: nn.InitParams(arch, nn.InitGlorot, 1), Task: data.TaskBinary, Classes: []string{"a", "b"},
		Features: []string{"f1", "f2"}, Label: "y", Scaler: &data.Scaler{Mean: []float64{1, 2}, Scale: []float64{3, 4}}}
	b, err := m.marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeModel(b); err != nil {
		t.Fatalf("the intact model: %v", err)
	}
	return b
}

// modelDamage are the ways a model's own parts can be wrong, each with the
// message that names it.
var modelDamage = []damage{
	{"bad arch JSON", setMeta("arch", "{"), "bad arch metadata"},
	{"no inputs", setMeta("arch", `{"inputs":0,"hidden":[3],"outputs":1,"activation":"tanh","loss":"logistic","batch_norm":true}`), "arch {"},
	{"too many inputs", setMeta("arch", `{"inputs":1048577,"hidden":[3],"outputs":1,"activation":"tanh","loss":"logistic"}`), "arch {"},
	{"no outputs", setMeta("arch", `{"inputs":2,"hidden":[3],"outputs":0,"activation":"tanh","loss":"logistic"}`), "arch {"},
	{"too many outputs", setMeta("arch", `{"inputs":2,"hidden":[3],"outputs":1048577,"activation":"tanh","loss":"logistic"}`), "arch {"},
	{"too deep", setMeta("arch", `{"inputs":2,"hidden":[`+strings.Repeat("1,", 1<<20)+`1],"outputs":1,"activation":"tanh","loss":"logistic"}`), "arch {"},
	{"empty hidden layer", setMeta("arch", `{"inputs":2,"hidden":[0],"outputs":1,"activation":"tanh","loss":"logistic"}`), "arch {"},
	{"too wide hidden layer", setMeta("arch", `{"inputs":2,"hidden":[1048577],"outputs":1,"activation":"tanh","loss":"logistic"}`), "arch {"},
	{"unknown activation", setMeta("arch", `{"inputs":2,"hidden":[3],"outputs":1,"activation":"swish","loss":"logistic"}`), `invalid activation "swish"`},
	{"unknown loss", setMeta("arch", `{"inputs":2,"hidden":[3],"outputs":1,"activation":"tanh","loss":"hinge"}`), `unknown loss "hinge"`},
	{"unknown task", setMeta("task", "ranking"), `unknown task "ranking"`},
	{"task auto", setMeta("task", "auto"), `task "auto"`},
	{"bad classes", setMeta("classes", "[1,"), "bad classes metadata"},
	{"bad features", setMeta("features", "{}"), "bad features metadata"},
	{"feature count", setMeta("features", `["f1"]`), "1 feature names for 2 inputs"},
	{"binary with three classes", setMeta("classes", `["a","b","c"]`), "binary task with 3 classes"},
	{"multiclass with a logistic loss", setMeta("task", "multiclass"), "multiclass task with 2 classes and 1 logistic outputs"},
	{"regression with a logistic loss", setMeta("task", "regression"), "regression task with a logistic loss"},
	{"no first weight", dropTensor("layers.0.weight"), `no tensor "layers.0.weight"`},
	{"no last bias", dropTensor("layers.1.bias"), `no tensor "layers.1.bias"`},
	{"weight of the wrong shape", setTensor("layers.0.weight", []int{2, 3}, 1, 2, 3, 4, 5, 6), `tensor "layers.0.weight" has shape [2 3], want [3 2]`},
	{"weight of rank 1", setTensor("layers.1.weight", []int{3}, 1, 2, 3), `tensor "layers.1.weight" has shape [3], want [1 3]`},
	{"bias of the wrong length", setTensor("layers.0.bias", []int{2}, 1, 2), `tensor "layers.0.bias" has shape [2], want [3]`},
	{"no batch-norm scale", dropTensor("bn.0.weight"), "has batch normalisation"},
	{"batch-norm statistics of the wrong length", setTensor("bn.0.running_var", []int{1}, 1), `has shape [1], want [3]`},
	{"an extra layer", setTensor("layers.2.weight", []int{1, 1}, 1), "more layers than the network"},
	{"no scaler mean", dropTensor("scaler.mean"), "scaler tensors missing"},
	{"scaler of the wrong size", setTensor("scaler.scale", []int{3}, 1, 1, 1), "scaler tensors missing or of the wrong size"},
}

func TestDecodeModelErrors(t *testing.T) {
	b := bnModel(t)
	decode := func(b []byte) error { _, err := decodeModel(b); return err }
	cases := append([]damage{
		{"a checkpoint's tag", setMeta("format", CheckpointFormatTag), "but a training checkpoint"},
		{"no format tag", dropMeta("format"), "not a gputrain model: its metadata has no"},
	}, modelDamage...)
	for _, c := range cases {
		if c.want == "" {
			t.Fatalf("%s: no expected message", c.name)
		}
	}
	applyDamage(t, b, decode, cases)
	// Prefixes: what kind of damage, on one line.
	if err := decode([]byte("not a safetensors file")); err == nil || !strings.HasPrefix(err.Error(), "not a gputrain model: ") {
		t.Errorf("garbage: %v", err)
	}
	applyDamage(t, b, func(b []byte) error {
		_, err := decodeModel(b)
		if err != nil && !strings.HasPrefix(err.Error(), "damaged model: ") {
			t.Errorf("%v: want the prefix \"damaged model: \"", err)
		}
		return err
	}, modelDamage[:1])
}

func TestLoadParamsErrors(t *testing.T) {
	dir := t.TempDir()
	arch := nn.Arch{Inputs: 2, Hidden: []int{3}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	garbage, wrong := filepath.Join(dir, "garbage.safetensors"), filepath.Join(dir, "wrong.safetensors")
	os.WriteFile(garbage, []byte("not tensors"), 0o644)
	other := nn.Arch{Inputs: 3, Hidden: []int{3}, Outputs: 1, Activation: device.Tanh, Loss: device.Logistic}
	b, err := safetensors.Encode(safetensors.File{Tensors: ParamTensors(other, nn.InitParams(other, nn.InitGlorot, 1))})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(wrong, b, 0o644)
	for path, want := range map[string]string{
		filepath.Join(dir, "missing.safetensors"): ": cannot read: no such file",
		garbage: ": not a safetensors file",
		wrong:   `: tensor "layers.0.weight" has shape [3 3], want [3 2]`,
	} {
		_, err := LoadParams(path, arch)
		var fe *FileError
		if err == nil || !strings.HasPrefix(err.Error(), path+want) || !errors.As(err, &fe) || fe.Path != path {
			t.Errorf("LoadParams(%s): %v, want a *FileError starting %q", path, err, want)
		}
	}
}

func TestDecodeCheckpointErrors(t *testing.T) {
	_, ck := smallFiles(t)
	c, err := decodeCheckpoint(ck)
	if err != nil {
		t.Fatalf("the intact checkpoint: %v", err)
	}
	if c.Optimizer != nn.Adam || c.State.Early.BestParams == nil || c.State.Perm == nil || len(c.State.Records) == 0 {
		t.Fatalf("the test checkpoint lacks a part it damages: %+v", c.State)
	}
	train := c.Train
	metric := c.State.Records[len(c.State.Records)-1].ValMetrics[0].Name
	decode := func(b []byte) error {
		_, err := decodeCheckpoint(b)
		if err != nil && !strings.HasPrefix(err.Error(), "not a") && !strings.HasPrefix(err.Error(), "damaged checkpoint: ") {
			t.Errorf("%v: want the prefix \"damaged checkpoint: \"", err)
		}
		return err
	}
	applyDamage(t, ck, decode, []damage{
		{"a model's tag", setMeta("format", FormatTag), "not a checkpoint but a gputrain model"},
		{"no format tag", dropMeta("format"), "not a gputrain checkpoint: its metadata has no"},
		{"damaged model part", setMeta("arch", "["), "damaged checkpoint: bad arch metadata"},
		{"step not a number", setMeta("step", "three"), `bad step "three"`},
		{"negative step", setMeta("step", "-1"), `bad step "-1"`},
		{"total before step", setMeta("total", "2"), `bad total "2"`},
		{"unknown optimizer", setMeta("optimizer", "lbfgs"), `invalid optimizer "lbfgs"`},
		{"shuffle state not base64", setMeta("shuffle_rng", "%%%"), "bad shuffle_rng: illegal base64"},
		{"shuffle state not a generator", setMeta("shuffle_rng", "AAAA"), "bad shuffle_rng: "},
		{"dropout state not base64", setMeta("dropout_rng", "!"), "bad dropout_rng: "},
		{"early_best not a number", setMeta("early_best", "low"), `bad early_best "low"`},
		{"early_best_step below -1", setMeta("early_best_step", "-2"), `bad early_best_step "-2"`},
		{"early_bad negative", setMeta("early_bad", "-1"), `bad early_bad "-1"`},
		{"no first moment", dropTensor("optimizer.exp_avg.layers.0.weight"), `optimizer exp_avg: no tensor "layers.0.weight"`},
		{"second moment of the wrong shape", setTensor("optimizer.exp_avg_sq.layers.1.bias", []int{2}, 0, 0), `optimizer exp_avg_sq: tensor "layers.1.bias" has shape [2]`},
		{"best parameters damaged", dropTensor("best.layers.1.bias"), `best parameters: no tensor "layers.1.bias"`},
		{"no training split", dropTensor("split.train"), `no tensor "split.train"`},
		{"split not a vector", setTensor("split.test", []int{1, 1}, 0), `tensor "split.test" has shape [1 1], want a vector`},
		{"split not indices", setTensor("split.validation", []int{1}, 1.5), `tensor "split.validation" holds 1.5, not an index`},
		{"split index too large", setTensor("split.validation", []int{1}, 1<<31), "not an index"},
		{"split index -1", setTensor("split.validation", []int{1}, -1), "split indices are not distinct row numbers"},
		{"a row in two parts", setTensor("split.test", []int{1}, float64(train[0])), "split indices are not distinct row numbers"},
		{"no training rows", setTensor("split.train", []int{0}), "no training rows in the split"},
		{"row order not a permutation", setTensor("perm", []int{len(train)}, make([]float64, len(train))...), "not a permutation of the"},
		{"row order not indices", setTensor("perm", []int{1}, 0.5), `tensor "perm" holds 0.5`},
		{"no history steps", dropTensor("history.step"), `no tensor "history.step"`},
		{"no history epochs", dropTensor("history.epoch"), `no tensor "history.epoch"`},
		{"history losses short", setTensor("history.loss", []int{1}, 1), `tensor "history.loss" missing or not of length`},
		{"history epochs short", setTensor("history.epoch", []int{1}, 0), "history tensors differ in length"},
		{"no record steps", dropTensor("records.step"), `no tensor "records.step"`},
		{"no record learning rates", dropTensor("records.lr"), `tensor "records.lr" missing`},
		{"bad record metric names", setMeta("record_metrics", "{"), "bad record_metrics"},
		{"no record metric", dropTensor("records.val." + metric), `tensor "records.val.` + metric + `" missing`},
	})
	if err := decode([]byte{1, 2, 3}); err == nil || !strings.HasPrefix(err.Error(), "not a gputrain checkpoint: ") {
		t.Errorf("garbage: %v", err)
	}
}

// TestCheckpointFlagsErrors reads the flags a checkpoint records: none, a
// JSON object, or a one-line error for anything else.
func TestCheckpointFlagsErrors(t *testing.T) {
	for _, c := range []struct {
		meta string
		want map[string]string
		err  string
	}{
		{"", map[string]string{}, ""},
		{`{"lr":"0.1","steps":"5"}`, map[string]string{"lr": "0.1", "steps": "5"}, ""},
		{`{"lr":`, nil, "damaged checkpoint: bad flags metadata: "},
		{`["lr"]`, nil, "damaged checkpoint: bad flags metadata: "},
	} {
		ck := &Checkpoint{Model: &Model{Info: map[string]string{"flags": c.meta}}}
		got, err := ck.Flags()
		if c.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), c.err) || strings.Contains(err.Error(), "\n") {
				t.Errorf("flags %q: %v, want an error starting %q", c.meta, err, c.err)
			}
			continue
		}
		if err != nil || len(got) != len(c.want) {
			t.Errorf("flags %q: %v, %v; want %v", c.meta, got, err, c.want)
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("flags %q: %s = %q, want %q", c.meta, k, got[k], v)
			}
		}
	}
}
