// Package render turns webhook definitions into HTTP requests by rendering
// their Jinja templates over a conversation's variables, with the engine
// of internal/jinja: Python Jinja2's output, sandboxed and bounded.
//
// The promises:
//
//   - Jinja2's answers: a template renders as Jinja2 3.1's
//     SandboxedEnvironment renders it ({{ 388 }} is 388, {{ phone }} of a
//     null is None, objects keep the order of the event's JSON).
//   - Sandboxed and bounded: no file or network access (include, import,
//     from and extends fail, as without a loader); the templates of one
//     request share one budget of memory and steps, and each output,
//     template size and nesting is bounded (Limits). A bound exceeded
//     fails that request with an error naming the bound and its
//     configuration key, never the process.
//   - Compiled once: an [Env] caches compiled templates by source, so an
//     inline webhook that arrives with every event is parsed once.
//   - Clear errors: every failure is an [*Error] naming the webhook and the
//     field (url, headers.Authorization, body, ...) and why.
//
// An Env is safe for concurrent use; a [Vars] belongs to one request.
package render
