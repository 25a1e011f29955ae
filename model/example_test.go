package model_test

import (
	"fmt"
	"log"
	"math"

	"github.com/gputrain/gputrain/model"
)

// A row by column name, as the texts of a CSV row: numbers, categories,
// and "NA" (or "") for a missing cell.
func ExampleModel_Predict() {
	m, err := model.Load("testdata/penguins.safetensors")
	if err != nil {
		log.Fatal(err)
	}
	var p model.Prediction
	row := map[string]string{"island": "Dream", "bill_length": "48.5", "body_mass": "3700", "sex": "NA"}
	if err := m.Predict(row, &p); err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Classes())
	fmt.Printf("%s (%.3f)\n", p.Label, p.Probs[p.Class])
	// Output:
	// [Adelie Chinstrap Gentoo]
	// Chinstrap (0.999)
}

// A row as numbers in the order of Columns, NaN for a missing cell. After
// the first call, predicting a row this way allocates nothing.
func ExampleModel_PredictValues() {
	m, err := model.Load("testdata/biodeg.safetensors")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(m.Columns()), "columns, first", m.Columns()[0])
	row := make([]float64, len(m.Columns()))
	for j := range row {
		row[j] = 1
	}
	row[0] = math.NaN() // a gap: this model was trained on complete data
	var p model.Prediction
	fmt.Println(m.PredictValues(row, &p))
	row[0] = 4.5
	if err := m.PredictValues(row, &p); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: P(%s) = %.4f\n", p.Label, m.Classes()[1], p.Probs[1])
	// Output:
	// 41 columns, first SpMax_L
	// row 0, column "SpMax_L": missing, and the model was trained without preprocessing for missing cells
	// NRB: P(RB) = 0.1077
}

// Many rows at once, in the order of Columns.
func ExampleModel_PredictBatch() {
	m, err := model.Load("testdata/penguins.safetensors")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Columns())
	// island and sex are categorical: in a batch of numbers they are
	// missing (NaN) unless their categories are numeric codes.
	nan := math.NaN()
	preds, err := m.PredictBatch([][]float64{
		{nan, 39.1, 3750, nan},
		{nan, 47.0, 5200, nan},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range preds {
		fmt.Println(p.Label)
	}
	// Output:
	// [island bill_length body_mass sex]
	// Adelie
	// Gentoo
}
