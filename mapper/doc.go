// Package mapper is the Response Mapper: it turns a webhook's HTTP response
// into CVar updates, one Jinja template per CVar.
//
// A mapper that is exactly one {{ expression }} gives its CVar the JSON
// value of the expression (string, number, boolean, null, array, object);
// any other mapper gives the rendered string. A mapper whose path is
// missing from the response sets nothing and is listed as unmapped.
//
// Mappers see the top-level keys of a JSON object body ({{ ticket.status }}),
// response (status_code, headers with lower-case names, body parsed or
// null, text), cvars and conversation.
//
// Plain attribute and index paths ({{ ticket.status }}, {{ items[0]['name'] }},
// {{ response.body.id }}) take a fast path that reads the body with gjson and
// never decodes the rest of it; everything else goes through gonja. Both
// paths give the same value for the same input: JSON is decoded by one
// function built on gjson (the first of duplicate keys wins, integers stay
// integers), and a differential test and a fuzz test hold the two paths to
// it.
package mapper
