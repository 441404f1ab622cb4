// Package registry holds webhook definitions by id, so that events can name
// a definition (webhook_ref) instead of carrying it inline.
//
// A [Static] registry is loaded once from a directory of YAML or JSON files
// (configs/webhooks by default). Every file is decoded strictly and
// validated at load time; a directory with any bad file does not load, and
// the error names the file and the field.
package registry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hookworker/hookworker/webhook"
)

// ErrUnknown is returned for an id the registry does not hold.
var ErrUnknown = errors.New("unknown webhook")

// Static is a fixed set of definitions.
type Static struct {
	defs map[string]*webhook.Definition
}

// NewStatic builds a registry from definitions; ids must be unique.
func NewStatic(defs ...*webhook.Definition) (*Static, error) {
	s := &Static{defs: make(map[string]*webhook.Definition, len(defs))}
	for _, d := range defs {
		if d.ID == "" {
			return nil, errors.New("registry: definition without id")
		}
		if _, dup := s.defs[d.ID]; dup {
			return nil, fmt.Errorf("registry: id %q defined twice", d.ID)
		}
		s.defs[d.ID] = d
	}
	return s, nil
}

// LoadDir loads every *.yaml, *.yml and *.json file in dir. A missing
// directory gives an empty registry.
func LoadDir(dir string) (*Static, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return &Static{defs: map[string]*webhook.Definition{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	var defs []*webhook.Definition
	for _, e := range entries {
		name := e.Name()
		ext := strings.ToLower(filepath.Ext(name))
		if e.IsDir() || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			continue
		}
		path := filepath.Join(dir, name)
		d, err := LoadFile(path)
		if err != nil {
			return nil, err
		}
		defs = append(defs, d)
	}
	return NewStatic(defs...)
}

// LoadFile loads and validates one definition file.
func LoadFile(path string) (*webhook.Definition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	var d *webhook.Definition
	if strings.EqualFold(filepath.Ext(path), ".json") {
		d, err = webhook.DecodeJSON(data)
	} else {
		d, err = webhook.DecodeYAML(data)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if d.ID == "" {
		return nil, fmt.Errorf("%s: id: required in files", path)
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// Lookup returns the definition with id. Static definitions have no
// revisions: any pinned revision is accepted.
func (s *Static) Lookup(_ context.Context, id string, _ uint64) (*webhook.Definition, error) {
	d, ok := s.defs[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknown, id)
	}
	return d, nil
}

// IDs returns the ids held, sorted.
func (s *Static) IDs() []string {
	ids := make([]string, 0, len(s.defs))
	for id := range s.defs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
