package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// cpuInfo is what /proc/cpuinfo says about the first processor.
type cpuInfo struct {
	model string
	mhz   float64
	flags map[string]bool
}

// parseCPUInfo reads the first processor's model name, MHz and flags.
func parseCPUInfo(text string) cpuInfo {
	c := cpuInfo{flags: map[string]bool{}}
	for _, line := range strings.Split(text, "\n") {
		name, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		switch {
		case name == "model name" && c.model == "":
			c.model = val
		case name == "cpu MHz" && c.mhz == 0:
			c.mhz, _ = strconv.ParseFloat(val, 64)
		case name == "flags" && len(c.flags) == 0:
			for _, f := range strings.Fields(val) {
				c.flags[f] = true
			}
		}
	}
	return c
}

func readCPUInfo() cpuInfo {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return parseCPUInfo(string(b))
}

// machineInfo is the machine line of the report.
func machineInfo() string {
	c := readCPUInfo()
	model := c.model
	if model == "" {
		model = "unknown CPU"
	}
	s := fmt.Sprintf("%s, %d logical CPUs (GOMAXPROCS %d), %s/%s", model, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	if c.mhz > 0 {
		s += fmt.Sprintf(", %.0f MHz per /proc/cpuinfo", c.mhz)
	}
	if rel, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		s += ", Linux " + strings.TrimSpace(string(rel))
	}
	if host, err := os.Hostname(); err == nil {
		s += ", host " + host
	}
	return s
}

// loadAverage is the 1-minute load average ("" where unknown).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return ""
}

// theoreticalPeak is the float32 FMA limit the CPU's nominal clock allows,
// assuming two FMA units of the widest vector width (an assumption: some
// CPUs have one 512-bit unit). Empty when unknown.
func theoreticalPeak() (string, float64) {
	return theoreticalFrom(readCPUInfo(), runtime.GOMAXPROCS(0))
}

func theoreticalFrom(c cpuInfo, cores int) (string, float64) {
	var perCycle float64
	var units string
	switch {
	case c.flags["avx512f"]:
		perCycle, units = 64, "two 512-bit FMA units"
	case c.flags["avx2"] && c.flags["fma"]:
		perCycle, units = 32, "two 256-bit FMA units"
	default:
		return "", 0
	}
	if c.mhz <= 0 {
		return "", 0
	}
	gf := float64(cores) * perCycle * c.mhz / 1e3
	return fmt.Sprintf("%.0f GFLOP/s = %d cores × %.0f flops/cycle (%s, assumed) × %.2f GHz (the clock /proc/cpuinfo reports; turbo may differ)",
		gf, cores, perCycle, units, c.mhz/1e3), gf
}

// blasEnvNote says what the runner did about the OpenBLAS overrides.
func blasEnvNote() string {
	var set []string
	for _, name := range []string{"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"} {
		if v, ok := os.LookupEnv(name); ok {
			set = append(set, name+"="+v)
		}
	}
	if len(set) == 0 {
		return "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for the reference processes (they were not set here either)"
	}
	return "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for the reference processes (here: " + strings.Join(set, ", ") + ", which would hold OpenBLAS to an older kernel)"
}
