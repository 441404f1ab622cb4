package egress

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Rule is one exception of the allow list: the addresses of Prefix, or
// every address a URL host named Host resolves to (Host "*.example.com":
// any name under example.com, not example.com itself), on Port only when
// Port is not 0.
type Rule struct {
	// Prefix is the addresses allowed; unset for a Host rule.
	Prefix netip.Prefix
	// Host is a lower-case host name, perhaps starting with "*."; "" for
	// a Prefix rule.
	Host string
	// Port limits the rule to one port; 0: every port.
	Port uint16
}

// String is the rule as ParseAllow reads it.
func (r Rule) String() string {
	s := r.Host
	if s == "" {
		s = r.Prefix.String()
		if r.Prefix.IsSingleIP() {
			s = r.Prefix.Addr().String()
		}
		if r.Port != 0 && r.Prefix.Addr().Is6() {
			s = "[" + s + "]"
		}
	}
	if r.Port != 0 {
		s += ":" + strconv.Itoa(int(r.Port))
	}
	return s
}

// ParseAllow parses an allow list. An entry is a CIDR ("10.0.0.0/8"), an
// address ("127.0.0.1", a /32 or /128) or a host name
// ("api.example.com", "*.example.com"), each optionally with a port:
// "127.0.0.1:8090", "10.0.0.0/8:443", "[::1]:8090", "[fd00::/8]:443",
// "api.example.com:8443", "*.example.com:443". Without a port an entry
// allows every port. The error names the bad entry.
func ParseAllow(ss []string) ([]Rule, error) {
	out := make([]Rule, 0, len(ss))
	for i, s := range ss {
		r, err := parseRule(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("egress: allow[%d] %q %s", i, s, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseRule(s string) (Rule, error) {
	var r Rule
	body := s
	if h, p, ok := splitPort(s); ok {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return r, fmt.Errorf("has port %q, not a port 1-65535", p)
		}
		body, r.Port = h, uint16(n)
	}
	if body == "" {
		return r, fmt.Errorf("is empty")
	}
	if strings.Contains(body, "/") {
		p, err := netip.ParsePrefix(body)
		if err != nil {
			return r, fmt.Errorf("is not a CIDR: %w", err)
		}
		r.Prefix = normalize(p).Masked()
		return r, nil
	}
	if a, err := netip.ParseAddr(body); err == nil {
		if a.Zone() != "" {
			return r, fmt.Errorf("has a zone; give the address without it")
		}
		r.Prefix = normalize(netip.PrefixFrom(a, a.BitLen())).Masked()
		return r, nil
	}
	name := strings.ToLower(strings.TrimSuffix(body, "."))
	if !validHostPattern(name) {
		return r, fmt.Errorf("is not a CIDR, an address or a host name (optionally *.name), with an optional :port")
	}
	r.Host = name
	return r, nil
}

// splitPort splits "host:port", "[v6]:port" and "[v6/len]:port"; ok is
// false when s names no port (a bare IPv6 address or prefix included).
func splitPort(s string) (host, port string, ok bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.LastIndex(s, "]")
		if end < 0 || !strings.HasPrefix(s[end+1:], ":") {
			return "", "", false
		}
		return s[1:end], s[end+2:], true
	}
	i := strings.LastIndex(s, ":")
	if i < 0 || strings.Count(s, ":") > 1 { // none, or a bare IPv6 form
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// validHostPattern: at least two labels of letters, digits and hyphens
// (so that a mistyped word is not taken for a name), the first one perhaps
// "*", then at least two more.
func validHostPattern(name string) bool {
	if len(name) == 0 || len(name) > 253 {
		return false
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return false
	}
	for i, l := range labels {
		if l == "*" && i == 0 && len(labels) > 2 {
			continue
		}
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// PrefixRules is the rules of prefixes, each for every port.
func PrefixRules(ps []netip.Prefix) []Rule {
	out := make([]Rule, len(ps))
	for i, p := range ps {
		out[i] = Rule{Prefix: p}
	}
	return out
}

// matchesHost reports whether the rule's host pattern covers name.
func (r Rule) matchesHost(name string) bool {
	if r.Host == "" || name == "" {
		return false
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if rest, ok := strings.CutPrefix(r.Host, "*."); ok {
		return strings.HasSuffix(name, "."+rest)
	}
	return name == r.Host
}

func (r Rule) portOK(port uint16) bool { return r.Port == 0 || r.Port == port }

// allowed reports whether an exception covers the address a dialled on
// port for the URL host name ("" when unknown).
func (p Policy) allowed(name string, a netip.Addr, port uint16, anyPort bool) bool {
	for _, pfx := range p.Allow {
		if normalize(pfx).Contains(a) {
			return true
		}
	}
	for _, r := range p.Rules {
		if !anyPort && !r.portOK(port) || anyPort && r.Port != 0 {
			continue
		}
		if r.Host != "" {
			if r.matchesHost(name) {
				return true
			}
			continue
		}
		if normalize(r.Prefix).Contains(a) {
			return true
		}
	}
	return false
}

// hostPort reads the port of "host:port" (0 when there is none).
func hostPort(address string) (string, uint16) {
	h, p, err := net.SplitHostPort(address)
	if err != nil {
		return address, 0
	}
	n, _ := strconv.ParseUint(p, 10, 16)
	return h, uint16(n)
}
