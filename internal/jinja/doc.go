// Package jinja renders Jinja templates as Python Jinja2 3.1's
// SandboxedEnvironment does, with bounds no template can lift.
//
// The promise: for any template and any JSON context, the output, the
// value of a single {{ expression }}, or the exception class is Jinja2's
// (testdata/oracle holds Jinja2's recorded answers; the test suite checks
// every one). And whatever the template, the context or a decoded
// response contains, the process survives: every bound below fails only
// the render that exceeds it, with a BoundError naming the bound and its
// configuration key.
//
// Parsing is gonja's (third_party/gonja, patched as its PATCHES.md says);
// evaluation is this package's, over a value model that keeps JSON as
// Python's json.loads builds it: dicts in key order (a repeated key keeps
// its first position and last value), None apart from Undefined, ints of
// any size, int apart from float, bools that are ints in arithmetic but
// print True and False, strings of code points, Markup, tuples, bytes,
// complex numbers and lazy generators where Jinja2 has them. Every builtin
// filter, test and global, every statement but those needing a loader
// (include, import, from, extends fail when they run, as without a
// loader), and the str, list and dict methods the sandbox allows, which
// mutate as in Python. Attributes starting with an underscore are the
// sandbox's unsafe Undefined.
//
// Compiled templates (Env.Compile, Env.CompileExpr) are immutable and safe
// for concurrent use; an Env caches them in a bounded LRU. Unknown filters
// and tests are compile-time errors with their line, except inside an if
// statement or an inline if, where Jinja2 defers them to the branch that
// runs. A Renderer renders over one Context within one budget (Limits)
// shared by all it evaluates: the memory of every value built, counted
// before it is built; a deterministic step count of the work done; the
// output size; macro and recursive-loop nesting. Template size and nesting
// are bounded when compiling, JSON depth when decoding.
package jinja
