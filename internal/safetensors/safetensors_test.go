package safetensors

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
)

func sample() File {
	return File{
		Tensors: map[string]Tensor{
			"layers.0.weight": {Shape: []int{2, 3}, F32: []float32{1, -2, 3.5, 4, 5, 6}},
			"scaler.mean":     {Shape: []int{3}, F64: []float64{0.1, 0.2, 1e300}},
			"bn.0.count":      {Shape: []int{}, I64: []int64{-1 << 40}},
		},
		Metadata: map[string]string{"format": "gputrain/1"},
	}
}

func TestRoundTrip(t *testing.T) {
	b, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	if n := binary.LittleEndian.Uint64(b); (8+n)%8 != 0 {
		t.Errorf("header length %d leaves the data unaligned", n)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sample()) {
		t.Fatalf("round trip changed the file:\n got %+v\nwant %+v", got, sample())
	}
}

// A file written by PyTorch's safetensors.torch.save_file for
// {"w": torch.tensor([[1., 2.]])}: the header bytes below are its exact layout.
func TestDecodeForeignLayout(t *testing.T) {
	h := `{"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}`
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	b = append(b, h...)
	b = append(b, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40) // 1.0, 2.0
	f, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Tensors["w"].F32; !reflect.DeepEqual(got, []float32{1, 2}) {
		t.Fatalf("w = %v", got)
	}
}

// PyTorch's BatchNorm1d keeps num_batches_tracked, a 0-d int64 tensor;
// safetensors stores it as I64 with shape [].
func TestDecodeInt64Scalar(t *testing.T) {
	h := `{"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}`
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	b = append(b, h...)
	b = append(b, 0x2a, 0, 0, 0, 0, 0, 0, 0) // 42
	f, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	tn := f.Tensors["bn.num_batches_tracked"]
	if !reflect.DeepEqual(tn.I64, []int64{42}) || tn.DType() != "I64" || !reflect.DeepEqual(tn.Float32s(), []float32{42}) {
		t.Fatalf("num_batches_tracked = %+v", tn)
	}
}

func TestDecodeRejectsDamage(t *testing.T) {
	good, _ := Encode(sample())
	cases := map[string][]byte{
		"empty":          nil,
		"truncated":      good[:len(good)-3],
		"text file":      []byte("hello world, this is not a model"),
		"huge header":    append(binary.LittleEndian.AppendUint64(nil, 1<<40), good[8:]...),
		"trailing bytes": append(append([]byte{}, good...), 1, 2, 3, 4),
		"bad json":       append(binary.LittleEndian.AppendUint64(nil, 8), []byte("{{{{{{{{")...),
	}
	for name, b := range cases {
		_, err := Decode(b)
		if err == nil {
			t.Errorf("%s: Decode succeeded", name)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error spans lines: %q", name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := Encode(sample())
	f.Add(good)
	f.Add(good[:20])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Decode(b)
		if err != nil {
			return
		}
		for name, tensor := range file.Tensors {
			if n := elements(tensor.Shape); n != len(tensor.F32)+len(tensor.F64)+len(tensor.I64) {
				t.Fatalf("%s: shape %v but %d values", name, tensor.Shape, len(tensor.F32)+len(tensor.F64)+len(tensor.I64))
			}
		}
	})
}
