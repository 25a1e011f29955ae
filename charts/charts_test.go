package charts

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gputrain/gputrain/metrics"
	"gonum.org/v1/plot"
)

// checkPNG decodes a rendered chart and checks its size and that it is not
// blank: a fair share of its pixels are not white, in several colours.
func checkPNG(t *testing.T, name string, p *plot.Plot) image.Image {
	t.Helper()
	b, err := Render(p, "png")
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if r := img.Bounds(); r.Dx() != 576 || r.Dy() != 432 {
		t.Errorf("%s: %v pixels, want 576×432", name, r)
	}
	colors := map[[3]uint32]bool{}
	inked := 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			colors[[3]uint32{r >> 8, g >> 8, b >> 8}] = true
			if r < 0xf000 || g < 0xf000 || b < 0xf000 {
				inked++
			}
		}
	}
	if frac := float64(inked) / (576 * 432); frac < 0.01 || len(colors) < 8 {
		t.Errorf("%s: looks blank: %.2f%% of the pixels inked, %d colours", name, 100*frac, len(colors))
	}
	svg, err := Render(p, "svg")
	if err != nil || !strings.Contains(string(svg), "<svg") {
		t.Errorf("%s: SVG: %v", name, err)
	}
	if dir := os.Getenv("GPUTRAIN_CHARTS_DIR"); dir != "" {
		os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644)
	}
	return img
}

func TestLossCurves(t *testing.T) {
	var train, val Series
	for s := 0; s <= 3000; s += 10 {
		train.X, train.Y = append(train.X, float64(s)), append(train.Y, 0.2+1.5*math.Exp(-float64(s)/400))
		if s%100 == 0 {
			val.X, val.Y = append(val.X, float64(s)), append(val.Y, 0.3+1.4*math.Exp(-float64(s)/450))
		}
	}
	train.Name, val.Name = "training", "validation"
	p, err := LossCurves([]Series{train, val}, "step", "mean loss per row", false, Mark{X: 2100, Label: "best validation loss"})
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, "loss", p)
	if p, err = LossCurves([]Series{train}, "step", "loss", true); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, "loss-log", p)
}

func TestConfusion(t *testing.T) {
	c := metrics.NewConfusion([]string{"NRB", "RB"}, []int{0, 0, 0, 1, 1, 0, 1, 0}, []int{0, 0, 1, 1, 1, 0, 0, 0})
	p, err := Confusion(c, "confusion matrix (test)")
	if err != nil {
		t.Fatal(err)
	}
	img := checkPNG(t, "confusion", p)
	// The cell with the largest count (actual NRB, predicted NRB: 4) is the
	// darkest: its centre, in the top-left quarter of the data area, is dark blue.
	r, g, b, _ := img.At(200, 140).RGBA()
	if !(b > r && b > g && r < 0x8000) {
		t.Errorf("top-left cell's colour (%x, %x, %x) is not a dark blue", r>>8, g>>8, b>>8)
	}
	three := metrics.NewConfusion([]string{"setosa", "versicolor", "virginica"}, []int{0, 1, 2, 2, 1}, []int{0, 1, 2, 1, 1})
	if p, err = Confusion(three, "confusion matrix"); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, "confusion3", p)
}

func TestROC(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var labels []int
	var scores []float64
	for i := 0; i < 300; i++ {
		y := rng.IntN(2)
		labels = append(labels, y)
		scores = append(scores, 1/(1+math.Exp(-(2*float64(y)-1+rng.NormFloat64()))))
	}
	fpr, tpr := ROCPoints(labels, scores)
	if fpr[0] != 0 || tpr[0] != 0 || fpr[len(fpr)-1] != 1 || tpr[len(tpr)-1] != 1 {
		t.Fatalf("ROC from (%v, %v) to (%v, %v)", fpr[0], tpr[0], fpr[len(fpr)-1], tpr[len(tpr)-1])
	}
	y := labels
	auc := metrics.EvalBinary(nil, y, scores, 0.5).ROCAUC
	if got := AUC(fpr, tpr); math.Abs(got-auc) > 1e-12 {
		t.Errorf("trapezoid AUC %v, rank AUC %v", got, auc)
	}
	p, err := ROC([]ROCCurve{{"train", labels[:200], scores[:200]}, {"test", labels[200:], scores[200:]}})
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, "roc", p)
	if _, err := ROC([]ROCCurve{{"one class", []int{1, 1}, []float64{0.2, 0.4}}}); err == nil {
		t.Error("a ROC curve of one class draws")
	}
}
