//go:build !amd64

package bench

// fmaKernel has no assembly FMA loop outside amd64.
func fmaKernel() (func(int), float64, string) { return nil, 0, "" }
