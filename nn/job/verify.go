package job

import (
	"github.com/gputrain/gputrain/data"
	"github.com/gputrain/gputrain/nn"
)

// VerifyConfig prepares what Verify needs from an experiment: every row of
// ds for training (standardised over all rows when e.Standardize), the
// experiment's network and optimizer, and steps updates.
func (e *Experiment) VerifyConfig(ds *data.Dataset, steps int) (cfg nn.TrainConfig, x, y []float32, n int, err error) {
	p, err := e.prepare(ds)
	if err != nil {
		return cfg, nil, nil, 0, err
	}
	rows := make([]int, ds.Rows())
	for i := range rows {
		rows[i] = i
	}
	std := ds
	if e.Standardize {
		std = data.FitScaler(ds, nil).Transform(ds)
	}
	if cfg, err = e.trainConfig(p, rows); err != nil {
		return cfg, nil, nil, 0, err
	}
	cfg.Steps, cfg.Epochs = steps, 0
	return cfg, matrix32(std, rows), targets32(p.y, rows), len(rows), nil
}
