package deadletter

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseWhen reads a Filter time as people write it: an RFC 3339 time, or
// a duration meaning that long before now ("2h", "90m", "7d"). Empty is
// the zero time (no bound).
func ParseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := parseAgo(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2025-03-01T12:00:00Z) nor a duration (2h, 30m, 7d)", s)
	}
	return now.Add(-d), nil
}

// parseAgo is time.ParseDuration that also takes whole days ("7d") and
// refuses negative durations.
func parseAgo(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return 0, err
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, err
		}
	}
	if d < 0 {
		return 0, errors.New("negative duration")
	}
	return d, nil
}
