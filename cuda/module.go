//go:build cuda

package cuda

import (
	"fmt"
	"strings"

	"github.com/gputrain/gputrain/kernels"
	"gorgonia.org/cu"
)

// Images loadKernels reports.
const (
	imageFatbin = "fatbin (sm_80/sm_90 SASS)"
	imagePTX    = "PTX, JIT-compiled"
)

// loadKernels loads module m with load: its fatbin first, whose SASS an
// sm_8x or sm_90 GPU runs without JIT compilation (and whose compute_80 PTX
// the driver JIT-compiles elsewhere), then, when the driver refuses the
// fatbin (CUDA_ERROR_NO_BINARY_FOR_GPU, or any other refusal), the PTX
// itself. It returns which image was taken and, after a fallback, why; when
// both are refused the error names both refusals, the PTX's with the JIT
// log that load attaches.
func loadKernels(m kernels.Module, load func(image string) (cu.Module, error)) (cu.Module, string, error) {
	mod, ferr := load(m.Fatbin)
	if ferr == nil {
		return mod, imageFatbin, nil
	}
	mod, err := load(m.PTX)
	if err != nil {
		return cu.Module{}, "", fmt.Errorf("the fatbin: %v; the PTX: %w", ferr, err)
	}
	return mod, fmt.Sprintf("%s (the fatbin was refused: %v)", imagePTX, ferr), nil
}

// imagesLoaded sums up loadKernels's reports for Describe: the one image
// every module took, or per module where they differ.
func imagesLoaded(images []string) string {
	same := true
	for _, im := range images {
		same = same && im == images[0]
	}
	if same && len(images) > 0 {
		return images[0]
	}
	parts := make([]string, len(images))
	for i, im := range images {
		parts[i] = strings.TrimSuffix(kernels.Modules[i].File, ".ptx") + ": " + im
	}
	return strings.Join(parts, "; ")
}
