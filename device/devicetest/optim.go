package devicetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/device"
)

// optimDevice is what this family's tests need of a device: the family and
// buffers.
type optimDevice interface {
	device.Memory
	device.Optimizers
}

// updateKernels are the update kernels by name with their state tensor
// count (kernels/optim.cu).
var updateKernels = []struct {
	name   string
	states int
}{{"sgd_step", 0}, {"momentum_step", 1}, {"adam_step", 2}, {"adamw_step", 2}, {"rmsprop_step", 2}}

// replicaArgs returns plausible scalars for replica r of every kernel
// (each reads the slots it documents): a learning rate and a weight decay
// that differ per replica, moments' decays in (0,1), the Adam bias
// corrections of step 3.
func replicaArgs(r int) device.OptimArgs {
	lr, wd := 0.01*float32(r+1), 0.05*float32(r)
	return device.OptimArgs{lr, 0.9, 0.1, 0.999, wd, 1e-3, wd, 3.69, 334.7, 0}
}

// testOptimStepReplicas checks that every element of a replica-strided
// update equals, bit for bit, the same kernel's OptimStep on its run alone
// with its replica's scalars: a replica trained side by side is the network
// trained alone. The runs are stacked (one per replica) and cycling (a wide
// matrix's column blocks), at odd lengths.
func testOptimStepReplicas(t *testing.T, d optimDevice) {
	rng := rand.New(rand.NewPCG(11, 2))
	for _, k := range updateKernels {
		for _, c := range []struct{ replicas, run, runs int }{{1, 41, 1}, {3, 41, 3}, {3, 5, 21}, {4, 20, 8}} {
			n := c.run * c.runs
			tensors := [][]float32{random(rng, n), random(rng, n)}
			for range k.states {
				s := random(rng, n)
				for i := range s {
					s[i] = float32(math.Abs(float64(s[i]))) // second moments are non-negative
				}
				tensors = append(tensors, s)
			}
			table := make([]float32, 0, c.replicas*device.ReplicaArgs)
			for r := range c.replicas {
				a := replicaArgs(r)
				table = append(table, a[:]...)
			}
			bufs := make([]device.Buffer, len(tensors))
			for i, x := range tensors {
				bufs[i] = upload(t, d, x)
			}
			args := upload(t, d, table)
			d.OptimStepReplicas(k.name, bufs[0], bufs[1], bufs[2:], n, c.run, c.replicas, args)
			got := make([][]float32, len(bufs))
			for i, b := range bufs {
				got[i] = download(t, d, b, n)
			}
			for run := range c.runs {
				lo, hi := run*c.run, (run+1)*c.run
				alone := make([]device.Buffer, len(tensors))
				for i, x := range tensors {
					alone[i] = upload(t, d, x[lo:hi])
				}
				d.OptimStep(k.name, alone[0], alone[1], alone[2:], c.run, replicaArgs(run%c.replicas))
				for i, b := range alone {
					want := download(t, d, b, c.run)
					for j, w := range want {
						if g := got[i][lo+j]; math.Float32bits(g) != math.Float32bits(w) {
							t.Fatalf("%s %d replicas, runs of %d: tensor %d element %d is %v, alone %v",
								k.name, c.replicas, c.run, i, lo+j, g, w)
						}
					}
					d.Free(b)
				}
			}
			for _, b := range append(bufs, args) {
				d.Free(b)
			}
		}
	}
}

// testDropoutReplicas checks each replica's block of a wide matrix against
// the dropout rule applied to that block alone, with the replica's own
// drop probability (0 included: nothing dropped, the mask all ones).
func testDropoutReplicas(t *testing.T, d elementwiseDevice) {
	rng := rand.New(rand.NewPCG(12, 3))
	for _, c := range []struct {
		rows, width int
		p           []float32
	}{{7, 5, []float32{0.2}}, {20, 16, []float32{0, 0.2, 0.5}}, {41, 3, []float32{0.5, 0, 0.1, 0.9}}, {1055, 20, []float32{0.2, 0, 0.3, 0.2}}} {
		R := len(c.p)
		wide := R * c.width
		n := c.rows * wide
		x := random(rng, n)
		xb, mask, pb := upload(t, d, x), poisoned(t, d, n), upload(t, d, c.p)
		seed := rng.Uint64()
		d.DropoutReplicas(xb, mask, c.rows, c.width, R, pb, seed)
		wantMask, wantX := make([]float64, n), make([]float64, n)
		for r, p := range c.p {
			scale := float64(float32(1) / (1 - p))
			for row := range c.rows {
				for j := range c.width {
					i := row*wide + r*c.width + j
					if keep(seed, row*c.width+j, p) {
						wantMask[i] = scale
					}
					wantX[i] = float64(x[i]) * wantMask[i]
				}
			}
		}
		name := fmt.Sprintf("dropout of %d replicas, %d×%d each", R, c.rows, c.width)
		check(t, name+" mask", download(t, d, mask, n), wantMask, 0, 0)
		check(t, name+" x", download(t, d, xb, n), wantX, 1e-7, 0)
		for _, b := range []device.Buffer{xb, mask, pb} {
			d.Free(b)
		}
	}
}
