package devicetest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gputrain/gputrain/device"
)

func testUploadDownload(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range Shapes {
		x := random(rng, n)
		b := upload(t, d, x)
		check(t, fmt.Sprintf("n=%d", n), download(t, d, b, n), to64(x), 0, 0)
		d.Free(b)
	}
}

func testFillCopy(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(2, 1))
	for _, n := range Shapes {
		x := random(rng, n)
		src := upload(t, d, x)
		dst := poisoned(t, d, n+1)
		d.Fill(dst, n+1, 0.5)
		d.Copy(dst, src, n)
		want := append(to64(x), 0.5)
		check(t, fmt.Sprintf("copy n=%d", n), download(t, d, dst, n+1), want, 0, 0)
	}
}

func testGatherRows(t *testing.T, d device.Device) {
	rng := rand.New(rand.NewPCG(9, 1))
	for _, rows := range Shapes {
		cols := 41
		src := random(rng, rows*cols)
		sb := upload(t, d, src)
		n, off := rows/2+1, 3
		idx := make([]int32, n+off)
		for i := range idx {
			idx[i] = int32(rng.IntN(rows))
		}
		ib, err := d.AllocIndex(n + off)
		if err != nil {
			t.Fatal(err)
		}
		d.UploadIndex(ib, idx)
		dst := poisoned(t, d, n*cols)
		d.GatherRows(sb, ib, off, dst, n, cols)
		want := make([]float64, n*cols)
		for i, j := range idx[off:] {
			copy(want[i*cols:(i+1)*cols], to64(src[int(j)*cols:(int(j)+1)*cols]))
		}
		check(t, fmt.Sprintf("gather %d of %d rows", n, rows), download(t, d, dst, n*cols), want, 0, 0)
		d.FreeIndex(ib)
	}
}
