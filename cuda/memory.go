//go:build cuda

package cuda

import "gorgonia.org/cu"

// FreeMemory returns the device memory the driver reports free plus the
// allocations this backend pools for reuse: see device.MemoryReporter.
func (d *Device) FreeMemory() (uint64, string, bool) {
	if d.closed {
		return 0, "", false
	}
	var free int64
	var err error
	var pooled int64
	d.call(func() {
		free, _, err = cu.MemInfo()
		for size, l := range d.pool {
			pooled += size * int64(len(l))
		}
	})
	if err != nil || free < 0 {
		return 0, "", false
	}
	return uint64(free) + uint64(pooled), "free device memory", true
}
