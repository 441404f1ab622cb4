// Package deptest holds the tests that keep hookworker's package layout
// honest, in the spirit of Tailscale's tstest/deptest: which packages are
// public, what each may import, that test support stays in tests, and that
// docs/architecture.md shows the package graph `go list` sees. It has no
// code of its own.
package deptest
