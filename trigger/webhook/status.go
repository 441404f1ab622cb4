package webhook

// DefaultRetryOn is what is retried when a definition's retry.on is
// empty: network errors, timeouts, 408, 425, 429 and 5xx.
var DefaultRetryOn = []StatusPattern{
	{Kind: "network"}, {Kind: "timeout"}, {Code: 408}, {Code: 425}, {Code: 429}, {Class: 5},
}

// Succeeds reports whether a response status counts as success: one of
// the definition's success patterns, 2xx when it has none.
func (d *Definition) Succeeds(status int) bool {
	if len(d.Success) == 0 {
		return status >= 200 && status < 300
	}
	for _, s := range d.Success {
		if p, err := ParseStatusPattern(s, false); err == nil && p.Match(status) {
			return true
		}
	}
	return false
}

// RetriesStatus reports whether a response status that is no success is
// retried: it matches retry.on, DefaultRetryOn when that is empty.
func (d *Definition) RetriesStatus(status int) bool {
	on := DefaultRetryOn
	if d.Retry != nil && len(d.Retry.On) > 0 {
		on = nil
		for _, s := range d.Retry.On {
			if p, err := ParseStatusPattern(s, true); err == nil {
				on = append(on, p)
			}
		}
	}
	for _, p := range on {
		if p.Kind == "" && p.Match(status) {
			return true
		}
	}
	return false
}
