use super::*;
use proptest::prelude::*;
use std::collections::HashSet;

/// The codes of Circular 59/2021/TT-BCA, typed here independently of the data file.
const ISSUED_CODES: [u16; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// Resolution 202/2025/QH15, typed here independently of the data file: each new
/// province (key, code under Decision 19/2025/QĐ-TTg) and the old codes that form it.
const MERGERS: [(&str, u8, &[u16]); 34] = [
    ("ha_noi", 1, &[1]),
    ("cao_bang", 4, &[4]),
    ("tuyen_quang", 8, &[2, 8]),
    ("dien_bien", 11, &[11]),
    ("lai_chau", 12, &[12]),
    ("son_la", 14, &[14]),
    ("lao_cai", 15, &[10, 15]),
    ("thai_nguyen", 19, &[6, 19]),
    ("lang_son", 20, &[20]),
    ("quang_ninh", 22, &[22]),
    ("bac_ninh", 24, &[24, 27]),
    ("phu_tho", 25, &[17, 25, 26]),
    ("hai_phong", 31, &[30, 31]),
    ("hung_yen", 33, &[33, 34]),
    ("ninh_binh", 37, &[35, 36, 37]),
    ("thanh_hoa", 38, &[38]),
    ("nghe_an", 40, &[40]),
    ("ha_tinh", 42, &[42]),
    ("quang_tri", 44, &[44, 45]),
    ("hue", 46, &[46]),
    ("da_nang", 48, &[48, 49]),
    ("quang_ngai", 51, &[51, 62]),
    ("gia_lai", 52, &[52, 64]),
    ("khanh_hoa", 56, &[56, 58]),
    ("dak_lak", 66, &[54, 66]),
    ("lam_dong", 68, &[60, 67, 68]),
    ("dong_nai", 75, &[70, 75]),
    ("ho_chi_minh", 79, &[74, 77, 79]),
    ("tay_ninh", 80, &[72, 80]),
    ("dong_thap", 82, &[82, 87]),
    ("vinh_long", 86, &[83, 84, 86]),
    ("an_giang", 91, &[89, 91]),
    ("can_tho", 92, &[92, 93, 94]),
    ("ca_mau", 96, &[95, 96]),
];

#[test]
fn there_are_63_old_and_34_new_provinces() {
    assert_eq!(OldProvince::all().len(), 63);
    assert_eq!(NewProvince::all().len(), 34);
}

#[test]
fn old_codes_are_exactly_the_issued_ones_in_order() {
    let codes: Vec<u16> = OldProvince::all().iter().map(|p| p.code()).collect();
    assert_eq!(codes, ISSUED_CODES);
    for code in 0..1000 {
        assert_eq!(
            OldProvince::from_code(code).is_some(),
            ISSUED_CODES.contains(&code)
        );
    }
}

#[test]
fn mapping_matches_resolution_202_and_decision_19() {
    for (key, code, olds) in MERGERS {
        let new = NewProvince::parse(key).unwrap();
        assert_eq!(new.code(), code, "{key}");
        assert_eq!(NewProvince::from_code(code), Some(new));
        let former: Vec<u16> = new.former().map(|p| p.code()).collect();
        assert_eq!(former, olds, "{key}");
    }
}

#[test]
fn every_old_province_belongs_to_exactly_one_new_one() {
    for old in OldProvince::all() {
        let owners: Vec<NewProvince> = NewProvince::all()
            .iter()
            .copied()
            .filter(|new| new.former().any(|f| f == *old))
            .collect();
        assert_eq!(owners, vec![old.current()], "{old:?}");
    }
    let total: usize = NewProvince::all().iter().map(|n| n.former().count()).sum();
    assert_eq!(total, 63);
}

#[test]
fn every_new_province_has_one_to_three_former_ones() {
    for new in NewProvince::all() {
        let n = new.former().count();
        assert!((1..=3).contains(&n), "{new:?} has {n}");
    }
    let unchanged = NewProvince::all()
        .iter()
        .filter(|n| n.former().count() == 1)
        .count();
    assert_eq!(unchanged, 11);
}

#[test]
fn unchanged_provinces_map_to_themselves_by_name() {
    for new in NewProvince::all()
        .iter()
        .filter(|n| n.former().count() == 1)
    {
        let old = new.former().next().unwrap();
        // Thừa Thiên Huế became the centrally-run city of Huế on 1 January 2025, before
        // the reorganisation; its code 046 is listed under the name it was issued under.
        if new.key() == "hue" {
            assert_eq!(old.name_vi(), "Thừa Thiên Huế");
        } else {
            assert_eq!(old.name_vi(), new.name_vi());
            assert_eq!(old.name_en(), new.name_en());
        }
    }
}

#[test]
fn merged_provinces_keep_the_name_of_one_former_province() {
    for new in NewProvince::all().iter().filter(|n| n.former().count() > 1) {
        assert!(
            new.former().any(|old| old.name_vi() == new.name_vi()),
            "{new:?}"
        );
    }
}

#[test]
fn names_keys_and_codes_are_unique() {
    let olds = OldProvince::all();
    let news = NewProvince::all();
    let distinct = |v: Vec<&str>| v.iter().collect::<HashSet<_>>().len();
    assert_eq!(distinct(olds.iter().map(|p| p.name_vi()).collect()), 63);
    assert_eq!(distinct(olds.iter().map(|p| p.name_en()).collect()), 63);
    assert_eq!(distinct(olds.iter().map(|p| p.code_str()).collect()), 63);
    assert_eq!(distinct(news.iter().map(|p| p.name_vi()).collect()), 34);
    assert_eq!(distinct(news.iter().map(|p| p.name_en()).collect()), 34);
    assert_eq!(distinct(news.iter().map(|p| p.key()).collect()), 34);
    assert_eq!(
        news.iter().map(|p| p.code()).collect::<HashSet<_>>().len(),
        34
    );
}

#[test]
fn ascii_names_are_ascii_and_keys_are_snake_case() {
    for p in OldProvince::all() {
        assert!(p.name_en().is_ascii(), "{p:?}");
        assert_eq!(p.code_str(), format!("{:03}", p.code()));
    }
    for p in NewProvince::all() {
        assert!(p.name_en().is_ascii(), "{p:?}");
        assert!(
            p.key().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{p:?}"
        );
    }
}

#[test]
fn names_are_read_from_the_data_files() {
    let hcm = OldProvince::from_code(79).unwrap();
    assert_eq!(hcm.name_vi(), "TP. Hồ Chí Minh");
    assert_eq!(hcm.name_en(), "Ho Chi Minh City");
    let vt = OldProvince::from_code(77).unwrap();
    assert_eq!(vt.name_vi(), "Bà Rịa - Vũng Tàu");
    assert_eq!(vt.current(), hcm.current());
    assert_eq!(vt.current().key(), "ho_chi_minh");
    let dn = OldProvince::from_code(67).unwrap();
    assert_eq!(
        (dn.name_vi(), dn.current().name_vi()),
        ("Đắk Nông", "Lâm Đồng")
    );
}

#[test]
fn all_lists_are_sorted_by_code() {
    assert!(OldProvince::all().windows(2).all(|w| w[0] < w[1]));
    assert!(NewProvince::all().windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn old_province_parses_three_digit_codes_only() {
    assert_eq!(OldProvince::parse("079").unwrap().code(), 79);
    assert_eq!(OldProvince::parse(" 0 7 9 ").unwrap().code(), 79);
    let problem = |s: &str| OldProvince::parse(s).unwrap_err().problem;
    assert_eq!(problem(""), IdProblem::Empty);
    assert_eq!(
        problem("79"),
        IdProblem::WrongLength {
            expected: "3",
            found: 2
        }
    );
    assert_eq!(
        problem("0079"),
        IdProblem::WrongLength {
            expected: "3",
            found: 4
        }
    );
    assert_eq!(problem("07a"), IdProblem::NotDigits);
    assert_eq!(problem("003"), IdProblem::UnknownProvince);
    assert_eq!(problem("000"), IdProblem::UnknownProvince);
    assert_eq!(
        OldProvince::parse("003").unwrap_err().kind,
        IdKind::Province
    );
}

#[test]
fn new_province_parses_exact_keys_only() {
    assert_eq!(NewProvince::parse("ho_chi_minh").unwrap().code(), 79);
    let problem = |s: &str| NewProvince::parse(s).unwrap_err().problem;
    assert_eq!(problem(""), IdProblem::Empty);
    assert_eq!(problem("Ho_Chi_Minh"), IdProblem::UnknownProvince);
    assert_eq!(problem(" hue"), IdProblem::UnknownProvince);
    assert_eq!(problem("binh_duong"), IdProblem::UnknownProvince);
    assert_eq!(problem(&"a".repeat(400)), IdProblem::TooLong { max: 320 });
    assert_eq!(NewProvince::from_code(2), None);
}

#[test]
fn debug_shows_code_or_key() {
    let old = OldProvince::from_code(1).unwrap();
    assert_eq!(format!("{old:?}"), "OldProvince(001 Hà Nội)");
    assert_eq!(format!("{:?}", old.current()), "NewProvince(ha_noi)");
}

#[test]
fn serde_uses_code_string_and_key() {
    let old = OldProvince::from_code(8).unwrap();
    assert_eq!(serde_json::to_string(&old).unwrap(), r#""008""#);
    assert_eq!(
        serde_json::to_string(&old.current()).unwrap(),
        r#""tuyen_quang""#
    );
    assert!(serde_json::from_str::<OldProvince>(r#""003""#).is_err());
    assert!(serde_json::from_str::<OldProvince>("8").is_err());
    assert!(serde_json::from_str::<NewProvince>(r#""ha_giang""#).is_err());
}

proptest! {
    #[test]
    fn old_province_serde_round_trips(i in 0usize..63) {
        let p = OldProvince::all()[i];
        let json = serde_json::to_string(&p).unwrap();
        prop_assert_eq!(serde_json::from_str::<OldProvince>(&json).unwrap(), p);
        prop_assert_eq!(OldProvince::parse(p.code_str()).unwrap(), p);
    }

    #[test]
    fn new_province_serde_round_trips(i in 0usize..34) {
        let p = NewProvince::all()[i];
        let json = serde_json::to_string(&p).unwrap();
        prop_assert_eq!(serde_json::from_str::<NewProvince>(&json).unwrap(), p);
        prop_assert_eq!(NewProvince::parse(p.key()).unwrap(), p);
    }
}

// The table readers run at compile time; running them here on altered copies of the
// real files shows that a broken file would stop the build.

const OLD_TSV: &str = include_str!("../../../data/provinces.tsv");
const NEW_TSV: &str = include_str!("../../../data/provinces_2025.tsv");

fn leaked(s: String) -> &'static [u8] {
    s.leak().as_bytes()
}

#[test]
fn table_readers_accept_the_shipped_files_with_windows_line_endings() {
    let new = table::parse_new(leaked(NEW_TSV.replace('\n', "\r\n")));
    assert_eq!(new.map(|r| r.key), NEW_ROWS.map(|r| r.key));
    let new: &'static [NewRow; NEW_COUNT] = Box::leak(Box::new(new));
    let old = table::parse_old(leaked(OLD_TSV.replace('\n', "\r\n")), new);
    assert_eq!(
        old.map(|r| (r.code, r.new.key)),
        OLD_ROWS.map(|r| (r.code, r.new.key))
    );
}

#[test]
#[should_panic(expected = "a new name disagrees")]
fn a_mapping_row_whose_new_name_disagrees_is_rejected() {
    table::parse_old(
        leaked(OLD_TSV.replace("\thue\tHuế", "\thue\tHue")),
        &NEW_ROWS,
    );
}

#[test]
#[should_panic(expected = "a new key is not in")]
fn a_mapping_row_with_an_unknown_new_key_is_rejected() {
    table::parse_old(
        leaked(OLD_TSV.replace("\tca_mau\t", "\tbac_lieu\t")),
        &NEW_ROWS,
    );
}

#[test]
#[should_panic(expected = "fewer than 63")]
fn a_mapping_with_a_missing_row_is_rejected() {
    let short: String = OLD_TSV
        .lines()
        .filter(|l| !l.starts_with("095"))
        .map(|l| format!("{l}\n"))
        .collect();
    table::parse_old(leaked(short), &NEW_ROWS);
}

#[test]
#[should_panic(expected = "not strictly increasing")]
fn a_mapping_with_a_repeated_code_is_rejected() {
    table::parse_old(leaked(OLD_TSV.replace("096\t", "095\t")), &NEW_ROWS);
}

#[test]
#[should_panic(expected = "more than 4 columns")]
fn a_province_row_with_an_extra_column_is_rejected() {
    table::parse_new(leaked(NEW_TSV.replace("\tCa Mau", "\tCa Mau\tx")));
}

#[test]
#[should_panic(expected = "a key is not lower-case")]
fn a_province_key_with_capitals_is_rejected() {
    table::parse_new(leaked(NEW_TSV.replace("\tca_mau\t", "\tCa_mau\t")));
}
