package deadletter

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Tokens of letters whose bot id or class cannot be a subject token.
const (
	UnknownBot   = "_unknown"
	UnknownClass = "_unknown"
)

// Backlog is the number of letters stored for one bot and error class.
type Backlog struct {
	BotID string
	Class string
	Count uint64
}

// Backlog counts the letters by bot and class from the stream's subject
// counts, without reading a letter: one request to the server (paged by
// nats.go for many subjects). Letters stored before the class token count
// with class UnknownClass.
func (s *Store) Backlog(ctx context.Context) ([]Backlog, error) {
	st, err := s.js.Stream(ctx, s.config.Name)
	if err != nil {
		return nil, fmt.Errorf("deadletter: %w", err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(s.prefix+".>"))
	if err != nil {
		return nil, fmt.Errorf("deadletter: %w", err)
	}
	out := make([]Backlog, 0, len(info.State.Subjects))
	for subj, n := range info.State.Subjects {
		rest, ok := strings.CutPrefix(subj, s.prefix+".")
		if !ok {
			continue
		}
		bot, class, found := strings.Cut(rest, ".")
		if !found {
			class = UnknownClass
		}
		out = append(out, Backlog{BotID: bot, Class: class, Count: n})
	}
	return out, nil
}
