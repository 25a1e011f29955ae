package safetensors

import (
	"encoding/binary"
	"strings"
	"testing"
)

// file lays out a safetensors file by hand: the header text as given and
// the data bytes after it, so that each test controls every length.
func file(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

// The checks in Decode sit on exact bounds: a header that fills the rest
// of the file, an empty tensor whose offsets are equal, a shape that
// just fits. Each case is valid at the bound and is decoded.
func TestDecodeAtTheBounds(t *testing.T) {
	cases := map[string]struct {
		b       []byte
		tensors int
	}{
		// The shortest header, "{}", taking every byte after the length.
		"empty header": {file("{}", nil), 0},
		// Shape [0]: no elements, offsets [0, 0], next to a tensor with data.
		"empty tensor": {file(`{"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), 2},
	}
	for name, c := range cases {
		f, err := Decode(c.b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(f.Tensors) != c.tensors {
			t.Errorf("%s: %d tensors, want %d", name, len(f.Tensors), c.tensors)
		}
	}
}

// Each damaged file is rejected with its own message, with the numbers
// in it computed from the file's layout by hand.
func TestDecodeErrorMessages(t *testing.T) {
	cases := map[string]struct {
		b    []byte
		want string
	}{
		// Eight bytes hold a length but no header.
		"length only": {binary.LittleEndian.AppendUint64(nil, 2), "not a safetensors file, or truncated: header length 2 with 0 bytes after it"},
		"seven bytes": {make([]byte, 7), "too short for a safetensors file (7 bytes)"},
		// The length claims one byte more than the file has.
		"header one byte short": {append(binary.LittleEndian.AppendUint64(nil, 3), "{}"...), "not a safetensors file, or truncated: header length 3 with 2 bytes after it"},
		// 16 data bytes, shape [16, 16]: the element count would outgrow
		// the data before the byte count is checked.
		"shape larger than the data": {file(`{"x":{"dtype":"F32","shape":[16,16],"data_offsets":[0,16]}}`, make([]byte, 16)), `tensor "x": bad shape [16 16]`},
		"negative dimension":         {file(`{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "x": bad shape [-1]`},
		// Shape [4] over 4 data bytes fits the shape check (4 elements of
		// one byte would) and fails on the byte count.
		"too few bytes": {file(`{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "x": 4 bytes for shape [4] of F32`},
		// The same at offset 4: the count is hi - lo.
		"too few bytes, not at 0": {file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[4],"data_offsets":[4,8]}}`, make([]byte, 8)), `tensor "x": 4 bytes for shape [4] of F32`},
		"offsets reverse":         {file(`{"x":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, make([]byte, 4)), `tensor "x": data offsets [4, 0] outside the 4 data bytes (truncated file?)`},
		"trailing bytes":          {file(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 7)), "3 bytes after the last tensor (corrupted file?)"},
	}
	for name, c := range cases {
		_, err := Decode(c.b)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
}

// A header of exactly the largest allowed length is read; one byte more
// is refused without reading it.
func TestDecodeLargestHeader(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100 MiB header")
	}
	// One buffer, a byte longer than the largest header, read twice.
	b := make([]byte, 8+maxHeader+1)
	copy(b[8:], "{}")
	for i := 10; i < len(b); i++ {
		b[i] = ' '
	}
	binary.LittleEndian.PutUint64(b, maxHeader)
	if _, err := Decode(b[:8+maxHeader]); err != nil {
		t.Fatalf("a %d-byte header: %v", maxHeader, err)
	}
	binary.LittleEndian.PutUint64(b, maxHeader+1)
	if _, err := Decode(b); err == nil || !strings.HasPrefix(err.Error(), "not a safetensors file, or truncated: header length") {
		t.Fatalf("a %d-byte header: %v", maxHeader+1, err)
	}
}

// Encode writes no __metadata__ entry when there is no metadata.
func TestEncodeWithoutMetadata(t *testing.T) {
	b, err := Encode(File{Tensors: map[string]Tensor{"x": {Shape: []int{1}, F32: []float32{1}}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "__metadata__") {
		t.Fatalf("header %q has a __metadata__ entry", b[8:])
	}
}
