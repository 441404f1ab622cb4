package trigger

import "strconv"

// Default names of the wire contract. Every one is configurable.
const (
	// DefaultStream is the trigger stream engines publish events to.
	DefaultStream = "CONNECTIONS"
	// DefaultFiredPrefix is the subject prefix of events:
	// connections.fired.<bot_id>.
	DefaultFiredPrefix = "connections.fired"
	// DefaultResultPrefix is the subject prefix of Results for events
	// without reply_to: connections.result.<bot_id>.
	DefaultResultPrefix = "connections.result"
	// DefaultDLQStream is the dead-letter stream.
	DefaultDLQStream = "CONNECTIONS_DLQ"
	// DefaultDLQPrefix is the subject prefix of dead letters.
	DefaultDLQPrefix = "connections.dlq"
)

// Header names.
const (
	// HeaderMsgID carries the JetStream dedup id: the event id on events,
	// ResultMsgID on Results.
	HeaderMsgID = "Nats-Msg-Id"
	// HeaderReplay carries the replay count of a re-published dead letter,
	// in decimal.
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
