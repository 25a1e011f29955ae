// Package cuda is gputrain's CUDA backend: a device.Device whose operations
// are our own kernels (package kernels, PTX JIT-compiled by the driver at
// Open) launched through our own cgo call of cuLaunchKernel (driver.go), with
// gorgonia.org/cu's driver API bindings for the rest.
//
// It is built only with the cuda build tag (`make cuda`, i.e. go build -tags
// cuda ./cmd/gputrain, on a machine with the CUDA toolkit). Either way the
// package registers the device kind "cuda" (priority 10, above the CPU's 0):
// without the tag, Open and the lister explain how to get the CUDA build.
//
// With the tag:
//
//   - "cuda:N" opens GPU N: its primary context, one non-blocking stream and
//     the kernel modules. Every CUDA call runs on one goroutine locked to an
//     OS thread (the context is current there). Device methods record
//     launches, copies, uploads and frees as fixed-size commands in a batch
//     that goes to that goroutine when full or at the next call that waits
//     (Alloc, Download, Err, Synchronize, Close), so queuing a launch
//     allocates nothing and a training step crosses goroutines once.
//     Uploads are copied into a page-locked staging area and copied to the
//     device asynchronously; they wait only when the area is full.
//   - Errors are sticky, as device.Device specifies: the first failure (a
//     failed launch, an out-of-memory, a fault found when synchronising) is
//     recorded with the kernel and shapes involved; every later operation is
//     a no-op and Err/Synchronize report it. A GPU reports a fault only at
//     the next synchronisation, so that error names the last kernel queued
//     and says to rerun with GPUTRAIN_CUDA_SYNC=1, which synchronises after
//     every launch and names the faulting kernel, its shapes, its launch
//     number and the training step (nn.Trainer calls MarkStep). Shape mismatches are programming
//     errors and panic in the caller's goroutine.
//   - Freed buffers go to a pool keyed by size and are reused by later Allocs
//     of the same size, so a training loop allocates device memory only in
//     its first step.
//   - Blocks of training steps run as CUDA graphs (graph.go,
//     device.StepCapturer): nn.Trainer marks the steps between two loss
//     reads; a block identical to the previous one (kernels, grids,
//     arguments, buffers) is captured with cuStreamBeginCapture and
//     instantiated, and every later identical block is replayed with one
//     cuGraphLaunch, so a full-batch run makes one driver call per block
//     instead of one per kernel, with bit-identical results. Blocks that
//     differ run launch by launch. GPUTRAIN_CUDA_GRAPHS=0 turns graphs off
//     (for comparison), as GPUTRAIN_CUDA_SYNC=1 does; a driver without the
//     graph entry points (or refusing a capture) falls back to launching.
//   - Products with small m×n and large k (the weight gradients) are split
//     over k (splitk.go) so that the grid fills an H100's 132 SMs; the
//     partial products are added in a fixed order, so results are
//     bit-identical run to run.
//   - Package preflight (imported here) makes the binary load without the
//     driver library and exit with one clear line and status 3 where no GPU
//     is usable.
package cuda
