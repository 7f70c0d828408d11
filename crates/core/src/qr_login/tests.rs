use super::*;
use p256::ecdsa::SigningKey;
use proptest::prelude::*;
use qrcode::{EcLevel, QrCode, Version};

const NOW: i64 = 1_750_000_000;

fn desktop_key() -> PublicKey {
    PublicKey::from_verifying_key(SigningKey::random(&mut rand_core::OsRng).verifying_key())
}

fn origin() -> Origin {
    Origin::parse("https://dinhdanh.example.vn").unwrap()
}

fn payload() -> QrLoginPayload {
    QrLoginPayload::new(
        RendezvousId::from_bytes(&[0x5a; 32]).unwrap(),
        desktop_key(),
        origin(),
        NOW + 120,
    )
    .unwrap()
}

/// The longest origin the grammar allows.
fn longest_origin() -> Origin {
    let host_len = Origin::MAX_LEN - "https://".len() - ":65535".len();
    // Labels of 63 characters joined by dots, cut to length without ending in a dot.
    let host: String = "a".repeat(63) + "." + &"b".repeat(host_len - 64);
    let o = Origin::parse(&format!("https://{host}:65535")).unwrap();
    assert_eq!(o.as_str().len(), Origin::MAX_LEN);
    o
}

#[test]
fn a_payload_round_trips_through_its_uri() {
    let p = payload();
    let uri = p.to_uri();
    assert!(uri.starts_with("dinhdanh://login?v=1&r=WlpaWlpa"));
    assert!(uri.ends_with(&format!("&o=https://dinhdanh.example.vn&e={}", NOW + 120)));
    assert_eq!(QrLoginPayload::parse(&uri).unwrap(), p);
    assert_eq!(uri.parse::<QrLoginPayload>().unwrap(), p);
}

#[test]
fn the_longest_payload_fits_a_version_10_qr_code_at_level_m() {
    let p = QrLoginPayload::new(
        RendezvousId::from_bytes(&[0xff; RendezvousId::MAX_LEN]).unwrap(),
        desktop_key(),
        longest_origin(),
        MAX_EXPIRY,
    )
    .unwrap();
    let uri = p.to_uri();
    assert_eq!(uri.len(), MAX_URI_LEN);
    let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M).unwrap();
    match code.version() {
        Version::Normal(v) => assert!(v <= 10, "needs version {v}"),
        Version::Micro(_) => panic!("unexpected micro QR"),
    }
    assert_eq!(QrLoginPayload::parse(&uri).unwrap(), p);
}

#[test]
fn parameters_may_come_in_any_order() {
    let p = payload();
    let uri = format!(
        "{URI_PREFIX}e={}&o={}&k={}&r={}&v=1",
        p.expires_at(),
        p.origin(),
        p.desktop_key(),
        p.rendezvous()
    );
    assert_eq!(QrLoginPayload::parse(&uri).unwrap(), p);
}

#[test]
fn codes_of_other_apps_are_not_ours() {
    for other in [
        "",
        "https://dinhdanh.example.vn/login?v=1",
        "dinhdanh://logout?v=1",
        "dinhdanh://login",
        "DINHDANH://login?v=1",
        "WIFI:S:home;T:WPA;P:secret;;",
        " dinhdanh://login?v=1",
    ] {
        assert_eq!(
            QrLoginPayload::parse(other),
            Err(QrError::NotOurCode),
            "{other}"
        );
    }
}

#[test]
fn other_versions_are_unsupported_even_with_new_parameters() {
    let uri = payload().to_uri().replace("v=1", "v=2") + "&x=new";
    assert_eq!(
        QrLoginPayload::parse(&uri),
        Err(QrError::UnsupportedVersion)
    );
    let uri = payload().to_uri().replace("v=1", "v=10");
    assert_eq!(
        QrLoginPayload::parse(&uri),
        Err(QrError::UnsupportedVersion)
    );
}

