// Package charts draws gputrain's training pictures with gonum/plot: loss
// curves, a confusion-matrix heatmap with counts, and ROC curves. Each
// chart is written as PNG and SVG.
package charts

import (
	"bytes"
	"cmp"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/gputrain/gputrain/internal/atomicfile"
	"github.com/gputrain/gputrain/metrics"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Width and Height are the size of every chart: 6×4.5 inches, 576×432
// pixels in PNG.
var (
	Width  = 6 * vg.Inch
	Height = 4.5 * vg.Inch
)

// Colors of the series (the first two of matplotlib's default cycle, then
// a green for a third).
var (
	blue   = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	orange = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	green  = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
	grey   = color.RGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff}
)

// Series is one named curve.
type Series struct {
	Name string
	X, Y []float64
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.X.Label.Text, p.Y.Label.Text = x, y
	p.Add(plotter.NewGrid())
	return p
}

func xys(s Series) plotter.XYs {
	pts := make(plotter.XYs, 0, len(s.X))
	for i := range s.X {
		if !math.IsNaN(s.Y[i]) && !math.IsInf(s.Y[i], 0) {
			pts = append(pts, plotter.XY{X: s.X[i], Y: s.Y[i]})
		}
	}
	return pts
}

// Mark is a vertical line across a chart, e.g. the step early stopping
// went back to.
type Mark struct {
	X     float64
	Label string
}

// LossCurves draws loss curves (training first, then validation) against
// the update step, with dashed vertical lines at marks. With logY the loss
// axis is logarithmic (for losses that fall over orders of magnitude; all
// values must then be positive).
func LossCurves(series []Series, xLabel, yLabel string, logY bool, marks ...Mark) (*plot.Plot, error) {
	p := newPlot("Loss", xLabel, yLabel)
	colors := []color.Color{blue, orange, green}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, pt := range xys(s) {
			lo, hi = math.Min(lo, pt.Y), math.Max(hi, pt.Y)
		}
	}
	for i, s := range series {
		pts := xys(s)
		if len(pts) == 0 {
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = colors[i%len(colors)], vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(s.Name, l)
		if len(pts) <= 60 {
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle.Color, sc.GlyphStyle.Radius, sc.GlyphStyle.Shape = colors[i%len(colors)], vg.Points(2), draw.CircleGlyph{}
			p.Add(sc)
		}
	}
	for _, m := range marks {
		if lo > hi {
			break
		}
		l, err := plotter.NewLine(plotter.XYs{{X: m.X, Y: lo}, {X: m.X, Y: hi}})
		if err != nil {
			return nil, err
		}
		l.Color, l.Dashes = grey, []vg.Length{vg.Points(4), vg.Points(4)}
		p.Add(l)
		p.Legend.Add(m.Label, l)
	}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Legend.Top = true
	return p, nil
}

// blues is a 256-step palette from white to ColorBrewer's darkest blue, as
// seaborn's heatmap with cmap="Blues" draws.
type blues struct{ colors []color.Color }

// Colors implements palette.Palette.
func (b blues) Colors() []color.Color { return b.colors }

func newBlues() (blues, error) {
	pal, err := brewer.GetPalette(brewer.TypeSequential, "Blues", 9)
	if err != nil {
		return blues{}, err
	}
	stops := pal.Colors()
	var out []color.Color
	const n = 256
	for i := 0; i < n; i++ {
		pos := float64(i) / (n - 1) * float64(len(stops)-1)
		j := min(int(pos), len(stops)-2)
		f := pos - float64(j)
		r0, g0, b0, _ := stops[j].RGBA()
		r1, g1, b1, _ := stops[j+1].RGBA()
		mix := func(a, b uint32) uint8 { return uint8((float64(a)*(1-f) + float64(b)*f) / 257) }
		out = append(out, color.RGBA{R: mix(r0, r1), G: mix(g0, g1), B: mix(b0, b1), A: 0xff})
	}
	return blues{out}, nil
}

// confusionGrid presents a confusion matrix to the heat map: column c is
// the predicted class, row r the actual class, with the first class at the
// top.
type confusionGrid struct{ c metrics.Confusion }

// Dims implements plotter.GridXYZ (and so do Z, X and Y).
func (g confusionGrid) Dims() (int, int) { k := len(g.c.Classes); return k, k }

// Z is the count of actual class k−1−r predicted as c.
func (g confusionGrid) Z(c, r int) float64 {
	k := len(g.c.Classes)
	return float64(g.c.Counts[k-1-r][c])
}

// X is column c's position.
func (g confusionGrid) X(c int) float64 { return float64(c) }

// Y is row r's position.
func (g confusionGrid) Y(r int) float64 { return float64(r) }

