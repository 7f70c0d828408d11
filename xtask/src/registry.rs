//! `cargo xtask gen-registry`: writes the synthetic organisation registries the server ships,
//! `crates/server/data/registry.csv`.
//!
//! The real system checks an organisation against the national business registration
//! database, the cooperative registration system and the tax registration database; the
//! reference backend checks it against this file instead (through the server's demo registry
//! adapter). Every row is an organisation that does not exist but whose data is valid: a
//! 10-digit tax code with its check digit (the core crate's `TaxCode::from_body`; for an
//! enterprise or a cooperative the registry code is the same number), a Vietnamese name, a
//! head-office address in one of the 34 provinces, a date of establishment, a status (active
//! or dissolved), for some state agencies an agency code (Decision 20/2020/QĐ-TTg), and one to
//! three legal representatives drawn from the synthetic citizen registry (`citizens.csv`,
//! read here), so representatives are people the server knows.
//!
//! Like `gen-citizens`, the output is a pure function of [`SEED`] and of `citizens.csv`:
//! running the command twice writes the same bytes.
//!
//! Provinces: an organisation is mostly in the province of its first representative, and the
//! citizen registry is weighted by population, so organisations are too.
//!
//! Format: `|`-separated (addresses contain commas), one organisation a line, after `#`
//! comment lines and the header [`HEADER`]. Representatives are `<number> <full name>` joined
//! by `;`. The server stores representatives as look-up keys, never the number in clear.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use dinhdanh_core::ids::{AgencyCode, CitizenId, NewProvince, TaxCode};

/// Where the registries go, relative to the workspace root.
pub const OUTPUT: &str = "crates/server/data/registry.csv";

/// The citizen registry representatives are drawn from.
pub const CITIZENS: &str = "crates/server/data/citizens.csv";

/// The header line. The server's parser expects exactly this.
pub const HEADER: &str =
    "registry|code|agency_code|name_vi|address|province|established_on|status|representatives";

/// How many enterprises, cooperatives and tax-registered organisations, besides the demo ones.
const ENTERPRISES: usize = 7_000;
const COOPERATIVES: usize = 1_500;
const TAX_ORGANISATIONS: usize = 1_800;

/// The generator's seed. Changing it rewrites the whole file.
const SEED: u64 = 0x0D1D_DA4E_2025_0070;

/// An organisation the demo and the server's tests rely on. Keep in step with
/// `DEMO_ORGANISATIONS` in crates/server/src/registry.rs (a server test compares them).
struct DemoOrg {
    registry: &'static str,
    body: u32,
    agency_code: &'static str,
    name: &'static str,
    address: &'static str,
    province: &'static str,
    established_on: &'static str,
    status: &'static str,
    representatives: &'static [&'static str],
}

/// Nguyễn Văn An and Trần Thị Mai are demo accounts of `seed --demo`.
const AN: &str = "001080012345";
const MAI: &str = "074192034567";

const DEMO_ORGS: &[DemoOrg] = &[
    DemoOrg {
        registry: "business",
        body: 10_868_001,
        agency_code: "",
        name: "Công ty TNHH Phần mềm An Phát",
        address: "Số 18 phố Duy Tân, phường Cầu Giấy",
        province: "ha_noi",
        established_on: "2015-04-20",
        status: "active",
        representatives: &[AN],
    },
    DemoOrg {
        registry: "business",
        body: 30_868_012,
        agency_code: "",
        name: "Công ty Cổ phần Thương mại Sông Hồng",
        address: "Số 5 đường Nguyễn Huệ, phường Sài Gòn",
        province: "ho_chi_minh",
        established_on: "2012-09-01",
        status: "active",
        representatives: &[AN, MAI],
    },
    DemoOrg {
        registry: "cooperative",
        body: 37_868_003,
        agency_code: "",
        name: "Hợp tác xã Nông nghiệp Tân Uyên",
        address: "Ấp 3, xã Tân Uyên",
        province: "ho_chi_minh",
        established_on: "2018-03-12",
        status: "active",
        representatives: &[MAI],
    },
    DemoOrg {
        registry: "tax",
        body: 10_868_004,
        agency_code: "000.00.31.H01",
        name: "Hội Tin học thành phố Hà Nội",
        address: "Số 2 phố Tràng Thi, phường Hoàn Kiếm",
        province: "ha_noi",
        established_on: "2001-11-15",
        status: "active",
        representatives: &[AN],
    },
    DemoOrg {
        registry: "business",
        body: 10_868_005,
        agency_code: "",
        name: "Công ty TNHH Thương mại An Bình",
        address: "Số 40 phố Huế, phường Hai Bà Trưng",
        province: "ha_noi",
        established_on: "2009-06-30",
        status: "dissolved",
        representatives: &[AN],
    },
];

