package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// lineOf returns the line of the node at a field path such as
// "cvars[2].mapper", "headers.X-Token" or "webhook.params": the line of a
// scalar value, or of the key of a mapping or sequence value. When the
// path is not all there, it returns the line of the deepest node found,
// and false.
func lineOf(root *yaml.Node, field string) (int, bool) {
	line, n := walk(root, field)
	return line, n != nil
}

// nodeAt returns the node at a field path, or nil.
func nodeAt(root *yaml.Node, field string) *yaml.Node {
	_, n := walk(root, field)
	return n
}

func walk(root *yaml.Node, field string) (int, *yaml.Node) {
	if root == nil {
		return 1, nil
	}
	n, line, rest := root, rootLine(root), field
	for rest != "" {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		if strings.HasPrefix(rest, "[") {
			end := strings.IndexByte(rest, ']')
			if end < 0 || n.Kind != yaml.SequenceNode {
				return line, nil
			}
			i, err := strconv.Atoi(rest[1:end])
			if err != nil || i < 0 || i >= len(n.Content) {
				return line, nil
			}
			n = n.Content[i]
			line = n.Line
			rest = strings.TrimPrefix(rest[end+1:], ".")
			continue
		}
		if n.Kind != yaml.MappingNode {
			return line, nil
		}
		// Keys of headers, query and with may hold dots: take the
		// longest key the path continues with.
		best := -1
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if rest == k || strings.HasPrefix(rest, k+".") || strings.HasPrefix(rest, k+"[") {
				if best < 0 || len(k) > len(n.Content[best].Value) {
					best = i
				}
			}
		}
		if best < 0 {
			return line, nil
		}
		key, val := n.Content[best], n.Content[best+1]
		rest = strings.TrimPrefix(rest[len(key.Value):], ".")
		if rest == "" {
			if val.Kind == yaml.ScalarNode {
				return val.Line, val
			}
			return key.Line, val
		}
		n, line = val, key.Line
	}
	return line, n
}

// rootLine is the line a problem about the whole definition points at.
func rootLine(root *yaml.Node) int {
	if root == nil || root.Line == 0 {
		return 1
	}
	return root.Line
}

func topLevelKey(root *yaml.Node, key string) bool {
	if root == nil || root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key {
			return true
		}
	}
	return false
}

func topLevelString(root *yaml.Node, key string) string {
	if root == nil || root.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key && root.Content[i+1].Kind == yaml.ScalarNode {
			return root.Content[i+1].Value
		}
	}
	return ""
}

// keyLine finds the first mapping key named key anywhere under root.
func keyLine(root *yaml.Node, key string) int {
	if root == nil {
		return 1
	}
	var find func(n *yaml.Node) int
	find = func(n *yaml.Node) int {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					return n.Content[i].Line
				}
			}
		}
		for _, c := range n.Content {
			if l := find(c); l > 0 {
				return l
			}
		}
		return 0
	}
	if l := find(root); l > 0 {
		return l
	}
	return rootLine(root)
}

// yamlErrorLine splits "yaml: line 3: message" into 3 and "yaml: message".
func yamlErrorLine(msg string) (int, string) {
	msg = strings.TrimPrefix(msg, "webhook: ")
	msg = strings.TrimPrefix(msg, "template: ")
	if m := yamlLine.FindStringSubmatch(strings.TrimSpace(msg)); m != nil {
		n, _ := strconv.Atoi(m[1])
		prefix := ""
		if strings.HasPrefix(msg, "yaml: ") {
			prefix = "yaml: "
		}
		return n, prefix + m[2]
	}
	return 1, msg
}

// jsonErrorLine finds the line of a JSON decoding error.
func jsonErrorLine(data []byte, err error) int {
	var se *json.SyntaxError
	var ute *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return offsetLine(data, se.Offset)
	case errors.As(err, &ute):
		return offsetLine(data, ute.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return offsetLine(data, int64(len(data)))
	}
	return 1
}

// offsetLine is the line of a byte offset.
func offsetLine(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off > 0 && data[off-1] == '\n' {
		off-- // the offset is just past the token that failed
	}
	return bytes.Count(data[:max(off, 0)], []byte("\n")) + 1
}
