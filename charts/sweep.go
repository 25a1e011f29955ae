package charts

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Point is one configuration of a hyper-parameter sweep: the swept value
// (or a category's position), and a result's mean and standard deviation
// over the configuration's runs.
type Point struct {
	X, Y, SD float64
}

// errPoints serves points to gonum's error bars.
type errPoints []Point

func (p errPoints) Len() int                    { return len(p) }
func (p errPoints) XY(i int) (float64, float64) { return p[i].X, p[i].Y }
func (p errPoints) YError(i int) (float64, float64) {
	return p[i].SD, p[i].SD
}

// Sweep draws a result (yLabel) against a swept flag's values (xLabel):
// one dot per configuration with a bar of ±1 sd. With categories the
// points' X are indices into it and the axis is labelled by name (an
// activation, a list of widths); otherwise the axis is numeric, and
// logarithmic with logX (every X must then be positive).
func Sweep(title, xLabel, yLabel string, pts []Point, categories []string, logX bool) (*plot.Plot, error) {
	p := newPlot(title, xLabel, yLabel)
	var finite errPoints
	for _, pt := range pts {
		if !math.IsNaN(pt.Y) && !math.IsInf(pt.Y, 0) && !math.IsNaN(pt.SD) && !math.IsInf(pt.SD, 0) {
			finite = append(finite, pt)
		}
	}
	if len(finite) == 0 {
		return nil, fmt.Errorf("charts: no finite %s to draw", yLabel)
	}
	sc, err := plotter.NewScatter(finite)
	if err != nil {
		return nil, err
	}
	sc.GlyphStyle.Color, sc.GlyphStyle.Radius, sc.GlyphStyle.Shape = blue, vg.Points(3), draw.CircleGlyph{}
	eb, err := plotter.NewYErrorBars(finite)
	if err != nil {
		return nil, err
	}
	eb.Color = blue
	p.Add(eb, sc)
	switch {
	case categories != nil:
		ticks := make(plot.ConstantTicks, len(categories))
		for i, c := range categories {
			ticks[i] = plot.Tick{Value: float64(i), Label: c}
		}
		p.X.Tick.Marker = ticks
		p.X.Min, p.X.Max = -0.5, float64(len(categories))-0.5
	case logX:
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		p.X.Min, p.X.Max = p.X.Min/1.25, p.X.Max*1.25
	default:
		// Keep the end points off the frame.
		pad := 0.05 * (p.X.Max - p.X.Min)
		if pad == 0 {
			pad = 0.5 * math.Max(math.Abs(p.X.Min), 1)
		}
		p.X.Min, p.X.Max = p.X.Min-pad, p.X.Max+pad
	}
	pad := 0.05 * (p.Y.Max - p.Y.Min)
	p.Y.Min, p.Y.Max = p.Y.Min-pad, p.Y.Max+pad
	return p, nil
}