/// xorshift64*, as in `citizens.rs`: deterministic synthetic data, not for secrets.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next();
            if x < zone {
                return x % n;
            }
        }
    }

    fn chance(&mut self, per_thousand: u64) -> bool {
        self.below(1000) < per_thousand
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const ENTERPRISE_FORMS: &[&str] = &[
    "Công ty TNHH",
    "Công ty TNHH",
    "Công ty TNHH",
    "Công ty Cổ phần",
    "Công ty Cổ phần",
    "Doanh nghiệp tư nhân",
    "Công ty TNHH Một thành viên",
];
const SECTORS: &[&str] = &[
    "Thương mại",
    "Dịch vụ",
    "Xây dựng",
    "Thương mại và Dịch vụ",
    "Đầu tư",
    "Công nghệ",
    "Vận tải",
    "Du lịch",
    "Thực phẩm",
    "Dược phẩm",
    "May mặc",
    "Nội thất",
    "Cơ khí",
    "Điện tử",
    "Xuất nhập khẩu",
    "Bất động sản",
    "Giáo dục",
    "Truyền thông",
    "Nông sản",
    "Thủy sản",
];
const BRAND_FIRST: &[&str] = &[
    "An",
    "Bảo",
    "Đại",
    "Đông",
    "Gia",
    "Hà",
    "Hải",
    "Hoàng",
    "Hồng",
    "Hưng",
    "Kim",
    "Long",
    "Minh",
    "Nam",
    "Ngọc",
    "Phú",
    "Phúc",
    "Phương",
    "Quang",
    "Sao",
    "Tân",
    "Thái",
    "Thành",
    "Thiên",
    "Thịnh",
    "Trường",
    "Tuấn",
    "Vạn",
    "Việt",
    "Vĩnh",
];
const BRAND_SECOND: &[&str] = &[
    "Phát", "Thịnh", "Long", "Khang", "Lộc", "Tín", "Hưng", "Thành", "Đạt", "Á", "Việt", "Sơn",
    "Hải", "Nguyên", "Phong", "Mai", "Xuân", "Tiến", "Bình", "Hòa",
];
const COOPERATIVE_FORMS: &[&str] = &[
    "Hợp tác xã Nông nghiệp",
    "Hợp tác xã Dịch vụ nông nghiệp",
    "Hợp tác xã Thủy sản",
    "Hợp tác xã Vận tải",
    "Hợp tác xã Chè",
    "Hợp tác xã Cà phê",
    "Hợp tác xã Rau an toàn",
    "Hợp tác xã Tiểu thủ công nghiệp",
    "Hợp tác xã Môi trường",
    "Liên hiệp hợp tác xã Dịch vụ",
];
const PLACES: &[&str] = &[
    "An Phú",
    "Bình Minh",
    "Đông Hòa",
    "Hòa Bình",
    "Hòa Lạc",
    "Hưng Thịnh",
    "Long Hải",
    "Minh Tân",
    "Nam Sơn",
    "Phú Mỹ",
    "Phước Lộc",
    "Quảng Phú",
    "Tân Lập",
    "Tân Phong",
    "Thạnh Phú",
    "Thanh Sơn",
    "Thuận An",
    "Tiến Thành",
    "Vĩnh Lộc",
    "Yên Bình",
];
const STREETS: &[&str] = &[
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Huệ",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Quang Trung",
    "Phan Chu Trinh",
    "Nguyễn Trãi",
    "Lê Duẩn",
    "Điện Biên Phủ",
    "Hùng Vương",
    "Trần Phú",
    "Nguyễn Văn Cừ",
    "Võ Thị Sáu",
    "Nguyễn Thị Minh Khai",
    "Bà Triệu",
    "Lê Thánh Tông",
    "Ngô Quyền",
];
/// State agencies, public service units and associations: the name before the place.
const TAX_ORG_KINDS: &[(&str, bool)] = &[
    ("Sở Tài chính", true),
    ("Sở Y tế", true),
    ("Sở Giáo dục và Đào tạo", true),
    ("Sở Nông nghiệp và Môi trường", true),
    ("Sở Xây dựng", true),
    ("Ủy ban nhân dân", true),
    ("Bệnh viện Đa khoa", true),
    ("Trung tâm Y tế", true),
    ("Trường Trung học phổ thông", false),
    ("Trường Trung học cơ sở", false),
    ("Trường Tiểu học", false),
    ("Trường Mầm non", false),
    ("Thư viện", true),
    ("Trung tâm Văn hóa", true),
    ("Hội Nông dân", false),
    ("Hội Liên hiệp Phụ nữ", false),
    ("Hội Cựu chiến binh", false),
    ("Hội Chữ thập đỏ", false),
    ("Hiệp hội Doanh nghiệp", false),
    ("Hội Luật gia", false),
];

/// A person of the citizen registry, as the generator needs them.
struct Citizen {
    id: CitizenId,
    name: String,
}

/// Reads the citizen registry (id and name of every person).
fn read_citizens(text: &str) -> Result<Vec<Citizen>> {
    let mut people = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.starts_with("citizen_id,") || line.trim().is_empty() {
            continue;
        }
        let mut cols = line.split(',');
        let (Some(id), Some(name)) = (cols.next(), cols.next()) else {
            bail!("citizens.csv line {}: too few columns", n + 1);
        };
        let id = CitizenId::parse(id).with_context(|| format!("citizens.csv line {}", n + 1))?;
        people.push(Citizen {
            id,
            name: name.to_owned(),
        });
    }
    Ok(people)
}

