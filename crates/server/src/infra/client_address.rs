//! The address of the client a request comes from, also behind a reverse proxy.
//!
//! The peer of the connection is the client unless it is one of the proxies the operator
//! configured (`--trusted-proxy <cidr>`, [`crate::infra::config::Config::trusted_proxies`]).
//! Only then are the forwarding headers read — `Forwarded` (RFC 7239) when present, else
//! `X-Forwarded-For` — from the right, the end the trusted proxy wrote: each address that is
//! itself a trusted proxy is skipped, and the first that is not is the client. A header from
//! anyone else is ignored, so a client cannot choose the address its rate limits and the QR
//! address warning see by sending one. A trusted proxy that sends no usable header is taken as
//! the client itself.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use ipnet::IpNet;

/// The client's address as the router's layer resolved it for a request
/// ([`resolve_for`]); read it with [`client_addr`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Resolves the client's address of a request once, before any route runs, and keeps it in
/// the request's extensions: the peer, or, when the peer is a trusted proxy, the address the
/// proxies forwarded. Nothing is kept when the connection's peer is unknown.
pub fn resolve_for(extensions: &mut Extensions, headers: &HeaderMap, trusted: &[IpNet]) {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip());
    if let Some(peer) = peer {
        extensions.insert(ClientAddr(resolve(peer, headers, trusted)));
    }
}

/// The client's address resolved for the request ([`resolve_for`]); without one, the
/// connection's peer; `None` when neither is known.
pub fn client_addr(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ClientAddr>()
        .map(|c| c.0)
        .or_else(|| {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ci| ci.0.ip())
        })
}

/// [`client_addr`] from the peer's address and the request's headers.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    // An IPv4 address mapped into IPv6 (as a dual-stack socket reports it) matches IPv4 ranges.
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&ip.to_canonical()));
    if !is_trusted(&peer) {
        return peer;
    }
    let chain = forwarded_chain(headers);
    let mut client = peer;
    // From the right: the nearest hop first. An element that does not parse ends the walk:
    // nothing left of it can be trusted.
    for hop in chain.iter().rev() {
        let Some(ip) = hop else { break };
        client = *ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

/// The forwarded addresses, leftmost (the original client) first; `None` for an element that
/// is not an address (`unknown`, an obfuscated identifier, garbage).
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, value)| parse_node(value.trim().trim_matches('"')))
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|item| parse_node(item.trim()))
        .collect()
}

/// An address as a forwarding header writes it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn parse_node(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sock) = text.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    text.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse::<IpAddr>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    fn proxies() -> Vec<IpNet> {
        vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()]
    }

    #[test]
    fn a_forwarded_address_counts_only_from_a_trusted_proxy() {
        let h = headers(&[("x-forwarded-for", "203.0.113.7")]);
        assert_eq!(resolve(ip("10.1.2.3"), &h, &proxies()), ip("203.0.113.7"));
        assert_eq!(
            resolve(ip("198.51.100.9"), &h, &proxies()),
            ip("198.51.100.9")
        );
        assert_eq!(resolve(ip("10.1.2.3"), &h, &[]), ip("10.1.2.3"));
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client_so_a_forged_left_part_is_ignored() {
        // The client wrote "1.2.3.4" itself; the proxy appended the address it saw.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.7, 10.9.9.9")]);
        assert_eq!(resolve(ip("10.1.2.3"), &h, &proxies()), ip("203.0.113.7"));
    }

    #[test]
    fn forwarded_is_read_before_x_forwarded_for_with_ports_and_brackets() {
        let h = headers(&[
            (
                "forwarded",
                "for=\"[2001:db8::7]:4711\";proto=https, for=10.2.2.2",
            ),
            ("x-forwarded-for", "203.0.113.99"),
        ]);
        assert_eq!(resolve(ip("::1"), &h, &proxies()), ip("2001:db8::7"));
        let h = headers(&[("forwarded", "for=192.0.2.60:8080;by=10.0.0.1")]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &proxies()), ip("192.0.2.60"));
    }

    #[test]
    fn a_trusted_proxy_without_a_usable_header_is_the_client() {
        assert_eq!(
            resolve(ip("10.1.2.3"), &HeaderMap::new(), &proxies()),
            ip("10.1.2.3")
        );
        let h = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(resolve(ip("10.1.2.3"), &h, &proxies()), ip("10.1.2.3"));
    }

    #[test]
    fn an_ipv4_mapped_peer_matches_an_ipv4_range() {
        let h = headers(&[("x-forwarded-for", "203.0.113.7")]);
        assert_eq!(
            resolve(ip("::ffff:10.1.2.3"), &h, &proxies()),
            ip("203.0.113.7")
        );
    }
}
