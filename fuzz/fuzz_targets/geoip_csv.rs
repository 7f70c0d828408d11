//! The GeoIP table (`GeoIp::parse`, the operator's DB-IP-style CSV of `--geoip-csv`).
//!
//! The first byte picks how the rest is read:
//! * even: as the CSV text itself — no panic, and looking up a few addresses answers;
//! * odd: as a list of IPv4 ranges with places, written as a CSV, parsed, and every range's
//!   ends and their neighbours looked up: the table names a place exactly when some range
//!   holds the address, and then the place of a range that holds it.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use dinhdanh_server::infra::geoip::GeoIp;
use libfuzzer_sys::fuzz_target;

const COUNTRIES: [&str; 4] = ["VN", "US", "AU", "JP"];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let Ok(text) = std::str::from_utf8(rest) else {
            return;
        };
        if let Ok(table) = GeoIp::parse(text) {
            for ip in [
                "0.0.0.0",
                "14.160.0.1",
                "255.255.255.255",
                "::",
                "::ffff:1.2.3.4",
            ] {
                let _ = table.label_of(ip);
            }
        }
        return;
    }
    // Nine bytes a range: start (4), length (4, small ranges more likely), country (1).
    let ranges: Vec<(u32, u32, &str)> = rest
        .chunks_exact(9)
        .take(64)
        .map(|c| {
            let start = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
            let len = u32::from_be_bytes([c[4], c[5], c[6], c[7]]) >> (c[8] & 0x1f);
            let end = start.saturating_add(len);
            (start, end, COUNTRIES[usize::from(c[8] >> 6)])
        })
        .collect();
    let mut text = String::from("ip_start,ip_end,country\n");
    for (start, end, country) in &ranges {
        text.push_str(&format!(
            "{},{},{country}\n",
            Ipv4Addr::from(*start),
            Ipv4Addr::from(*end)
        ));
    }
    let table = match GeoIp::parse(&text) {
        Ok(table) => table,
        // Refusing a table is allowed (overlapping ranges are ambiguous); reading it wrong is not.
        Err(_) => return,
    };
    assert_eq!(table.len(), ranges.len());
    for (start, end, _) in &ranges {
        for x in [start.wrapping_sub(1), *start, *end, end.wrapping_add(1)] {
            let holders: Vec<&str> = ranges
                .iter()
                .filter(|(s, e, _)| (*s..=*e).contains(&x))
                .map(|(_, _, c)| *c)
                .collect();
            match table.lookup(IpAddr::V4(Ipv4Addr::from(x))) {
                Some(place) => assert!(
                    holders.contains(&place.country.as_str()),
                    "{x}: {} is not the place of a range holding it",
                    place.country
                ),
                None => assert!(holders.is_empty(), "{x} is in a range but has no place"),
            }
        }
    }
});
