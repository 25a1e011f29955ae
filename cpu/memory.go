package cpu

import "github.com/gputrain/gputrain/internal/sysmem"

// FreeMemory returns the host memory this process may still allocate (the
// CPU backend's buffers live there): see device.MemoryReporter.
func (d *Device) FreeMemory() (uint64, string, bool) { return sysmem.Available() }
