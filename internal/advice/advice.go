// Package advice lets a library message advise changing a setting without
// knowing how the program using the library spells it. The library names
// each setting in words ("learning rate"); the gputrain CLI rewrites the
// message with its flags ("--lr"), so the libraries never carry flag names.
package advice

import (
	"errors"
	"strings"
)

// Setting is a setting a user can change, named in words.
type Setting string

// The settings library messages advise on, each named as a message in
// words puts it.
const (
	Activation   Setting = "activation"
	AnomalyCheck Setting = "anomaly detection"
	BatchNorm    Setting = "batch normalisation"
	BatchSize    Setting = "batch size"
	Categorical  Setting = "categorical columns"
	Features     Setting = "feature columns"
	Header       Setting = "header setting"
	Hidden       Setting = "hidden"
	IDColumn     Setting = "id column"
	Ignore       Setting = "ignored columns"
	Init         Setting = "initialisation"
	InitFrom     Setting = "initial parameters from a file"
	Label        Setting = "label"
	LearningRate Setting = "learning rate"
	LRGamma      Setting = "step decay factor"
	LRMin        Setting = "minimum learning rate"
	LRSchedule   Setting = "learning-rate schedule"
	LRStepSize   Setting = "step size"
	Optimizer    Setting = "optimizer"
	Output       Setting = "the run's output"
	Reduction    Setting = "loss reduction"
	Restarts     Setting = "restarts"
	Resume       Setting = "a resumed training run"
	Standardize  Setting = "standardise the features"
	Strict       Setting = "strict reading"
	WarmupSteps  Setting = "warm-up"
)

// Namer names settings in a message.
type Namer func(Setting) string

// Words names a setting by its words.
func Words(s Setting) string { return string(s) }

// Text is a message that names settings, each as the Namer it is given
// says.
type Text func(name Namer) string

// Error is an error whose message names settings: Error names them in
// words, Message as a Namer says.
type Error struct{ msg Text }

// New returns the error whose message msg writes.
func New(msg Text) *Error { return &Error{msg: msg} }

// Error returns the message with the settings named in words.
func (e *Error) Error() string { return e.msg(Words) }

// Message returns the message with the settings named by name.
func (e *Error) Message(name Namer) string { return e.msg(name) }

// Messager is an error whose message names settings.
type Messager interface {
	error
	Message(Namer) string
}

// Rewrite returns err's message with the settings that the first Messager
// in its chain names named by name; wrapping text around it is kept.
func Rewrite(err error, name Namer) string {
	var m Messager
	if !errors.As(err, &m) {
		return err.Error()
	}
	return strings.Replace(err.Error(), m.Error(), m.Message(name), 1)
}
