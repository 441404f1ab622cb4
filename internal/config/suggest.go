package config

import (
	"slices"

	"github.com/agnivade/levenshtein"
)

// suggest returns " (did you mean X?)" for the known name nearest to got,
// or "" when none is near enough to be a likely misspelling: at most a
// third of the name's letters differ (one or two edits for most keys).
func suggest(got string, known []string) string {
	if best := nearest(got, known); best != "" {
		return " (did you mean " + best + "?)"
	}
	return ""
}

// nearest is the known name nearest to got by edit distance, when it is a
// likely misspelling of it; ties go to the first in sorted order, so the
// answer does not depend on map order.
func nearest(got string, known []string) string {
	sorted := slices.Clone(known)
	slices.Sort(sorted)
	best, bestD := "", -1
	for _, k := range sorted {
		d := levenshtein.ComputeDistance(got, k)
		if bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	limit := max(1, len(got)/3)
	if bestD < 0 || bestD > limit {
		return ""
	}
	return best
}
