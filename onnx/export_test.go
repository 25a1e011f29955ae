package onnx

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/gputrain/gputrain/nn/job"
	"google.golang.org/protobuf/encoding/protowire"
)

// fields splits a protobuf message into its fields: number → the raw
// bytes of each length-delimited occurrence, or the varint values.
func fields(t *testing.T, b []byte) (bytes map[protowire.Number][][]byte, ints map[protowire.Number][]uint64) {
	t.Helper()
	bytes, ints = map[protowire.Number][][]byte{}, map[protowire.Number][]uint64{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		switch typ {
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				t.Fatalf("bad field %d", num)
			}
			bytes[num] = append(bytes[num], v)
			b = b[n:]
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				t.Fatalf("bad field %d", num)
			}
			ints[num] = append(ints[num], v)
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				t.Fatalf("bad field %d", num)
			}
			b = b[n:]
		}
	}
	return bytes, ints
}

// TestExportStructure decodes the export of the biodeg model (41 → 20
// tanh → 1, standardised, no preprocessing file section) and checks the
// IR and opset versions, the node sequence, the inputs, outputs and
// metadata.
func TestExportStructure(t *testing.T) {
	m, err := job.LoadModel("../model/testdata/biodeg.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Export(m)
	if err != nil {
		t.Fatal(err)
	}
	top, ints := fields(t, b)
	if ints[1][0] != irVersion || len(top[8]) != 1 {
		t.Fatalf("IR version %v, %d opset imports", ints[1], len(top[8]))
	}
	opset, opInts := fields(t, top[8][0])
	if len(opset[1]) != 0 || opInts[2][0] != Opset {
		t.Fatalf("opset import %q %v", opset[1], opInts[2])
	}
	graph, _ := fields(t, top[7][0])
	var ops []string
	for _, node := range graph[1] {
		f, _ := fields(t, node)
		ops = append(ops, string(f[4][0]))
	}
	want := []string{"Sub", "Div", "Cast", "Gemm", "Tanh", "Gemm", "Cast", "Sigmoid", "Neg", "Sigmoid", "Concat", "Cast", "GreaterOrEqual", "Cast", "Reshape", "Gather"}
	if m.Prep != nil {
		want = append([]string{"IsNaN", "Where"}, want...)
	}
	if !slices.Equal(ops, want) {
		t.Fatalf("nodes %v, want %v", ops, want)
	}
	name := func(v []byte) string {
		f, _ := fields(t, v)
		return string(f[1][0])
	}
	if len(graph[11]) != 1 || name(graph[11][0]) != InputNumeric || len(graph[12]) != 2 || name(graph[12][0]) != OutputProbs || name(graph[12][1]) != OutputLabel {
		t.Fatal("wrong inputs or outputs")
	}
	meta := map[string]string{}
	for _, e := range top[14] {
		f, _ := fields(t, e)
		meta[string(f[1][0])] = string(f[2][0])
	}
	var cols, classes []string
	if json.Unmarshal([]byte(meta["numeric_columns"]), &cols) != nil || !slices.Equal(cols, m.Features) ||
		json.Unmarshal([]byte(meta["classes"]), &classes) != nil || !slices.Equal(classes, []string{"NRB", "RB"}) || meta["task"] != "binary" || meta["threshold"] != "0.5" {
		t.Fatalf("metadata %v", meta)
	}
}
