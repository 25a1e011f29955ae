package data

import (
	"fmt"
	"io"
	"strconv"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// pandasIndex is the column pandas' to_parquet writes for a DataFrame index
// that is not a plain 0..n-1 range; like the index column of a CSV file, it
// is no feature.
const pandasIndex = "__index_level_0__"

// parquetRecords renders the rows of a Parquet file of flat columns as the
// text cells a CSV export of it would hold: numbers in Go's shortest
// round-trip form, booleans as true/false, text as is, a null as an empty
// cell (a missing value). The header row is the column names.
type parquetRecords struct {
	name   string
	rd     *parquet.Reader
	header []string
	leaf   []parquetLeaf // by leaf column index; pos -1 for a skipped column
	buf    []parquet.Row
	pos, n int
	line   int // the line of the last record (the header is line 1)
	rec    []string
	eof    bool
}

// parquetLeaf is how one leaf column is rendered.
type parquetLeaf struct {
	pos      int // cell in the record, or -1
	kind     parquet.Kind
	unsigned bool // an unsigned integer logical type
}

// openParquet opens the Parquet file in ra (size bytes). A nested column
// (a struct, list or map) is an error naming it.
func openParquet(ra io.ReaderAt, size int64, name string, opt *Options) (src RecordSource, err error) {
	defer recoverDamaged(name, &err)
	f, err := parquet.OpenFile(ra, size)
	if err != nil {
		return nil, &Error{File: name, Msg: "not a readable Parquet file: " + err.Error(), Err: err}
	}
	p := &parquetRecords{name: name}
	for _, c := range f.Root().Columns() {
		if !c.Leaf() || c.Repeated() {
			return nil, &Error{File: name, Msg: fmt.Sprintf("column %s is nested (a struct, list or map): only flat columns of numbers, text and booleans can be read", quoteCell(c.Name()))}
		}
		leaf := parquetLeaf{pos: -1, kind: c.Type().Kind()}
		if leaf.kind == parquet.Int96 {
			return nil, &Error{File: name, Msg: fmt.Sprintf("column %s has the legacy INT96 timestamp type, which is not supported", quoteCell(c.Name()))}
		}
		if lt := c.Type().LogicalType(); lt != nil {
			switch t := lt.Value.(type) {
			case *format.DecimalType:
				return nil, &Error{File: name, Msg: fmt.Sprintf("column %s is a decimal, which is not supported: store it as a float", quoteCell(c.Name()))}
			case *format.IntType:
				leaf.unsigned = !t.IsSigned
			}
		}
		if c.Name() != pandasIndex {
			leaf.pos = len(p.header)
			p.header = append(p.header, c.Name())
		}
		p.leaf = append(p.leaf, leaf)
	}
	if len(p.header) == 0 {
		return nil, &Error{File: name, Msg: "the Parquet file has no columns"}
	}
	opt.Header = HeaderYes
	if opt.IndexCol == IndexAuto {
		// A Parquet file's index, if any, is the pandas column dropped above.
		opt.IndexCol = IndexNo
	}
	p.rd = parquet.NewReader(f)
	p.buf = make([]parquet.Row, 256)
	p.rec = make([]string, len(p.header))
	return p, nil
}

func (p *parquetRecords) Next() (rec []string, line int, err error) {
	defer recoverDamaged(p.name, &err)
	if p.line == 0 {
		p.line = 1
		return p.header, 1, nil
	}
	if p.pos == p.n {
		if p.eof {
			return nil, 0, io.EOF
		}
		p.n, err = p.rd.ReadRows(p.buf)
		p.pos = 0
		if err == io.EOF {
			p.eof = true
		} else if err != nil {
			return nil, 0, &Error{File: p.name, Line: p.line + 1, Msg: "cannot read the Parquet rows: " + err.Error(), Err: err}
		}
		if p.n == 0 {
			return nil, 0, io.EOF
		}
	}
	row := p.buf[p.pos]
	p.pos++
	p.line++
	for k := range p.rec {
		p.rec[k] = ""
	}
	for _, v := range row {
		c := v.Column()
		if c < 0 || c >= len(p.leaf) || p.leaf[c].pos < 0 || v.IsNull() {
			continue
		}
		p.rec[p.leaf[c].pos] = p.leaf[c].text(v)
	}
	return p.rec, p.line, nil
}

func (p *parquetRecords) FieldLine(int) int { return p.line }

// text renders one non-null value.
func (l parquetLeaf) text(v parquet.Value) string {
	switch l.kind {
	case parquet.Boolean:
		return strconv.FormatBool(v.Boolean())
	case parquet.Int32:
		if l.unsigned {
			return strconv.FormatUint(uint64(v.Uint32()), 10)
		}
		return strconv.FormatInt(int64(v.Int32()), 10)
	case parquet.Int64:
		if l.unsigned {
			return strconv.FormatUint(v.Uint64(), 10)
		}
		return strconv.FormatInt(v.Int64(), 10)
	case parquet.Float:
		return strconv.FormatFloat(float64(v.Float()), 'g', -1, 32)
	case parquet.Double:
		return strconv.FormatFloat(v.Double(), 'g', -1, 64)
	}
	return string(v.ByteArray())
}

// recoverDamaged turns a panic of the Parquet library on a damaged file
// into a one-line error naming the file.
func recoverDamaged(name string, err *error) {
	if r := recover(); r != nil {
		*err = &Error{File: name, Msg: fmt.Sprintf("damaged Parquet file: %v", r)}
	}
}
