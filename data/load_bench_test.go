package data

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// benchCols is the width of BenchmarkLoadCSV's table.
const benchCols = 50

// BenchmarkLoadCSV times LoadSingle on a generated table of N rows × 50
// N(0,1) values written with 6 decimals plus a 0/1 label (about 9.5 bytes
// a cell, as a float column exported by pandas), N from
// GPUTRAIN_BENCH_ROWS (default 100000; the README's figures use 1000000).
// Besides time and MB/s it reports peak-MB, the most heap the load held at
// once (sampled every millisecond), and peak/f32, that peak over the size
// of the table's float32 matrix, which training needs in any case.
func BenchmarkLoadCSV(b *testing.B) {
	rows := 100000
	if s := os.Getenv("GPUTRAIN_BENCH_ROWS"); s != "" {
		var err error
		if rows, err = strconv.Atoi(s); err != nil || rows < 1 {
			b.Fatalf("GPUTRAIN_BENCH_ROWS=%q: want a positive row count", s)
		}
	}
	path := filepath.Join(b.TempDir(), "bench.csv")
	size := writeBenchCSV(b, path, rows)
	b.SetBytes(size)
	var peak uint64
	for b.Loop() {
		runtime.GC()
		stop := samplePeakHeap(&peak)
		d, err := LoadSingle(path, "", Options{})
		stop()
		if err != nil {
			b.Fatal(err)
		}
		if d.Rows() != rows || d.Cols() != benchCols {
			b.Fatalf("loaded %d × %d, want %d × %d", d.Rows(), d.Cols(), rows, benchCols)
		}
	}
	f32 := float64(rows * benchCols * 4)
	b.ReportMetric(float64(peak)/1e6, "peak-MB")
	b.ReportMetric(float64(peak)/f32, "peak/f32")
}

// writeBenchCSV writes BenchmarkLoadCSV's table and returns its size.
func writeBenchCSV(b *testing.B, path string, rows int) int64 {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for j := 1; j <= benchCols; j++ {
		w.WriteString("x" + strconv.Itoa(j) + ",")
	}
	w.WriteString("y\n")
	r := rand.New(rand.NewPCG(1, 2))
	var line []byte
	for i := 0; i < rows; i++ {
		line = line[:0]
		for j := 0; j < benchCols; j++ {
			line = strconv.AppendFloat(line, r.NormFloat64(), 'f', 6, 64)
			line = append(line, ',')
		}
		line = strconv.AppendInt(line, int64(r.IntN(2)), 10)
		w.Write(append(line, '\n'))
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	f.Close()
	return st.Size()
}

// samplePeakHeap raises *peak to the largest heap (live and not yet swept
// objects) seen until the returned stop is called.
func samplePeakHeap(peak *uint64) (stop func()) {
	var done atomic.Bool
	finished := make(chan struct{})
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() {
		metrics.Read(sample)
		*peak = max(*peak, sample[0].Value.Uint64())
	}
	go func() {
		defer close(finished)
		for !done.Load() {
			read()
			time.Sleep(time.Millisecond)
		}
	}()
	return func() {
		done.Store(true)
		<-finished
		read()
	}
}
