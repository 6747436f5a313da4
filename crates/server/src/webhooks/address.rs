//! Where a webhook may go: `http` or `https`, no credentials, at most [`MAX_URL_LEN`]
//! bytes, and (unless `--webhooks-allow-private`) a host whose every address is public:
//! not loopback, private (RFC 1918), link-local, unique-local, unspecified, multicast,
//! broadcast, reserved, CGNAT (100.64/10), nor any of these inside IPv6 (IPv4-mapped,
//! IPv4-compatible, NAT64, 6to4). Checked when an endpoint is registered, again before
//! each delivery, and by the delivery client's resolver itself ([`GuardedResolver`]), so
//! a name that later resolves to a private address (DNS rebinding) is never connected to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use url::{Host, Url};

/// The longest URL accepted, in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// How long a name may take to resolve when checked.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a URL is refused (the text is the API's message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a webhook may never be sent to `ip` (without `--webhooks-allow-private`).
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_forbidden(v4),
        IpAddr::V6(v6) => v6_forbidden(v6),
    }
}

fn v4_forbidden(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // CGNAT, RFC 6598
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn v6_forbidden(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_forbidden(v4);
    }
    let s = ip.segments();
    // IPv4-compatible (::a.b.c.d, deprecated) and ::, ::1.
    if s[..6].iter().all(|&x| x == 0) {
        return ip.is_unspecified()
            || ip.is_loopback()
            || v4_forbidden(Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32));
    }
    // NAT64 well-known prefix 64:ff9b::/96 carries an IPv4 address.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|&x| x == 0) {
        return v4_forbidden(Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32));
    }
    // 6to4 2002::/16 carries one in its next 32 bits.
    if s[0] == 0x2002 {
        return v4_forbidden(Ipv4Addr::from(((s[1] as u32) << 16) | s[2] as u32));
    }
    (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1..4].iter().all(|&x| x == 0)) // discard-only 100::/64
}

/// The URL's form: scheme, credentials, host, length. No lookup.
pub fn parse(raw: &str) -> Result<Url, Refused> {
    let refused = |why: &str| Err(Refused(why.to_string()));
    if raw.len() > MAX_URL_LEN {
        return refused("the URL is too long (at most 2048 bytes)");
    }
    let Ok(url) = Url::parse(raw.trim()) else {
        return refused("that is not a URL");
    };
    if !matches!(url.scheme(), "http" | "https") {
        return refused("only http and https URLs are accepted");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refused("the URL must not carry a user name or password");
    }
    if url.host().is_none() {
        return refused("the URL has no host");
    }
    Ok(url)
}

/// The addresses of the URL's host, each checked (unless `allow_private`). A name that
/// does not resolve is refused too.
pub async fn check(url: &Url, allow_private: bool) -> Result<Vec<IpAddr>, Refused> {
    let addresses: Vec<IpAddr> = match url.host() {
        None => return Err(Refused("the URL has no host".into())),
        Some(Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        Some(Host::Domain(name)) => {
            if allow_private {
                return Ok(Vec::new());
            }
            resolve(name).await?
        }
    };
    if !allow_private {
        if let Some(bad) = addresses.iter().find(|ip| is_forbidden(**ip)) {
            return Err(Refused(format!(
                "the URL's host is (or resolves to) {bad}, a loopback, private or reserved \
                 address; such addresses need the server's --webhooks-allow-private"
            )));
        }
    }
    Ok(addresses)
}

async fn resolve(name: &str) -> Result<Vec<IpAddr>, Refused> {
    let looked_up = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((name, 0)));
    match looked_up.await {
        Ok(Ok(found)) => {
            let addresses: Vec<IpAddr> = found.map(|a| a.ip()).collect();
            if addresses.is_empty() {
                Err(Refused(format!("{name} has no address")))
            } else {
                Ok(addresses)
            }
        }
        Ok(Err(_)) => Err(Refused(format!("{name} cannot be resolved"))),
        Err(_) => Err(Refused(format!("resolving {name} timed out"))),
    }
}

/// The delivery client's resolver: a name resolving to any forbidden address is an error,
/// and the connection is made only to the addresses checked here.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let name = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if !allow_private {
                if let Some(bad) = found.iter().find(|a| is_forbidden(a.ip())) {
                    let refused = Refused(format!("{name} resolves to {}, refused", bad.ip()));
                    return Err(Box::new(std::io::Error::other(refused.0))
                        as Box<dyn std::error::Error + Send + Sync>);
                }
            }
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(s: &str) -> bool {
        is_forbidden(s.parse().unwrap())
    }

    #[test]
    fn private_and_special_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "255.255.255.255",
            "100.64.0.1",
            "100.127.255.254",
            "240.0.0.1",
            "192.0.0.8",
            "198.18.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
            "fec0::1",
        ] {
            assert!(forbidden(ip), "{ip} should be forbidden");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(!forbidden(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn urls_are_checked_for_form() {
        assert!(parse("https://hooks.example.com/x?y=1").is_ok());
        assert!(parse("http://[2606:4700::1111]:8080/").is_ok());
        for bad in [
            "ftp://hooks.example.com/",
            "not a url",
            "",
            "https://user:pass@hooks.example.com/",
            "https://user@hooks.example.com/",
            "file:///etc/passwd",
            "javascript:alert(1)",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
        let long = format!("https://hooks.example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(parse(&long).is_err());
    }

    #[tokio::test]
    async fn literal_and_local_hosts_are_refused_unless_allowed() {
        for raw in [
            "http://127.0.0.1:9/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost/",
            "http://10.0.0.1/",
        ] {
            let url = parse(raw).unwrap();
            assert!(check(&url, false).await.is_err(), "{raw}");
            assert!(check(&url, true).await.is_ok(), "{raw}");
        }
        let public = parse("http://93.184.216.34/").unwrap();
        assert!(check(&public, false).await.is_ok());
    }
}
