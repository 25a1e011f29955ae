package nn

import (
	"fmt"

	"github.com/gputrain/gputrain/internal/advice"
)

// invalidName reports a name outside the set a setting accepts.
func invalidName(setting advice.Setting, s, want string) error {
	return advice.New(func(name advice.Namer) string {
		return fmt.Sprintf("invalid %s %q: want %s", name(setting), s, want)
	})
}

// invalidValue reports a setting's value outside its range.
func invalidValue(setting advice.Setting, want string) error {
	return advice.New(func(name advice.Namer) string { return fmt.Sprintf("invalid %s: want %s", name(setting), want) })
}