#[test]
fn every_damage_is_malformed() {
    let p = payload();
    let good = p.to_uri();
    let r = p.rendezvous().to_string();
    let k = p.desktop_key().to_string();
    let e = p.expires_at().to_string();
    let short_r = crypto::base64url_encode(&[1; 15]);
    let long_r = crypto::base64url_encode(&[1; 33]);
    let uncompressed = "BA".to_owned() + &"A".repeat(85);
    let not_on_curve = {
        let mut bytes = [0xffu8; 33];
        bytes[0] = 0x02;
        crypto::base64url_encode(&bytes)
    };
    let cases: Vec<String> = vec![
        good.replace("v=1&", ""),                           // version missing
        good.replace(&format!("&r={r}"), ""),               // rendezvous missing
        good.replace(&format!("&k={k}"), ""),               // key missing
        good.replace("&o=https://dinhdanh.example.vn", ""), // origin missing
        good.replace(&format!("&e={e}"), ""),               // expiry missing
        good.clone() + "&x=1",                              // unknown parameter
        good.clone() + "&r=" + &r,                          // duplicate
        good.clone() + "&v=1",                              // duplicate version
        good.clone() + "&",                                 // empty pair
        good.replace(&format!("r={r}"), "r="),              // empty value
        good.replace(&format!("r={r}"), "r"),               // no '='
        good.replace(&r, &short_r),                         // 15 bytes
        good.replace(&r, &long_r),                          // 33 bytes
        good.replace(&r, &(r.clone() + "=")),               // padding
        good.replace(&k, &not_on_curve),                    // not a point
        good.replace(&k, &uncompressed),                    // uncompressed key
        good.replace(&k, &k[..43]),                         // truncated key
        good.replace(
            "https://dinhdanh.example.vn",
            "https%3A%2F%2Fdinhdanh.example.vn",
        ),
        good.replace(
            "https://dinhdanh.example.vn",
            "https://dinhdanh.example.vn/",
        ),
        good.replace("https://dinhdanh.example.vn", "http://dinhdanh.example.vn"),
        good.replace("https://dinhdanh.example.vn", "https://DINHDANH.example.vn"),
        good.replace(&format!("e={e}"), "e=-1"),
        good.replace(&format!("e={e}"), "e=01750000120"),
        good.replace(&format!("e={e}"), "e=10000000000"),
        good.replace(&format!("e={e}"), "e=1.5"),
        good.clone() + "#fragment",
        good.replace('&', ";"),
        good.replace("v=1", "v=01"),
        good.replace("v=1", "v=x"),
    ];
    for (i, case) in cases.iter().enumerate() {
        assert!(
            matches!(QrLoginPayload::parse(case), Err(QrError::Malformed { .. })),
            "case {i} was not malformed: {case}"
        );
    }
}

#[test]
fn oversize_input_is_rejected_before_any_work() {
    let huge = format!("{URI_PREFIX}v=1&{}", "x".repeat(1_000_000));
    assert_eq!(
        QrLoginPayload::parse(&huge),
        Err(QrError::Malformed {
            detail_vi: "quá dài",
            detail_en: "too long"
        })
    );
    let just_over = payload().to_uri() + &"&".repeat(MAX_URI_LEN);
    assert!(matches!(
        QrLoginPayload::parse(&just_over),
        Err(QrError::Malformed { .. })
    ));
}

#[test]
fn the_phone_refuses_expired_codes_and_codes_for_other_servers() {
    let p = payload();
    assert_eq!(p.check(NOW, &origin()), Ok(()));
    assert_eq!(p.check(NOW + 119, &origin()), Ok(()));
    assert!(!p.is_expired(NOW + 119));
    assert!(p.is_expired(NOW + 120));
    assert_eq!(p.check(NOW + 120, &origin()), Err(QrError::Expired));
    let other = Origin::parse("https://dinhdanh.example.com").unwrap();
    assert_eq!(p.check(NOW, &other), Err(QrError::WrongServer));
    // A code for another server is reported as such even when it has also expired.
    assert_eq!(p.check(NOW + 1000, &other), Err(QrError::WrongServer));
}

#[test]
fn new_rejects_expiries_outside_the_ten_digit_range() {
    let make = |e| QrLoginPayload::new(payload().rendezvous().clone(), desktop_key(), origin(), e);
    assert!(make(-1).is_err());
    assert!(make(MAX_EXPIRY + 1).is_err());
    assert!(make(0).is_ok());
    assert!(make(MAX_EXPIRY).is_ok());
}

