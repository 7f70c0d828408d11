//! `cargo xtask gen-citizens`: writes the synthetic citizen registry the server ships,
//! `crates/server/data/citizens.csv`.
//!
//! The real system checks people against the national population database; the reference
//! backend checks them against this file instead. Every row is a person who does not exist but
//! whose data is valid: a 12-digit identification number built with the core crate's
//! `CitizenId::from_parts` (so province code, century/gender digit and year of birth agree), a
//! Vietnamese name with its diacritics, a date of birth in the number's year, a mobile number
//! the core crate's `PhoneNumber` accepts, and for most people an e-mail address.
//!
//! The output is a pure function of [`SEED`]: a small xorshift generator, no clock, no
//! operating-system randomness, so running the command twice writes the same bytes and a diff
//! of the file shows only what a change to this code changed.
//!
//! Realism, within reason: birth provinces are weighted by the 2019 census population of the
//! 63 pre-2025 provinces, years of birth follow a rough adult age pyramid (1940–2007, so all
//! are adults), family names follow their published frequencies (Nguyễn about 38 %), middle
//! names shift with the generation (Văn and Thị are commoner among older people), and phone
//! prefixes follow the operators' market shares. E-mail addresses use the domains RFC 2606
//! reserves (`example.com`, `.net`, `.org`), so no message for a synthetic person can reach a
//! real mailbox even if a real mail sender is plugged in.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use dinhdanh_core::ids::{CitizenId, Email, Gender, OldProvince, PhoneNumber};

/// Where the registry goes, relative to the workspace root.
pub const OUTPUT: &str = "crates/server/data/citizens.csv";

/// How many people, besides the hand-written demo people.
pub const COUNT: usize = 10_000;

/// The generator's seed. Changing it rewrites the whole file.
const SEED: u64 = 0x0D1D_DA4E_2025_0069;

/// The CSV header, after the comment lines. The server's parser expects exactly this.
pub const HEADER: &str = "citizen_id,full_name,date_of_birth,gender,phone,email";

/// People the demo accounts of `dinhdanh-server seed --demo` belong to, written first so
/// they are easy to find. Their numbers and passwords are listed in the README; the server's
/// tests check that each of its demo accounts has a row here.
const DEMO_PEOPLE: &[DemoPerson] = &[
    DemoPerson {
        province: 1,
        gender: Gender::Male,
        year: 1980,
        serial: 12_345,
        name: "Nguyễn Văn An",
        date_of_birth: "1980-03-15",
        phone: "0912345678",
        email: "an.nguyen@example.com",
    },
    DemoPerson {
        province: 74,
        gender: Gender::Female,
        year: 1992,
        serial: 34_567,
        name: "Trần Thị Mai",
        date_of_birth: "1992-08-21",
        phone: "0987654321",
        email: "mai.tran@example.com",
    },
    DemoPerson {
        province: 79,
        gender: Gender::Female,
        year: 1985,
        serial: 4_321,
        name: "Phạm Thu Hà",
        date_of_birth: "1985-11-02",
        phone: "0903123456",
        email: "ha.pham@example.com",
    },
    DemoPerson {
        province: 1,
        gender: Gender::Male,
        year: 1978,
        serial: 67_890,
        name: "Hoàng Đức Minh",
        date_of_birth: "1978-05-30",
        phone: "0977111222",
        email: "minh.hoang@example.com",
    },
    DemoPerson {
        province: 92,
        gender: Gender::Male,
        year: 2001,
        serial: 56_789,
        name: "Lê Hoàng Nam",
        date_of_birth: "2001-01-09",
        phone: "0868222333",
        email: "nam.le@example.com",
    },
    DemoPerson {
        province: 48,
        gender: Gender::Female,
        year: 1998,
        serial: 78_901,
        name: "Võ Thị Lan",
        date_of_birth: "1998-07-07",
        phone: "0935444555",
        email: "lan.vo@example.com",
    },
];

/// A hand-written registry row.
struct DemoPerson {
    /// Old (63-province) code of the birth registration.
    province: u16,
    gender: Gender,
    year: u16,
    serial: u32,
    name: &'static str,
    date_of_birth: &'static str,
    phone: &'static str,
    email: &'static str,
}

