// Package cuda is gputrain's CUDA backend: a device.Device whose operations
// are our own kernels (package kernels, PTX JIT-compiled by the driver at
// Open) launched through gorgonia.org/cu's driver API bindings.
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
//     OS thread (the context is current there); device methods hand it work
//     through a queue. Launches, fills, copies and frees are queued without
//     waiting (operations are asynchronous, as device.Device allows);
//     Alloc, Upload, Download, Err, Synchronize and Close wait for the queue.
//   - Errors are sticky, as device.Device specifies: the first failure (a
//     failed launch, an out-of-memory, a fault found when synchronising) is
//     recorded with the kernel and shapes involved; every later operation is
//     a no-op and Err/Synchronize report it. Shape mismatches are programming
//     errors and panic in the caller's goroutine.
//   - Freed buffers go to a pool keyed by size and are reused by later Allocs
//     of the same size, so a training loop allocates device memory only in
//     its first step.
//   - Package preflight (imported here) makes the binary load without the
//     driver library and exit with one clear line and status 3 where no GPU
//     is usable.
package cuda
