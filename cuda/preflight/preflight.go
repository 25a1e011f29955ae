//go:build cuda

package preflight

/*
// --as-needed: cu's "-lcuda" then adds no DT_NEEDED entry, because the shim
// defines every driver symbol cu references (see doc.go). -ldl for dlopen on
// glibc < 2.34 (a no-op stub on newer ones, dropped by --as-needed).
#cgo LDFLAGS: -Wl,--as-needed -ldl

extern int gt_driver_version;
extern int gt_device_count;
extern const char *gt_libcuda_path;
*/
import "C"

// ExitNoGPU is the exit status of a CUDA build started where no GPU is usable.
const ExitNoGPU = 3

// DriverVersion is the CUDA version the driver supports, as cuDriverGetVersion
// reports it (e.g. 12020 for 12.2).
func DriverVersion() int { return int(C.gt_driver_version) }

// DeviceCount is the number of CUDA devices the driver reported at start-up.
func DeviceCount() int { return int(C.gt_device_count) }

// Library is the driver library the preflight loaded ("libcuda.so.1" unless
// GPUTRAIN_LIBCUDA names another).
func Library() string { return C.GoString(C.gt_libcuda_path) }
