package metrics

import (
	"fmt"
	"math"
)

// Regression holds the metrics of a regression task.
type Regression struct {
	// MSE is the mean squared error.
	MSE float64
	// MAE is the mean absolute error.
	MAE float64
	// R2 is the coefficient of determination.
	R2 float64
}

// EvalRegression compares predictions pred with targets y. R2 is
// 1 − SS_res/SS_tot as scikit-learn's r2_score; when SS_tot is 0 (constant y)
// it is 1 if SS_res is 0 and 0 otherwise. With empty input every metric is
// NaN.
//
// It panics if y and pred differ in length.
func EvalRegression(y, pred []float64) Regression {
	if len(y) != len(pred) {
		panic(fmt.Sprintf("metrics: EvalRegression: %d targets but %d predictions", len(y), len(pred)))
	}
	n := float64(len(y))
	if len(y) == 0 {
		return Regression{MSE: math.NaN(), MAE: math.NaN(), R2: math.NaN()}
	}
	var mean float64
	for _, v := range y {
		mean += v
	}
	mean /= n
	var ssRes, sAbs, ssTot float64
	for i, v := range y {
		d := v - pred[i]
		ssRes += d * d
		sAbs += math.Abs(d)
		ssTot += (v - mean) * (v - mean)
	}
	r := Regression{MSE: ssRes / n, MAE: sAbs / n}
	switch {
	case ssTot != 0:
		r.R2 = 1 - ssRes/ssTot
	case ssRes == 0:
		r.R2 = 1
	default:
		r.R2 = 0
	}
	return r
}

// Named lists the metrics in the order mse, mae, r2.
func (r Regression) Named() []Value {
	return []Value{
		{"mse", r.MSE},
		{"mae", r.MAE},
		{"r2", r.R2},
	}
}
