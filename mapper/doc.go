// Package mapper is the Response Mapper: it turns a webhook's HTTP response
// into CVar updates, one Jinja template per CVar, evaluated by
// internal/jinja as Python Jinja2 evaluates them.
//
// A mapper that is exactly one {{ expression }} (no text around the
// braces, not even a space) gives its CVar the JSON value of the
// expression: string, number, boolean, null, array or object, also under
// an inline if ({{ x | length if x else 0 }} is a number). Any other
// mapper gives the rendered string. A mapper whose value is Undefined, or
// that raises UndefinedError (a path missing from the response), sets
// nothing and is listed as unmapped; any other error fails the mapping.
//
// Mappers see the top-level keys of a JSON object body ({{ ticket.status }}),
// response (status_code, headers with lower-case names, body parsed or
// null, text), cvars and conversation. The body is decoded once per
// response as Python's json.loads does (objects in order, a repeated key
// keeps the first position and the last value, ints of any size), nested
// at most MaxBodyDepth levels, and the mappers of one response share one
// budget of memory and steps.
package mapper
