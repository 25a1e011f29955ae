package cpu

import (
	"github.com/gputrain/gputrain/cpu/internal/act"
	"github.com/gputrain/gputrain/cpu/internal/vec"
	"github.com/gputrain/gputrain/device"
)

// biasAct adds bias to z in place (none when bias is nil) and writes out =
// act(z), for a rows×cols block.
func biasAct(a device.Activation, alpha float32, out, z, bias []float32, rows, cols int) {
	if bias != nil {
		vec.AddBias(z, z, bias, rows, cols)
	}
	if a == device.Identity && len(out) > 0 && &out[0] == &z[0] {
		return // in place: the output is z
	}
	act.Table[a].Forward(out, z, alpha)
}

// BiasActivation adds bias to z in place (a nil bias adds nothing) and
// writes out = act(z); out may be z.
func (d *Device) BiasActivation(a device.Activation, alpha float32, z, bias, out device.Buffer, rows, cols int) {
	n := rows * cols
	j := &d.job
	*j = ewJob{op: opBiasAct, act: a, f0: alpha, a: f32(z)[:n], c: f32(out)[:n], rows: rows, cols: cols}
	if bias != nil {
		j.b = f32(bias)[:cols]
	}
	j.run(n * (1 + act.Table[a].Cost))
}

// ActivationBackward computes dz = dout·act′(z), given z and out = act(z).
func (d *Device) ActivationBackward(a device.Activation, alpha float32, z, out, dout, dz device.Buffer, n int) {
	j := &d.job
	*j = ewJob{op: opActGrad, act: a, f0: alpha, a: f32(z)[:n], e: f32(out)[:n], b: f32(dout)[:n], c: f32(dz)[:n], n: n}
	j.run(n * act.Table[a].Cost)
}
