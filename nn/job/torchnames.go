package job

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/gputrain/gputrain/internal/advice"
	"github.com/gputrain/gputrain/internal/safetensors"
	"github.com/gputrain/gputrain/nn"
)

// torchModule is one numbered module of a PyTorch state_dict: the tensors
// named PREFIX.N.FIELD.
type torchModule struct {
	prefix string // "" for a bare nn.Sequential, "layers." or "net.layers." …
	index  int
	fields map[string]string // field ("weight", "running_mean", …) → full tensor name
}

// torchFields are the state_dict entries of nn.Linear and nn.BatchNorm1d.
var torchFields = map[string]bool{
	"weight": true, "bias": true, "running_mean": true, "running_var": true, "num_batches_tracked": true,
}

// renameTorchStateDict maps the names of a PyTorch state_dict of Linear and
// BatchNorm1d modules onto gputrain's (ParamTensors): the k-th Linear
// module, in the order of its number, becomes layers.k, and a BatchNorm1d
// numbered after Linear k in the same container becomes bn.k. So a bare
// nn.Sequential(Linear, Tanh, Linear) ("0.weight", "2.weight"), a module
// holding one (layers.0, layers.2, or net.0 …) and gputrain's own files
// (layers.0, layers.1, with batch norms in a separate bn.k list numbered
// by layer; a model file's scaler.* tensors are skipped) all load. num_batches_tracked, BatchNorm's step counter, is
// dropped: gputrain uses PyTorch's fixed momentum, which ignores it. It
// returns the renamed tensors and, for messages, each new name's name in
// the file.
func renameTorchStateDict(tensors map[string]safetensors.Tensor) (map[string]safetensors.Tensor, map[string]string, error) {
	modules := map[string]*torchModule{}
	for name := range tensors {
		if strings.HasPrefix(name, "scaler.") {
			continue // a gputrain model file's standardisation, not a parameter
		}
		dot := strings.LastIndexByte(name, '.')
		path, field := name[:dot+1], name[dot+1:]
		num := strings.TrimSuffix(path, ".")
		k := strings.LastIndexByte(num, '.')
		index, err := strconv.Atoi(num[k+1:])
		if dot < 0 || !torchFields[field] || err != nil || index < 0 || num[k+1:] != strconv.Itoa(index) {
			return nil, nil, fmt.Errorf("tensor %q is not a parameter of a numbered Linear or BatchNorm1d layer (want names such as 0.weight or layers.2.bias)", name)
		}
		m := modules[path]
		if m == nil {
			m = &torchModule{prefix: num[:k+1], index: index, fields: map[string]string{}}
			modules[path] = m
		}
		m.fields[field] = name
	}
	var linears, norms []*torchModule
	for _, m := range modules {
		_, mean := m.fields["running_mean"]
		_, vr := m.fields["running_var"]
		w, hasW := m.fields["weight"]
		switch {
		case mean || vr:
			norms = append(norms, m)
		case hasW && len(tensors[w].Shape) == 2:
			linears = append(linears, m)
		case hasW:
			return nil, nil, fmt.Errorf("tensor %q has shape %v: a layer with a 1-D weight and no running statistics (LayerNorm?) is not supported, only Linear and BatchNorm1d", w, tensors[w].Shape)
		case len(m.fields) == 1 && m.fields["num_batches_tracked"] != "":
			return nil, nil, fmt.Errorf("tensor %q belongs to no BatchNorm1d layer (no running_mean beside it)", m.fields["num_batches_tracked"])
		default:
			return nil, nil, fmt.Errorf("tensor %q has no weight beside it", m.fields["bias"])
		}
	}
	byIndex := func(a, b *torchModule) int { return cmp.Compare(a.index, b.index) }
	slices.SortFunc(linears, byIndex)
	slices.SortFunc(norms, byIndex)
	out := map[string]safetensors.Tensor{}
	from := map[string]string{}
	put := func(m *torchModule, field, newName string) {
		if name, ok := m.fields[field]; ok {
			out[newName], from[newName] = tensors[name], name
		}
	}
	for k, m := range linears {
		if m.prefix != linears[0].prefix {
			return nil, nil, fmt.Errorf("Linear layers under two names, %q and %q: want one nn.Sequential (or layers.N list)", m.fields["weight"], linears[0].fields["weight"])
		}
		put(m, "weight", fmt.Sprintf("layers.%d.weight", k))
		put(m, "bias", fmt.Sprintf("layers.%d.bias", k))
	}
	owner := map[int]string{} // layer → the batch norm's weight name in the file
	for _, m := range norms {
		layer := m.index // a separate list (bn.N) is numbered by layer
		if len(linears) > 0 && m.prefix == linears[0].prefix {
			// In the Sequential itself it normalises the Linear before it.
			layer = -1
			for k, l := range linears {
				if l.index < m.index {
					layer = k
				}
			}
			if layer < 0 {
				return nil, nil, fmt.Errorf("BatchNorm1d %q comes before the first Linear layer; gputrain normalises the output of a hidden Linear layer", strings.TrimSuffix(m.prefix+strconv.Itoa(m.index), "."))
			}
		}
		name := m.prefix + strconv.Itoa(m.index)
		if prev, ok := owner[layer]; ok {
			return nil, nil, fmt.Errorf("two BatchNorm1d layers, %s and %s, follow Linear layer %d", prev, name, layer)
		}
		owner[layer] = name
		for i, field := range []string{"weight", "bias", "running_mean", "running_var"} {
			put(m, field, bnNames(layer)[i])
		}
	}
	return out, from, nil
}

