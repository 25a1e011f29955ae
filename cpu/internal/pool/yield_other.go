//go:build !linux

package pool

import "runtime"

// yield lets other goroutines run while waiting.
func yield() { runtime.Gosched() }
