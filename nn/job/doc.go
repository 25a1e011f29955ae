// Package job is a training job as the gputrain CLI runs it, built on the
// engine in package nn: an Experiment splits and preprocesses the data,
// trains (or cross-validates) with an nn.Trainer and evaluates; model files
// and checkpoints store the result and a run's state in safetensors files
// with the run's provenance (the manifest); the PyTorch names and code let
// other frameworks load them. It imports nn; nn never imports it.
package job
