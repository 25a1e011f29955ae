package job

import (
	"fmt"
	"strconv"
	"testing"
)

// The early-stopping best loss is stored as text in the checkpoint's
// metadata: it comes back bit for bit, so a resumed run compares later
// losses with the same number.
func TestCheckpointKeepsEarlyBestExactly(t *testing.T) {
	_, ck := smallFiles(t)
	c, err := decodeCheckpoint(ck)
	if err != nil {
		t.Fatal(err)
	}
	const best = 1.0 / 3 // 0.333…, 17 significant digits to round-trip
	c.State.Early.Best = best
	b, err := c.encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeCheckpoint(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.State.Early.Best != best {
		t.Fatalf("early best %v came back as %v", best, back.State.Early.Best)
	}
}

// MaxRestarts itself is a valid count: a checkpoint that claims it gets as
// far as looking for its second network; one more is refused outright.
func TestCheckpointRestartsBound(t *testing.T) {
	_, ck := smallFiles(t)
	decode := func(b []byte) error {
		_, err := decodeCheckpoint(b)
		return err
	}
	applyDamage(t, ck, decode, []damage{
		{"MaxRestarts", setMeta("restarts", strconv.Itoa(MaxRestarts)), fmt.Sprintf("network 2 of %d: ", MaxRestarts)},
		{"MaxRestarts+1", setMeta("restarts", strconv.Itoa(MaxRestarts+1)), fmt.Sprintf("bad restarts \"%d\"", MaxRestarts+1)},
	})
}
