package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"unicode"
)

// Format is the file format of a data file.
type Format int

const (
	// FormatAuto (the zero value) recognises a file by its first bytes:
	// Parquet ("PAR1"), else CSV. Gzip-compressed input (magic 1f 8b) is
	// decompressed first, whatever the format.
	FormatAuto Format = iota
	// FormatCSV reads delimited text (gzip-compressed or not).
	FormatCSV
	// FormatParquet reads an Apache Parquet file.
	FormatParquet
)

// String returns "auto", "csv" or "parquet".
func (f Format) String() string {
	switch f {
	case FormatAuto:
		return "auto"
	case FormatCSV:
		return "csv"
	case FormatParquet:
		return "parquet"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat parses "auto", "csv" or "parquet" (any case).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return FormatAuto, nil
	case "csv":
		return FormatCSV, nil
	case "parquet":
		return FormatParquet, nil
	}
	return FormatAuto, fmt.Errorf("unknown format %q (want auto, csv or parquet)", s)
}

var (
	gzipMagic    = []byte{0x1f, 0x8b}
	parquetMagic = []byte("PAR1")
)

// openRecords opens r as the record source opt.Format says (or its first
// bytes show), decompressing gzip transparently. A Parquet source sets
// opt.Header, since a Parquet file always names its columns.
func openRecords(r io.Reader, name string, opt *Options) (RecordSource, error) {
	// The size of the text, when known: it sizes the feature matrix.
	size := int64(-1)
	file, isFile := r.(*os.File)
	if isFile {
		if st, err := file.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(len(gzipMagic)); bytes.Equal(b, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &Error{File: name, Msg: "cannot read gzip data: " + err.Error(), Err: err}
		}
		// Reading on through the bufio.Reader keeps every read large.
		br = bufio.NewReaderSize(gzipErrors{zr}, 64<<10)
		size = gzipSize(file, size)
		isFile = false // the file itself is compressed: no random access to it
	}
	parquet := opt.Format == FormatParquet
	if opt.Format == FormatAuto {
		b, _ := br.Peek(len(parquetMagic))
		parquet = bytes.Equal(b, parquetMagic)
	}
	if parquet {
		if isFile && size >= 0 {
			// Parquet is read from its footer: read the file in place.
			return openParquet(file, size, name, opt)
		}
		b, err := io.ReadAll(br)
		if err != nil {
			return nil, asReadError(name, err)
		}
		return openParquet(bytes.NewReader(b), int64(len(b)), name, opt)
	}
	src, err := newCSVRecords(br, name, *opt)
	if err != nil || size <= 0 {
		return src, err
	}
	sample, _ := br.Peek(br.Size())
	return sizedRecords{src, estimateRows(sample, size), size}, nil
}

// gzipSize returns the uncompressed size of the gzip file f of size bytes
// from its trailer (ISIZE: the size modulo 2³², of the last member only,
// so a hint, not a fact), or -1 when it cannot be read.
func gzipSize(f *os.File, size int64) int64 {
	var trailer [4]byte
	if f == nil || size < 18 {
		return -1
	}
	if _, err := f.ReadAt(trailer[:], size-4); err != nil {
		return -1
	}
	return int64(binary.LittleEndian.Uint32(trailer[:]))
}

// sizedRecords is a source that knows about how many rows it holds.
type sizedRecords struct {
	RecordSource
	rows int
	size int64 // the file's size in bytes
}

// estimateRows estimates the rows of a CSV file of size bytes from the
// line lengths in sample, its beginning, with 10% to spare. The estimate
// sizes the feature matrix once instead of growing it by copies: with
// every value copied only once, loading is faster and its peak memory
// close to the matrix itself (the unused spare capacity is never touched,
// so it takes address space but no memory).
func estimateRows(sample []byte, size int64) int {
	first := bytes.IndexByte(sample, '\n')
	if first < 0 {
		return 0
	}
	lines := bytes.Count(sample[first+1:], []byte{'\n'})
	if lines == 0 {
		return 0
	}
	perRow := float64(bytes.LastIndexByte(sample, '\n')-first) / float64(lines)
	return int(float64(size)/perRow*1.1) + 16
}

// capacityHint returns how many values of width w to reserve for src's
// rows (0 when unknown). A value takes at least two bytes of the file (a
// digit and a delimiter or line break), which bounds the reservation by
// the file's size even when the sample misleads.
func capacityHint(src RecordSource, w int) int {
	s, ok := src.(sizedRecords)
	if !ok || s.rows <= 0 || s.rows > math.MaxInt/max(w, 1) {
		return 0
	}
	return int(min(int64(s.rows*w), s.size/2))
}

// newCSVRecords reads delimited text from br: a UTF-8 byte-order mark is
// skipped and the delimiter detected unless opt gives one.
func newCSVRecords(br *bufio.Reader, name string, opt Options) (*rowReader, error) {
	if b, _ := br.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	delim := opt.Delimiter
	if delim == 0 {
		buf, _ := br.Peek(br.Size())
		delim = detectDelimiter(buf)
	} else if !validDelim(delim) {
		return nil, &Error{File: name, Msg: fmt.Sprintf("invalid delimiter %q", delim)}
	}
	cr := csv.NewReader(br)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = false
	// Records are parsed as they come and every kept text is cloned, so
	// the record's slice can be reused: one allocation less per row.
	cr.ReuseRecord = true
	// With a white-space delimiter, trimming leading space would swallow
	// empty fields; cells are trimmed below in any case.
	cr.TrimLeadingSpace = !unicode.IsSpace(delim)
	return &rowReader{name: name, cr: cr}, nil
}

// gzipErrors says that a read error comes from the gzip stream (a corrupt
// or truncated archive), not from the file.
type gzipErrors struct{ r io.Reader }

func (g gzipErrors) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("bad gzip data: %w", err)
	}
	return n, err
}

// asReadError wraps a read failure as an *Error naming the file once.
func asReadError(name string, err error) error {
	if e, ok := err.(*Error); ok {
		return e
	}
	return &Error{File: name, Msg: "cannot read: " + err.Error(), Err: err}
}
