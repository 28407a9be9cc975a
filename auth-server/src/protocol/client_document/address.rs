//! Which IP addresses are special-use (RFC 6890): a document is never fetched from one, so a
//! `client_id` cannot make this server probe its own network (§7.6).

use std::net::{IpAddr, Ipv4Addr};

/// RFC 6890 and its IPv6 companions: addresses that are not on the public Internet
/// (private, shared, loopback, link-local, documentation, benchmarking, multicast, reserved,
/// unspecified). IPv4 written as an IPv4-mapped IPv6 address is judged as the IPv4 address
/// it is. Every other IPv6 address must be global unicast: an allow-list of `2000::/3`
/// (RFC 4291 §2.4) less the special-purpose blocks the IANA registry lists inside it,
/// rather than a list of what to refuse, so a block added elsewhere (IPv4-translated
/// `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::/96`, SRv6 `5f00::/16`, unique local `fc00::/7`)
/// is refused without being named (`docs/security-review.md`, S3-13).
pub(super) fn is_special_use(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_special_use_v4(ip),
        IpAddr::V6(ip) => {
            if let Some(v4) = ip.to_ipv4_mapped() {
                return is_special_use_v4(v4);
            }
            let [first, second, ..] = ip.segments();
            let global_unicast = (first & 0xe000) == 0x2000; // 2000::/3
            !global_unicast
                || (first == 0x2001 && second < 0x0200) // IETF protocol assignments, 2001::/23 (Teredo, benchmarking, ORCHIDv2)
                || (first == 0x2001 && second == 0x0db8) // documentation, 2001:db8::/32
                || first == 0x2002 // 6to4, 2002::/16: wraps an IPv4 address
                || (first == 0x3fff && (second & 0xf000) == 0) // documentation, 3fff::/20 (RFC 9637)
        }
    }
}

fn is_special_use_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_private() // 10/8, 172.16/12, 192.168/16
        || ip.is_loopback() // 127/8
        || ip.is_link_local() // 169.254/16
        || ip.is_broadcast()
        || ip.is_documentation() // 192.0.2/24, 198.51.100/24, 203.0.113/24
        || ip.is_multicast() // 224/4
        || a == 0 // "this network", 0/8
        || (a == 100 && (b & 0xc0) == 64) // shared address space, 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments, 192.0.0/24
        || (a == 198 && (b & 0xfe) == 18) // benchmarking, 198.18/15
        || a >= 240 // reserved, 240/4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_use_addresses_are_refused_and_public_ones_are_not() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "192.0.0.8",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::",
            "::10.0.0.1",
            // IPv4-translated (RFC 2765), onto 127.0.0.1 and 169.254.169.254.
            "::ffff:0:7f00:1",
            "::ffff:0:a9fe:a9fe",
            "3fff::1",
            "3fff:fff::1",
            "5f00::1",
            "2001::1",
            "2001:2::1",
            "2001:1ff::1",
            "100::1",
            "4000::1",
        ] {
            assert!(is_special_use(ip.parse().expect(ip)), "{ip} is special-use");
        }
        for ip in [
            "93.184.215.14",
            "8.8.8.8",
            "1.1.1.1",
            "2606:4700::1111",
            "2a00:1450:4001::200e",
            "3ffe:1::1",
            "3fff:1000::1",
            "2001:200::1",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_special_use(ip.parse().expect(ip)), "{ip} is public");
        }
    }
}
