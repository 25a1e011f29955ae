// Package pool runs data-parallel jobs on a fixed set of worker goroutines,
// one per GOMAXPROCS, started once. The calling goroutine works on every
// job itself, so a job costs no goroutine creation and, while the workers
// are still spinning from the previous job, no scheduler wake-up either;
// workers idle for longer park on a channel.
//
// Jobs hand out their work dynamically (each participant claims pieces
// from an atomic counter until none are left), so a worker the operating
// system has descheduled (a busy machine) delays a job by at most the piece
// it holds, never by its whole share. A job's results must not depend on
// which participant computes a piece: then they are bit-identical run to
// run whatever the timing and the worker count.
package pool

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// spinIters is how many polls an idle worker makes for the next job before it
// parks (a few tens of microseconds in all), and how many a waiter makes
// before yielding its thread.
const spinIters = 1 << 14

// Job is a unit of data-parallel work. Do is called by every participant
// with a distinct w in [0, workers); the participant w = 0 is the caller of
// Run, and its Do must return only when the whole job is done (it may have
// to do all of it alone). Callers pass a pointer to a long-lived job value,
// so starting a job allocates nothing.
type Job interface {
	Do(w, workers int)
}

// The state word: the job generation in the high 32 bits, whether the job
// is still open to workers, and how many workers are inside it.
const (
	openBit    = 1 << 31
	insideMask = openBit - 1
)

// Pool is a fixed set of workers. Use Default or New.
type Pool struct {
	n       int
	busy    sync.Mutex // held by the goroutine whose job is running
	job     Job
	state   atomic.Uint64
	workers []*worker
}

type worker struct {
	parked atomic.Bool
	wake   chan struct{}
}

var (
	defaultOnce sync.Once
	defaultPool atomic.Pointer[Pool]
)

// Default returns the process-wide pool, with GOMAXPROCS workers (as of its
// first use) unless SetDefault replaced it.
func Default() *Pool {
	defaultOnce.Do(func() { defaultPool.CompareAndSwap(nil, New(runtime.GOMAXPROCS(0))) })
	return defaultPool.Load()
}

// SetDefault makes p the process-wide pool and returns the one it
// replaces. Tests use it to fix the worker count whatever the machine and
// GOMAXPROCS; jobs already running finish on the old pool.
func SetDefault(p *Pool) (prev *Pool) {
	prev = Default()
	defaultPool.Store(p)
	return prev
}

// New starts a pool of n workers (n-1 goroutines plus the caller). n < 1 is
// taken as 1.
func New(n int) *Pool {
	n = max(n, 1)
	p := &Pool{n: n}
	for w := 1; w < n; w++ {
		wk := &worker{wake: make(chan struct{}, 1)}
		p.workers = append(p.workers, wk)
		go p.loop(w, wk, 0)
	}
	return p
}

// Workers is the number of participants a job may have.
func (p *Pool) Workers() int { return p.n }

// Run runs job: job.Do(0, workers) on the caller, and job.Do(w, workers)
// on each worker that joins while the caller's Do runs. It returns when the
// caller's Do has returned and every worker has left. When the pool is
// already running another goroutine's job, Run calls job.Do(0, 1) alone.
func (p *Pool) Run(job Job) {
	if p.n == 1 || !p.busy.TryLock() {
		job.Do(0, 1)
		return
	}
	defer p.busy.Unlock()
	p.job = job
	gen := p.state.Load()>>32 + 1
	p.state.Store(gen<<32 | openBit)
	for _, wk := range p.workers {
		if wk.parked.Load() {
			select {
			case wk.wake <- struct{}{}:
			default:
			}
		}
	}
	job.Do(0, p.n)
	// Close the job to late workers, then wait for those inside to leave.
	for {
		s := p.state.Load()
		if p.state.CompareAndSwap(s, s&^openBit) {
			break
		}
	}
	for i := 0; p.state.Load()&insideMask != 0; i++ {
		if i >= spinIters {
			yield()
		}
	}
	p.job = nil
}

// enter joins the job of generation gen if it is still open.
func (p *Pool) enter(gen uint64) bool {
	for {
		s := p.state.Load()
		if s>>32 != gen || s&openBit == 0 {
			return false
		}
		if p.state.CompareAndSwap(s, s+1) {
			return true
		}
	}
}

// loop runs worker w's jobs; seen is the generation before its first job.
func (p *Pool) loop(w int, wk *worker, seen uint64) {
	for {
		spins := 0
		for p.state.Load()>>32 == seen {
			spins++
			if spins < spinIters {
				continue
			}
			// Park: announce it, re-check (a job may have been published
			// before the flag was visible), then sleep.
			wk.parked.Store(true)
			if p.state.Load()>>32 == seen {
				<-wk.wake
			}
			wk.parked.Store(false)
			spins = 0
		}
		seen = p.state.Load() >> 32
		if p.enter(seen) {
			p.job.Do(w, p.n)
			p.state.Add(^uint64(0)) // leave
		}
	}
}

// Counter hands out the pieces [0, total) of one phase of a job and counts
// the finished ones.
type Counter struct {
	next, done atomic.Int64
}

// Reset prepares c for a new phase. Call it before Run publishes the job.
func (c *Counter) Reset() {
	c.next.Store(0)
	c.done.Store(0)
}

// Claim returns the next unclaimed piece, or false when all of the total
// have been claimed.
func (c *Counter) Claim(total int) (int, bool) {
	if c.next.Load() >= int64(total) {
		return 0, false
	}
	i := c.next.Add(1) - 1
	return int(i), i < int64(total)
}

// Done records one finished piece.
func (c *Counter) Done() { c.done.Add(1) }

// Wait blocks until total pieces are done.
func (c *Counter) Wait(total int) {
	for i := 0; c.done.Load() < int64(total); i++ {
		if i >= spinIters {
			yield()
		}
	}
}