#[test]
fn the_check_code_is_six_digits_and_changes_with_key_rendezvous_or_origin() {
    let p = payload();
    let code = check_code(&p);
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(p.check_code(), code);
    // Same inputs, same code: phone and desktop agree.
    let scanned = QrLoginPayload::parse(&p.to_uri()).unwrap();
    assert_eq!(check_code(&scanned), code);
    // A different desktop key, rendezvous or server gives another code (fixed inputs, so
    // this cannot flake on a one-in-a-million collision).
    let fixed_key = |seed: u8| {
        let sk = SigningKey::from_bytes(&[seed; 32].into()).unwrap();
        PublicKey::from_verifying_key(sk.verifying_key())
    };
    let base = QrLoginPayload::new(
        RendezvousId::from_bytes(&[1; 16]).unwrap(),
        fixed_key(1),
        origin(),
        5,
    )
    .unwrap();
    let other_key = QrLoginPayload::new(
        RendezvousId::from_bytes(&[1; 16]).unwrap(),
        fixed_key(2),
        origin(),
        5,
    )
    .unwrap();
    let other_r = QrLoginPayload::new(
        RendezvousId::from_bytes(&[2; 16]).unwrap(),
        fixed_key(1),
        origin(),
        5,
    )
    .unwrap();
    let other_o = QrLoginPayload::new(
        RendezvousId::from_bytes(&[1; 16]).unwrap(),
        fixed_key(1),
        Origin::parse("https://dinhdanh.example.com").unwrap(),
        5,
    )
    .unwrap();
    let other_e = QrLoginPayload::new(
        RendezvousId::from_bytes(&[1; 16]).unwrap(),
        fixed_key(1),
        origin(),
        6,
    )
    .unwrap();
    assert_ne!(check_code(&base), check_code(&other_key));
    assert_ne!(check_code(&base), check_code(&other_r));
    assert_ne!(check_code(&base), check_code(&other_o));
    assert_eq!(
        check_code(&base),
        check_code(&other_e),
        "the expiry is not part of the code"
    );
}

#[test]
fn approving_a_qr_login_signs_over_the_desktop_key() {
    use crate::account::ConfirmationMethod;
    use crate::ids::AccountId;
    use crate::signed_action::{
        ActionKind, Challenge, Expectation, PendingAction, SignedAction, verify,
    };
    let p = payload();
    assert_eq!(
        p.approval_target().unwrap().as_str(),
        format!("qr_login:{}", p.rendezvous())
    );
    let confirmation = SigningKey::random(&mut rand_core::OsRng);
    let device = desktop_key().key_id();
    let action = SignedAction {
        kind: ActionKind::ApproveQrLogin,
        origin: origin(),
        challenge: Challenge::from_bytes(&[3; 32]).unwrap(),
        account: AccountId::parse("acc_1").unwrap(),
        acting_for: None,
        target: p.approval_target().unwrap(),
        body_hash: p.approval_body_hash(None).unwrap(),
        device_key_id: device,
        confirmation_key_id: PublicKey::from_verifying_key(confirmation.verifying_key()).key_id(),
        method: ConfirmationMethod::Biometric,
        counter: 1,
        time: NOW,
    };
    let envelope = PendingAction::new(action).sign_with(&confirmation).unwrap();
    // The server rebuilds the payload from its rendezvous record; if the desktop key it
    // holds differs from the one the phone saw, the body hash differs.
    let mut expected = Expectation {
        kind: ActionKind::ApproveQrLogin,
        origin: origin(),
        challenge: Challenge::from_bytes(&[3; 32]).unwrap(),
        account: AccountId::parse("acc_1").unwrap(),
        acting_for: None,
        target: p.approval_target().unwrap(),
        body_hash: p.approval_body_hash(None).unwrap(),
        device_key_id: device,
        method: ConfirmationMethod::Biometric,
        previous_counter: None,
        now: NOW,
        max_age_secs: 60,
        max_future_secs: 30,
    };
    let key = PublicKey::from_verifying_key(confirmation.verifying_key());
    assert_eq!(verify(&envelope, &key, &expected), Ok(()));
    let swapped = QrLoginPayload::new(
        p.rendezvous().clone(),
        desktop_key(),
        origin(),
        p.expires_at(),
    )
    .unwrap();
    expected.body_hash = swapped.approval_body_hash(None).unwrap();
    assert_eq!(
        verify(&envelope, &key, &expected),
        Err(ActionError::WrongBody)
    );
}

#[test]
fn errors_have_stable_codes_and_both_languages() {
    assert_eq!(QrError::Expired.code(), "qr_login.expired");
    assert_eq!(QrError::NotOurCode.code(), "qr_login.not_our_code");
    assert_eq!(
        QrError::WrongServer.message_vi(),
        "Mã QR này dành cho một máy chủ khác."
    );
    assert_eq!(
        QrError::WrongServer.to_string(),
        "This QR code is for a different server."
    );
}

