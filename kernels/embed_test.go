package kernels

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestModules checks that every listed kernel is an entry point of its
// embedded PTX, that the PTX targets compute_80, and that each .cu file has
// its module (so a new kernel file cannot be forgotten).
func TestModules(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Modules {
		seen[strings.TrimSuffix(m.File, ".ptx")] = true
		if !strings.Contains(m.PTX, ".target sm_80") {
			t.Errorf("%s: PTX does not target sm_80 (compute_80)", m.File)
		}
		for _, k := range m.Kernels {
			if !strings.Contains(m.PTX, ".entry "+k+"(") {
				t.Errorf("%s: no entry point %q", m.File, k)
			}
		}
	}
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if name, ok := strings.CutSuffix(f.Name(), ".cu"); ok && !seen[name] {
			t.Errorf("%s has no entry in Modules", f.Name())
		}
	}
}

// fatbinEntry is one image in a fatbin: its kind (1 PTX, 2 ELF, i.e. SASS)
// and the sm_XY it is for.
type fatbinEntry struct{ kind, arch int }

// fatbinEntries lists the images in a fatbin, reading the container's
// layout as nvcc writes it (and cuobjdump -lelf -lptx reads it): a 16-byte
// header (magic 0xBA55ED50, version, header size, payload size), then per
// image a header (kind, version, header size, image size, …, arch at byte
// 28) and the image.
func fatbinEntries(b []byte) ([]fatbinEntry, error) {
	le := binary.LittleEndian
	if len(b) < 16 || le.Uint32(b) != 0xBA55ED50 {
		return nil, errors.New("no fatbin magic")
	}
	start := int(le.Uint16(b[6:]))
	end := start + int(le.Uint64(b[8:]))
	if end != len(b) {
		return nil, fmt.Errorf("header says %d bytes, the file has %d", end, len(b))
	}
	var out []fatbinEntry
	for o := start; o < end; {
		if o+32 > end {
			return nil, fmt.Errorf("truncated image header at byte %d", o)
		}
		out = append(out, fatbinEntry{int(le.Uint16(b[o:])), int(le.Uint32(b[o+28:]))})
		o += int(le.Uint32(b[o+4:])) + int(le.Uint64(b[o+8:]))
	}
	return out, nil
}

// TestFatbins checks that every module's embedded fatbin holds SASS for
// sm_80 and sm_90 and compute_80 PTX (what mk/cuda.mk's FATBINFLAGS ask
// for), and defines each listed kernel (the SASS's symbol names are stored
// uncompressed).
func TestFatbins(t *testing.T) {
	want := []fatbinEntry{{1, 80}, {2, 80}, {2, 90}}
	for _, m := range Modules {
		got, err := fatbinEntries([]byte(m.Fatbin))
		if err != nil {
			t.Errorf("%s's fatbin: %v", m.File, err)
			continue
		}
		sort.Slice(got, func(i, j int) bool { return got[i].kind*1000+got[i].arch < got[j].kind*1000+got[j].arch })
		if !slices.Equal(got, want) {
			t.Errorf("%s's fatbin holds %v (kind 1 PTX, 2 SASS; arch), want %v", m.File, got, want)
		}
		for _, k := range m.Kernels {
			if !strings.Contains(m.Fatbin, k+"\x00") {
				t.Errorf("%s's fatbin does not define %s", m.File, k)
			}
		}
	}
}
