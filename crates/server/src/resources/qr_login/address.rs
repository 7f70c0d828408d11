//! The address warning: whether the phone and the desktop are far apart on the network.

use std::net::IpAddr;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Reach {
    Loopback,
    Private,
    Public,
}

fn reach(ip: &IpAddr) -> Reach {
    match ip {
        IpAddr::V4(v4) if v4.is_loopback() => Reach::Loopback,
        IpAddr::V4(v4) if v4.is_private() || v4.is_link_local() => Reach::Private,
        IpAddr::V6(v6) if v6.is_loopback() => Reach::Loopback,
        // Unique local (fc00::/7) and link-local (fe80::/10).
        IpAddr::V6(v6)
            if (v6.segments()[0] & 0xfe00) == 0xfc00 || (v6.segments()[0] & 0xffc0) == 0xfe80 =>
        {
            Reach::Private
        }
        _ => Reach::Public,
    }
}

/// Whether the phone's and the desktop's addresses differ greatly: one on a loopback or private
/// network and the other not, or two public addresses in different /16 (IPv4) or /48 (IPv6)
/// networks. Unknown addresses give no warning (nothing to compare).
pub fn addresses_differ(phone: &str, desktop: &str) -> bool {
    let (Ok(a), Ok(b)) = (phone.parse::<IpAddr>(), desktop.parse::<IpAddr>()) else {
        return false;
    };
    let (a, b) = (a.to_canonical(), b.to_canonical());
    match (reach(&a), reach(&b)) {
        (Reach::Public, Reach::Public) => match (a, b) {
            (IpAddr::V4(a), IpAddr::V4(b)) => a.octets()[..2] != b.octets()[..2],
            (IpAddr::V6(a), IpAddr::V6(b)) => a.segments()[..3] != b.segments()[..3],
            _ => true,
        },
        (x, y) if x == y => false,
        // Loopback and private are both "this machine or this network".
        (Reach::Loopback, Reach::Private) | (Reach::Private, Reach::Loopback) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::addresses_differ;

    #[test]
    fn nearby_addresses_give_no_warning() {
        assert!(!addresses_differ("127.0.0.1", "127.0.0.1"));
        assert!(!addresses_differ("192.168.1.10", "192.168.1.20"));
        assert!(!addresses_differ("10.0.0.5", "127.0.0.1"));
        assert!(!addresses_differ("203.113.5.1", "203.113.200.9"));
        assert!(!addresses_differ("2001:db8:1::1", "2001:db8:1:ff::2"));
        assert!(!addresses_differ("unknown", "203.113.5.1"));
    }

    #[test]
    fn distant_addresses_give_a_warning() {
        assert!(addresses_differ("203.113.5.1", "14.160.2.3"));
        assert!(addresses_differ("192.168.1.10", "14.160.2.3"));
        assert!(addresses_differ("14.160.2.3", "127.0.0.1"));
        assert!(addresses_differ("2001:db8:1::1", "2001:db8:2::1"));
        assert!(addresses_differ("203.113.5.1", "2001:db8:1::1"));
        // An IPv4-mapped IPv6 address is compared as the IPv4 address it is.
        assert!(!addresses_differ("::ffff:203.113.5.1", "203.113.9.9"));
    }
}
