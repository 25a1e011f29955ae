// Package metrics computes evaluation metrics for binary classification,
// multiclass classification and regression, following the definitions and
// edge-case conventions of scikit-learn (with zero_division=0) in float64.
//
// Each Eval function returns a metric set whose Named method lists the
// metrics as ordered (name, value) pairs; Summarize aggregates such lists
// across cross-validation folds or restarts, and FormatValues and
// Summary.String render them for printing.
//
// Invalid input (mismatched lengths, labels out of range) is a programming
// error and makes the functions panic. Empty input yields NaN metrics.
package metrics
