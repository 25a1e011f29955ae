package pool

import "syscall"

// yield gives the waiting thread's core to another runnable thread, which
// on a busy machine may be the very worker being waited for (a Go-level
// Gosched would only run other goroutines of this process).
func yield() { syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
