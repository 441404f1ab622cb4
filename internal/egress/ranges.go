package egress

import "net/netip"

type refusedRange struct {
	prefix netip.Prefix
	reason string
}

func r(cidr, reason string) refusedRange {
	return refusedRange{netip.MustParsePrefix(cidr), reason}
}

// refused4 is searched in order: the more specific entries come first.
var refused4 = []refusedRange{
	r("169.254.169.254/32", "link-local (cloud metadata)"),
	r("255.255.255.255/32", "broadcast"),
	r("0.0.0.0/8", "unspecified"),
	r("10.0.0.0/8", "private (RFC 1918)"),
	r("100.64.0.0/10", "carrier-grade NAT"),
	r("127.0.0.0/8", "loopback"),
	r("169.254.0.0/16", "link-local"),
	r("172.16.0.0/12", "private (RFC 1918)"),
	r("192.0.0.0/24", "IETF protocol assignments"),
	r("192.0.2.0/24", "documentation"),
	r("192.88.99.0/24", "6to4 relay anycast"),
	r("192.168.0.0/16", "private (RFC 1918)"),
	r("198.18.0.0/15", "benchmarking"),
	r("198.51.100.0/24", "documentation"),
	r("203.0.113.0/24", "documentation"),
	r("224.0.0.0/4", "multicast"),
	r("240.0.0.0/4", "reserved"),
}

// refused6 holds the IPv6 ranges refused outright; the forms embedding an
// IPv4 address are decoded by reason6.
var refused6 = []refusedRange{
	r("::/128", "unspecified"),
	r("::1/128", "loopback"),
	r("100::/64", "discard-only"),
	r("fc00::/7", "unique local (ULA)"),
	r("fe80::/10", "link-local"),
	r("fec0::/10", "site-local (deprecated)"),
	r("ff00::/8", "multicast"),
	r("2001:2::/48", "benchmarking"),
	r("2001:10::/28", "ORCHID (deprecated)"),
	r("2001:20::/28", "ORCHIDv2"),
	r("2001:db8::/32", "documentation"),
	r("3fff::/20", "documentation"),
}

var (
	compat4     = netip.MustParsePrefix("::/96")
	translated4 = netip.MustParsePrefix("::ffff:0:0:0/96")
	nat64       = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local  = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour   = netip.MustParsePrefix("2002::/16")
	teredo      = netip.MustParsePrefix("2001::/32")
	global6     = netip.MustParsePrefix("2000::/3")
)

// reason names the refused range of a (no zone, IPv4-mapped unmapped), or
// is empty.
func reason(a netip.Addr) string {
	if a.Is4() {
		return reason4(a)
	}
	return reason6(a)
}

func reason4(a netip.Addr) string {
	for _, rr := range refused4 {
		if rr.prefix.Contains(a) {
			return rr.reason
		}
	}
	return ""
}

func reason6(a netip.Addr) string {
	for _, rr := range refused6 {
		if rr.prefix.Contains(a) {
			return rr.reason
		}
	}
	b := a.As16()
	v4 := func(i int) netip.Addr { return netip.AddrFrom4([4]byte(b[i : i+4])) }
	// embedded names the refused IPv4 address inside a form, or is empty.
	embedded := func(form string, e netip.Addr) string {
		if r := reason4(e); r != "" {
			return form + " form of " + e.String() + ", " + r
		}
		return ""
	}
	switch {
	case compat4.Contains(a):
		if r := embedded("IPv4-compatible", v4(12)); r != "" {
			return r
		}
		return "IPv4-compatible (deprecated)"
	case translated4.Contains(a):
		if r := embedded("IPv4-translated", v4(12)); r != "" {
			return r
		}
		return "IPv4-translated"
	case nat64.Contains(a):
		return embedded("NAT64", v4(12))
	case nat64Local.Contains(a):
		// The local-use prefix may embed the IPv4 address after a /48,
		// /56, /64 or /96 prefix (RFC 6052, with bits 64-71 zero and a
		// zero suffix); any reading that gives a refused address refuses.
		for _, e := range nat64Readings(b) {
			if r := embedded("NAT64", e); r != "" {
				return r
			}
		}
		return ""
	case sixToFour.Contains(a):
		return embedded("6to4", v4(2))
	case teredo.Contains(a):
		client := v4(12).As4()
		for i := range client {
			client[i] ^= 0xff
		}
		if r := embedded("Teredo", netip.AddrFrom4(client)); r != "" {
			return r
		}
		return embedded("Teredo server", v4(4))
	case !global6.Contains(a):
		return "reserved (not global unicast)"
	}
	return ""
}

// nat64Readings returns the IPv4 addresses b may embed under RFC 6052.
func nat64Readings(b [16]byte) []netip.Addr {
	zero := func(s []byte) bool {
		for _, x := range s {
			if x != 0 {
				return false
			}
		}
		return true
	}
	// The readings with the longest zero suffix come first: they are the
	// likelier ones, so their address names the refusal.
	var out []netip.Addr
	if b[8] == 0 {
		if zero(b[11:16]) { // /48
			out = append(out, netip.AddrFrom4([4]byte{b[6], b[7], b[9], b[10]}))
		}
		if zero(b[12:16]) { // /56
			out = append(out, netip.AddrFrom4([4]byte{b[7], b[9], b[10], b[11]}))
		}
		if zero(b[13:16]) { // /64
			out = append(out, netip.AddrFrom4([4]byte(b[9:13])))
		}
	}
	out = append(out, netip.AddrFrom4([4]byte(b[12:16]))) // /96
	return out
}
