package secret

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// DefaultBucket is the KV bucket of bot secrets.
const DefaultBucket = "hookworker-secrets"

// KeyEntry is the bucket entry holding the workers' current public curve
// key (X...), for writers that are not given one. It is one token, so no
// bot secret's key (two tokens) can be it.
const KeyEntry = "sealing-key"

// MaxNameLen bounds a secret name.
const MaxNameLen = 128

// CheckName refuses a secret name other than letters, digits, '_' and '-'
// (at most MaxNameLen): the names templates write as secrets.NAME and
// environment variables carry.
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("secret: the name is empty")
	case len(name) > MaxNameLen:
		return fmt.Errorf("secret: the name is %d bytes, over the %d-byte limit", len(name), MaxNameLen)
	case !plainToken(name):
		return fmt.Errorf("secret: name %q: use letters, digits, '_' and '-'", clip(name))
	}
	return nil
}

// checkBot refuses a bot id that cannot be a subject token.
func checkBot(bot string) error {
	if bot == "" || strings.ContainsAny(bot, ".*> \t\r\n\f\x00") {
		return fmt.Errorf("secret: bot %q is not a bot id (a subject token)", clip(bot))
	}
	return nil
}

// Key is the bucket key of bot's secret name: <bot>.<name>, each token
// as it is when it is made of letters, digits, '_' and '-', else '='
// followed by its base64url form (the key alphabet has no other room;
// a plain token never starts with '=', so two bots never share a key).
func Key(bot, name string) string { return keyToken(bot) + "." + keyToken(name) }

// BotKeys is the key filter of every secret of bot.
func BotKeys(bot string) string { return keyToken(bot) + ".*" }

// ParseKey is the inverse of Key; ok is false for a key Key cannot make.
func ParseKey(key string) (bot, name string, ok bool) {
	b, n, found := strings.Cut(key, ".")
	if !found || strings.Contains(n, ".") {
		return "", "", false
	}
	if bot, ok = parseToken(b); !ok {
		return "", "", false
	}
	if name, ok = parseToken(n); !ok {
		return "", "", false
	}
	return bot, name, true
}

func keyToken(s string) string {
	if plainToken(s) {
		return s
	}
	return "=" + base64.RawURLEncoding.EncodeToString([]byte(s))
}

func parseToken(t string) (string, bool) {
	if enc, ok := strings.CutPrefix(t, "="); ok {
		b, err := base64.RawURLEncoding.DecodeString(enc)
		if err != nil || len(b) == 0 || plainToken(string(b)) {
			return "", false
		}
		return string(b), true
	}
	return t, plainToken(t)
}

// plainToken reports whether s is non-empty and made of letters, digits,
// '_' and '-'.
func plainToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
