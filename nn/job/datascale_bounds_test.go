package job

import "testing"

// The data-scale checks on their exact bounds: maxData is still trained
// on, largeData is not yet blamed for a divergence, and of two equally
// wide columns the first is named.
func TestColumnScaleBounds(t *testing.T) {
	if err := (columnScale{name: "x", largest: maxData, raw: maxData}).check("d.csv"); err != nil {
		t.Errorf("a column reaching maxData is refused: %v", err)
	}
	if err := (columnScale{name: "x", largest: 2 * maxData, raw: 2 * maxData}).check("d.csv"); err == nil {
		t.Error("a column reaching 2·maxData is accepted")
	}
	if h := (columnScale{name: "x", largest: largeData}).hint(); h != nil {
		t.Error("a column reaching largeData gets a hint")
	}
	if h := (columnScale{name: "x", largest: 2 * largeData}).hint(); h == nil {
		t.Error("a column reaching 2·largeData gets no hint")
	}
	a, b := columnScale{name: "a", largest: 5}, columnScale{name: "b", largest: 5}
	if b.wider(a) {
		t.Error("of two columns reaching 5, the second is wider")
	}
}
