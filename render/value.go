package render

// Normalize prepares a value decoded from JSON with UseNumber for
// templates. The engine reads json.Number exactly (an integer of any size
// stays an int, 2.0 stays a float), so there is nothing left to convert:
// v is returned as it is. It remains for callers that decode CVars
// themselves.
func Normalize(v any) any { return v }