// Confusion draws a confusion matrix as a heat map with the count in each
// cell, actual classes down the side and predicted classes along the
// bottom, the first class in the top-left corner.
func Confusion(c metrics.Confusion, title string) (*plot.Plot, error) {
	k := len(c.Classes)
	if k == 0 || len(c.Counts) != k {
		return nil, fmt.Errorf("charts: a confusion matrix with %d classes and %d rows", k, len(c.Counts))
	}
	pal, err := newBlues()
	if err != nil {
		return nil, err
	}
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.X.Label.Text, p.Y.Label.Text = "predicted", "actual"
	maxCount := 0
	for _, row := range c.Counts {
		for _, v := range row {
			maxCount = max(maxCount, v)
		}
	}
	hm := plotter.NewHeatMap(confusionGrid{c}, pal)
	hm.Min, hm.Max = 0, math.Max(float64(maxCount), 1)
	p.Add(hm)
	var labels plotter.XYLabels
	var styles []text.Style
	size := vg.Points(math.Max(8, math.Min(20, 120/float64(k))))
	for r := 0; r < k; r++ {
		for col := 0; col < k; col++ {
			v := c.Counts[r][col]
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(col), Y: float64(k - 1 - r)})
			labels.Labels = append(labels.Labels, strconv.Itoa(v))
			ink := color.Color(color.Black)
			if float64(v) > 0.55*hm.Max {
				ink = color.White
			}
			styles = append(styles, text.Style{Color: ink, Font: font.From(plotter.DefaultFont, size),
				XAlign: text.XCenter, YAlign: text.YCenter, Handler: plot.DefaultTextHandler})
		}
	}
	lp, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	lp.TextStyle = styles
	p.Add(lp)
	xt, yt := make([]plot.Tick, k), make([]plot.Tick, k)
	for i, name := range c.Classes {
		xt[i] = plot.Tick{Value: float64(i), Label: name}
		yt[i] = plot.Tick{Value: float64(k - 1 - i), Label: name}
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xt), plot.ConstantTicks(yt)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -0.5, float64(k)-0.5, -0.5, float64(k)-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Tick.Length, p.Y.Tick.Length = 0, 0
	p.X.LineStyle.Width, p.Y.LineStyle.Width = 0, 0
	return p, nil
}

// ROCCurve is one classifier's scores with the true classes (1 positive).
type ROCCurve struct {
	Name   string
	Labels []int
	Scores []float64
}

// ROCPoints returns the ROC curve's false and true positive rates, from
// (0, 0) to (1, 1), one point per distinct score. It returns nil unless
// both classes occur.
func ROCPoints(labels []int, scores []float64) (fpr, tpr []float64) {
	var pos, neg float64
	for _, y := range labels {
		if y == 1 {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return nil, nil
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	fpr, tpr = []float64{0}, []float64{0}
	var tp, fp float64
	for k, i := range idx {
		if labels[i] == 1 {
			tp++
		} else {
			fp++
		}
		if k+1 < len(idx) && scores[idx[k+1]] == scores[i] {
			continue
		}
		fpr, tpr = append(fpr, fp/neg), append(tpr, tp/pos)
	}
	return fpr, tpr
}

// AUC integrates a ROC curve by the trapezoid rule.
func AUC(fpr, tpr []float64) float64 {
	var a float64
	for i := 1; i < len(fpr); i++ {
		a += (fpr[i] - fpr[i-1]) * (tpr[i] + tpr[i-1]) / 2
	}
	return a
}

// ROC draws ROC curves with the chance diagonal; the legend gives each
// curve's area under the curve.
func ROC(curves []ROCCurve) (*plot.Plot, error) {
	p := newPlot("ROC curve", "false positive rate", "true positive rate")
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return nil, err
	}
	diag.Color, diag.Dashes = grey, []vg.Length{vg.Points(4), vg.Points(4)}
	p.Add(diag)
	colors := []color.Color{blue, orange, green}
	drawn := 0
	for i, c := range curves {
		fpr, tpr := ROCPoints(c.Labels, c.Scores)
		if fpr == nil {
			continue
		}
		pts := make(plotter.XYs, len(fpr))
		for j := range fpr {
			pts[j] = plotter.XY{X: fpr[j], Y: tpr[j]}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = colors[i%len(colors)], vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (AUC %.3f)", c.Name, AUC(fpr, tpr)), l)
		drawn++
	}
	if drawn == 0 {
		return nil, fmt.Errorf("charts: no ROC curve can be drawn: every set lacks one of the classes")
	}
	p.Legend.Left, p.Legend.Top = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(6), vg.Points(6)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1.01
	var ticks []plot.Tick
	for i := 0; i <= 10; i++ {
		v := float64(i) / 10
		label := ""
		if i%2 == 0 {
			label = strconv.FormatFloat(v, 'f', 1, 64)
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(ticks), plot.ConstantTicks(ticks)
	return p, nil
}

// Render returns the chart in a format: "png" or "svg".
func Render(p *plot.Plot, format string) ([]byte, error) {
	wt, err := p.WriterTo(Width, Height, format)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save writes the chart to dir/name.png and dir/name.svg, atomically, and
// returns their paths.
func Save(p *plot.Plot, dir, name string) ([]string, error) {
	var paths []string
	for _, format := range []string{"png", "svg"} {
		b, err := Render(p, format)
		if err != nil {
			return paths, err
		}
		path := filepath.Join(dir, name+"."+format)
		if err := atomicfile.Write(path, b, 0o644); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}
