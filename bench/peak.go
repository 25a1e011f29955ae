package bench

import (
	"errors"
	"runtime"
	"sync"
	"time"
)

// Peak is a measured limit of the machine.
type Peak struct {
	Value  float64 // GFLOP/s or GB/s
	Method string  // how it was measured
}

// FMAPeak measures the CPU's float32 arithmetic limit in GFLOP/s: one
// goroutine per GOMAXPROCS thread runs a register-only fused-multiply-add
// loop (the widest vectors the CPU has) in ten rounds over about seconds
// in all; the best round is reported, as other processes may share the
// cores. No memory is touched, so no real kernel can beat it.
func FMAPeak(seconds float64) (Peak, error) {
	loop, flopsPerIter, name := fmaKernel()
	if loop == nil {
		return Peak{}, errors.New("no FMA loop for this CPU (needs amd64 with AVX2+FMA or AVX-512)")
	}
	threads := runtime.GOMAXPROCS(0)
	const rounds = 10
	// Calibrate on one thread: iterations for about seconds/rounds per round.
	n := 1 << 16
	for {
		start := time.Now()
		loop(n)
		if t := time.Since(start).Seconds(); t > 0.02 {
			n = max(1, int(float64(n)*seconds/rounds/t))
			break
		}
		n *= 4
	}
	best := 0.0
	for round := 0; round < rounds; round++ {
		var wg sync.WaitGroup
		start := time.Now()
		for g := 0; g < threads; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				loop(n)
			}()
		}
		wg.Wait()
		gf := float64(threads) * float64(n) * flopsPerIter / time.Since(start).Seconds() / 1e9
		best = max(best, gf)
	}
	return Peak{Value: best, Method: name + ", " + itoa(threads) + " threads"}, nil
}

// CopyBandwidth measures memory bandwidth in GB/s (bytes read plus bytes
// written) with Go's copy between two buffers of mib MiB, split across
// GOMAXPROCS goroutines; best of five rounds.
func CopyBandwidth(mib int) Peak {
	n := mib << 20
	src, dst := make([]byte, n), make([]byte, n)
	for i := range src {
		src[i] = byte(i)
	}
	copy(dst, src) // first touch
	threads := runtime.GOMAXPROCS(0)
	best := 0.0
	for round := 0; round < 5; round++ {
		var wg sync.WaitGroup
		start := time.Now()
		for g := 0; g < threads; g++ {
			lo, hi := g*n/threads, (g+1)*n/threads
			wg.Add(1)
			go func() {
				defer wg.Done()
				copy(dst[lo:hi], src[lo:hi])
			}()
		}
		wg.Wait()
		best = max(best, 2*float64(n)/time.Since(start).Seconds()/1e9)
	}
	return Peak{Value: best, Method: "Go copy of " + itoa(mib) + " MiB, " + itoa(threads) + " threads"}
}

func itoa(v int) string {
	if v < 0 {
		return "-" + itoa(-v)
	}
	if v < 10 {
		return string(rune('0' + v))
	}
	return itoa(v/10) + string(rune('0'+v%10))
}
