//! Which addresses a callback may be sent to: the policy against server-side request
//! forgery, as plain functions of an IP address.
//!
//! A Slack admin chooses the callback URL, so without a policy Herald would POST to
//! whatever the URL names: cloud metadata (169.254.169.254), the cluster's API server on
//! 127.0.0.1, hosts on the private network. Only public unicast addresses are allowed;
//! `HERALD_CALLBACK_ALLOW_PRIVATE` also allows loopback and private ones, for a platform
//! on the same machine or network during development and tests. Link-local, metadata,
//! multicast and the other special ranges are refused either way.
//!
//! Spellings (`0x7f000001`, `2130706433`, `0177.0.0.1`, `127.1`) are not this module's
//! business: the URL parser normalises them to an address first (WHATWG host parsing, as
//! the `url` crate does), and DNS answers are addresses already.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused; the text completes "the address is …".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("a loopback address")]
    Loopback,
    #[error("a private-network address")]
    Private,
    #[error("a link-local address (cloud metadata lives there)")]
    LinkLocal,
    #[error("a carrier-grade NAT address (100.64.0.0/10)")]
    SharedNat,
    #[error("a multicast address")]
    Multicast,
    #[error("the unspecified address")]
    Unspecified,
    #[error("the broadcast address")]
    Broadcast,
    #[error("a documentation or benchmarking address")]
    Documentation,
    #[error("an IPv4 address written as IPv6")]
    Embedded,
    #[error("a reserved address")]
    Reserved,
}

impl Refusal {
    /// What `HERALD_CALLBACK_ALLOW_PRIVATE` lets through.
    fn is_private_or_loopback(self) -> bool {
        matches!(self, Refusal::Loopback | Refusal::Private)
    }
}

/// Whether a callback may go to `ip`.
pub fn check(ip: IpAddr, allow_private: bool) -> Result<(), Refusal> {
    match classify(ip) {
        Ok(()) => Ok(()),
        Err(refusal) if allow_private && refusal.is_private_or_loopback() => Ok(()),
        // With private targets allowed, an IPv4-mapped loopback or private address is
        // judged as the IPv4 address it is.
        Err(Refusal::Embedded) if allow_private => match embedded_v4(ip) {
            Some(v4) => check(IpAddr::V4(v4), true),
            None => Err(Refusal::Embedded),
        },
        Err(refusal) => Err(refusal),
    }
}

/// `Ok` for a public unicast address, else why not.
pub fn classify(ip: IpAddr) -> Result<(), Refusal> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Result<(), Refusal> {
    let [a, b, c, _] = ip.octets();
    let refusal = match (a, b, c) {
        _ if ip.is_broadcast() => Refusal::Broadcast,
        (0, _, _) => Refusal::Unspecified,
        (127, _, _) => Refusal::Loopback,
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => Refusal::Private,
        (169, 254, _) => Refusal::LinkLocal,
        (100, 64..=127, _) => Refusal::SharedNat,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) | (198, 18..=19, _) => Refusal::Documentation,
        (224..=239, _, _) => Refusal::Multicast,
        // IETF protocol assignments, 6to4 relay anycast, and 240.0.0.0/4.
        (192, 0, 0) | (192, 88, 99) | (240..=255, _, _) => Refusal::Reserved,
        _ => return Ok(()),
    };
    Err(refusal)
}

