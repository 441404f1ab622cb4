package egress

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// ErrBlocked is matched (errors.Is) by every refusal of the guard.
var ErrBlocked = errors.New("egress refused")

// BlockedError is the refusal of an address.
type BlockedError struct {
	// Addr is the refused address; the zero Addr when the dialer handed
	// over something that is not an address.
	Addr netip.Addr
	// Reason names the refused range, such as "loopback".
	Reason string
}

func (e *BlockedError) Error() string {
	if !e.Addr.IsValid() {
		return "egress refused: " + e.Reason
	}
	return fmt.Sprintf("egress to %s refused: %s", e.Addr, e.Reason)
}

// Is makes errors.Is(err, ErrBlocked) true.
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }

// Policy is what the guard allows. The zero Policy refuses every range
// listed in the package documentation, allows plain http and follows no
// redirect.
type Policy struct {
	// Allow lists prefixes allowed even if in a refused range, on every
	// port.
	Allow []netip.Prefix
	// Rules are more exceptions (see [ParseAllow]): prefixes and URL host
	// names, each on one port or every port.
	Rules []Rule
	// HTTPSOnly refuses plain http URLs, redirect hops included.
	HTTPSOnly bool
	// MaxRedirects is how many redirects a request follows; 0: none (the
	// 3xx is the answer).
	MaxRedirects int
	// Resolver looks names up for the dialer of [Policy.Transport]; nil:
	// net.DefaultResolver. Whatever it answers, the address dialled is
	// checked.
	Resolver *net.Resolver
}

// ParsePrefixes parses an allow list of CIDRs ("10.0.0.0/8") and bare
// addresses ("127.0.0.1", a /32 or /128). Prefixes are masked, and
// IPv4-mapped ones ("::ffff:127.0.0.0/104") become IPv4. The error names
// the bad entry.
func ParsePrefixes(ss []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(ss))
	for i, s := range ss {
		s = strings.TrimSpace(s)
		var p netip.Prefix
		if strings.Contains(s, "/") {
			var err error
			if p, err = netip.ParsePrefix(s); err != nil {
				return nil, fmt.Errorf("egress: allow[%d] %q is not a CIDR: %w", i, s, err)
			}
		} else {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("egress: allow[%d] %q is not a CIDR or an address", i, s)
			}
			if a.Zone() != "" {
				return nil, fmt.Errorf("egress: allow[%d] %q has a zone; give the address without it", i, s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, normalize(p).Masked())
	}
	return out, nil
}

// normalize turns an IPv4-mapped prefix into the IPv4 prefix it covers.
func normalize(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}

// Check reports whether addr may be dialled on any port: nil, or a
// *BlockedError. Rules limited to a port or a host name do not count;
// see [Policy.CheckDial].
func (p Policy) Check(addr netip.Addr) error { return p.check("", addr, 0, true) }

// CheckDial reports whether addr may be dialled on port for a URL whose
// host is name ("" when unknown, or when it is the address itself).
func (p Policy) CheckDial(name string, addr netip.Addr, port uint16) error {
	return p.check(name, addr, port, false)
}

func (p Policy) check(name string, addr netip.Addr, port uint16, anyPort bool) error {
	if !addr.IsValid() {
		return &BlockedError{Addr: addr, Reason: "invalid address"}
	}
	a := addr.WithZone("").Unmap()
	if p.allowed(name, a, port, anyPort) {
		return nil
	}
	if r := reason(a); r != "" {
		return &BlockedError{Addr: addr, Reason: r}
	}
	return nil
}

// Control is for net.Dialer.Control: it checks the address ("IP:port")
// about to be connected to. It does not use c, which may be nil.
func (p Policy) Control(network, address string, c syscall.RawConn) error {
	return p.control("", network, address)
}

// control is Control for a connection to the URL host name.
func (p Policy) control(name, network, address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &BlockedError{Reason: fmt.Sprintf("%s address %q is not IP:port", network, address)}
	}
	return p.CheckDial(name, ap.Addr(), ap.Port())
}
