package report

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// SeedsCSVFile is the file of a report that holds the figures of its seed
// groups over their seeds (WriteSeedsCSV), one row per group and point.
// Write writes it only when some sweeps are seeds of one model.
const SeedsCSVFile = "report-seeds.csv"

// Stat is one figure over the seeds of a group: the number N of seeds it
// is over, their mean, and their sample standard deviation
// sqrt(Σ(x − mean)² / (N − 1)), NaN when N < 2 (one seed measures no
// spread). In JSON a mean or standard deviation that is NaN or infinite
// is null.
type Stat struct {
	N    int
	Mean float64
	Std  float64
}

// newStat returns the Stat of vs, summed in their order (so the same
// sweeps in the same order give the same bits). It panics if vs is empty.
func newStat(vs []float64) Stat {
	if len(vs) == 0 {
		panic("report: a Stat of no values")
	}
	var sum float64
	for _, v := range vs {
		sum += v
	}
	mean := sum / float64(len(vs))
	std := math.NaN()
	if len(vs) > 1 {
		var squares float64 // two passes: no cancellation of Σx² − n·mean²
		for _, v := range vs {
			squares += (v - mean) * (v - mean)
		}
		std = math.Sqrt(squares / float64(len(vs)-1))
	}
	return Stat{N: len(vs), Mean: mean, Std: std}
}

// statOf returns the Stat of f over points.
func statOf(points []Point, f func(Point) float64) Stat {
	vs := make([]float64, len(points))
	for i, p := range points {
		vs[i] = f(p)
	}
	return newStat(vs)
}

// statJSON is a Stat in JSON, where NaN and ±Inf have no number.
type statJSON struct {
	N    int      `json:"n"`
	Mean *float64 `json:"mean"`
	Std  *float64 `json:"std"`
}

// finite is &v, or nil when v is NaN or infinite.
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// MarshalJSON writes s as {"n", "mean", "std"}, null where not finite.
func (s Stat) MarshalJSON() ([]byte, error) {
	return json.Marshal(statJSON{N: s.N, Mean: finite(s.Mean), Std: finite(s.Std)})
}

// UnmarshalJSON reads what MarshalJSON writes; null reads as NaN.
func (s *Stat) UnmarshalJSON(b []byte) error {
	var j statJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	orNaN := func(v *float64) float64 {
		if v == nil {
			return math.NaN()
		}
		return *v
	}
	*s = Stat{N: j.N, Mean: orNaN(j.Mean), Std: orNaN(j.Std)}
	return nil
}

// SeedGroup is the sweeps of one model trained with different seeds (the
// sweeps that share a Setup.Group), summarised point by point over the
// seeds. Missing names each sweep that lacks a point another sweep of the
// group has; the points are then over fewer seeds (SeedPoint.Seeds).
type SeedGroup struct {
	Name    string      `json:"group"`
	Cell    string      `json:"cell"`
	Sweeps  []string    `json:"sweeps"` // the sweeps' names, in the order given
	Seeds   []uint64    `json:"seeds"`  // the sweeps' seeds, in the same order
	Points  []SeedPoint `json:"points"` // the start first, then the levels ascending
	Missing []string    `json:"missing,omitempty"`
}

// SeedPoint is one point of a seed group, the start or one level, over
// the seeds whose sweeps have it (Seeds, in the order of the sweeps): the
// figures of the table of perplexity, each a Stat. Bench is over the
// seeds whose point was timed (Point.Bench); nil when none was.
type SeedPoint struct {
	Kind                    string     `json:"kind"`
	Level                   float64    `json:"level"` // 0 for the start
	Seeds                   []uint64   `json:"seeds"`
	TestPPL                 Stat       `json:"test_ppl"`
	ActivitySparsity        Stat       `json:"activity_sparsity"`
	WeightSparsity          Stat       `json:"weight_sparsity"`           // Point.WeightSparsity: all pruned matrices
	RecurrentWeightSparsity Stat       `json:"recurrent_weight_sparsity"` // the layers' W and R
	RecurrentEffectiveMACs  Stat       `json:"recurrent_effective_macs"`  // per token
	ModelEffectiveMACs      Stat       `json:"model_effective_macs"`      // per token
	Bench                   *SeedBench `json:"bench,omitempty"`

	points []Point // the seeds' points, in the order of Seeds
}

// SeedBench is the timing of a seed group's point over the seeds timed
// there (Seeds): the ratios of BenchRow.
type SeedBench struct {
	Seeds          []uint64 `json:"seeds"`
	LayerSpeedup   Stat     `json:"layer_speedup"`
	LayerReduction Stat     `json:"layer_reduction"`
	Speedup        Stat     `json:"speedup"`
	Reduction      Stat     `json:"reduction"`
}