/// Population of each pre-2025 province in the 2019 census, in tens of thousands.
const PROVINCE_WEIGHTS: &[(u16, u32)] = &[
    (1, 805),
    (2, 85),
    (4, 53),
    (6, 31),
    (8, 78),
    (10, 73),
    (11, 60),
    (12, 46),
    (14, 125),
    (15, 82),
    (17, 85),
    (19, 129),
    (20, 78),
    (22, 132),
    (24, 180),
    (25, 146),
    (26, 115),
    (27, 137),
    (30, 189),
    (31, 203),
    (33, 125),
    (34, 186),
    (35, 85),
    (36, 178),
    (37, 98),
    (38, 364),
    (40, 333),
    (42, 129),
    (44, 90),
    (45, 63),
    (46, 113),
    (48, 113),
    (49, 150),
    (51, 123),
    (52, 149),
    (54, 87),
    (56, 123),
    (58, 59),
    (60, 123),
    (62, 54),
    (64, 151),
    (66, 187),
    (67, 62),
    (68, 130),
    (70, 99),
    (72, 117),
    (74, 243),
    (75, 310),
    (77, 115),
    (79, 899),
    (80, 169),
    (82, 176),
    (83, 129),
    (84, 101),
    (86, 102),
    (87, 160),
    (89, 191),
    (91, 172),
    (92, 124),
    (93, 73),
    (94, 120),
    (95, 91),
    (96, 119),
];

/// Family names and their approximate share, per thousand.
const FAMILY_NAMES: &[(&str, u32)] = &[
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 30),
    ("Huỳnh", 21),
    ("Phan", 45),
    ("Vũ", 20),
    ("Võ", 19),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
    ("Đinh", 8),
    ("Trương", 8),
    ("Đào", 7),
    ("Mai", 5),
    ("Cao", 5),
    ("Lâm", 5),
    ("Tạ", 3),
    ("Hà", 5),
    ("Lương", 4),
    ("Trịnh", 5),
    ("Chu", 3),
    ("Tô", 3),
    ("Quách", 2),
    ("Lưu", 3),
    ("Vương", 2),
    ("Thái", 2),
    ("Kiều", 2),
    ("Châu", 2),
    ("Lục", 1),
    ("Triệu", 2),
];

const MALE_MIDDLE_OLD: &[&str] = &["Văn", "Văn", "Văn", "Hữu", "Đức", "Công", "Quang", "Xuân"];
const MALE_MIDDLE_NEW: &[&str] = &[
    "Văn", "Minh", "Quốc", "Gia", "Hoàng", "Anh", "Tuấn", "Thành", "Đức", "Hữu", "Nhật", "Trung",
    "Bảo", "Thanh", "Đình", "Khánh",
];
const FEMALE_MIDDLE_OLD: &[&str] = &["Thị", "Thị", "Thị", "Thị", "Thu", "Ngọc", "Kim", "Hồng"];
const FEMALE_MIDDLE_NEW: &[&str] = &[
    "Thị", "Ngọc", "Thu", "Thanh", "Bảo", "Minh", "Phương", "Khánh", "Diệu", "Mai", "Hồng", "Kim",
    "Thùy", "Quỳnh", "Hoài", "Tuệ",
];
/// A second middle name, as in "Nguyễn Thị Thu Hà".
const SECOND_MIDDLE: &[&str] = &["Thu", "Ngọc", "Minh", "Thanh", "Hoài", "Bảo", "Phương"];
const MALE_GIVEN: &[&str] = &[
    "An", "Anh", "Bảo", "Bình", "Cường", "Chiến", "Công", "Dũng", "Duy", "Dương", "Đạt", "Đông",
    "Đức", "Giang", "Hải", "Hào", "Hiếu", "Hiển", "Hoàng", "Hòa", "Hùng", "Huy", "Hưng", "Khang",
    "Khải", "Khoa", "Khôi", "Kiên", "Lâm", "Lộc", "Long", "Luân", "Mạnh", "Minh", "Nam", "Nghĩa",
    "Nhân", "Phát", "Phong", "Phúc", "Phước", "Quân", "Quang", "Quý", "Sang", "Sơn", "Tài", "Tâm",
    "Thắng", "Thành", "Thịnh", "Thông", "Tiến", "Toàn", "Trí", "Trọng", "Trung", "Tú", "Tuấn",
    "Tùng", "Việt", "Vinh", "Vĩnh", "Vũ", "Khánh", "Lực", "Thiện", "Định",
];
const FEMALE_GIVEN: &[&str] = &[
    "An", "Anh", "Ánh", "Châu", "Chi", "Diệp", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng",
    "Hiền", "Hoa", "Hồng", "Huệ", "Hương", "Huyền", "Khánh", "Lan", "Liên", "Linh", "Loan", "Ly",
    "Mai", "My", "Nga", "Ngân", "Ngọc", "Nguyệt", "Nhi", "Nhung", "Oanh", "Phương", "Quyên",
    "Quỳnh", "Tâm", "Thảo", "Thoa", "Thu", "Thủy", "Thư", "Trâm", "Trang", "Trinh", "Tuyết",
    "Uyên", "Vân", "Vy", "Xuân", "Yến", "Hậu", "Lụa", "Gấm",
];

