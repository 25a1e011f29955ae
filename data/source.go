package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
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

// recordSource yields a table's rows as text cells: the CSV reader, or a
// Parquet file's rows rendered as the text a CSV export would hold (a null
// as an empty cell). The parser consumes nothing else, so every format
// gets the same header, label, index-column and type handling.
type recordSource interface {
	// next returns the next non-blank record and the line it starts on
	// (for Parquet, the data row number + 1: the header is line 1); io.EOF
	// at the end. The slice may be reused by the following call.
	next() ([]string, int, error)
	// fieldLine returns the line on which field j of the last record starts.
	fieldLine(j int) int
}

var (
	gzipMagic    = []byte{0x1f, 0x8b}
	parquetMagic = []byte("PAR1")
)

// openRecords opens r as the record source opt.Format says (or its first
// bytes show), decompressing gzip transparently. A Parquet source sets
// opt.Header, since a Parquet file always names its columns.
func openRecords(r io.Reader, name string, opt *Options) (recordSource, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(len(gzipMagic)); bytes.Equal(b, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &Error{File: name, Msg: "cannot read gzip data: " + err.Error(), Err: err}
		}
		// Reading on through the bufio.Reader keeps every read large.
		br = bufio.NewReaderSize(gzipErrors{zr}, 64<<10)
		r = nil // the file itself is compressed: no random access to it
	}
	parquet := opt.Format == FormatParquet
	if opt.Format == FormatAuto {
		b, _ := br.Peek(len(parquetMagic))
		parquet = bytes.Equal(b, parquetMagic)
	}
	if parquet {
		if f, ok := r.(*os.File); ok {
			// Parquet is read from its footer: read the file in place.
			st, err := f.Stat()
			if err != nil {
				return nil, &Error{File: name, Msg: "cannot read: " + err.Error(), Err: err}
			}
			return openParquet(f, st.Size(), name, opt)
		}
		b, err := io.ReadAll(br)
		if err != nil {
			return nil, asReadError(name, err)
		}
		return openParquet(bytes.NewReader(b), int64(len(b)), name, opt)
	}
	return newCSVRecords(br, name, *opt)
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
