package safetensors

import (
	"encoding/binary"
	"math"
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

// A model saved in half precision: F16 and BF16 tensors are read as F32.
func TestDecodeHalfPrecision(t *testing.T) {
	h := `{"h":{"dtype":"F16","shape":[7],"data_offsets":[0,14]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[14,18]}}`
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	b = append(b, h...)
	for _, v := range []uint16{0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x3555, 0x3f80, 0xc0a0} {
		b = binary.LittleEndian.AppendUint16(b, v)
	}
	f, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	inf := float32(math.Inf(1))
	// 1, -2, the largest half, the smallest subnormal 2⁻²⁴, -0, +Inf, 1/3 rounded to 10 bits.
	if got, want := f.Tensors["h"].F32, []float32{1, -2, 65504, 1.0 / (1 << 24), float32(math.Copysign(0, -1)), inf, 0.333251953125}; !reflect.DeepEqual(got, want) || !math.Signbit(float64(got[4])) {
		t.Errorf("F16 = %v, want %v", got, want)
	}
	if got, want := f.Tensors["b"].F32, []float32{1, -5}; !reflect.DeepEqual(got, want) {
		t.Errorf("BF16 = %v, want %v", got, want)
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
