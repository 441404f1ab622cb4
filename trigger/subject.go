package trigger

import "strconv"

// Default names of the wire contract. Every one is configurable.
const (
	// DefaultStream is the trigger stream engines publish events to.
	DefaultStream = "CONNECTIONS"
	// DefaultFiredPrefix is the subject prefix of events:
	// connections.fired.<bot_id>.
	DefaultFiredPrefix = "connections.fired"
	// DefaultOrderedPrefix is the subject prefix of events that run in
	// firing order within their conversation:
	// connections.ordered.<bot_id>.<conversation_id>.
	DefaultOrderedPrefix = "connections.ordered"
	// DefaultResultPrefix is the subject prefix of Results for events
	// without reply_to: connections.result.<bot_id>.
	DefaultResultPrefix = "connections.result"
	// DefaultDLQStream is the dead-letter stream.
	DefaultDLQStream = "CONNECTIONS_DLQ"
	// DefaultDLQPrefix is the subject prefix of dead letters.
	DefaultDLQPrefix = "connections.dlq"
	// DefaultReplayPrefix is the subject prefix of replayed dead letters:
	// connections.replay.<bot_id>[.…], in the trigger stream. Only the
	// replay path publishes there (engines must not be permitted to), so
	// only there does an event count as a replay.
	DefaultReplayPrefix = "connections.replay"
	// DefaultRetryStream holds the events waiting for a delayed retry,
	// as message schedules, and delivers them when they are due.
	DefaultRetryStream = "CONNECTIONS_RETRY"
	// DefaultRetryPrefix is the subject prefix of the retry stream; only
	// workers publish there.
	DefaultRetryPrefix = "connections.retry"
)

// Header names.
const (
	// HeaderMsgID carries the JetStream dedup id: the event id on events,
	// ResultMsgID on Results.
	HeaderMsgID = "Nats-Msg-Id"
	// HeaderReplay carries the replay count of a re-published dead letter,
	// in decimal. It counts only on the replay subjects (and the retry
	// stream's, which only workers write): set on any other, it is
	// ignored.
	HeaderReplay = "Hookworker-Replay"
)

// FiredSubject is the subject an event of botID is published to:
// prefix.botID. An empty prefix means DefaultFiredPrefix.
func FiredSubject(prefix, botID string) string {
	if prefix == "" {
		prefix = DefaultFiredPrefix
	}
	return prefix + "." + botID
}

// OrderedSubject is the subject an event of botID and conversation
// conversationID is published to when it must run in order within its
// conversation: prefix.botID.conversationID. An empty prefix means
// DefaultOrderedPrefix. Both ids must be subject tokens (see ValidToken).
func OrderedSubject(prefix, botID, conversationID string) string {
	if prefix == "" {
		prefix = DefaultOrderedPrefix
	}
	return prefix + "." + botID + "." + conversationID
}

// ResultSubject is the subject ev's Result goes to: its reply_to, else
// resultPrefix.bot_id. An empty resultPrefix means DefaultResultPrefix.
func ResultSubject(ev *Event, resultPrefix string) string {
	if ev.ReplyTo != "" {
		return ev.ReplyTo
	}
	if resultPrefix == "" {
		resultPrefix = DefaultResultPrefix
	}
	return resultPrefix + "." + ev.BotID
}

// ResultMsgID is the dedup id of the Result of event eventID:
// "result-<id>", or "result-<id>-replay-<n>" for its n-th replay.
func ResultMsgID(eventID string, replay int) string {
	if replay > 0 {
		return "result-" + eventID + "-replay-" + strconv.Itoa(replay)
	}
	return "result-" + eventID
}
