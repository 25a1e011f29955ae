package device

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Opener opens a device of one kind. index is the N of "kind:N" (0 when the
// spec names no index).
type Opener func(index int) (Device, error)

// Lister reports the devices of one kind that are usable on this machine,
// as one-line descriptions, or an error saying why there are none.
type Lister func() ([]string, error)

type backend struct {
	open     Opener
	list     Lister
	priority int
}

var (
	mu       sync.Mutex
	backends = map[string]backend{}
)

// Register makes a backend kind (e.g. "cpu", "cuda") available to Open.
// Backends with a higher priority are preferred by "auto". Register is meant
// to be called from a backend package's init function.
func Register(kind string, priority int, open Opener, list Lister) {
	mu.Lock()
	defer mu.Unlock()
	backends[kind] = backend{open: open, list: list, priority: priority}
}

// Kinds returns the registered backend kinds, most preferred first.
func Kinds() []string {
	mu.Lock()
	defer mu.Unlock()
	kinds := make([]string, 0, len(backends))
	for k := range backends {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		bi, bj := backends[kinds[i]], backends[kinds[j]]
		if bi.priority != bj.priority {
			return bi.priority > bj.priority
		}
		return kinds[i] < kinds[j]
	})
	return kinds
}

// List returns, for a registered kind, its usable devices or the reason there
// are none.
func List(kind string) ([]string, error) {
	mu.Lock()
	b, ok := backends[kind]
	mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("unknown device kind %q", kind)
	}
	return b.list()
}

// Open opens the device named by spec: "auto" (the most preferred kind that
// opens), "cpu", "cuda" or "cuda:N".
func Open(spec string) (Device, error) {
	if spec == "auto" {
		var firstErr error
		for _, k := range Kinds() {
			d, err := Open(k)
			if err == nil {
				return d, nil
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		return nil, fmt.Errorf("no usable device: %v", firstErr)
	}
	kind, idxText, hasIdx := strings.Cut(spec, ":")
	index := 0
	if hasIdx {
		if _, err := fmt.Sscanf(idxText, "%d", &index); err != nil || index < 0 || fmt.Sprint(index) != idxText {
			return nil, fmt.Errorf("invalid device %q: the index after ':' must be a non-negative integer", spec)
		}
	}
	mu.Lock()
	b, ok := backends[kind]
	mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("invalid device %q: want auto, %s", spec, strings.Join(Kinds(), ", "))
	}
	return b.open(index)
}
