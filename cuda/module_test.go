//go:build cuda

package cuda

import (
	"errors"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/cuda/preflight"
	"github.com/gputrain/gputrain/kernels"
	"gorgonia.org/cu"
)

// TestKernelImages checks which image Open took: on an sm_8x or sm_90 GPU
// the fatbin's SASS; on the CPU emulator and the PTX interpreter, which
// refuse a fatbin as a driver refuses one with nothing for its GPU, the PTX
// fallback, with the refusal named.
func TestKernelImages(t *testing.T) {
	d := openT(t)
	t.Log(d.Describe())
	lib := preflight.Library()
	if strings.Contains(lib, "fakecuda") || strings.Contains(lib, "ptxemu") {
		want := "kernels: " + imagePTX + " (the fatbin was refused: " + cu.NoBinaryForGpu.Error() + ")"
		if !strings.HasSuffix(d.Describe(), want) {
			t.Errorf("on %s Describe() = %q, want it to end %q", lib, d.Describe(), want)
		}
		for _, m := range kernels.Modules {
			if _, err := loadModule(m.Fatbin); !errors.Is(err, cu.NoBinaryForGpu) {
				t.Errorf("%s's fatbin on %s: %v, want %v", m.File, lib, err, cu.NoBinaryForGpu)
			}
		}
		return
	}
	major, _, err := d.dev.ComputeCapability()
	if err != nil {
		t.Fatal(err)
	}
	if major == 8 || major == 9 {
		if !strings.HasSuffix(d.Describe(), "kernels: "+imageFatbin) {
			t.Errorf("compute capability %d.x took %q, want the fatbin", major, d.Describe())
		}
	}
}

// TestLoadKernelsOrder checks the order loadKernels tries the images in:
// the fatbin alone where it is taken; the PTX after a refusal; and, when
// the PTX fails too, an error naming both refusals with the JIT log.
func TestLoadKernelsOrder(t *testing.T) {
	openT(t) // the driver is usable
	m := kernels.Modules[0]
	var tried []string
	accept := func(image string) (cu.Module, error) {
		tried = append(tried, image)
		return cu.Module{}, nil
	}
	if _, image, err := loadKernels(m, accept); err != nil || image != imageFatbin || len(tried) != 1 || tried[0] != m.Fatbin {
		t.Errorf("a driver taking the fatbin: image %q, err %v, %d loads, want the fatbin alone", image, err, len(tried))
	}

	mod, image, err := loadKernels(m, loadModule) // this driver refuses the fatbin
	if err != nil {
		t.Fatal(err)
	}
	if err := mod.Unload(); err != nil {
		t.Error(err)
	}
	if !strings.HasPrefix(image, imagePTX) {
		t.Errorf("a driver refusing the fatbin: image %q, want the PTX", image)
	}

	bad := kernels.Module{File: "bad.ptx", PTX: ".version 7.8\n.target sm_70\n.address_size 64\nbogus instruction;\n", Fatbin: m.Fatbin}
	_, _, err = loadKernels(bad, loadModule)
	if err == nil {
		t.Fatal("a module whose PTX does not compile loaded")
	}
	for _, part := range []string{"the fatbin: " + cu.NoBinaryForGpu.Error(), "the PTX: ", "JIT log: "} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("both images refused: %v, want it to say %q", err, part)
		}
	}
	t.Log(err)
}
