// Package webhook defines a webhook definition: the HTTP request a bot's
// connection makes (method, URL, query, headers, body and auth as Jinja
// templates), its delivery settings (timeout, retry, success statuses) and its
// Response Mapper (CVar name <- Jinja template over the response).
//
// Definitions arrive inline in a ConnectionFired event (JSON) or from files
// (YAML). Decoding is strict: an unknown field is an error that names it.
// [Definition.Validate] checks everything that can be checked without rendering
// and reports the first problem with the field's path, such as
// "cvars[2].name: empty". Templates themselves are compiled by package render.
package webhook
