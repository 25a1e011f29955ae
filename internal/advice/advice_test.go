package advice

import (
	"errors"
	"fmt"
	"testing"
)

func TestRewriteNamesTheSettingsInsideWrapping(t *testing.T) {
	inner := New(func(name Namer) string { return "try a smaller " + name(LearningRate) })
	err := fmt.Errorf("fold 2: %w", inner)
	if got, want := err.Error(), "fold 2: try a smaller learning rate"; got != want {
		t.Errorf("in words: %q, want %q", got, want)
	}
	flag := func(s Setting) string { return map[Setting]string{LearningRate: "--lr"}[s] }
	if got, want := Rewrite(err, flag), "fold 2: try a smaller --lr"; got != want {
		t.Errorf("rewritten: %q, want %q", got, want)
	}
	plain := errors.New("no settings here")
	if got := Rewrite(plain, flag); got != plain.Error() {
		t.Errorf("an error naming no setting: %q", got)
	}
}
