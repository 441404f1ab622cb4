// Package render turns webhook definitions into HTTP requests by rendering
// their Jinja templates (gonja) over a conversation's variables.
//
// The promises:
//
//   - Sandboxed: templates cannot read files or reach the network
//     (include, import, from and extends are not part of the language here),
//     range is capped, output is capped per render, template size is capped,
//     and a panic inside gonja (such as {{ 1 % 0 }}) is a render error, never
//     a crash.
//   - Jinja2 output: integers print as integers ({{ 388 }} is 388), floats
//     the Python way, tojson as Jinja2 writes it. Numbers decoded from JSON
//     must go through [Normalize] first.
//   - Compiled once: an [Env] caches compiled templates by source, so an
//     inline webhook that arrives with every event is parsed once.
//   - Clear errors: every failure is an [*Error] naming the webhook and the
//     field (url, headers.Authorization, body, ...) and why.
//
// An Env is safe for concurrent use.
package render