/// Mobile prefixes by operator share: Viettel, VinaPhone, MobiFone, Vietnamobile, Gmobile.
const PHONE_PREFIXES: &[(&[&str], u32)] = &[
    (
        &[
            "032", "033", "034", "035", "036", "037", "038", "039", "086", "096", "097", "098",
        ],
        50,
    ),
    (
        &["081", "082", "083", "084", "085", "088", "091", "094"],
        28,
    ),
    (
        &["070", "076", "077", "078", "079", "089", "090", "093"],
        19,
    ),
    (&["052", "056", "058", "092"], 2),
    (&["059", "099"], 1),
];

/// Reserved example domains (RFC 2606), weighted.
const EMAIL_DOMAINS: &[(&str, u32)] = &[("example.com", 6), ("example.net", 2), ("example.org", 2)];

/// xorshift64*: tiny, fast, deterministic; plenty for synthetic data (not for secrets).
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

    /// Uniform in `0..n` (`n > 0`), by rejection so small ranges are not biased.
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
        // Every list here is a non-empty constant.
        &items[self.below(items.len() as u64) as usize]
    }

    fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut x = self.below(total);
        for (item, w) in items {
            if x < u64::from(*w) {
                return item;
            }
            x -= u64::from(*w);
        }
        &items[items.len() - 1].0
    }
}

/// Relative number of people born in `year` (a rough adult age pyramid).
fn year_weight(year: u16) -> u32 {
    match year {
        ..=1949 => 2,
        1950..=1959 => 5,
        1960..=1969 => 9,
        1970..=1979 => 12,
        1980..=1999 => 14,
        _ => 12,
    }
}

