//! Approximate place of an IP address, for the phone to show which computer asks to sign in
//! ("Hà Nội, VN"): a table of address ranges loaded at start from a CSV in the layout of
//! DB-IP's free "lite" databases, when one is configured (`--geoip-csv`,
//! `DINHDANH_GEOIP_CSV`).
//!
//! Accepted rows, IPv4 and IPv6 alike, an optional header line first:
//! * `ip_start,ip_end,country,region,city`
//! * `ip_start,ip_end,continent,country,region,city,latitude,longitude` (DB-IP "city lite")
//! * `ip_start,ip_end,country` (DB-IP "country lite")
//!
//! The place is a hint shown to a person, never a security decision: an unknown address
//! simply shows none.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// Why a GeoIP file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum GeoIpError {
    /// The file could not be read.
    #[error("reading the GeoIP file: {0}")]
    Io(#[from] std::io::Error),
    /// A line is not a range with a place.
    #[error("GeoIP file line {line}: {problem}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// Two ranges share addresses: which place such an address has is ambiguous (a lookup
    /// could name either, or miss the outer range altogether), so the table is refused.
    #[error("GeoIP file: the ranges {first} and {second} overlap")]
    Overlap {
        /// The range that starts first, `start-end`.
        first: String,
        /// The range that starts inside it, `start-end`.
        second: String,
    },
}

/// Where an address range is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// ISO 3166-1 alpha-2 country code (`VN`).
    pub country: String,
    /// Province or state; may be empty.
    pub region: String,
    /// City; may be empty.
    pub city: String,
}

