//! The client's IP address: the socket's peer, or, when the peer is one of
//! `--trusted-proxies`, the nearest address in `X-Forwarded-For` that is not a trusted
//! proxy. A client cannot pick its own address by sending the header directly.

use super::connections::Peer;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr};

/// The calling client's IP address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<Peer>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0 .0.ip());
        Ok(ClientIp(client_ip(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

/// See the module documentation.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            // A hop that is not an address: the last good one is as far as we can trust.
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let h = headers(&["203.0.113.9"]);
        assert_eq!(client_ip(ip("198.51.100.1"), &h, &[]), ip("198.51.100.1"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        let h = headers(&["203.0.113.9, 10.1.2.3"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("203.0.113.9"));
    }

    #[test]
    fn addresses_the_client_wrote_itself_are_not_believed() {
        let trusted = ["10.0.0.1/32".parse().unwrap()];
        // The client sent "X-Forwarded-For: 1.1.1.1"; the proxy appended the real one.
        let h = headers(&["1.1.1.1", "203.0.113.9"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("203.0.113.9"));
    }

    #[test]
    fn an_untrusted_peer_cannot_claim_an_address() {
        let trusted = ["10.0.0.1/32".parse().unwrap()];
        let h = headers(&["203.0.113.9"]);
        assert_eq!(client_ip(ip("192.0.2.7"), &h, &trusted), ip("192.0.2.7"));
    }

    #[test]
    fn garbage_in_the_header_stops_the_walk() {
        let trusted = ["10.0.0.1/32".parse().unwrap()];
        let h = headers(&["203.0.113.9, nonsense"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.1"));
    }
}
