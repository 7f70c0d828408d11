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
fn representatives<'a>(rng: &mut Rng, adults: &[&'a Citizen]) -> Vec<&'a Citizen> {
    let count = if rng.chance(15) {
        3
    } else if rng.chance(90) {
        2
    } else {
        1
    };
    let mut reps: Vec<&Citizen> = Vec::with_capacity(count);
    while reps.len() < count {
        let p = *rng.pick(adults);
        if !reps.iter().any(|r| r.id == p.id) {
            reps.push(p);
        }
    }
    reps
}

fn province_of(rng: &mut Rng, first_rep: &Citizen, adults: &[&Citizen]) -> NewProvince {
    if rng.chance(800) {
        first_rep.id.province().current()
    } else {
        rng.pick(adults).id.province().current()
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

    for _ in 0..ENTERPRISES {
        let reps = representatives(&mut rng, &adults);
        let province = province_of(&mut rng, reps[0], &adults);
        let form = *rng.pick(ENTERPRISE_FORMS);
        let name = if form == "Doanh nghiệp tư nhân" {
            format!("{form} {}", brand(&mut rng))
        } else {
            format!("{form} {} {}", rng.pick(SECTORS), brand(&mut rng))
        };
        rows.push(Row {
            registry: "business",
            code: fresh_code(&mut rng, &mut used).as_str().to_owned(),
            agency_code: String::new(),
            name,
            address: address(&mut rng),
            province: province.key(),
            established_on: random_date(&mut rng, 1995, 2024),
            status: if rng.chance(60) {
                "dissolved"
            } else {
                "active"
            },
            representatives: reps_of(&reps),
        });
    }

    for _ in 0..COOPERATIVES {
        let reps = representatives(&mut rng, &adults);
        let province = province_of(&mut rng, reps[0], &adults);
        rows.push(Row {
            registry: "cooperative",
            code: fresh_code(&mut rng, &mut used).as_str().to_owned(),
            agency_code: String::new(),
            name: format!("{} {}", rng.pick(COOPERATIVE_FORMS), rng.pick(PLACES)),
            address: address(&mut rng),
            province: province.key(),
            established_on: random_date(&mut rng, 1997, 2024),
            status: if rng.chance(50) {
                "dissolved"
            } else {
                "active"
            },
            representatives: reps_of(&reps),
        });
    }

    for _ in 0..TAX_ORGANISATIONS {
        // The head of a unit is one person.
        let head = *rng.pick(&adults);
        let province = province_of(&mut rng, head, &adults);
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
        rows.push(Row {
            registry: "tax",
            code: fresh_code(&mut rng, &mut used).as_str().to_owned(),
            agency_code,
            name,
            address: address(&mut rng),
            province: province.key(),
            established_on: random_date(&mut rng, 1976, 2024),
            status: if rng.chance(20) {
                "dissolved"
            } else {
                "active"
            },
            representatives: reps_of(&[head]),
        });
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