fn random_date(rng: &mut Rng, from_year: u16, to_year: u16) -> String {
    let year = from_year + rng.below(u64::from(to_year - from_year + 1)) as u16;
    let month = 1 + rng.below(12) as u8;
    let day = 1 + rng.below(28) as u8;
    format!("{year}-{month:02}-{day:02}")
}

fn address(rng: &mut Rng) -> String {
    let number = 1 + rng.below(399);
    let street = rng.pick(STREETS);
    let ward = rng.pick(PLACES);
    if rng.chance(250) {
        format!("Thôn {}, xã {ward}", 1 + rng.below(12))
    } else {
        format!("Số {number} đường {street}, phường {ward}")
    }
}

fn brand(rng: &mut Rng) -> String {
    format!("{} {}", rng.pick(BRAND_FIRST), rng.pick(BRAND_SECOND))
}

/// A fresh tax code, not used before.
fn fresh_code(rng: &mut Rng, used: &mut HashSet<String>) -> TaxCode {
    loop {
        // The first two digits: 01–99 (a tax department's number in real codes).
        let body = 10_000_000 + rng.below(990_000_000) as u32;
        if let Some(code) = TaxCode::from_body(body) {
            if used.insert(code.as_str().to_owned()) {
                return code;
            }
        }
    }
}

/// Representatives: a person born in 2000 or earlier, then sometimes one or two more.
fn representatives<'a, C: Borrow<Citizen>>(rng: &mut Rng, adults: &'a [C]) -> Vec<&'a Citizen> {
    let count = if rng.chance(15) {
        3
    } else if rng.chance(90) {
        2
    } else {
        1
    };
    let mut reps: Vec<&Citizen> = Vec::with_capacity(count);
    while reps.len() < count {
        let p = rng.pick(adults).borrow();
        if !reps.iter().any(|r| r.id == p.id) {
            reps.push(p);
        }
    }
    reps
}

fn province_of(rng: &mut Rng, first_rep: &Citizen, adults: &[impl Borrow<Citizen>]) -> NewProvince {
    if rng.chance(800) {
        first_rep.id.province().current()
    } else {
        rng.pick(adults).borrow().id.province().current()
    }
}

/// One line of the file.
struct Row {
    registry: &'static str,
    code: String,
    agency_code: String,
    name: String,
    address: String,
    province: &'static str,
    established_on: String,
    status: &'static str,
    representatives: Vec<(String, String)>,
}

impl Row {
    fn write(&self, out: &mut String) -> Result<()> {
        let reps: Vec<String> = self
            .representatives
            .iter()
            .map(|(id, name)| format!("{id} {name}"))
            .collect();
        writeln!(
            out,
            "{}|{}|{}|{}|{}|{}|{}|{}|{}",
            self.registry,
            self.code,
            self.agency_code,
            self.name,
            self.address,
            self.province,
            self.established_on,
            self.status,
            reps.join(";")
        )?;
        Ok(())
    }
}

