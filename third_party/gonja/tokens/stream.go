package tokens

// sentinelEOF ends a token slice that has no EOF of its own.
var sentinelEOF = &Token{Type: EOF}

// Stream is a cursor over tokens with one token of look-ahead. Once it is
// at the end (EOF or an Error token) it stays there: Next returns the
// last token again.
type Stream struct {
	toks []*Token
	pos  int
}

// NewStream returns a stream over toks; an EOF token is added when the
// last token is not EOF or Error.
func NewStream(toks []*Token) *Stream {
	if n := len(toks); n == 0 || toks[n-1].Type != EOF && toks[n-1].Type != Error {
		toks = append(toks[:n:n], sentinelEOF)
	}
	return &Stream{toks: toks}
}

// Current returns the current token.
func (s *Stream) Current() *Token { return s.toks[s.pos] }

// Next returns the current token and moves to the next one.
func (s *Stream) Next() *Token {
	t := s.toks[s.pos]
	if s.pos < len(s.toks)-1 {
		s.pos++
	}
	return t
}

// EOF reports whether the stream is at its EOF token.
func (s *Stream) EOF() bool { return s.Current().Type == EOF }

// IsError reports whether the stream stopped at a lexing error.
func (s *Stream) IsError() bool { return s.Current().Type == Error }

// End reports whether the stream is at its end.
func (s *Stream) End() bool { return s.EOF() || s.IsError() }

// Peek returns the token after the current one, or nil at the end.
func (s *Stream) Peek() *Token {
	if s.pos+1 < len(s.toks) {
		return s.toks[s.pos+1]
	}
	return nil
}