fn classify_v6(ip: Ipv6Addr) -> Result<(), Refusal> {
    let segments = ip.segments();
    let refusal = if ip.is_unspecified() {
        Refusal::Unspecified
    } else if ip.is_loopback() {
        Refusal::Loopback
    } else if embedded_v4(IpAddr::V6(ip)).is_some() {
        Refusal::Embedded
    } else if segments[0] & 0xfe00 == 0xfc00 {
        // fc00::/7, unique local: IPv6's private networks.
        Refusal::Private
    } else if segments[0] & 0xffc0 == 0xfe80 || segments[0] & 0xffc0 == 0xfec0 {
        // fe80::/10 link-local, and the deprecated site-local fec0::/10.
        Refusal::LinkLocal
    } else if segments[0] & 0xff00 == 0xff00 {
        Refusal::Multicast
    } else if segments[0] == 0x2001 && segments[1] == 0x0db8 || segments[0] == 0x3fff {
        // 2001:db8::/32 and 3fff::/20 (RFC 9637).
        Refusal::Documentation
    } else if segments[0] == 0x0100 && segments[1..4] == [0, 0, 0]
        || segments[0] == 0x2001 && segments[1] < 0x0200
    {
        // 100::/64 discard-only, 2001::/23 IETF protocol assignments (Teredo among them).
        Refusal::Reserved
    } else if segments[0] == 0x2002 {
        // 6to4 carries an IPv4 address in its prefix.
        Refusal::Embedded
    } else if segments[0] & 0xe000 != 0x2000 {
        // Only 2000::/3 is global unicast.
        Refusal::Reserved
    } else {
        return Ok(());
    };
    Err(refusal)
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`) or NAT64 (`64:ff9b::a.b.c.d`) address.
fn embedded_v4(ip: IpAddr) -> Option<Ipv4Addr> {
    let IpAddr::V6(v6) = ip else { return None };
    let s = v6.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(tail()),
        // `::` and `::1` are not IPv4 addresses.
        [0, 0, 0, 0, 0, 0, hi, _] if hi != 0 => Some(tail()),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] | [0x64, 0xff9b, 1, ..] => Some(tail()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_public_unicast_addresses_are_allowed() {
        use Refusal::*;
        let cases: &[(&str, Result<(), Refusal>)] = &[
            ("93.184.216.34", Ok(())),
            ("8.8.8.8", Ok(())),
            ("172.32.0.1", Ok(())),
            ("100.128.0.1", Ok(())),
            ("2606:4700::1111", Ok(())),
            ("127.0.0.1", Err(Loopback)),
            ("127.255.255.254", Err(Loopback)),
            ("10.0.0.1", Err(Private)),
            ("172.16.0.1", Err(Private)),
            ("172.31.255.255", Err(Private)),
            ("192.168.1.1", Err(Private)),
            ("169.254.169.254", Err(LinkLocal)),
            ("100.64.0.1", Err(SharedNat)),
            ("100.127.255.255", Err(SharedNat)),
            ("224.0.0.1", Err(Multicast)),
            ("239.255.255.250", Err(Multicast)),
            ("0.0.0.0", Err(Unspecified)),
            ("0.1.2.3", Err(Unspecified)),
            ("255.255.255.255", Err(Broadcast)),
            ("192.0.2.1", Err(Documentation)),
            ("198.51.100.7", Err(Documentation)),
            ("203.0.113.9", Err(Documentation)),
            ("198.18.0.1", Err(Documentation)),
            ("192.0.0.8", Err(Reserved)),
            ("240.0.0.1", Err(Reserved)),
            ("::", Err(Unspecified)),
            ("::1", Err(Loopback)),
            ("::ffff:127.0.0.1", Err(Embedded)),
            ("::ffff:8.8.8.8", Err(Embedded)),
            ("::127.0.0.1", Err(Embedded)),
            ("64:ff9b::a9fe:a9fe", Err(Embedded)),
            ("2002:7f00:1::", Err(Embedded)),
            ("fc00::1", Err(Private)),
            ("fd12:3456::1", Err(Private)),
            ("fe80::1", Err(LinkLocal)),
            ("febf::1", Err(LinkLocal)),
            ("fec0::1", Err(LinkLocal)),
            ("ff02::1", Err(Multicast)),
            ("2001:db8::1", Err(Documentation)),
            ("2001::1", Err(Reserved)),
            ("100::1", Err(Reserved)),
            ("4000::1", Err(Reserved)),
        ];
        for (addr, expected) in cases {
            assert_eq!(classify(ip(addr)), *expected, "{addr}");
            // Refused either way unless it is loopback or private.
            let relaxed = check(ip(addr), true);
            match expected {
                Err(Loopback | Private) => assert_eq!(relaxed, Ok(()), "{addr}"),
                other => {
                    if *addr == "::ffff:127.0.0.1" || *addr == "::127.0.0.1" {
                        assert_eq!(relaxed, Ok(()), "{addr} is loopback underneath");
                    } else if *addr == "::ffff:8.8.8.8" {
                        assert_eq!(relaxed, Ok(()), "{addr} is public underneath");
                    } else if *addr == "64:ff9b::a9fe:a9fe" {
                        assert_eq!(relaxed, Err(LinkLocal), "{addr} is metadata");
                    } else if *addr == "2002:7f00:1::" {
                        assert_eq!(relaxed, Err(Embedded), "{addr}");
                    } else {
                        assert_eq!(relaxed, *other, "{addr}");
                    }
                }
            }
        }
    }
}
