// Package egress is the egress guard: it keeps webhook requests, whose URLs
// bot builders write as templates, from reaching the worker's own machine,
// its private networks, or its cloud's metadata service.
//
// # Usage
//
// Build a [Policy] from the configuration (use [ParsePrefixes] for the
// allow list), then give the shared client its transport and its redirect
// rule:
//
//	client := &http.Client{
//		Transport:     p.Transport(base),
//		CheckRedirect: p.CheckRedirect,
//	}
//
// and call [Policy.CheckURL] on each rendered URL before sending it, for an
// early, clear error. The transport enforces CheckURL too, so forgetting it
// costs clarity, not safety.
//
// # The promises
//
//   - Decided on the address dialled: the check runs in the dialer's
//     Control hook ([Policy.Control]), after name resolution, on the very
//     address the socket is about to connect to. A name that resolves to a
//     public address once and to 127.0.0.1 the next time (DNS rebinding),
//     and a redirect to an internal address, are refused at connect time;
//     every connection of the transport passes through the hook, https
//     ones included (the transport has no DialTLSContext).
//   - Refused ranges, unless allow-listed: loopback (127.0.0.0/8, ::1);
//     private networks (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16) and IPv6
//     unique local addresses (fc00::/7); carrier-grade NAT (100.64.0.0/10);
//     link-local (169.254.0.0/16, with the cloud metadata address
//     169.254.169.254, and fe80::/10); multicast (224.0.0.0/4, ff00::/8);
//     unspecified (0.0.0.0/8, ::); broadcast (255.255.255.255) and the rest
//     of 240.0.0.0/4; benchmarking (198.18.0.0/15, 2001:2::/48);
//     documentation (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
//     2001:db8::/32, 3fff::/20); 192.0.0.0/24 and 192.88.99.0/24; deprecated
//     site-local (fec0::/10), ORCHID and discard-only IPv6 ranges; and every
//     IPv6 address outside global unicast (2000::/3) not named below.
//   - No IPv4 in IPv6 clothing: an IPv4-mapped address (::ffff:a.b.c.d) is
//     judged as the IPv4 address it is. NAT64 (64:ff9b::/96, and every
//     RFC 6052 reading of the local-use 64:ff9b:1::/48), 6to4 (2002::/16)
//     and Teredo (2001::/32, server and client) addresses are refused when
//     the IPv4 address they embed is. IPv4-compatible (::a.b.c.d) and
//     IPv4-translated (::ffff:0:a.b.c.d) addresses are always refused.
//   - Allow list wins: an address inside one of [Policy.Allow]'s prefixes
//     is allowed whatever its range (a development setup allows
//     127.0.0.0/8). The list is matched against the address dialled, an
//     IPv4-mapped address as its IPv4 address; it does not reach into
//     NAT64, 6to4 or Teredo forms (allow the IPv6 prefix itself for that).
//   - No proxy: the transport never uses one (a proxy would dial on our
//     behalf, hiding the real target from the check).
//   - Redirects: not followed unless [Policy.MaxRedirects] is positive, in
//     which case each hop's URL is checked by [Policy.CheckRedirect]
//     (scheme, https only, literal addresses), its address by the dialer
//     like any other, and hops beyond MaxRedirects are refused.
//   - Fail closed: an address the hook cannot parse is refused.
//
// # Errors
//
// Every refusal satisfies errors.Is(err, [ErrBlocked]), also after
// [net/http.Client.Do] has wrapped it (in a *url.Error around a
// *net.OpError for a dial). A refusal of an address is a [*BlockedError]
// naming it and the reason, reachable with errors.As; a refusal of a URL
// (scheme, https only, too many redirects) wraps ErrBlocked with a message.
// Messages name hosts and addresses, never whole URLs, which may carry
// secrets.
//
// A Policy is a value; its methods are safe for concurrent use as long as
// nobody modifies its Allow slice.
package egress
