package mapper

import (
	"net/http"
	"testing"

	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// benchBody is a typical ticket API reply, about 1 KB.
const benchBody = `{
  "ticket": {
    "id": 35436, "url": "https://example.zendesk.com/api/v2/tickets/35436.json",
    "external_id": "ahg35h3jh", "created_at": "2026-07-20T22:55:29Z", "updated_at": "2026-07-21T10:12:03Z",
    "type": "incident", "subject": "Help, my parcel is late", "raw_subject": "Help, my parcel is late",
    "description": "The parcel I ordered two weeks ago has still not arrived. Order A-1029.",
    "priority": "high", "status": "open", "recipient": "support@example.com",
    "requester_id": 20978392, "submitter_id": 76872, "assignee_id": 235323, "organization_id": 509974,
    "group_id": 98738, "collaborator_ids": [35334, 234], "follower_ids": [35334, 99],
    "has_incidents": false, "is_public": true, "due_at": null,
    "tags": ["enterprise", "other_tag", "shipping", "chatbot"],
    "custom_fields": [{"id": 27642, "value": "745"}, {"id": 27648, "value": "yes"}],
    "satisfaction_rating": {"id": 1234, "score": "good", "comment": "Great support!"},
    "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": null}}
  },
  "audit": {"id": 2127301143, "author_id": 76872, "created_at": "2026-07-21T10:12:03Z"}
}`

func benchApply(b *testing.B, mappings []webhook.Mapping, wantFast int) {
	b.Helper()
	env := render.NewEnv(render.Limits{})
	m, err := Compile(env, mappings, Options{})
	if err != nil {
		b.Fatal(err)
	}
	resp := &Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(benchBody)}
	out, err := m.Apply(resp, nil, nil)
	if err != nil || len(out.CVars) != len(mappings) {
		b.Fatalf("Apply: %v, %#v", err, out)
	}
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Apply(resp, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply: three plain paths and one filter expression, which
// needs the whole body decoded for gonja.
func BenchmarkApply(b *testing.B) {
	benchApply(b, maps(
		"ticket_status", "{{ ticket.status }}",
		"ticket_id", "{{ ticket.id }}",
		"first_tag", "{{ ticket.tags[0] }}",
		"tags", "{{ ticket.tags | join(', ') }}",
	), 3)
}

// BenchmarkApplyFastOnly: four plain paths, read with gjson alone.
func BenchmarkApplyFastOnly(b *testing.B) {
	benchApply(b, maps(
		"ticket_status", "{{ ticket.status }}",
		"ticket_id", "{{ ticket.id }}",
		"first_tag", "{{ ticket.tags[0] }}",
		"rating", "{{ ticket.satisfaction_rating.score }}",
	), 4)
}

// BenchmarkApplyNoFastPath: BenchmarkApply's mappers, all through gonja.
func BenchmarkApplyNoFastPath(b *testing.B) {
	env := render.NewEnv(render.Limits{})
	m, err := Compile(env, maps(
		"ticket_status", "{{ ticket.status }}",
		"ticket_id", "{{ ticket.id }}",
		"first_tag", "{{ ticket.tags[0] }}",
		"tags", "{{ ticket.tags | join(', ') }}",
	), Options{NoFastPath: true})
	if err != nil {
		b.Fatal(err)
	}
	resp := &Response{StatusCode: 200, Body: []byte(benchBody)}
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Apply(resp, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}
