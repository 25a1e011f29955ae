// Package isa picks the instruction-set level the CPU backend's kernels use:
// AVX-512, AVX2+FMA, or plain Go. The level is detected once at start-up;
// tests force a lower one with Set to exercise every code path on one
// machine, and the purego build tag (or a non-amd64 GOARCH) leaves only
// Generic.
package isa

import (
	"fmt"
	"os"
	"sync/atomic"
)

// Level is a kernel implementation level.
type Level int32

// The levels, slowest first.
const (
	Generic Level = iota // plain Go, no assembly
	AVX2                 // AVX2 + FMA assembly (ymm)
	AVX512               // AVX-512F assembly (zmm)
)

// String returns the level's name as Parse accepts it.
func (l Level) String() string {
	switch l {
	case Generic:
		return "generic"
	case AVX2:
		return "avx2"
	case AVX512:
		return "avx512"
	}
	return fmt.Sprintf("Level(%d)", int32(l))
}

// Parse reads a level name ("generic", "avx2", "avx512").
func Parse(s string) (Level, error) {
	for l := Generic; l <= AVX512; l++ {
		if l.String() == s {
			return l, nil
		}
	}
	return 0, fmt.Errorf("unknown kernel level %q: want generic, avx2 or avx512", s)
}

// Best is the highest level this CPU and build support.
var Best = detect()

// EnvVar names the environment variable that caps the level at start-up
// (e.g. GPUTRAIN_CPU_KERNELS=generic go test ./nn/), so whole-program tests
// can run on each path.
const EnvVar = "GPUTRAIN_CPU_KERNELS"

var current atomic.Int32

func init() {
	l := Best
	if s := os.Getenv(EnvVar); s != "" {
		if want, err := Parse(s); err == nil && want < l {
			l = want
		}
	}
	current.Store(int32(l))
}

// Current is the level kernels use now.
func Current() Level { return Level(current.Load()) }

// Set makes kernels use level l and returns the previous level. It is for
// tests and benchmarks: it must not be called while operations run. Set
// returns an error, changing nothing, when l is above Best.
func Set(l Level) (Level, error) {
	if l < Generic || l > Best {
		return Current(), fmt.Errorf("kernel level %v is not available here (best: %v)", l, Best)
	}
	return Level(current.Swap(int32(l))), nil
}

// Available lists the levels this machine can run, slowest first.
func Available() []Level {
	var ls []Level
	for l := Generic; l <= Best; l++ {
		ls = append(ls, l)
	}
	return ls
}