fn is_leap(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn random_date(rng: &mut Rng, year: u16) -> String {
    let feb = if is_leap(year) { 29 } else { 28 };
    let lengths = [31, feb, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut day = rng.below(if is_leap(year) { 366 } else { 365 });
    let mut month = 1;
    for len in lengths {
        if day < len {
            break;
        }
        day -= len;
        month += 1;
    }
    format!("{year:04}-{month:02}-{:02}", day + 1)
}

/// Vietnamese letters without their diacritics, lower-cased, for e-mail addresses.
fn ascii_fold(text: &str) -> String {
    const GROUPS: &[(&str, char)] = &[
        ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
        ("èéẻẽẹêềếểễệ", 'e'),
        ("ìíỉĩị", 'i'),
        ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
        ("ùúủũụưừứửữự", 'u'),
        ("ỳýỷỹỵ", 'y'),
        ("đ", 'd'),
    ];
    text.to_lowercase()
        .chars()
        .filter_map(|c| {
            if c.is_ascii_alphanumeric() {
                return Some(c);
            }
            GROUPS
                .iter()
                .find(|(group, _)| group.contains(c))
                .map(|(_, base)| *base)
        })
        .collect()
}

/// One person of the registry.
pub struct Person {
    /// Identification number.
    pub id: CitizenId,
    /// Full name.
    pub name: String,
    date_of_birth: String,
    phone: PhoneNumber,
    email: Option<Email>,
}

impl Person {
    /// The person's line of the registry file (with its newline).
    pub fn write(&self, out: &mut String) -> Result<()> {
        writeln!(
            out,
            "{},{},{},{},{},{}",
            self.id.as_str(),
            self.name,
            self.date_of_birth,
            gender_str(self.id.gender()),
            self.phone.as_str(),
            self.email.as_ref().map_or("", |e| e.as_str()),
        )?;
        Ok(())
    }
}

fn gender_str(g: Gender) -> &'static str {
    match g {
        Gender::Male => "male",
        Gender::Female => "female",
    }
}

/// A full name for a person of `gender` born in `year`, with its family and given names.
fn full_name(rng: &mut Rng, gender: Gender, year: u16) -> (String, &'static str, &'static str) {
    let family = *rng.weighted(FAMILY_NAMES);
    let older = year < 1980;
    let middle = match (gender, older) {
        (Gender::Male, true) => *rng.pick(MALE_MIDDLE_OLD),
        (Gender::Male, false) => *rng.pick(MALE_MIDDLE_NEW),
        (Gender::Female, true) => *rng.pick(FEMALE_MIDDLE_OLD),
        (Gender::Female, false) => *rng.pick(FEMALE_MIDDLE_NEW),
    };
    let given = match gender {
        Gender::Male => *rng.pick(MALE_GIVEN),
        Gender::Female => *rng.pick(FEMALE_GIVEN),
    };
    let mut name = format!("{family} {middle}");
    // A second middle name is mostly a woman's ("Nguyễn Thị Thu Hà").
    if gender == Gender::Female && rng.chance(200) {
        let second = *rng.pick(SECOND_MIDDLE);
        if second != middle && second != given {
            name = format!("{name} {second}");
        }
    }
    (format!("{name} {given}"), family, given)
}

/// The local part an e-mail address starts from, and its domain.
fn email_base(
    rng: &mut Rng,
    family: &str,
    given: &str,
    name: &str,
    year: u16,
) -> (String, &'static str) {
    let fam = ascii_fold(family);
    let giv = ascii_fold(given);
    let initials: String = name
        .split(' ')
        .skip(1)
        .map(|w| ascii_fold(w).chars().next().unwrap_or('x'))
        .collect();
    let yy = year % 100;
    let base = match rng.below(4) {
        0 => format!("{giv}.{fam}{yy:02}"),
        1 => format!("{fam}{initials}"),
        2 => format!("{giv}{fam}{}", rng.below(1000)),
        _ => format!("{giv}_{fam}"),
    };
    (base, *rng.weighted(EMAIL_DOMAINS))
}

fn random_person(
    rng: &mut Rng,
    years: &[(u16, u32)],
    ids: &mut HashSet<String>,
    phones: &mut HashSet<String>,
    emails: &mut HashSet<String>,
) -> Result<Person> {
    let code = *rng.weighted(PROVINCE_WEIGHTS);
    let province = OldProvince::from_code(code).context("unknown province code in the table")?;
    let gender = if rng.chance(500) {
        Gender::Male
    } else {
        Gender::Female
    };
    let year = *rng.weighted(years);
    let id = loop {
        let serial = rng.below(1_000_000) as u32;
        let id = CitizenId::from_parts(province, gender, year, serial)?;
        if ids.insert(id.as_str().to_owned()) {
            break id;
        }
    };

    let (name, family, given) = full_name(rng, gender, year);

    let phone = loop {
        let group: &&[&str] = rng.weighted(PHONE_PREFIXES);
        let prefix = *rng.pick(group);
        let text = format!("{prefix}{:07}", rng.below(10_000_000));
        if phones.insert(text.clone()) {
            break PhoneNumber::parse(&text)?;
        }
    };

    // About 85 % give an e-mail address.
    let email = if rng.chance(850) {
        let (base, domain) = email_base(rng, family, given, &name, year);
        let mut local = base.clone();
        let mut n = 1;
        while !emails.insert(format!("{local}@{domain}")) {
            n += 1;
            local = format!("{base}{n}");
        }
        Some(Email::parse(&format!("{local}@{domain}"))?)
    } else {
        None
    };

    Ok(Person {
        id,
        name,
        date_of_birth: random_date(rng, year),
        phone,
        email,
    })
}

/// The registry's text: comment lines, the header, the demo people, then [`COUNT`] others.
pub fn generate() -> Result<String> {
    let mut rng = Rng(SEED);
    let years: Vec<(u16, u32)> = (1940..=2007).map(|y| (y, year_weight(y))).collect();
    let mut ids = HashSet::new();
    let mut phones = HashSet::new();
    let mut emails = HashSet::new();
    let mut people = Vec::with_capacity(COUNT + DEMO_PEOPLE.len());
    for demo in DEMO_PEOPLE {
        let (name, dob, phone, email) = (demo.name, demo.date_of_birth, demo.phone, demo.email);
        let province = OldProvince::from_code(demo.province).context("demo province")?;
        let id = CitizenId::from_parts(province, demo.gender, demo.year, demo.serial)?;
        if !ids.insert(id.as_str().to_owned())
            || !phones.insert(phone.to_owned())
            || !emails.insert(email.to_owned())
        {
            bail!("two demo people share a number, phone or e-mail");
        }
        people.push(Person {
            id,
            name: name.to_owned(),
            date_of_birth: dob.to_owned(),
            phone: PhoneNumber::parse(phone)?,
            email: Some(Email::parse(email)?),
        });
    }
    while people.len() < COUNT + DEMO_PEOPLE.len() {
        people.push(random_person(
            &mut rng,
            &years,
            &mut ids,
            &mut phones,
            &mut emails,
        )?);
    }

    let mut out = String::with_capacity(people.len() * 96);
    out.push_str(
        "# Synthetic citizen registry of the Định Danh reference backend: people who do not\n\
         # exist, with valid identification numbers, names, dates of birth, phones, e-mails.\n\
         # Generated by `cargo xtask gen-citizens` (xtask/src/citizens.rs); do not edit by hand.\n",
    );
    out.push_str(HEADER);
    out.push('\n');
    for p in &people {
        p.write(&mut out)?;
    }
    Ok(out)
}

/// The streamed form of the generator, for the national-size bench
/// (`crates/server/benches/national.rs`, which includes this file; xtask itself only
/// tests it).
#[allow(dead_code)]
pub mod national {
    use super::*;

    /// The seed of the national-size registry (`People`), not the shipped file's.
    const NATIONAL_SEED: u64 = 0x0D1D_DA4E_2026_0018;

    /// A citizen registry of any size — ten million people and more — made one person at a
    /// time, for the national-size bench (issue 18): nothing is kept per person, so memory does
    /// not grow with the size. Same tables and weights as the shipped file, without its demo
    /// people; uniqueness comes from counters instead of sets of what was made:
    ///
    /// - identification numbers: one counter per (birth province, gender, year), its value
    ///   spread over the six-digit serial by a multiplication that is a bijection modulo 10⁶;
    /// - phone numbers: one counter per mobile prefix, spread over the seven digits the same way;
    /// - e-mail addresses: the person's place in the stream after a dot (`an.nguyen80.4711@…`).
    ///
    /// A pure function of [`NATIONAL_SEED`]: the same people, in the same order, every time, so
    /// the organisation generator can walk the same stream to draw representatives from it.
    pub struct People {
        rng: Rng,
        years: Vec<(u16, u32)>,
        serials: std::collections::HashMap<(u16, Gender, u16), u32>,
        phones: std::collections::HashMap<&'static str, u32>,
        made: u64,
        count: u64,
    }

    impl People {
        /// A stream of `count` people.
        pub fn new(count: u64) -> Self {
            People {
                rng: Rng(NATIONAL_SEED),
                years: (1940..=2007).map(|y| (y, year_weight(y))).collect(),
                serials: std::collections::HashMap::new(),
                phones: std::collections::HashMap::new(),
                made: 0,
                count,
            }
        }

        fn person(&mut self) -> Result<Person> {
            let rng = &mut self.rng;
            let code = *rng.weighted(PROVINCE_WEIGHTS);
            let province = OldProvince::from_code(code).context("unknown province code")?;
            let gender = if rng.chance(500) {
                Gender::Male
            } else {
                Gender::Female
            };
            let year = *rng.weighted(&self.years);
            let next = self.serials.entry((code, gender, year)).or_insert(0);
            if *next >= 1_000_000 {
                bail!("more than a million people of one province, gender and year");
            }
            // 7919 is prime to 10⁶, so distinct counters give distinct serials.
            let serial = u32::try_from((u64::from(*next) * 7_919 + 1_234) % 1_000_000)?;
            *next += 1;
            let id = CitizenId::from_parts(province, gender, year, serial)?;
            let (name, family, given) = full_name(rng, gender, year);
            let group: &&[&str] = rng.weighted(PHONE_PREFIXES);
            let prefix = *rng.pick(group);
            let next = self.phones.entry(prefix).or_insert(0);
            if *next >= 10_000_000 {
                bail!("more than ten million phone numbers under one prefix");
            }
            // 1 234 567 is prime to 10⁷.
            let suffix = (u64::from(*next) * 1_234_567 + 891) % 10_000_000;
            *next += 1;
            let phone = PhoneNumber::parse(&format!("{prefix}{suffix:07}"))?;
            let email = if rng.chance(850) {
                let (base, domain) = email_base(rng, family, given, &name, year);
                Some(Email::parse(&format!("{base}.{}@{domain}", self.made))?)
            } else {
                None
            };
            let date_of_birth = random_date(rng, year);
            self.made += 1;
            Ok(Person {
                id,
                name,
                date_of_birth,
                phone,
                email,
            })
        }
    }

    impl Iterator for People {
        type Item = Result<Person>;

        fn next(&mut self) -> Option<Result<Person>> {
            (self.made < self.count).then(|| self.person())
        }
    }

    /// The comment lines and header of a streamed registry file: what goes before the people.
    pub fn preamble() -> String {
        format!(
            "# Synthetic citizen registry at national size, made at bench time by \
             xtask/src/citizens.rs (People); never committed.\n{HEADER}\n"
        )
    }
}

/// Writes the registry under `root` and says where.
pub fn run(root: &Path) -> Result<()> {
    let text = generate()?;
    let path = root.join(OUTPUT);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    println!(
        "wrote {} ({} people, {} bytes)",
        path.display(),
        text.lines().filter(|l| !l.starts_with('#')).count() - 1,
        text.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_is_the_same_every_time() {
        assert_eq!(generate().unwrap(), generate().unwrap());
    }

    #[test]
    fn the_national_stream_is_the_same_every_time_and_its_people_are_unique_and_valid() {
        use std::collections::HashSet;
        let n = 200_000;
        let mut text = national::preamble();
        let (mut ids, mut phones, mut emails) = (HashSet::new(), HashSet::new(), HashSet::new());
        for p in national::People::new(n) {
            let p = p.unwrap();
            assert!(ids.insert(p.id.as_str().to_owned()), "a number twice");
            assert!(phones.insert(p.phone.as_str().to_owned()), "a phone twice");
            if let Some(e) = &p.email {
                assert!(emails.insert(e.as_str().to_owned()), "an e-mail twice");
            }
            p.write(&mut text).unwrap();
        }
        assert_eq!(ids.len() as u64, n);
        assert!(emails.len() as u64 > n * 8 / 10, "{}", emails.len());
        let again: Vec<String> = national::People::new(1000)
            .map(|p| p.unwrap().id.as_str().to_owned())
            .collect();
        let first: Vec<&str> = text.lines().skip(2).take(1000).map(|l| &l[..12]).collect();
        assert_eq!(first, again);
        // Every birth province of the weights appears, Hà Nội (01) far more than Lai Châu (12).
        let by = |code: &str| ids.iter().filter(|id| id.starts_with(code)).count();
        assert!(by("001") > 10 * by("012"), "{} {}", by("001"), by("012"));
    }

    #[test]
    fn names_lose_their_diacritics_in_email_addresses() {
        assert_eq!(ascii_fold("Nguyễn"), "nguyen");
        assert_eq!(ascii_fold("Đặng"), "dang");
        assert_eq!(ascii_fold("Thủy"), "thuy");
    }

    #[test]
    fn dates_of_birth_fall_in_the_year_of_the_number() {
        let mut rng = Rng(1);
        for _ in 0..2000 {
            let d = random_date(&mut rng, 2000);
            assert!(d.starts_with("2000-"), "{d}");
            let (m, day) = (&d[5..7], &d[8..10]);
            assert!(("01"..="12").contains(&m) && ("01"..="31").contains(&day));
        }
        assert_eq!(random_date(&mut Rng(7), 1999).len(), 10);
    }
}