fn any_origin() -> impl Strategy<Value = Origin> {
    (
        "[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,20}[a-z]))?\\.[a-z]{2,6}",
        proptest::option::of(1u32..=65535),
    )
        .prop_filter_map("origin too long or default port", |(host, port)| {
            let text = match port {
                Some(p) => format!("https://{host}:{p}"),
                None => format!("https://{host}"),
            };
            Origin::parse(&text).ok()
        })
}

proptest! {
    #[test]
    fn any_payload_round_trips_and_fits_the_limit(
        r in proptest::collection::vec(any::<u8>(), RendezvousId::MIN_LEN..=RendezvousId::MAX_LEN),
        seed in any::<[u8; 32]>(),
        origin in any_origin(),
        e in 0i64..=MAX_EXPIRY,
    ) {
        let key = match SigningKey::from_bytes(&seed.into()) {
            Ok(sk) => PublicKey::from_verifying_key(sk.verifying_key()),
            Err(_) => desktop_key(),
        };
        let p = QrLoginPayload::new(RendezvousId::from_bytes(&r).unwrap(), key, origin, e).unwrap();
        let uri = p.to_uri();
        prop_assert!(uri.len() <= MAX_URI_LEN);
        prop_assert_eq!(QrLoginPayload::parse(&uri).unwrap(), p);
    }

    #[test]
    fn parsing_arbitrary_text_after_the_prefix_never_panics(tail in "[ -~]{0,250}") {
        let _ = QrLoginPayload::parse(&format!("{URI_PREFIX}{tail}"));
    }
}

// ---- Version 2: a sign-in to another service.

fn sign_in_payload() -> ServiceSignInPayload {
    ServiceSignInPayload::new(
        RendezvousId::from_bytes(&[0x5a; 32]).unwrap(),
        origin(),
        NOW + 300,
    )
    .unwrap()
}

#[test]
fn a_service_sign_in_round_trips_through_its_uri() {
    let p = sign_in_payload();
    let uri = p.to_uri();
    assert_eq!(
        uri,
        format!(
            "dinhdanh://login?v=2&s={}&o=https://dinhdanh.example.vn&e={}",
            "Wlpa".repeat(10) + "Wlo",
            NOW + 300
        )
    );
    assert_eq!(ServiceSignInPayload::parse(&uri).unwrap(), p);
    assert_eq!(uri.parse::<ServiceSignInPayload>().unwrap(), p);
    assert_eq!(
        QrPayload::parse(&uri).unwrap(),
        QrPayload::ServiceSignIn(p.clone())
    );
    assert_eq!(QrPayload::ServiceSignIn(p.clone()).to_uri(), uri);
    // Any order.
    let shuffled = format!(
        "{URI_PREFIX}e={}&o={}&s={}&v=2",
        p.expires_at(),
        p.origin(),
        p.sign_in()
    );
    assert_eq!(ServiceSignInPayload::parse(&shuffled).unwrap(), p);
}

#[test]
fn one_parser_reads_both_versions_and_version_1_is_unchanged() {
    let v1 = payload();
    let uri = v1.to_uri();
    assert_eq!(
        QrPayload::parse(&uri).unwrap(),
        QrPayload::DesktopLogin(v1.clone())
    );
    // Byte for byte the format of before: v, r, k, o, e.
    assert_eq!(
        uri,
        format!(
            "dinhdanh://login?v=1&r={}&k={}&o=https://dinhdanh.example.vn&e={}",
            v1.rendezvous(),
            v1.desktop_key(),
            NOW + 120
        )
    );
    // Each single-version reader answers "unsupported version" to the other's code.
    assert_eq!(
        QrLoginPayload::parse(&sign_in_payload().to_uri()),
        Err(QrError::UnsupportedVersion)
    );
    assert_eq!(
        ServiceSignInPayload::parse(&uri),
        Err(QrError::UnsupportedVersion)
    );
}

#[test]
fn the_longest_service_sign_in_fits_a_version_10_qr_code_at_level_m() {
    let p = ServiceSignInPayload::new(
        RendezvousId::from_bytes(&[0xff; RendezvousId::MAX_LEN]).unwrap(),
        longest_origin(),
        MAX_EXPIRY,
    )
    .unwrap();
    let uri = p.to_uri();
    assert_eq!(uri.len(), MAX_SERVICE_SIGN_IN_URI_LEN);
    assert_eq!(
        MAX_SERVICE_SIGN_IN_URI_LEN, 162,
        "as docs/design/qr-login.md says"
    );
    let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M).unwrap();
    match code.version() {
        Version::Normal(v) => assert!(v <= 10, "needs version {v}"),
        Version::Micro(_) => panic!("unexpected micro QR"),
    }
    assert_eq!(ServiceSignInPayload::parse(&uri).unwrap(), p);
}

