// Package sweep plans hyper-parameter sweeps and gathers their results: the
// values each swept flag takes (a grid list or a random range), the trials
// they expand to, the share of the trials one job of many runs (--shard,
// Slurm job arrays, Kubernetes Indexed Jobs), the JSON Lines record of a
// finished trial, and the leaderboard built from records, whether one run
// wrote them all or shards wrote them in parts.
package sweep

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Param is one swept flag: a list of values (every one is tried: a grid) or
// a range that trials draw from at random.
type Param struct {
	Flag   string   `json:"flag"`
	Values []string `json:"values,omitempty"` // the list, when Range is nil
	Range  *Range   `json:"range,omitempty"`
}

// Range is an interval a random search draws from: uniformly, or
// log-uniformly (Log), as integers when Int.
type Range struct {
	Lo  float64 `json:"lo"`
	Hi  float64 `json:"hi"`
	Log bool    `json:"log,omitempty"`
	Int bool    `json:"int,omitempty"`
}

// Kind says what values a flag takes, which decides whether it may have a
// range and how a range's draws are written.
type Kind int

const (
	// Real flags take any number (learning rate, weight decay): ranges
	// draw floating-point values.
	Real Kind = iota
	// Integer flags (batch size, a single hidden layer's width): ranges
	// draw whole numbers.
	Integer
	// Choice flags (activation, optimizer, several hidden widths) take
	// lists only.
	Choice
)

// ParseParam parses the values one swept flag was given: each occurrence
// of the flag (repeating it adds values) is a comma list, or for listSep
// ";" a ";"-separated list (for flags whose single value holds commas, as
// --hidden 64,32 does), or lo:hi or lo:hi:log, a range. A flag has either
// a range or lists. Errors name the flag.
func ParseParam(flag string, occurrences []string, kind Kind, listSep string) (Param, error) {
	p := Param{Flag: flag}
	for _, occ := range occurrences {
		if strings.Contains(occ, ":") {
			if len(occurrences) > 1 {
				return p, fmt.Errorf("--%s: a range (%s) cannot be combined with other values of the flag", flag, occ)
			}
			r, err := parseRange(flag, occ, kind)
			if err != nil {
				return p, err
			}
			p.Range = &r
			return p, nil
		}
		for _, v := range strings.Split(occ, listSep) {
			v = strings.TrimSpace(v)
			if v == "" && listSep == "," {
				return p, fmt.Errorf("invalid --%s %q: an empty value in the list", flag, occ)
			}
			p.Values = append(p.Values, v)
		}
	}
	return p, nil
}

// parseRange parses lo:hi or lo:hi:log.
func parseRange(flag, s string, kind Kind) (Range, error) {
	bad := func(why string) (Range, error) {
		return Range{}, fmt.Errorf("invalid --%s range %q: %s", flag, s, why)
	}
	if kind == Choice {
		return bad("this flag takes a list of values, not a range")
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return bad("want lo:hi or lo:hi:log")
	}
	r := Range{Int: kind == Integer}
	if len(parts) == 3 {
		switch strings.TrimSpace(parts[2]) {
		case "log":
			r.Log = true
		case "lin", "linear":
		default:
			return bad("the third part must be log or lin")
		}
	}
	var err error
	if r.Lo, err = strconv.ParseFloat(strings.TrimSpace(parts[0]), 64); err != nil || math.IsNaN(r.Lo) || math.IsInf(r.Lo, 0) {
		return bad("lo is not a number")
	}
	if r.Hi, err = strconv.ParseFloat(strings.TrimSpace(parts[1]), 64); err != nil || math.IsNaN(r.Hi) || math.IsInf(r.Hi, 0) {
		return bad("hi is not a number")
	}
	if r.Int && (r.Lo != math.Trunc(r.Lo) || r.Hi != math.Trunc(r.Hi) || r.Lo < math.MinInt32 || r.Hi > math.MaxInt32) {
		return bad("this flag takes whole numbers from -2147483648 to 2147483647")
	}
	switch {
	case r.Lo > r.Hi:
		return bad("the range is empty (lo > hi)")
	case r.Log && r.Lo <= 0:
		return bad("a log range needs lo > 0")
	}
	return r, nil
}

