package ui

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the address rate limits count by: the client's IP (see
// clientIP), and for IPv6 its /64, since one client usually holds a whole
// /64. A peer address that is not an IP is used as it is.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	addr, ok := clientIP(r, trusted)
	if !ok {
		return r.RemoteAddr
	}
	if addr.Is4() {
		return addr.String()
	}
	prefix, _ := addr.Prefix(64)
	return prefix.String()
}

// clientIP is the address of the client that sent r: the TCP peer, unless
// the peer is a trusted proxy (--trusted-proxies). Then it is the first
// address, walking the proxies' chain from the right (the hop the nearest
// proxy added), that is not itself a trusted proxy; if every hop is trusted,
// the leftmost; a hop that is not an address ends the walk at the trusted
// hop before it. The chain is X-Forwarded-For, which the common proxies set,
// or Forwarded when a request has no X-Forwarded-For. Headers from any other
// peer are ignored: anyone can send them. ok is false when the peer's
// address is not an IP.
func clientIP(r *http.Request, trusted []netip.Prefix) (addr netip.Addr, ok bool) {
	addr, ok = parseHop(r.RemoteAddr)
	if !ok || !isTrusted(addr, trusted) {
		return addr, ok
	}
	chain := forwardedChain(r.Header)
	for i := len(chain) - 1; i >= 0; i-- {
		hop, ok := parseHop(chain[i])
		if !ok {
			break
		}
		addr = hop
		if !isTrusted(hop, trusted) {
			break
		}
	}
	return addr, true
}

// fromLoopback tells whether r comes from this machine, for the first
// signup: the client (see clientIP) has a loopback address, no proxy Lore
// does not trust forwarded it (a loopback peer sending X-Forwarded-For or
// Forwarded is a proxy passing on someone else's request), and the browser
// addressed this machine by a loopback name, which a page of another site
// resolving its own name to 127.0.0.1 (DNS rebinding) cannot send.
func fromLoopback(r *http.Request, trusted []netip.Prefix) bool {
	addr, ok := clientIP(r, trusted)
	if !ok || !addr.IsLoopback() {
		return false
	}
	if peer, _ := parseHop(r.RemoteAddr); !isTrusted(peer, trusted) && len(forwardedChain(r.Header)) > 0 {
		return false
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		host = h
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	hostAddr, ok := parseHop(host)
	return ok && hostAddr.IsLoopback()
}

// forwardedChain returns the addresses proxies recorded, client first: the
// X-Forwarded-For list (all its header lines, in order), or else the for=
// parameters of Forwarded (RFC 7239).
func forwardedChain(h http.Header) []string {
	var chain []string
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, line := range xff {
			for hop := range strings.SplitSeq(line, ",") {
				chain = append(chain, strings.TrimSpace(hop))
			}
		}
		return chain
	}
	for _, line := range h.Values("Forwarded") {
		for element := range strings.SplitSeq(line, ",") {
			hop := "" // an element without for= is a hop of unknown address
			for pair := range strings.SplitSeq(element, ";") {
				name, value, _ := strings.Cut(strings.TrimSpace(pair), "=")
				if strings.EqualFold(name, "for") {
					hop = strings.Trim(value, `"`)
				}
			}
			chain = append(chain, hop)
		}
	}
	return chain
}

// parseHop reads an address as proxies write it: 192.0.2.1, 2001:db8::1,
// 192.0.2.1:4711, [2001:db8::1]:4711 or [2001:db8::1]. IPv4-mapped IPv6
// addresses become IPv4, so that trusted prefixes and limits see one form.
func parseHop(s string) (netip.Addr, bool) {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	} else {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.Unmap().WithZone(""), true
}

// isTrusted tells whether addr is one of the trusted proxies.
func isTrusted(addr netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
