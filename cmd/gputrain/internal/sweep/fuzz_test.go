package sweep

import (
	"bytes"
	"io"
	"math"
	"strconv"
	"testing"
)

// FuzzParseParam: any flag value either is refused or gives a list, or a
// range whose draws are numbers inside it (whole numbers for Integer).
func FuzzParseParam(f *testing.F) {
	for _, s := range []string{"0.1,0.3", "1e-4:1e-1:log", "1:64", "2:64:log", "0.5:0.1", "1:2:lin", "a,b", ":", "1e308:1.7e308:log", "-3:-1"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
	}
	f.Fuzz(func(t *testing.T, spec string, k uint8) {
		kind := Kind(k % 3)
		p, err := ParseParam("x", []string{spec}, kind, ",")
		if err != nil {
			return
		}
		if p.Range == nil {
			if len(p.Values) == 0 {
				t.Fatalf("%q: no values and no range", spec)
			}
			return
		}
		r := *p.Range
		if !(r.Lo <= r.Hi) || r.Log && r.Lo <= 0 || kind == Choice {
			t.Fatalf("%q (kind %d) accepted as range %+v", spec, kind, r)
		}
		trials, err := Plan{Params: []Param{p}, Trials: 20, Seed: uint64(k)}.Expand()
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range trials {
			v, err := strconv.ParseFloat(tr.Values[0].Value, 64)
			if err != nil || v < r.Lo || v > r.Hi || math.IsNaN(v) || r.Int && v != math.Trunc(v) {
				t.Fatalf("%q: drew %q outside %+v", spec, tr.Values[0].Value, r)
			}
		}
	})
}

// FuzzRead: any file either is refused or reads as records of one sweep
// that merge and print without a panic.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"type":"sweep","sweep":"abc","trials":2}` + "\n" +
		`{"type":"trial","sweep":"abc","trials":2,"trial":1,"params":[{"flag":"lr","value":"0.1"}],"split":"validation","summary":[{"name":"loss","mean":3,"sd":null,"n":1}],"runs":[]}` + "\n"))
	f.Add([]byte(`{"type":"trial","sweep":"abc","trials":1,"trial":0}`))
	f.Add([]byte("{}\n\n{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		src, err := Read(bytes.NewReader(b), "f.jsonl")
		if err != nil {
			return
		}
		for _, r := range src.Records {
			if r.Sweep != src.Sweep || r.Trial < 0 || r.Trial >= src.Trials {
				t.Fatalf("record %+v in a source of sweep %s of %d trials", r, src.Sweep, src.Trials)
			}
		}
		recs, missing, err := Merge([]Source{src})
		if err != nil {
			return
		}
		if len(recs)+len(missing) != src.Trials {
			t.Fatalf("%d records and %d missing of %d trials", len(recs), len(missing), src.Trials)
		}
		Rank(recs)
		if err := WriteLeaderboard(io.Discard, recs); err != nil {
			t.Fatal(err)
		}
	})
}