// SeedGroups returns the groups of sweeps that are seeds of one model: the
// sweeps that share a Setup.Group, two or more, in the order of the first
// sweep of each. A sweep without a Group, or alone in its group, is in
// none. A group's points are the union of its sweeps' points, the start
// first and then the levels ascending, each summarised over the seeds that
// have it; a sweep that lacks a point that another has is not an error,
// so that a study with a failed job still reports: it is named in the
// group's Missing, which report.md prints. It returns an error, naming the
// group and the sweeps, when a group's sweeps are not the seeds of one
// model: of different cells, or different datasets, presets, criteria or
// schedules; a seed unknown (0) or given twice; or a sweep with two
// points of one level.
func SeedGroups(sweeps []Sweep) ([]SeedGroup, error) {
	var names []string
	members := map[string][]int{}
	for i, s := range sweeps {
		if s.Group == "" {
			continue
		}
		if members[s.Group] == nil {
			names = append(names, s.Group)
		}
		members[s.Group] = append(members[s.Group], i)
	}
	var groups []SeedGroup
	for _, name := range names {
		if len(members[name]) < 2 {
			continue
		}
		g, err := newSeedGroup(name, sweeps, members[name])
		if err != nil {
			return nil, fmt.Errorf("seed group %s: %w", name, err)
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// pointID is what makes points of different seeds the same point of a
// group: the kind and, for a level, the level.
type pointID struct {
	kind  string
	level float64
}

// newSeedGroup returns the group name of the sweeps at idx (see SeedGroups).
func newSeedGroup(name string, sweeps []Sweep, idx []int) (SeedGroup, error) {
	first := &sweeps[idx[0]]
	g := SeedGroup{Name: name, Cell: first.Cell}
	bySeed := map[uint64]string{}
	at := make([]map[pointID]Point, len(idx)) // per sweep of the group
	var ids []pointID
	for k, i := range idx {
		s := &sweeps[i]
		switch other, twice := bySeed[s.Seed]; {
		case s.Seed == 0:
			return g, fmt.Errorf("sweep %s has no seed (Setup.Seed): the sweeps of a group are its seeds and must say which", s.Name)
		case twice:
			return g, fmt.Errorf("sweeps %s and %s both have seed %d: one model would count twice", other, s.Name, s.Seed)
		case s.Cell != first.Cell:
			return g, fmt.Errorf("sweep %s is of %s models, %s of %s: seeds of one model have one cell", s.Name, s.Cell, first.Name, first.Cell)
		}
		if d := setupDiff(first.Setup, s.Setup); d != "" {
			return g, fmt.Errorf("sweeps %s and %s differ in %s: seeds of one model share the dataset, preset, criterion and schedule", first.Name, s.Name, d)
		}
		bySeed[s.Seed] = s.Name
		g.Sweeps, g.Seeds = append(g.Sweeps, s.Name), append(g.Seeds, s.Seed)
		at[k] = map[pointID]Point{}
		for j, p := range s.Points {
			id := pointID{kind: kindOf(s.Points, j), level: p.Level}
			if id.kind == KindStart {
				id.level = 0
			}
			if _, dup := at[k][id]; dup {
				return g, fmt.Errorf("sweep %s has two points at %s", s.Name, pointName(id))
			}
			at[k][id] = p
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	slices.SortFunc(ids, func(a, b pointID) int {
		if (a.kind == KindStart) != (b.kind == KindStart) {
			if a.kind == KindStart {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.level, b.level)
	})
	lacking := make([][]string, len(idx))
	for _, id := range ids {
		sp := SeedPoint{Kind: id.kind, Level: id.level}
		for k, i := range idx {
			p, ok := at[k][id]
			if !ok {
				lacking[k] = append(lacking[k], pointName(id))
				continue
			}
			sp.Seeds = append(sp.Seeds, sweeps[i].Seed)
			sp.points = append(sp.points, p)
		}
		sp.summarise()
		g.Points = append(g.Points, sp)
	}
	for k, i := range idx {
		if len(lacking[k]) > 0 {
			g.Missing = append(g.Missing, fmt.Sprintf("%s (seed %d) has no point at %s", sweeps[i].Name, sweeps[i].Seed, strings.Join(lacking[k], ", ")))
		}
	}
	return g, nil
}

// pointName is a point of a group as the tables name it: "start", or the
// level ("90%").
func pointName(id pointID) string {
	if id.kind == KindStart {
		return KindStart
	}
	return levelLabel(id.level)
}

// setupDiff names the first field in which the setups of two seeds of one
// model may not differ, with both values; "" when none does. The source
// (the checkpoint pruned) differs by seed, and so does Seed.
func setupDiff(a, b Setup) string {
	for _, f := range []struct{ name, a, b string }{
		{"dataset", a.Dataset, b.Dataset}, {"preset", a.Preset, b.Preset},
		{"criterion", a.Criterion, b.Criterion}, {"schedule", a.Schedule, b.Schedule},
	} {
		if f.a != f.b {
			return fmt.Sprintf("%s (%s, %s)", f.name, orUnknown(f.a), orUnknown(f.b))
		}
	}
	return ""
}

// summarise computes sp's figures from its points.
func (sp *SeedPoint) summarise() {
	pts := sp.points
	sp.TestPPL = statOf(pts, func(p Point) float64 { return p.TestPPL })
	sp.ActivitySparsity = statOf(pts, func(p Point) float64 { return p.ActivitySparsity })
	sp.WeightSparsity = statOf(pts, func(p Point) float64 { return p.WeightSparsity })
	sp.RecurrentWeightSparsity = statOf(pts, func(p Point) float64 { return p.Stats.RecurrentWeightSparsity })
	sp.RecurrentEffectiveMACs = statOf(pts, func(p Point) float64 { return p.Stats.Recurrent.MACs.Effective })
	sp.ModelEffectiveMACs = statOf(pts, func(p Point) float64 { return p.Stats.Model.MACs.Effective })
	var timed []Point
	var seeds []uint64
	for i, p := range pts {
		if p.Bench != nil {
			timed, seeds = append(timed, p), append(seeds, sp.Seeds[i])
		}
	}
	if len(timed) == 0 {
		sp.Bench = nil
		return
	}
	sp.Bench = &SeedBench{Seeds: seeds,
		LayerSpeedup:   statOf(timed, func(p Point) float64 { return p.Bench.LayerSpeedup }),
		LayerReduction: statOf(timed, func(p Point) float64 { return p.Bench.LayerReduction }),
		Speedup:        statOf(timed, func(p Point) float64 { return p.Bench.Speedup }),
		Reduction:      statOf(timed, func(p Point) float64 { return p.Bench.Reduction })}
}

// singleSeed returns the sweeps that are in no seed group of groups, in
// their order: those reported on their own.
func singleSeed(sweeps []Sweep, groups []SeedGroup) []Sweep {
	var out []Sweep
	for _, s := range sweeps {
		if !slices.ContainsFunc(groups, func(g SeedGroup) bool { return s.Group != "" && g.Name == s.Group }) {
			out = append(out, s)
		}
	}
	return out
}

// plotSeries is what one series of a figure (a colour, a marker and a
// dash pattern) stands for: a sweep on its own, or a seed group.
type plotSeries struct {
	sweep *Sweep
	group *SeedGroup
}

// seriesOf returns the series of sweeps in order: each sweep in no group
// at its place, each group at the place of its first sweep. Without seed
// groups, series i is sweep i, as before groups existed.
func seriesOf(sweeps []Sweep, groups []SeedGroup) []plotSeries {
	var out []plotSeries
	shown := map[string]bool{}
	for i := range sweeps {
		s := &sweeps[i]
		j := slices.IndexFunc(groups, func(g SeedGroup) bool { return s.Group != "" && g.Name == s.Group })
		switch {
		case j < 0:
			out = append(out, plotSeries{sweep: s})
		case !shown[s.Group]:
			shown[s.Group] = true
			out = append(out, plotSeries{group: &groups[j]})
		}
	}
	return out
}

// groupLineName is a seed group's name in a legend: its name, with its
// cell when the name does not say it, and what its points and bars are.
func groupLineName(g *SeedGroup) string {
	name := g.Name
	if !strings.Contains(strings.ToLower(name), g.Cell) {
		name += " (" + g.Cell + ")"
	}
	return fmt.Sprintf("%s, mean ± std of %d seeds", name, len(g.Seeds))
}

// writeSeedMarkdown writes the tables of the seed groups into the section
// of perplexity against MACs: per group and point the mean ± sample
// standard deviation of the figures over its seeds, and n; and what is
// missing. afterTable says a table precedes them (a blank line is due).
func writeSeedMarkdown(b *strings.Builder, groups []SeedGroup, afterTable bool) {
	if len(groups) == 0 {
		return
	}
	if afterTable {
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "Sweeps of one model trained with different seeds (a seed group) are summarised per level: "+
		"mean ± sample standard deviation (n − 1 in the denominator) over the n seeds that have the level; "+
		"a level of one seed shows its value alone. The seeds' own rows are in report.csv (column seed), "+
		"these figures in %s; the tables of composition and speed below list every seed.\n", SeedsCSVFile)
	for _, g := range groups {
		seeds := make([]string, len(g.Seeds))
		for i, s := range g.Seeds {
			seeds[i] = strconv.FormatUint(s, 10)
		}
		fmt.Fprintf(b, "\n### %s: mean ± standard deviation over %d seeds\n\n", g.Name, len(g.Seeds))
		fmt.Fprintf(b, "Cell %s; seeds %s (sweeps %s).", g.Cell, strings.Join(seeds, ", "), strings.Join(g.Sweeps, ", "))
		if len(g.Missing) > 0 {
			fmt.Fprintf(b, " Missing: %s; those levels are over fewer seeds (n).", strings.Join(g.Missing, "; "))
		}
		b.WriteString("\n\n| level | n | weight sparsity (layers) | activity sparsity | test ppl | " +
			"eff. MACs/token, layers | eff. MACs/token, model |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
		for _, p := range g.Points {
			fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s |\n", pointName(pointID{p.Kind, p.Level}), len(p.Seeds),
				statText(p.RecurrentWeightSparsity, 100, 1, "%"), statText(p.ActivitySparsity, 100, 1, "%"),
				statText(p.TestPPL, 1, 2, ""), statText(p.RecurrentEffectiveMACs, 1, 0, ""), statText(p.ModelEffectiveMACs, 1, 0, ""))
		}
	}
}

// statText is s for the tables: "mean ± std", each times scale with
// digits decimals and unit; the mean alone when there is no standard
// deviation (one seed).
func statText(s Stat, scale float64, digits int, unit string) string {
	f := func(v float64) string { return strconv.FormatFloat(scale*v, 'f', digits, 64) + unit }
	if math.IsNaN(s.Std) {
		return f(s.Mean)
	}
	return f(s.Mean) + " ± " + f(s.Std)
}

// SeedsCSVHeader names the columns of WriteSeedsCSV: the group, its cell,
// the point's kind and level (empty for the start, as in report.csv), n and
// the seeds (space-separated) it is over, then for each figure its mean and
// sample standard deviation (FIGURE_mean, FIGURE_std; the figures are the
// columns of report.csv of the same names), then the timing over the timed
// seeds (bench_n of them; the columns of report.csv for the ratios). A
// standard deviation of one seed is empty, and so is the timing of a point
// no seed of which was timed.
var SeedsCSVHeader = []string{"group", "cell", "kind", "level", "n", "seeds",
	"test_ppl_mean", "test_ppl_std", "activity_sparsity_mean", "activity_sparsity_std",
	"weight_sparsity_mean", "weight_sparsity_std", "recurrent_weight_sparsity_mean", "recurrent_weight_sparsity_std",
	"recurrent_effective_macs_mean", "recurrent_effective_macs_std", "model_effective_macs_mean", "model_effective_macs_std",
	"bench_n", "recurrent_measured_speedup_mean", "recurrent_measured_speedup_std",
	"recurrent_counted_reduction_mean", "recurrent_counted_reduction_std",
	"model_measured_speedup_mean", "model_measured_speedup_std", "model_counted_reduction_mean", "model_counted_reduction_std"}

// WriteSeedsCSV writes the points of groups with SeedsCSVHeader, group by
// group. Ratios have six significant digits, MACs per token one decimal
// (as in WriteCSV); a value that is not finite is empty.
func WriteSeedsCSV(w io.Writer, groups []SeedGroup) error {
	cw := csv.NewWriter(w)
	cw.Write(SeedsCSVHeader)
	num := func(v float64, format byte, digits int) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ""
		}
		return strconv.FormatFloat(v, format, digits, 64)
	}
	g6 := func(s Stat) []string { return []string{num(s.Mean, 'g', 6), num(s.Std, 'g', 6)} }
	macs := func(s Stat) []string { return []string{num(s.Mean, 'f', 1), num(s.Std, 'f', 1)} }
	for _, g := range groups {
		for _, p := range g.Points {
			level := num(p.Level, 'g', 6)
			if p.Kind == KindStart {
				level = ""
			}
			seeds := make([]string, len(p.Seeds))
			for i, s := range p.Seeds {
				seeds[i] = strconv.FormatUint(s, 10)
			}
			fields := []string{g.Name, g.Cell, p.Kind, level, strconv.Itoa(len(p.Seeds)), strings.Join(seeds, " ")}
			fields = slices.Concat(fields, g6(p.TestPPL), g6(p.ActivitySparsity), g6(p.WeightSparsity), g6(p.RecurrentWeightSparsity),
				macs(p.RecurrentEffectiveMACs), macs(p.ModelEffectiveMACs))
			if t := p.Bench; t != nil {
				fields = slices.Concat(fields, []string{strconv.Itoa(len(t.Seeds))},
					g6(t.LayerSpeedup), g6(t.LayerReduction), g6(t.Speedup), g6(t.Reduction))
			} else {
				fields = append(fields, "0", "", "", "", "", "", "", "", "")
			}
			cw.Write(fields)
		}
	}
	cw.Flush()
	return cw.Error()
}