// paramsFromStateDict reads parameters for arch from a PyTorch state_dict
// (see renameTorchStateDict). Messages name tensors as the file does.
func paramsFromStateDict(arch nn.Arch, tensors map[string]safetensors.Tensor) (nn.Params, error) {
	tensors, from, err := renameTorchStateDict(tensors)
	if err != nil {
		return nn.Params{}, err
	}
	for _, name := range slices.Sorted(maps.Keys(tensors)) {
		if strings.HasPrefix(name, "bn.") && !arch.BatchNorm {
			return nn.Params{}, advice.New(func(n advice.Namer) string {
				return fmt.Sprintf("the file has batch normalisation (%q) but the network %s has none: add %s", from[name], arch, n(advice.BatchNorm))
			})
		}
	}
	p, err := ParamsFromTensors(arch, tensors)
	if err != nil {
		return nn.Params{}, errors.New(inFileNames(err.Error(), from))
	}
	return p, nil
}

// inFileNames rewrites the quoted gputrain tensor names in a message into
// the names the file gave them.
func inFileNames(msg string, from map[string]string) string {
	var pairs []string
	for canon, orig := range from {
		pairs = append(pairs, strconv.Quote(canon), strconv.Quote(orig))
	}
	return strings.NewReplacer(pairs...).Replace(msg) // one pass: no name is renamed twice
}

// StateDictLayers reads, from a parameter file for --init-from, the hidden
// layer widths of its network and whether it has batch normalisation, so
// that a PyTorch model's network need not be spelled out again (its
// activation, having no parameters, must be).
func StateDictLayers(path string) (hidden []int, batchNorm bool, err error) {
	b, err := readFile(path)
	if err != nil {
		return nil, false, err
	}
	f, err := safetensors.Decode(b)
	if err != nil {
		return nil, false, &FileError{Path: path, Err: err}
	}
	tensors, _, err := renameTorchStateDict(f.Tensors)
	if err != nil {
		return nil, false, &FileError{Path: path, Err: err}
	}
	for l := 0; ; l++ {
		w, ok := tensors[fmt.Sprintf("layers.%d.weight", l)]
		if !ok {
			break
		}
		hidden = append(hidden, w.Shape[0])
	}
	if len(hidden) == 0 {
		return nil, false, &FileError{Path: path, Err: errors.New("no Linear layer (a 2-D weight) in the file")}
	}
	_, batchNorm = tensors[bnNames(0)[0]]
	return hidden[:len(hidden)-1], batchNorm, nil
}