// draw returns a random value of r, written as the flag takes it: whole
// numbers for Int ranges, else four significant digits (a sweep's points
// need no more, and short values read well in a leaderboard).
func (r Range) draw(rng *rand.Rand) string {
	u := rng.Float64()
	if r.Int {
		var v float64
		if r.Log {
			v = math.Floor(math.Exp(math.Log(r.Lo) + u*(math.Log(r.Hi+1)-math.Log(r.Lo))))
		} else {
			v = r.Lo + math.Floor(u*(r.Hi-r.Lo+1))
		}
		return strconv.FormatInt(int64(math.Min(v, r.Hi)), 10)
	}
	v := r.Lo*(1-u) + r.Hi*u // not Lo + u·(Hi−Lo), which overflows for far-apart ends
	if r.Log {
		v = math.Exp(math.Log(r.Lo) + u*(math.Log(r.Hi)-math.Log(r.Lo)))
	}
	v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64)
	return strconv.FormatFloat(math.Min(math.Max(v, r.Lo), r.Hi), 'g', -1, 64)
}

// Assignment is one flag's value in a trial.
type Assignment struct {
	Flag  string `json:"flag"`
	Value string `json:"value"`
}

// Trial is one configuration of a sweep: its 0-based index among the
// sweep's trials and the swept flags' values.
type Trial struct {
	Index  int
	Values []Assignment
}

// Plan is a sweep: its swept flags in a fixed order and, for a random
// search (any Param with a Range), the number of trials and the seed
// they are drawn with.
type Plan struct {
	Params []Param
	Trials int
	Seed   uint64
}

// Random reports whether the plan draws its trials at random.
func (p Plan) Random() bool {
	for _, q := range p.Params {
		if q.Range != nil {
			return true
		}
	}
	return false
}

// MaxTrials bounds a sweep's trials, so that a grid of long lists is
// refused before it is enumerated.
const MaxTrials = 1_000_000

// Expand lists the plan's trials. A grid is the cross product of the
// lists, the last flag varying fastest. A random search draws Trials
// configurations: each range a value of its own, each list one of its
// values, from a generator seeded by Seed alone, so every shard of a
// sweep draws the same trials.
func (p Plan) Expand() ([]Trial, error) {
	if !p.Random() {
		if p.Trials > 0 {
			return nil, fmt.Errorf("--trials draws random configurations from ranges (such as --lr 1e-4:1e-1:log): no swept flag has a range")
		}
		n := 1
		for _, q := range p.Params {
			n *= len(q.Values)
			if n > MaxTrials {
				return nil, fmt.Errorf("the grid has over %d configurations", MaxTrials)
			}
		}
		trials := make([]Trial, n)
		for i := range trials {
			trials[i].Index = i
			rest := i
			vals := make([]Assignment, len(p.Params))
			for k := len(p.Params) - 1; k >= 0; k-- {
				q := p.Params[k]
				vals[k] = Assignment{q.Flag, q.Values[rest%len(q.Values)]}
				rest /= len(q.Values)
			}
			trials[i].Values = vals
		}
		return trials, nil
	}
	if p.Trials < 1 || p.Trials > MaxTrials {
		return nil, fmt.Errorf("a range needs --trials N, the number of random configurations, from 1 to %d", MaxTrials)
	}
	rng := rand.New(rand.NewPCG(p.Seed, 0x5eed5eed))
	trials := make([]Trial, p.Trials)
	for i := range trials {
		trials[i].Index = i
		for _, q := range p.Params {
			v := ""
			if q.Range != nil {
				v = q.Range.draw(rng)
			} else {
				v = q.Values[rng.IntN(len(q.Values))]
			}
			trials[i].Values = append(trials[i].Values, Assignment{q.Flag, v})
		}
	}
	return trials, nil
}

// String writes a trial's values as flags: --lr 0.1 --dropout 0.2.
func (t Trial) String() string {
	var b strings.Builder
	for i, a := range t.Values {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "--%s %s", a.Flag, Quote(a.Value))
	}
	return b.String()
}

// Quote quotes a flag value for a POSIX shell when it needs it.
func Quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`;&|<>()*?[]#~!{}") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
