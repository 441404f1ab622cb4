package trigger

import (
	"fmt"
	"strings"
)

// Tenancy is the contract's confinement of an event to its bot (v2,
// "Tenancy"): the bot of the subject an event is stored under is the
// bot it acts for, and its Result may go only where that bot's may.
// Empty prefixes mean the defaults.
type Tenancy struct {
	FiredPrefix, OrderedPrefix, ReplayPrefix string
	ResultPrefix, DLQPrefix, RetryPrefix     string
	// ReplyAllow, when not empty, lists the subject patterns (with * and
	// >) a reply_to may name besides the bot's own result subjects.
	ReplyAllow []string
}

// APIPrefix starts the subjects of hookworker's service API; a reply_to
// there would make a Result a request to it.
const APIPrefix = "hookworker.api"

func (t Tenancy) prefixes() (fired, ordered, replay, result, dlq, retry string) {
	or := func(s, d string) string {
		if s == "" {
			return d
		}
		return s
	}
	return or(t.FiredPrefix, DefaultFiredPrefix), or(t.OrderedPrefix, DefaultOrderedPrefix), or(t.ReplayPrefix, DefaultReplayPrefix),
		or(t.ResultPrefix, DefaultResultPrefix), or(t.DLQPrefix, DefaultDLQPrefix), or(t.RetryPrefix, DefaultRetryPrefix)
}

// SubjectBot returns the bot of a trigger subject, as the trigger stream
// stores it: <fired>.<bot>[.…], <replay>.<bot>[.…], and
// <ordered>[.<lane>].<bot>.<conversation> (the lane the stream's
// transform adds). It returns "" for any other subject.
func (t Tenancy) SubjectBot(subject string) string {
	fired, ordered, replay, _, _, _ := t.prefixes()
	for _, p := range []string{fired, replay} {
		if rest, ok := strings.CutPrefix(subject, p+"."); ok {
			bot, _, _ := strings.Cut(rest, ".")
			return bot
		}
	}
	if rest, ok := strings.CutPrefix(subject, ordered+"."); ok {
		toks := strings.Split(rest, ".")
		switch len(toks) {
		case 2: // <bot>.<conversation>
			return toks[0]
		case 3: // <lane>.<bot>.<conversation>
			return toks[1]
		}
	}
	return ""
}

// IsReplay reports whether subject is one of the replay subjects, where
// only the replay path publishes.
func (t Tenancy) IsReplay(subject string) bool {
	_, _, replay, _, _, _ := t.prefixes()
	return strings.HasPrefix(subject, replay+".")
}

// CheckBinding refuses an event stored under another bot's subject: the
// subject's bot is the one the publisher was allowed to act for.
func (t Tenancy) CheckBinding(subject string, ev *Event) error {
	bot := t.SubjectBot(subject)
	if bot == "" || ev.BotID == bot {
		return nil
	}
	return &FieldError{Field: "bot_id", Msg: fmt.Sprintf("%q is not the bot of the subject %s (%s): an event acts only for the bot it is published for", clip(ev.BotID), subject, bot)}
}

// CheckReply refuses a reply_to the contract does not let ev's bot use.
func (t Tenancy) CheckReply(ev *Event) error {
	if ev.ReplyTo == "" {
		return nil
	}
	if why := t.ReplyRefused(ev.ReplyTo, ev.BotID); why != "" {
		return &FieldError{Field: "reply_to", Msg: fmt.Sprintf("%q %s", clip(ev.ReplyTo), why)}
	}
	return nil
}

// ReplyRefused says why bot's Results may not go to subject ("" when
// they may): a $ subject (JetStream, KV, object stores, the system, the
// service framework), a subject of this contract other than bot's own
// results, the service API, or, with an allow list, one it does not name.
func (t Tenancy) ReplyRefused(subject, bot string) string {
	if !ValidSubject(subject) {
		return "is not a valid subject to publish to"
	}
	if strings.HasPrefix(subject, "$") {
		return "is a JetStream, KV, object store or system subject"
	}
	fired, ordered, replay, result, dlq, retry := t.prefixes()
	under := func(p string) bool { return subject == p || strings.HasPrefix(subject, p+".") }
	for _, p := range []string{fired, ordered, replay, dlq, retry, DefaultFiredPrefix, DefaultOrderedPrefix, DefaultReplayPrefix, DefaultDLQPrefix, DefaultRetryPrefix, APIPrefix} {
		if under(p) {
			return "is a subject of the hookworker contract that no Result may go to"
		}
	}
	for _, p := range []string{result, DefaultResultPrefix} {
		if under(p) {
			if rest := strings.TrimPrefix(subject, p+"."); rest == bot || strings.HasPrefix(rest, bot+".") {
				return ""
			}
			return "is the result subject of another bot"
		}
	}
	if len(t.ReplyAllow) == 0 {
		return ""
	}
	for _, p := range t.ReplyAllow {
		if SubjectMatches(p, subject) {
			return ""
		}
	}
	return "is not in results.reply_allow"
}

// SubjectMatches matches a subject against a pattern with * (one token)
// and > (one or more tokens, last).
func SubjectMatches(pattern, subject string) bool {
	for {
		ptok, prest, pmore := strings.Cut(pattern, ".")
		stok, srest, smore := strings.Cut(subject, ".")
		switch {
		case ptok == ">":
			return stok != ""
		case ptok != "*" && ptok != stok, stok == "":
			return false
		case !pmore || !smore:
			return !pmore && !smore
		}
		pattern, subject = prest, srest
	}
}
