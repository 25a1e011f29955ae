package sweep

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is the share of a sweep's trials one job runs when N jobs split
// it: trial i belongs to shard i mod Count, so that every shard gets
// trials from all over the grid (its large and small networks alike).
type Shard struct {
	Index, Count int // 0 ≤ Index < Count
}

// All is the whole sweep as one shard.
var All = Shard{0, 1}

// Owns reports whether trial i is the shard's.
func (s Shard) Owns(i int) bool { return i%s.Count == s.Index }

// String writes the shard as --shard takes it.
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ParseShard parses I/N: shard I (counted from 0) of N.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	idx, err1 := strconv.Atoi(strings.TrimSpace(i))
	count, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil || count < 1 || idx < 0 || idx >= count {
		return Shard{}, fmt.Errorf("invalid --shard %q: want I/N with 0 ≤ I < N, such as 0/4 (shard I of N, counted from 0)", s)
	}
	return Shard{idx, count}, nil
}

// FromEnv reads the shard a batch system gives the job: a Slurm job
// array's task (SLURM_ARRAY_TASK_ID counted from SLURM_ARRAY_TASK_MIN, of
// SLURM_ARRAY_TASK_COUNT), or a Kubernetes Indexed Job's completion index
// (JOB_COMPLETION_INDEX, of count, which the Job's spec holds but its pods
// are not told: the caller passes it from a flag, 0 when not given). It
// returns ok false outside both. getenv is os.Getenv in the command.
func FromEnv(getenv func(string) string, count int) (s Shard, source string, err error) {
	atoi := func(name string) (int, error) {
		v, err := strconv.Atoi(strings.TrimSpace(getenv(name)))
		if err != nil {
			return 0, fmt.Errorf("%s=%q is not a number", name, getenv(name))
		}
		return v, nil
	}
	if getenv("SLURM_ARRAY_TASK_ID") != "" && getenv("SLURM_ARRAY_TASK_COUNT") != "" {
		id, err := atoi("SLURM_ARRAY_TASK_ID")
		if err != nil {
			return s, "", err
		}
		n, err := atoi("SLURM_ARRAY_TASK_COUNT")
		if err != nil {
			return s, "", err
		}
		lo := 0
		if getenv("SLURM_ARRAY_TASK_MIN") != "" {
			if lo, err = atoi("SLURM_ARRAY_TASK_MIN"); err != nil {
				return s, "", err
			}
		}
		// Arrays with a step (--array=0-15:4) or gaps number their tasks
		// sparsely: shards must be 0…N-1.
		if id-lo < 0 || id-lo >= n {
			return s, "", fmt.Errorf("Slurm array task %d (from %d, %d tasks) is not one of a dense array such as --array=0-%d: give --shard I/N", id, lo, n, n-1)
		}
		return Shard{id - lo, n}, "Slurm job array", nil
	}
	if v := getenv("JOB_COMPLETION_INDEX"); v != "" {
		id, err := atoi("JOB_COMPLETION_INDEX")
		if err != nil {
			return s, "", err
		}
		if count < 1 {
			return s, "", fmt.Errorf("JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job): give --shards N, the Job's completions")
		}
		if id < 0 || id >= count {
			return s, "", fmt.Errorf("JOB_COMPLETION_INDEX=%d is not below --shards %d", id, count)
		}
		return Shard{id, count}, "Kubernetes Indexed Job", nil
	}
	if count > 0 {
		return s, "", fmt.Errorf("--shards %d goes with a Kubernetes Indexed Job (JOB_COMPLETION_INDEX), which is not set here: give --shard I/N", count)
	}
	return All, "", nil
}
