package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Example reads a pruning sweep as `sparselm prune --out DIR` leaves it and
// writes the study's files. The sweep here is made up: an EGRU whose
// recurrent layers save 3× by activity alone and 27× with 90% of their
// weights pruned, 0.9 of the product of the two factors.
func Example() {
	root, _ := os.MkdirTemp("", "sweep")
	defer os.RemoveAll(root)
	dir := filepath.Join(root, "egru-pruned")
	os.Mkdir(dir, 0o755)
	b, _ := json.Marshal([]Point{point("egru", 0, 120, 3000, 3, 1, 1000), point("egru", 0.9, 140, 3000, 3, 10, 3000.0/27)})
	os.WriteFile(filepath.Join(dir, SummaryFile), b, 0o644)

	sweep, err := Read(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	written, err := Write(filepath.Join(root, "report"), []Sweep{sweep}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range Rows([]Sweep{sweep}) {
		f := r.Point.Stats.Recurrent.Factors
		fmt.Printf("%s %s: test ppl %.0f, activity %.0f× · weight %.0f× = %.0f×, effective %.0f×\n",
			r.Sweep, levelText(r), r.Point.TestPPL, f.Activity, f.Weight, f.Product, f.Effective)
	}
	for _, p := range written {
		fmt.Println(filepath.Base(p))
	}
	// Output:
	// egru-pruned start: test ppl 120, activity 3× · weight 1× = 3×, effective 3×
	// egru-pruned 90%: test ppl 140, activity 3× · weight 10× = 30×, effective 27×
	// report.md
	// report.csv
	// report.json
	// ppl-vs-macs-layers.png
	// ppl-vs-macs-layers.svg
	// ppl-vs-macs-model.png
	// ppl-vs-macs-model.svg
}
