// Package contracttest holds the machine-readable contract to the Go code:
// its tests check that docs/schema (JSON Schema 2020-12) and the decoders
// in trigger and trigger/webhook give the same verdicts over a corpus of
// hand-written and generated documents, that the schemas name exactly the
// Go types' fields, that docs/asyncapi.yaml names every subject with its
// payload schema, and that every example in configs/ and docs/ validates.
// It has no code of its own.
package contracttest