fn reps_of(people: &[&Citizen]) -> Vec<(String, String)> {
    people
        .iter()
        .map(|p| (p.id.as_str().to_owned(), p.name.clone()))
        .collect()
}

/// An enterprise of the business registry, its representatives drawn from `adults`.
fn enterprise(
    rng: &mut Rng,
    adults: &[impl Borrow<Citizen>],
    code: &mut impl FnMut(&mut Rng) -> TaxCode,
) -> Row {
    let reps = representatives(rng, adults);
    let province = province_of(rng, reps[0], adults);
    let form = *rng.pick(ENTERPRISE_FORMS);
    let name = if form == "Doanh nghiệp tư nhân" {
        format!("{form} {}", brand(rng))
    } else {
        format!("{form} {} {}", rng.pick(SECTORS), brand(rng))
    };
    Row {
        registry: "business",
        code: code(rng).as_str().to_owned(),
        agency_code: String::new(),
        name,
        address: address(rng),
        province: province.key(),
        established_on: random_date(rng, 1995, 2024),
        status: if rng.chance(60) {
            "dissolved"
        } else {
            "active"
        },
        representatives: reps_of(&reps),
    }
}

/// A cooperative of the cooperative registry.
fn cooperative(
    rng: &mut Rng,
    adults: &[impl Borrow<Citizen>],
    code: &mut impl FnMut(&mut Rng) -> TaxCode,
) -> Row {
    let reps = representatives(rng, adults);
    let province = province_of(rng, reps[0], adults);
    Row {
        registry: "cooperative",
        code: code(rng).as_str().to_owned(),
        agency_code: String::new(),
        name: format!("{} {}", rng.pick(COOPERATIVE_FORMS), rng.pick(PLACES)),
        address: address(rng),
        province: province.key(),
        established_on: random_date(rng, 1997, 2024),
        status: if rng.chance(50) {
            "dissolved"
        } else {
            "active"
        },
        representatives: reps_of(&reps),
    }
}

/// A state agency, public service unit or association of the tax registry.
fn tax_organisation(
    rng: &mut Rng,
    adults: &[impl Borrow<Citizen>],
    code: &mut impl FnMut(&mut Rng) -> TaxCode,
) -> Row {
    // The head of a unit is one person.
    let head = rng.pick(adults).borrow();
    let province = province_of(rng, head, adults);
    let (kind, state_agency) = *rng.pick(TAX_ORG_KINDS);
    let name = if kind == "Ủy ban nhân dân" {
        format!("{kind} xã {}", rng.pick(PLACES))
    } else if kind.starts_with("Trường") {
        format!("{kind} {}", rng.pick(PLACES))
    } else {
        format!("{kind} {}", province.name_vi())
    };
    let agency_code = if state_agency {
        format!(
            "{:03}.{:02}.{:02}.H{:02}",
            rng.below(1000),
            rng.below(100),
            1 + rng.below(99),
            province.code()
        )
    } else {
        String::new()
    };
    Row {
        registry: "tax",
        code: code(rng).as_str().to_owned(),
        agency_code,
        name,
        address: address(rng),
        province: province.key(),
        established_on: random_date(rng, 1976, 2024),
        status: if rng.chance(20) {
            "dissolved"
        } else {
            "active"
        },
        representatives: reps_of(&[head]),
    }
}

