package render

import "github.com/nikolalohinski/gonja/v2/exec"

// installParityFilters replaces gonja filters whose output differs from
// Jinja2's.
func installParityFilters(fs *exec.FilterSet) {}