impl Place {
    /// What the phone shows: the city (else the region) and the country, `Hà Nội, VN`.
    pub fn label(&self) -> String {
        let local = if self.city.is_empty() {
            &self.region
        } else {
            &self.city
        };
        if local.is_empty() {
            self.country.clone()
        } else {
            format!("{local}, {}", self.country)
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Range<T> {
    start: T,
    end: T,
    place: u32,
}

/// The loaded table: ranges sorted by their start, looked up by binary search.
#[derive(Debug, Default)]
pub struct GeoIp {
    v4: Vec<Range<u32>>,
    v6: Vec<Range<u128>>,
    places: Vec<Place>,
}

impl GeoIp {
    /// Loads a CSV file (see the module documentation for its layout).
    pub fn load(path: &Path) -> Result<Self, GeoIpError> {
        Self::parse(&std::fs::read_to_string(path)?)
    }

    /// Parses the CSV text. Ranges may come in any order; a range whose end is before its
    /// start, or whose ends are of different families, is refused with its line number, and
    /// ranges that overlap are refused naming both (DB-IP's files have none).
    pub fn parse(text: &str) -> Result<Self, GeoIpError> {
        let mut table = GeoIp::default();
        let mut known: HashMap<(String, String, String), u32> = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let err = |problem| GeoIpError::Line { line: n, problem };
            let fields = split_csv(line);
            let (Some(start), Some(end)) = (fields.first(), fields.get(1)) else {
                return Err(err("fewer than three fields"));
            };
            let (start, end) = match (start.parse::<IpAddr>(), end.parse::<IpAddr>()) {
                (Ok(s), Ok(e)) => (s, e),
                // A header names its columns instead of giving addresses.
                _ if n == 1 => continue,
                _ => return Err(err("not an IP address range")),
            };
            let field = |k: usize| fields.get(k).cloned().unwrap_or_default();
            let (country, region, city) = match fields.len() {
                3 => (field(2), String::new(), String::new()),
                5 => (field(2), field(3), field(4)),
                n if n >= 6 => (field(3), field(4), field(5)),
                _ => return Err(err("expected 3, 5 or 8 fields")),
            };
            if country.is_empty() {
                return Err(err("no country"));
            }
            let next = u32::try_from(table.places.len()).map_err(|_| err("too many places"))?;
            let place = *known
                .entry((country.clone(), region.clone(), city.clone()))
                .or_insert_with(|| {
                    table.places.push(Place {
                        country,
                        region,
                        city,
                    });
                    next
                });
            match (start, end) {
                (IpAddr::V4(s), IpAddr::V4(e)) if s <= e => table.v4.push(Range {
                    start: u32::from(s),
                    end: u32::from(e),
                    place,
                }),
                (IpAddr::V6(s), IpAddr::V6(e)) if s <= e => table.v6.push(Range {
                    start: u128::from(s),
                    end: u128::from(e),
                    place,
                }),
                (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                    return Err(err("the range ends before it starts"));
                }
                _ => return Err(err("the range mixes IPv4 and IPv6")),
            }
        }
        table.v4.sort_by_key(|r| r.start);
        table.v6.sort_by_key(|r| r.start);
        // The lookup finds the range with the greatest start at or below an address, which is
        // right only when no two ranges share an address.
        overlap(&table.v4, |x| Ipv4Addr::from(x).to_string())?;
        overlap(&table.v6, |x| Ipv6Addr::from(x).to_string())?;
        Ok(table)
    }

    /// How many ranges the table holds.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Whether the table holds no range.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The place of `ip`, if a range holds it. An IPv4-mapped IPv6 address is looked up as the
    /// IPv4 address it is.
    pub fn lookup(&self, ip: IpAddr) -> Option<&Place> {
        let place = match ip.to_canonical() {
            IpAddr::V4(v4) => find(&self.v4, u32::from(v4))?,
            IpAddr::V6(v6) => find(&self.v6, u128::from(v6))?,
        };
        self.places.get(usize::try_from(place).ok()?)
    }

    /// [`GeoIp::lookup`] of an address as text, as a label; `None` for text that is no
    /// address.
    pub fn label_of(&self, ip: &str) -> Option<String> {
        self.lookup(ip.parse().ok()?).map(Place::label)
    }
}

/// Refuses the first two ranges of `sorted` (by start) that share an address. Sorted by start,
/// any overlap shows between neighbours: if no neighbours overlap, every range ends before the
/// next one starts.
fn overlap<T: Ord + Copy>(
    sorted: &[Range<T>],
    show: impl Fn(T) -> String,
) -> Result<(), GeoIpError> {
    for pair in sorted.windows(2) {
        if let [a, b] = pair {
            if b.start <= a.end {
                return Err(GeoIpError::Overlap {
                    first: format!("{}-{}", show(a.start), show(a.end)),
                    second: format!("{}-{}", show(b.start), show(b.end)),
                });
            }
        }
    }
    Ok(())
}

/// The range with the greatest start at or below `x`, if it also ends at or after `x`.
fn find<T: Ord + Copy>(ranges: &[Range<T>], x: T) -> Option<u32> {
    let after = ranges.partition_point(|r| r.start <= x);
    let r = ranges.get(after.checked_sub(1)?)?;
    (x <= r.end).then_some(r.place)
}

/// Fields of one CSV line: separated by commas, optionally in double quotes (a doubled quote
/// inside stands for one).
fn split_csv(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field).trim().to_owned()),
            _ => field.push(c),
        }
    }
    fields.push(field.trim().to_owned());
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
ip_start,ip_end,country,region,city
14.160.0.0,14.160.255.255,VN,Hà Nội,Hà Nội
1.52.0.0,1.52.127.255,VN,Hồ Chí Minh,\"Thủ Đức, Hồ Chí Minh\"
2001:ee0::,2001:ee0:ffff:ffff:ffff:ffff:ffff:ffff,VN,Đà Nẵng,Đà Nẵng
8.8.8.0,8.8.8.255,US,,
";

    fn table() -> GeoIp {
        GeoIp::parse(TABLE).unwrap()
    }

    fn at(ip: &str) -> Option<String> {
        table().label_of(ip)
    }

    #[test]
    fn addresses_inside_a_range_get_its_place_up_to_both_ends() {
        assert_eq!(at("14.160.0.0").as_deref(), Some("Hà Nội, VN"));
        assert_eq!(at("14.160.37.2").as_deref(), Some("Hà Nội, VN"));
        assert_eq!(at("14.160.255.255").as_deref(), Some("Hà Nội, VN"));
        assert_eq!(
            at("1.52.127.255").as_deref(),
            Some("Thủ Đức, Hồ Chí Minh, VN")
        );
    }

    #[test]
    fn addresses_just_outside_a_range_or_between_ranges_are_unknown() {
        assert_eq!(at("14.159.255.255"), None);
        assert_eq!(at("14.161.0.0"), None);
        assert_eq!(at("1.52.128.0"), None);
        assert_eq!(at("0.0.0.0"), None);
        assert_eq!(at("255.255.255.255"), None);
        assert_eq!(at("127.0.0.1"), None);
        assert_eq!(at("not an address"), None);
    }

    #[test]
    fn ipv6_ranges_are_looked_up_and_mapped_ipv4_counts_as_ipv4() {
        assert_eq!(at("2001:ee0::1").as_deref(), Some("Đà Nẵng, VN"));
        assert_eq!(
            at("2001:ee0:ffff:ffff:ffff:ffff:ffff:ffff").as_deref(),
            Some("Đà Nẵng, VN")
        );
        assert_eq!(at("2001:ee1::"), None);
        assert_eq!(at("::1"), None);
        assert_eq!(at("::ffff:14.160.1.1").as_deref(), Some("Hà Nội, VN"));
    }

    #[test]
    fn a_place_without_city_or_region_shows_its_country() {
        assert_eq!(at("8.8.8.8").as_deref(), Some("US"));
    }

    #[test]
    fn the_db_ip_city_and_country_layouts_are_read() {
        let city = GeoIp::parse(
            "14.160.0.0,14.160.255.255,AS,VN,Hà Nội,Hoàn Kiếm,21.0245,105.841\n\
             1.0.0.0,1.0.0.255,AU\n",
        )
        .unwrap();
        assert_eq!(city.len(), 2);
        assert_eq!(
            city.label_of("14.160.9.9").as_deref(),
            Some("Hoàn Kiếm, VN")
        );
        assert_eq!(city.label_of("1.0.0.7").as_deref(), Some("AU"));
    }

    #[test]
    fn malformed_rows_are_refused_with_their_line() {
        for (text, line) in [
            ("1.0.0.9,1.0.0.1,VN,,\n", 1),
            ("1.0.0.0,1.0.0.1,VN,,\n1.0.0.0,::1,VN,,\n", 2),
            ("1.0.0.0,1.0.0.1,VN,,\nx,y,VN,,\n", 2),
            ("1.0.0.0,1.0.0.1,,,\n", 1),
            ("1.0.0.0,1.0.0.1,VN,Hà Nội\n", 1),
        ] {
            match GeoIp::parse(text) {
                Err(GeoIpError::Line { line: l, .. }) => assert_eq!(l, line, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    /// Found by the `geoip_csv` fuzz target: with a range inside another, an address of the
    /// outer range after the inner one had no place, because the lookup looks only at the
    /// range with the greatest start at or below it.
    #[test]
    fn overlapping_ranges_are_refused_instead_of_hiding_addresses_of_the_outer_one() {
        for text in [
            "1.0.0.0,1.0.0.255,AU\n1.0.0.7,1.0.0.9,US\n",
            "1.0.0.7,1.0.0.9,US\n1.0.0.0,1.0.0.255,AU\n",
            "1.0.0.0,1.0.0.9,AU\n1.0.0.9,1.0.0.20,US\n",
            "2001:ee0::,2001:ee0::ff,VN\n2001:ee0::10,2001:ee0::11,US\n",
        ] {
            assert!(
                matches!(GeoIp::parse(text), Err(GeoIpError::Overlap { .. })),
                "{text}"
            );
        }
        match GeoIp::parse("1.0.0.0,1.0.0.255,AU\n1.0.0.7,1.0.0.9,US\n") {
            Err(e) => assert_eq!(
                e.to_string(),
                "GeoIP file: the ranges 1.0.0.0-1.0.0.255 and 1.0.0.7-1.0.0.9 overlap"
            ),
            Ok(_) => panic!("an overlap was accepted"),
        }
        // Adjacent ranges share no address.
        let t = GeoIp::parse("1.0.0.0,1.0.0.9,AU\n1.0.0.10,1.0.0.20,US\n").unwrap();
        assert_eq!(t.label_of("1.0.0.9").as_deref(), Some("AU"));
        assert_eq!(t.label_of("1.0.0.10").as_deref(), Some("US"));
    }

    #[test]
    fn ranges_given_out_of_order_are_found() {
        let t = GeoIp::parse("9.0.0.0,9.0.0.255,US,,\n1.0.0.0,1.0.0.255,AU,,\n").unwrap();
        assert_eq!(t.label_of("1.0.0.3").as_deref(), Some("AU"));
        assert_eq!(t.label_of("9.0.0.3").as_deref(), Some("US"));
        assert_eq!(t.label_of("5.0.0.0"), None);
    }
}
