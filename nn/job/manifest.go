package job

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/device"
)

// Commit returns the VCS revision gputrain was built from ("unknown" when
// the build recorded none), with "-dirty" appended when the working tree
// had local changes.
func Commit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}

// SplitHash is the SHA-256 of a data split's row indices (train, then
// validation, then test), so that two runs can be checked to have used the
// same rows.
func SplitHash(train, val, test []int) string {
	h := sha256.New()
	var buf [8]byte
	for i, part := range [][]int{train, val, test} {
		binary.LittleEndian.PutUint64(buf[:], uint64(len(part)))
		h.Write([]byte{byte(i)})
		h.Write(buf[:])
		for _, r := range part {
			binary.LittleEndian.PutUint64(buf[:], uint64(r))
			h.Write(buf[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Manifest is the record of how a run was made, written into every model
// file, checkpoint and log: seed, gputrain version and commit, Go version,
// device, command-line flags, and the SHA-256 of the data and of the split.
func (e *Experiment) Manifest(dev device.Device, ds *data.Dataset, train, val, test []int) map[string]string {
	m := map[string]string{
		"gputrain_version": Version,
		"commit":           Commit(),
		"go_version":       runtime.Version(),
		"device":           dev.Describe(),
		"seed":             strconv.FormatUint(e.Seed, 10),
		"data_source":      ds.Source,
		"data_sha256":      DataHash(ds),
		"split_sha256":     SplitHash(train, val, test),
	}
	setFlags(m, e.Flags)
	return m
}

// setFlags records the command-line flags in manifest m.
func setFlags(m, flags map[string]string) {
	if flags == nil {
		flags = map[string]string{}
	}
	if b, err := json.Marshal(flags); err == nil {
		m["flags"] = string(b)
	}
}
