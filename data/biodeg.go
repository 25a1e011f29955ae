package data

import (
	"bytes"
	_ "embed"
)

// biodegCSV is the raw UCI QSAR biodegradation file (see biodeg/README.md).
//
//go:embed biodeg/biodeg.csv
var biodegCSV []byte

// biodegFeatureNames lists the 41 molecular descriptors of the biodeg data
// set in column order.
var biodegFeatureNames = []string{
	"SpMax_L", "J_Dz(e)", "nHM", "F01[N-N]", "F04[C-N]", "NssssC",
	"nCb-", "C%", "nCp", "nO", "F03[C-N]", "SdssC", "HyWi_B(m)", "LOC",
	"SM6_L", "F03[C-O]", "Me", "Mi", "nN-N", "nArNO2", "nCRX3",
	"SpPosA_B(p)", "nCIR", "B01[C-Br]", "B03[C-Cl]", "N-073", "SpMax_A",
	"Psi_i_1d", "B04[C-Br]", "SdO", "TI2_L", "nCrt", "C-026", "F02[C-N]",
	"nHDon", "SpMax_B(m)", "Psi_i_A", "nN", "SM6_B(m)", "nArCOOR", "nX",
}

// Biodeg returns the embedded example data set: the UCI QSAR biodegradation
// data (UCI ML Repository ID 254, DOI 10.24432/C5H60M, CC BY 4.0; Mansouri
// et al., J. Chem. Inf. Model. 53(4), 867-878, 2013). It has 1055 rows of
// 41 unscaled molecular descriptors and a text label, "RB" (ready
// biodegradable, 356 rows) or "NRB" (699 rows), so that Encode gives the
// classes ["NRB", "RB"]: NRB = 0, RB = 1. The raw file is parsed with the
// same parser as user files.
func Biodeg() (*Dataset, error) {
	d, err := ParseSingle(bytes.NewReader(biodegCSV), "biodeg.csv", "",
		Options{Delimiter: ';', Header: HeaderNo, IndexCol: IndexNo})
	if err != nil {
		return nil, err
	}
	d.FeatureNames = append([]string(nil), biodegFeatureNames...)
	d.LabelName = "experimental_class"
	d.Source = "biodeg (embedded UCI QSAR biodegradation, 1055×41)"
	d.Layout = Layout{} // not read from a file the user gave
	return d, nil
}
