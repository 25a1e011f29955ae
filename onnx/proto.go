package onnx

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// The ONNX protobuf messages, written field by field with protowire. Field
// numbers are those of onnx.proto (IR version 8).

// ONNX tensor element types (TensorProto.DataType).
const (
	typeFloat  = 1
	typeInt64  = 7
	typeString = 8
	typeBool   = 9
	typeDouble = 11
)

// message is a protobuf message being encoded.
type message []byte

func (m *message) bytes(num protowire.Number, b []byte) {
	*m = protowire.AppendTag(*m, num, protowire.BytesType)
	*m = protowire.AppendBytes(*m, b)
}

func (m *message) str(num protowire.Number, s string) {
	*m = protowire.AppendTag(*m, num, protowire.BytesType)
	*m = protowire.AppendString(*m, s)
}

func (m *message) int(num protowire.Number, v int64) {
	*m = protowire.AppendTag(*m, num, protowire.VarintType)
	*m = protowire.AppendVarint(*m, uint64(v))
}

func (m *message) float(num protowire.Number, v float32) {
	*m = protowire.AppendTag(*m, num, protowire.Fixed32Type)
	*m = protowire.AppendFixed32(*m, math.Float32bits(v))
}

// tensorProto encodes a TensorProto holding float32, float64 or int64
// numbers (as raw little-endian data) or strings.
func tensorProto(name string, dims []int, values any) []byte {
	var t message
	for _, d := range dims {
		t.int(1, int64(d))
	}
	var raw []byte
	switch v := values.(type) {
	case []float32:
		t.int(2, typeFloat)
		for _, x := range v {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(x))
		}
	case []float64:
		t.int(2, typeDouble)
		for _, x := range v {
			raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(x))
		}
	case []int64:
		t.int(2, typeInt64)
		for _, x := range v {
			raw = binary.LittleEndian.AppendUint64(raw, uint64(x))
		}
	case []string:
		t.int(2, typeString)
		for _, s := range v {
			t.str(6, s)
		}
	default:
		panic("onnx: tensor of an unsupported type")
	}
	t.str(8, name)
	if raw != nil {
		t.bytes(9, raw)
	}
	return t
}

// Attribute types (AttributeProto.AttributeType).
const (
	attrFloat   = 1
	attrInt     = 2
	attrStrings = 8
)

// attr is one attribute of a node.
type attr []byte

func intAttr(name string, v int64) attr {
	var a message
	a.str(1, name)
	a.int(20, attrInt)
	a.int(3, v)
	return attr(a)
}

func floatAttr(name string, v float32) attr {
	var a message
	a.str(1, name)
	a.int(20, attrFloat)
	a.float(2, v)
	return attr(a)
}

func stringsAttr(name string, vs []string) attr {
	var a message
	a.str(1, name)
	a.int(20, attrStrings)
	for _, s := range vs {
		a.str(9, s)
	}
	return attr(a)
}

// valueInfo encodes a ValueInfoProto for a tensor of elemType whose
// dimensions are dims: a number, or a string naming a symbolic dimension.
func valueInfo(name, doc string, elemType int, dims ...any) []byte {
	var shape message
	for _, d := range dims {
		var dim message
		switch d := d.(type) {
		case int:
			dim.int(1, int64(d))
		case string:
			dim.str(2, d)
		}
		shape.bytes(1, dim)
	}
	var tensor message
	tensor.int(1, int64(elemType))
	tensor.bytes(2, shape)
	var typ message
	typ.bytes(1, tensor)
	var v message
	v.str(1, name)
	v.bytes(2, typ)
	if doc != "" {
		v.str(3, doc)
	}
	return v
}
