// Package safetensors reads and writes the safetensors format
// (github.com/huggingface/safetensors): an 8-byte little-endian header
// length, a JSON header mapping tensor names to dtype, shape and byte
// offsets (plus a "__metadata__" map of strings), then the raw
// little-endian tensor data. F32, F64 and I64 tensors are supported (I64
// for the integer counters PyTorch keeps in a state_dict, such as
// BatchNorm's num_batches_tracked); F16 and BF16 tensors (a model saved in
// half precision) are read, converted exactly to F32.
package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// Tensor is one named array. Exactly one of F32, F64 and I64 is set.
type Tensor struct {
	Shape []int
	F32   []float32
	F64   []float64
	I64   []int64
}

// File is the decoded contents of a safetensors file.
type File struct {
	Tensors  map[string]Tensor
	Metadata map[string]string
}

type entry struct {
	DType   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets [2]int `json:"data_offsets"`
}

// maxHeader bounds the JSON header we accept (the format's own limit is 100 MB).
const maxHeader = 100 << 20

// Encode serialises f. Tensors are stored in name order.
func Encode(f File) ([]byte, error) {
	names := make([]string, 0, len(f.Tensors))
	for name := range f.Tensors {
		names = append(names, name)
	}
	sort.Strings(names)
	header := map[string]any{}
	if len(f.Metadata) > 0 {
		header["__metadata__"] = f.Metadata
	}
	var data []byte
	for _, name := range names {
		t := f.Tensors[name]
		e := entry{Shape: t.Shape}
		if e.Shape == nil {
			e.Shape = []int{}
		}
		begin := len(data)
		switch {
		case t.F64 != nil:
			e.DType = "F64"
			for _, v := range t.F64 {
				data = binary.LittleEndian.AppendUint64(data, math.Float64bits(v))
			}
		case t.I64 != nil:
			e.DType = "I64"
			for _, v := range t.I64 {
				data = binary.LittleEndian.AppendUint64(data, uint64(v))
			}
		default:
			e.DType = "F32"
			for _, v := range t.F32 {
				data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
			}
		}
		if n := elements(t.Shape); n*size(e.DType) != len(data)-begin {
			return nil, fmt.Errorf("safetensors: tensor %q has %d bytes of data for shape %v", name, len(data)-begin, t.Shape)
		}
		e.Offsets = [2]int{begin, len(data)}
		header[name] = e
	}
	h, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	out = append(out, h...)
	return append(out, data...), nil
}

func elements(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

func size(dtype string) int {
	switch dtype {
	case "F64", "I64":
		return 8
	case "F16", "BF16":
		return 2
	}
	return 4
}

// Decode parses a safetensors file, checking every offset and size. Errors
// are one line and say what is wrong.
func Decode(b []byte) (File, error) {
	if len(b) < 8 {
		return File{}, fmt.Errorf("too short for a safetensors file (%d bytes)", len(b))
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n < 2 || n > maxHeader || n > uint64(len(b)-8) {
		return File{}, fmt.Errorf("not a safetensors file, or truncated: header length %d with %d bytes after it", n, len(b)-8)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return File{}, fmt.Errorf("not a safetensors file: bad JSON header: %v", err)
	}
	data := b[8+n:]
	f := File{Tensors: map[string]Tensor{}, Metadata: map[string]string{}}
	end := 0
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &f.Metadata); err != nil {
				return File{}, fmt.Errorf("bad __metadata__: %v", err)
			}
			continue
		}
		var e entry
		if err := json.Unmarshal(msg, &e); err != nil {
			return File{}, fmt.Errorf("tensor %q: bad header entry: %v", name, err)
		}
		switch e.DType {
		case "F32", "F64", "I64", "F16", "BF16":
		default:
			return File{}, fmt.Errorf("tensor %q: dtype %q is not supported (want F32, F64, F16, BF16 or I64)", name, e.DType)
		}
		count := 1
		for _, s := range e.Shape {
			if s < 0 || (s > 0 && count > len(data)/s) {
				return File{}, fmt.Errorf("tensor %q: bad shape %v", name, e.Shape)
			}
			count *= s
		}
		lo, hi := e.Offsets[0], e.Offsets[1]
		if lo < 0 || hi < lo || hi > len(data) {
			return File{}, fmt.Errorf("tensor %q: data offsets [%d, %d] outside the %d data bytes (truncated file?)", name, lo, hi, len(data))
		}
		if hi-lo != count*size(e.DType) {
			return File{}, fmt.Errorf("tensor %q: %d bytes for shape %v of %s", name, hi-lo, e.Shape, e.DType)
		}
		end = max(end, hi)
		t := Tensor{Shape: e.Shape}
		buf := data[lo:hi]
		switch e.DType {
		case "F64":
			t.F64 = make([]float64, count)
			for i := range t.F64 {
				t.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*i:]))
			}
		case "I64":
			t.I64 = make([]int64, count)
			for i := range t.I64 {
				t.I64[i] = int64(binary.LittleEndian.Uint64(buf[8*i:]))
			}
		case "F16", "BF16":
			t.F32 = make([]float32, count)
			for i := range t.F32 {
				h := binary.LittleEndian.Uint16(buf[2*i:])
				if e.DType == "BF16" {
					t.F32[i] = math.Float32frombits(uint32(h) << 16) // the top half of a float32
				} else {
					t.F32[i] = halfToFloat32(h)
				}
			}
		default:
			t.F32 = make([]float32, count)
			for i := range t.F32 {
				t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
			}
		}
		f.Tensors[name] = t
	}
	if end != len(data) {
		return File{}, fmt.Errorf("%d bytes after the last tensor (corrupted file?)", len(data)-end)
	}
	return f, nil
}

// halfToFloat32 converts an IEEE 754 half-precision value exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch exp {
	case 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case 0: // zero or subnormal: mant · 2⁻²⁴
		f := float32(mant) / (1 << 24)
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// Float64s returns the tensor's values as float64, whatever its dtype.
func (t Tensor) Float64s() []float64 {
	switch {
	case t.F64 != nil:
		return t.F64
	case t.I64 != nil:
		return convert[float64](t.I64)
	}
	return convert[float64](t.F32)
}

// Float32s returns the tensor's values as float32, whatever its dtype.
func (t Tensor) Float32s() []float32 {
	switch {
	case t.F64 != nil:
		return convert[float32](t.F64)
	case t.I64 != nil:
		return convert[float32](t.I64)
	}
	return t.F32
}

// DType returns the tensor's safetensors dtype: "F32", "F64" or "I64".
func (t Tensor) DType() string {
	switch {
	case t.F64 != nil:
		return "F64"
	case t.I64 != nil:
		return "I64"
	}
	return "F32"
}

// convert returns a copy of src as another numeric type.
func convert[T, S float32 | float64 | int64](src []S) []T {
	out := make([]T, len(src))
	for i, v := range src {
		out[i] = T(v)
	}
	return out
}
