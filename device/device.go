// Package device defines the interface through which the device-agnostic
// trainer in package nn drives a compute backend (the pure-Go CPU backend in
// package cpu, the CUDA backend in package cuda). Device is composed of one
// small interface per operation family, each in the file of that family's
// name (memory.go, gemm.go, activation.go, loss.go, batchnorm.go, optim.go,
// elementwise.go); the backends and the conformance suite in devicetest use
// the same file names, and the kernels in package kernels too.
//
// Conventions shared by every backend:
//   - All numeric buffers hold float32 elements; matrices are row-major.
//   - Operations do not return errors one by one. A backend records the first
//     failure (a failed launch, an out-of-memory) and reports it from Err and
//     Synchronize; after a failure the remaining operations are no-ops.
//   - Shapes passed to operations must fit the buffers; a mismatch is a
//     programming error of the caller and may panic.
//   - Operations may run asynchronously; Download and Synchronize wait for
//     everything queued before them.
package device

// Buffer is a device-resident array of float32 values owned by one Device.
type Buffer interface {
	// Len is the number of float32 elements the buffer holds.
	Len() int
}

// IndexBuffer is a device-resident array of int32 row indices owned by one Device.
type IndexBuffer interface {
	// Len is the number of int32 elements the buffer holds.
	Len() int
}

// Device is a compute backend: the operation families below, which a
// backend implements together, plus its identity and error reporting. A
// Device is used from one goroutine at a time. Code that needs one family
// only (a test, a helper such as Gemm) takes the narrow interface.
type Device interface {
	// Name is the device's spelling in --device, e.g. "cpu" or "cuda:0".
	Name() string
	// Describe is a one-line human description (model, memory, driver).
	Describe() string

	Memory
	Linalg
	Activations
	BatchNorm
	Losses
	Optimizers
	Elementwise

	// Err reports the first error recorded by an operation, if any.
	Err() error
	// Synchronize waits for all queued work and reports Err.
	Synchronize() error
	// Close releases the device and every buffer allocated from it.
	Close() error
}

// Counts is a device's running tally of the work that costs it time
// besides arithmetic: kernel launches (calls into the driver), launches of
// recorded blocks of work (CUDA graphs: one driver call replays a whole
// block of training steps), host↔device copies and the bytes they move,
// and waits for the device (synchronisations). A step's calls into the
// driver to start work are Launches + GraphLaunches.
type Counts struct {
	Launches, GraphLaunches, Copies, Syncs int64
	CopyBytes                              int64
}

// Counter is implemented by devices that keep Counts (the CUDA backend);
// benchmarks report them per training step.
type Counter interface {
	Counts() Counts
}

// MemoryReporter is implemented by a Device that can tell how much memory
// new buffers may still take. The trainer compares a run's estimated needs
// with it before allocating anything, so that a run that cannot fit is
// refused up front instead of failing (or being killed) part way.
type MemoryReporter interface {
	// FreeMemory returns the bytes still available for buffers and where
	// the figure comes from (e.g. "cgroup limit"); ok is false when the
	// device cannot tell.
	FreeMemory() (bytes uint64, source string, ok bool)
}

// StepCapturer is implemented by devices that can record a block of
// training steps once and replay it with one call (the CUDA backend, with
// CUDA graphs). The trainer marks where a block begins and ends — the steps
// between two reads of the loss history — and queues every operation as
// usual; the device compares the block's operations with the block it
// recorded and, when they are the same operations on the same buffers with
// the same arguments, replays the recording instead of issuing them one by
// one, so the results are bit-identical either way. Anything the block
// cannot hold (an upload, a download, an allocation) makes the device issue
// the block's operations directly. Devices without it (the CPU backend)
// simply run the operations.
type StepCapturer interface {
	// BeginCapture marks the start of a block: the operations queued from
	// now on, up to EndCapture, belong to it.
	BeginCapture()
	// EndCapture marks the end of the block begun by BeginCapture (no-op
	// without one).
	EndCapture()
}
