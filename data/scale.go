package data

import "math"

// Scaler standardises features column by column: x' = (x - Mean) / Scale.
type Scaler struct {
	// Mean is the per-column mean of the fitted rows.
	Mean []float64
	// Scale is the per-column sample standard deviation (ddof = 1) of the
	// fitted rows, or 1 where that is 0 or undefined (fewer than two rows),
	// so that a constant column maps to 0.
	Scale []float64
}

// FitScaler computes the per-column mean and sample standard deviation
// (ddof = 1, as the workshop's preprocessing and pandas do) over the given
// rows of d; rows nil means all rows. Fit on the training rows only to keep
// validation and test data unseen.
func FitScaler(d *Dataset, rows []int) *Scaler {
	c := d.Cols()
	s := &Scaler{Mean: make([]float64, c), Scale: make([]float64, c)}
	vals := d.values()
	m := len(rows)
	if rows == nil {
		m = d.Rows()
	}
	row := func(k int) []float64 {
		i := k
		if rows != nil {
			i = rows[k]
		}
		return vals[i*c : (i+1)*c]
	}
	for k := 0; k < m; k++ {
		for j, v := range row(k) {
			s.Mean[j] += v
		}
	}
	if m > 0 {
		for j := range s.Mean {
			s.Mean[j] /= float64(m)
		}
	}
	ss := make([]float64, c)
	for k := 0; k < m; k++ {
		for j, v := range row(k) {
			dv := v - s.Mean[j]
			ss[j] += dv * dv
		}
	}
	for j := range s.Scale {
		sd := 0.0
		if m > 1 {
			sd = math.Sqrt(ss[j] / float64(m-1))
		}
		if sd == 0 || math.IsNaN(sd) || math.IsInf(sd, 0) {
			sd = 1
		}
		s.Scale[j] = sd
	}
	return s
}

// Transform returns a new data set with every feature standardised; labels,
// names, source and label locations carry over. It panics if d does not
// have len(s.Mean) columns; check Cols first when the data come from a user.
func (s *Scaler) Transform(d *Dataset) *Dataset {
	c := d.Cols()
	if c != len(s.Mean) || c != len(s.Scale) {
		panic("data: Scaler.Transform: data set has a different number of columns than the scaler")
	}
	out := d.describedLike()
	if d.Labels != nil {
		out.Labels = append([]string(nil), d.Labels...)
	}
	if d.labelAt != nil {
		out.labelAt = append([]cellPos(nil), d.labelAt...)
	}
	vals := append([]float64(nil), d.values()...)
	for r := 0; r < d.Rows(); r++ {
		s.StandardizeRow(vals[r*c : (r+1)*c])
	}
	out.X = newMatrix(vals, d.Rows(), c)
	return out
}

// StandardizeRow standardises one row of features in place: (x − mean) /
// scale per column. It is what Transform does to every row, for callers
// that predict a row at a time.
func (s *Scaler) StandardizeRow(x []float64) {
	for j := range x {
		x[j] = (x[j] - s.Mean[j]) / s.Scale[j]
	}
}
