package render

import (
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/nodes"
)

// A fastPart is one piece of a template the fast path renders without
// gonja's renderer: literal text, or a top-level variable printed as it
// is or through tojson.
type fastPart struct {
	text   string // the literal, when name is ""
	name   string
	tojson bool
}

// fastPlan returns the parts of a template made only of text and outputs
// of the form {{ name }} or {{ name | tojson }}, or nil for any other
// template. The text is what gonja's renderer writes for the data node.
func fastPlan(root *nodes.Template, autoEscape bool) []fastPart {
	if autoEscape {
		return nil
	}
	var parts []fastPart
	for _, n := range root.Nodes {
		switch n := n.(type) {
		case *nodes.Data:
			parts = append(parts, fastPart{text: dataText(n)})
		case *nodes.Output:
			if n.Condition != nil || n.Alternative != nil {
				return nil
			}
			p, ok := fastOutput(n.Expression)
			if !ok {
				return nil
			}
			parts = append(parts, p)
		default:
			return nil
		}
	}
	return parts
}

// renderSetNames are the names a render itself sets in the context, over
// the caller's variables: gonja's renderer sets self, Template.exec the
// budget. The fast path leaves templates that print them to gonja.
var renderSetNames = map[string]bool{"self": true, budgetKey: true}

func fastOutput(x nodes.Expression) (fastPart, bool) {
	p, ok := fastOutputName(x)
	if !ok || renderSetNames[p.name] {
		return fastPart{}, false
	}
	return p, true
}

func fastOutputName(x nodes.Expression) (fastPart, bool) {
	switch x := x.(type) {
	case *nodes.Name:
		return fastPart{name: x.Name.Val}, x.Name.Val != ""
	case *nodes.FilteredExpression:
		name, ok := x.Expression.(*nodes.Name)
		if !ok || len(x.Filters) != 1 {
			return fastPart{}, false
		}
		f := x.Filters[0]
		if f.Name != "tojson" || len(f.Args) > 0 || len(f.Kwargs) > 0 {
			return fastPart{}, false
		}
		return fastPart{name: name.Name.Val, tojson: true}, name.Name.Val != ""
	}
	return fastPart{}, false
}

// dataText is what gonja's renderer (exec.Renderer.Visit) writes for a
// data node.
func dataText(n *nodes.Data) string {
	output := n.Data.Val
	if n.RemoveFirstLineReturn {
		output = strings.TrimPrefix(output, "\r\n")
		output = strings.TrimPrefix(output, "\n")
	}
	if n.Trim.Left {
		output = strings.TrimLeft(output, " \r\n\t")
	}
	if n.Trim.Right {
		output = strings.TrimRight(output, " \r\n\t")
	}
	if n.RemoveTrailingWhiteSpaceFromLastLine {
		lines := strings.Split(output, "\n")
		lines = append(lines[0:len(lines)-1], strings.TrimRight(lines[len(lines)-1], " \n\t\r"))
		output = strings.Join(lines, "\n")
	}
	return output
}

// renderFast renders the plan over vars when every variable it prints is
// in vars as a string or an int64 (what gonja prints without a filter of
// ours in between) and the output fits the budget; otherwise ok is false
// and the caller renders with gonja, which gives the same output for what
// the fast path takes (TestRenderFastMatchesGonja, FuzzRenderFast).
func (t *Template) renderFast(vars map[string]any) (string, bool) {
	var b strings.Builder
	for _, p := range t.fast {
		if p.name == "" {
			b.WriteString(p.text)
			continue
		}
		v, ok := vars[p.name]
		if !ok {
			return "", false
		}
		switch x := v.(type) {
		case string:
			if p.tojson {
				writeJSONString(&b, x) // what filterToJSON writes for a string
			} else {
				b.WriteString(x)
			}
		case int64: // printed, or through tojson, as its decimal digits
			b.WriteString(strconv.FormatInt(x, 10))
		default:
			return "", false
		}
		if b.Len() > t.env.limits.MaxOutput {
			return "", false
		}
	}
	if b.Len() > t.env.limits.MaxOutput { // text after the last variable
		return "", false
	}
	return b.String(), true
}