/// The file's text from the citizen registry's text.
pub fn generate(citizens_csv: &str) -> Result<String> {
    let people = read_citizens(citizens_csv)?;
    let adults: Vec<&Citizen> = people
        .iter()
        .filter(|p| p.id.birth_year() <= 2000)
        .collect();
    if adults.len() < 1000 {
        bail!("the citizen registry has too few adults");
    }
    let mut rng = Rng(SEED);
    let mut used = HashSet::new();
    let mut rows = Vec::new();

    for demo in DEMO_ORGS {
        let code = TaxCode::from_body(demo.body).context("a demo body without check digit")?;
        if !used.insert(code.as_str().to_owned()) {
            bail!("two demo organisations share a code");
        }
        if !demo.agency_code.is_empty() {
            AgencyCode::parse(demo.agency_code)?;
        }
        let mut reps = Vec::new();
        for id in demo.representatives {
            let p = people
                .iter()
                .find(|p| p.id.as_str() == *id)
                .with_context(|| format!("demo representative {id} is not in citizens.csv"))?;
            reps.push(p);
        }
        NewProvince::parse(demo.province)?;
        rows.push(Row {
            registry: demo.registry,
            code: code.as_str().to_owned(),
            agency_code: demo.agency_code.to_owned(),
            name: demo.name.to_owned(),
            address: demo.address.to_owned(),
            province: NewProvince::parse(demo.province)?.key(),
            established_on: demo.established_on.to_owned(),
            status: demo.status,
            representatives: reps_of(&reps),
        });
    }

    let mut code = |rng: &mut Rng| fresh_code(rng, &mut used);
    for _ in 0..ENTERPRISES {
        rows.push(enterprise(&mut rng, &adults, &mut code));
    }
    for _ in 0..COOPERATIVES {
        rows.push(cooperative(&mut rng, &adults, &mut code));
    }
    for _ in 0..TAX_ORGANISATIONS {
        rows.push(tax_organisation(&mut rng, &adults, &mut code));
    }

    let mut out = String::with_capacity(rows.len() * 160);
    out.push_str(
        "# Synthetic organisation registries of the Định Danh reference backend: business\n\
         # (enterprises), cooperative and tax (agencies, public service units, associations)\n\
         # registrations of organisations that do not exist, with valid codes; representatives\n\
         # are people of citizens.csv. Generated by `cargo xtask gen-registry`\n\
         # (xtask/src/registry.rs); do not edit by hand.\n",
    );
    out.push_str(HEADER);
    out.push('\n');
    for row in &rows {
        row.write(&mut out)?;
    }
    Ok(out)
}

/// The streamed form of the generator, for the national-size bench
/// (`crates/server/benches/national.rs`, which includes this file; xtask itself only
/// tests it).
#[allow(dead_code)]
pub mod national {
    use super::*;

    /// The seed of the national-size registries ([`Organisations`]).
    const NATIONAL_SEED: u64 = 0x0D1D_DA4E_2026_0118;

    /// Adults an organisation of the national stream draws its representatives from: the last
    /// ones the people stream made (born in a random order, so a random sample of them).
    const WINDOW: usize = 100_000;

    /// Organisation registries of any size — a million organisations and more — made one at a
    /// time for the national-size bench (issue 18), with memory that does not grow with the size.
    ///
    /// Representatives are people of the national citizen stream
    /// ([`crate::citizens::national::People`] of `people` people, walked again here): the stream is
    /// advanced in step with the organisations (organisation `k` is made once `k · people /
    /// count` people are), and representatives are drawn from the last [`WINDOW`] adults it made,
    /// so every representative is a person the citizen registry of the same size holds. Tax codes
    /// come from a counter spread over the nine-digit bodies by a multiplication that is a
    /// bijection modulo their range, skipping the few bodies without a check digit, so they are
    /// unique without a set of those made. The mix follows Vietnam's: mostly enterprises, a few
    /// per cent cooperatives and tax-registered units. A pure function of [`NATIONAL_SEED`].
    pub struct Organisations {
        rng: Rng,
        people: crate::citizens::national::People,
        people_count: u64,
        people_seen: u64,
        window: Vec<Citizen>,
        adults_seen: u64,
        made: u64,
        count: u64,
        next_body: u64,
    }

    impl Organisations {
        /// A stream of `count` organisations whose representatives are among `people` people.
        pub fn new(count: u64, people: u64) -> Self {
            Organisations {
                rng: Rng(NATIONAL_SEED),
                people: crate::citizens::national::People::new(people),
                people_count: people,
                people_seen: 0,
                window: Vec::new(),
                adults_seen: 0,
                made: 0,
                count,
                next_body: 0,
            }
        }

        /// Appends the next organisation's line to `out`; `false` once all are made.
        pub fn write_next(&mut self, out: &mut String) -> Result<bool> {
            if self.made >= self.count {
                return Ok(false);
            }
            let due = (self.made + 1).saturating_mul(self.people_count) / self.count.max(1);
            while self.people_seen < due || self.window.len() < 3 {
                let Some(person) = self.people.next() else {
                    bail!("too few adults among the people to draw representatives from");
                };
                let person = person?;
                self.people_seen += 1;
                if person.id.birth_year() <= 2000 {
                    let adult = Citizen {
                        id: person.id,
                        name: person.name,
                    };
                    let slot = usize::try_from(self.adults_seen % WINDOW as u64)?;
                    if self.window.len() < WINDOW {
                        self.window.push(adult);
                    } else {
                        self.window[slot] = adult;
                    }
                    self.adults_seen += 1;
                }
            }
            let next_body = &mut self.next_body;
            let mut code = |_: &mut Rng| national_code(next_body);
            let row = match self.rng.below(100) {
                0..=92 => enterprise(&mut self.rng, &self.window, &mut code),
                93..=95 => cooperative(&mut self.rng, &self.window, &mut code),
                _ => tax_organisation(&mut self.rng, &self.window, &mut code),
            };
            row.write(out)?;
            self.made += 1;
            Ok(true)
        }
    }