#[test]
fn versions_other_than_1_and_2_are_unsupported_even_with_new_parameters() {
    let v2 = sign_in_payload().to_uri();
    for uri in [
        v2.replace("v=2", "v=3") + "&x=new",
        v2.replace("v=2", "v=20"),
        v2.replace("v=2", "v=99999"),
    ] {
        assert_eq!(
            QrPayload::parse(&uri),
            Err(QrError::UnsupportedVersion),
            "{uri}"
        );
        assert_eq!(
            ServiceSignInPayload::parse(&uri),
            Err(QrError::UnsupportedVersion),
            "{uri}"
        );
    }
}

#[test]
fn every_damage_to_a_service_sign_in_is_malformed() {
    let p = sign_in_payload();
    let good = p.to_uri();
    let s = p.sign_in().to_string();
    let e = p.expires_at().to_string();
    let k = desktop_key().to_string();
    let short_s = crypto::base64url_encode(&[1; 15]);
    let long_s = crypto::base64url_encode(&[1; 33]);
    let cases: Vec<String> = vec![
        good.replace("v=2&", ""),                           // version missing
        good.replace(&format!("&s={s}"), ""),               // sign-in missing
        good.replace("&o=https://dinhdanh.example.vn", ""), // origin missing
        good.replace(&format!("&e={e}"), ""),               // expiry missing
        good.clone() + "&x=1",                              // unknown parameter
        good.clone() + "&k=" + &k,                          // version 1's key
        good.clone() + "&r=" + &s,                          // version 1's rendezvous
        good.replace("&s=", "&r="),                         // v1 name for the id
        good.clone() + "&s=" + &s,                          // duplicate
        good.clone() + "&v=2",                              // duplicate version
        good.clone() + "&",                                 // empty pair
        good.replace(&format!("s={s}"), "s="),              // empty value
        good.replace(&format!("s={s}"), "s"),               // no '='
        good.replace(&s, &short_s),                         // 15 bytes
        good.replace(&s, &long_s),                          // 33 bytes
        good.replace(&s, &(s.clone() + "=")),               // padding
        good.replace(&s, &s.replace('W', "+")),             // not base64url
        good.replace(
            "https://dinhdanh.example.vn",
            "https%3A%2F%2Fdinhdanh.example.vn",
        ),
        good.replace(&s, &format!("{}%5A", &s[..40])), // a percent escape in the id
        good.replace(
            "https://dinhdanh.example.vn",
            "https://dinhdanh.example.vn/",
        ),
        good.replace("https://dinhdanh.example.vn", "http://dinhdanh.example.vn"),
        good.replace("https://dinhdanh.example.vn", "https://DINHDANH.example.vn"),
        good.replace(&format!("e={e}"), "e=-1"),
        good.replace(&format!("e={e}"), "e=01750000300"),
        good.replace(&format!("e={e}"), "e=10000000000"),
        good.clone() + "#fragment",
        good.replace('&', ";"),
        good.replace("v=2", "v=02"),
        good.replace("v=2", "v=x"),
        good.replace("v=2", "v=100000"),
    ];
    for (i, case) in cases.iter().enumerate() {
        assert!(
            matches!(QrPayload::parse(case), Err(QrError::Malformed { .. })),
            "case {i} was not malformed by QrPayload: {case}"
        );
        assert!(
            matches!(
                ServiceSignInPayload::parse(case),
                Err(QrError::Malformed { .. })
            ),
            "case {i} was not malformed by ServiceSignInPayload: {case}"
        );
    }
}

#[test]
fn a_version_1_code_with_a_version_2_parameter_is_malformed() {
    let good = payload().to_uri();
    let s = sign_in_payload().sign_in().to_string();
    let case = good + "&s=" + &s;
    assert!(matches!(
        QrPayload::parse(&case),
        Err(QrError::Malformed { .. })
    ));
    assert!(matches!(
        QrLoginPayload::parse(&case),
        Err(QrError::Malformed { .. })
    ));
}