    /// The next tax code of the national stream (see [`Organisations`]).
    fn national_code(next: &mut u64) -> TaxCode {
        const RANGE: u64 = 990_000_000;
        loop {
            // 7 654 321 is prime to 990 000 000 (= 2⁷·3²·5⁷·11), so distinct counters below the
            // range give distinct bodies.
            let body = 10_000_000 + (*next * 7_654_321 + 12_345) % RANGE;
            *next += 1;
            if let Some(code) = u32::try_from(body).ok().and_then(TaxCode::from_body) {
                return code;
            }
        }
    }

    /// The comment lines and header of a streamed registry file: what goes before the rows.
    pub fn preamble() -> String {
        format!(
            "# Synthetic organisation registries at national size, made at bench time by \
             xtask/src/registry.rs (Organisations); never committed.\n{HEADER}\n"
        )
    }
}

/// Writes the registries under `root` and says where.
pub fn run(root: &Path) -> Result<()> {
    let citizens = std::fs::read_to_string(root.join(CITIZENS))
        .with_context(|| format!("reading {CITIZENS} (run `cargo xtask gen-citizens` first)"))?;
    let text = generate(&citizens)?;
    let path = root.join(OUTPUT);
    std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    println!(
        "wrote {} ({} organisations, {} bytes)",
        path.display(),
        text.lines().filter(|l| !l.starts_with('#')).count() - 1,
        text.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn citizens() -> String {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        std::fs::read_to_string(root.join(CITIZENS)).unwrap()
    }

    #[test]
    fn the_registries_are_the_same_every_time() {
        let c = citizens();
        assert_eq!(generate(&c).unwrap(), generate(&c).unwrap());
    }

    #[test]
    fn the_national_stream_has_unique_codes_and_representatives_from_its_people() {
        let (orgs, people) = (20_000, 200_000);
        let known: HashSet<String> = crate::citizens::national::People::new(people)
            .map(|p| {
                let p = p.unwrap();
                format!("{} {}", p.id.as_str(), p.name)
            })
            .collect();
        let mut text = national::preamble();
        let mut stream = national::Organisations::new(orgs, people);
        while stream.write_next(&mut text).unwrap() {}
        let rows: Vec<&str> = text.lines().skip(2).collect();
        assert_eq!(rows.len() as u64, orgs);
        let mut codes = HashSet::new();
        let mut kinds = std::collections::HashMap::new();
        for row in &rows {
            let cols: Vec<&str> = row.split('|').collect();
            assert!(codes.insert(cols[1]), "code {} twice", cols[1]);
            TaxCode::parse(cols[1]).unwrap();
            *kinds.entry(cols[0]).or_insert(0) += 1;
            for rep in cols[8].split(';') {
                assert!(
                    known.contains(rep),
                    "a representative who is not in the people"
                );
            }
        }
        // Mostly enterprises, some cooperatives and tax-registered units.
        assert!(kinds["business"] > orgs * 9 / 10, "{kinds:?}");
        assert!(kinds["cooperative"] > 0 && kinds["tax"] > 0, "{kinds:?}");
        // The same stream every time.
        let make = || {
            let mut out = String::new();
            let mut stream = national::Organisations::new(1000, 10_000);
            while stream.write_next(&mut out).unwrap() {}
            out
        };
        assert_eq!(make(), make());
    }

    #[test]
    fn every_generated_agency_code_parses() {
        let text = generate(&citizens()).unwrap();
        let mut n = 0;
        for line in text.lines().filter(|l| l.starts_with("tax|")) {
            let agency = line.split('|').nth(2).unwrap();
            if !agency.is_empty() {
                AgencyCode::parse(agency).unwrap();
                n += 1;
            }
        }
        assert!(n > 100, "{n}");
    }
}