#[test]
fn oversize_service_sign_ins_are_rejected_before_any_work() {
    let huge = format!("{URI_PREFIX}v=2&{}", "x".repeat(1_000_000));
    for result in [
        QrPayload::parse(&huge).map(|_| ()),
        ServiceSignInPayload::parse(&huge).map(|_| ()),
    ] {
        assert_eq!(
            result,
            Err(QrError::Malformed {
                detail_vi: "quá dài",
                detail_en: "too long"
            })
        );
    }
    let just_over = sign_in_payload().to_uri() + &"&".repeat(MAX_URI_LEN);
    assert!(matches!(
        QrPayload::parse(&just_over),
        Err(QrError::Malformed { .. })
    ));
    for other in ["", "https://example.vn/?v=2", "dinhdanh://signin?v=2"] {
        assert_eq!(QrPayload::parse(other), Err(QrError::NotOurCode), "{other}");
    }
}

#[test]
fn the_phone_refuses_expired_sign_ins_and_sign_ins_of_other_servers() {
    let p = sign_in_payload();
    let other = Origin::parse("https://dinhdanh.example.com").unwrap();
    assert_eq!(p.check(NOW, &origin()), Ok(()));
    assert_eq!(p.check(NOW + 299, &origin()), Ok(()));
    assert!(!p.is_expired(NOW + 299));
    assert_eq!(p.check(NOW + 300, &origin()), Err(QrError::Expired));
    assert_eq!(p.check(NOW, &other), Err(QrError::WrongServer));
    assert_eq!(p.check(NOW + 1000, &other), Err(QrError::WrongServer));
    let any = QrPayload::ServiceSignIn(p);
    assert_eq!(any.check(NOW, &origin()), Ok(()));
    assert_eq!(any.check(NOW + 300, &origin()), Err(QrError::Expired));
    assert_eq!(any.check(NOW, &other), Err(QrError::WrongServer));
    let v1 = QrPayload::DesktopLogin(payload());
    assert_eq!(v1.check(NOW + 120, &origin()), Err(QrError::Expired));
    assert_eq!(v1.check(NOW, &other), Err(QrError::WrongServer));
    assert!(
        ServiceSignInPayload::new(RendezvousId::from_bytes(&[1; 16]).unwrap(), origin(), -1)
            .is_err()
    );
    assert!(
        ServiceSignInPayload::new(
            RendezvousId::from_bytes(&[1; 16]).unwrap(),
            origin(),
            MAX_EXPIRY + 1
        )
        .is_err()
    );
}

#[test]
fn the_sign_in_check_code_covers_id_and_origin_and_is_not_version_1s() {
    let make = |id: u8, o: &str, e: i64| {
        ServiceSignInPayload::new(
            RendezvousId::from_bytes(&[id; 32]).unwrap(),
            Origin::parse(o).unwrap(),
            e,
        )
        .unwrap()
    };
    let base = make(1, "https://dinhdanh.example.vn", 5);
    let code = base.check_code();
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(QrPayload::ServiceSignIn(base.clone()).check_code(), code);
    let scanned = ServiceSignInPayload::parse(&base.to_uri()).unwrap();
    assert_eq!(scanned.check_code(), code);
    assert_ne!(code, make(2, "https://dinhdanh.example.vn", 5).check_code());
    assert_ne!(
        code,
        make(1, "https://dinhdanh.example.com", 5).check_code()
    );
    assert_eq!(
        code,
        make(1, "https://dinhdanh.example.vn", 6).check_code(),
        "the expiry is not part of the code"
    );
    // Domain separation: the same bytes under version 1's tag give another code.
    let mut w = CanonicalWriter::new(CHECK_CODE_DOMAIN);
    w.bytes(&[1; 32]);
    w.bytes(b"https://dinhdanh.example.vn");
    assert_ne!(six_digits(w), code);
}

proptest! {
    #[test]
    fn any_service_sign_in_round_trips_and_fits_the_limit(
        s in proptest::collection::vec(any::<u8>(), RendezvousId::MIN_LEN..=RendezvousId::MAX_LEN),
        origin in any_origin(),
        e in 0i64..=MAX_EXPIRY,
    ) {
        let p = ServiceSignInPayload::new(RendezvousId::from_bytes(&s).unwrap(), origin, e).unwrap();
        let uri = p.to_uri();
        prop_assert!(uri.len() <= MAX_SERVICE_SIGN_IN_URI_LEN);
        prop_assert_eq!(QrPayload::parse(&uri).unwrap(), QrPayload::ServiceSignIn(p));
    }

    #[test]
    fn parsing_any_version_of_arbitrary_text_never_panics(tail in "[ -~]{0,250}") {
        let _ = QrPayload::parse(&format!("{URI_PREFIX}{tail}"));
        let _ = QrPayload::parse(&format!("{URI_PREFIX}v=2&{tail}"));
    }
}
