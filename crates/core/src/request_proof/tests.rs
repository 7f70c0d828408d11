use super::*;
use p256::ecdsa::SigningKey;
use proptest::prelude::*;

const NOW: i64 = 1_750_000_000;
const TOKEN: &str = "sess_4b1f0c9e2d7a";
const BODY: &[u8] = r#"{"organisation_name":"Công ty Ánh Dương"}"#.as_bytes();

fn key() -> (SigningKey, PublicKey) {
    let sk = SigningKey::random(&mut rand_core::OsRng);
    let pk = PublicKey::from_verifying_key(sk.verifying_key());
    (sk, pk)
}

fn proof(sk: &SigningKey) -> RequestProof {
    ProofClaims::new(
        "POST",
        "/api/v1/registrations?draft=1",
        BODY,
        Some(session_binding(TOKEN)),
        NOW - 2,
        [5u8; 16],
    )
    .unwrap()
    .sign_with(sk)
}

fn expected(session_hash: &Digest32) -> ExpectedRequest<'_> {
    ExpectedRequest {
        method: "POST",
        path: "/api/v1/registrations?draft=1",
        body: BODY,
        session_hash: Some(session_hash),
        now: NOW,
        max_skew_secs: 60,
    }
}

#[test]
fn a_proof_made_by_the_device_verifies_on_the_server_through_the_header() {
    let (sk, pk) = key();
    let header = proof(&sk).to_header_value();
    assert!(header.starts_with("v1.POST."));
    assert!(header.len() <= MAX_HEADER_LEN);
    assert!(
        !header.contains(TOKEN),
        "the token itself never travels in the proof"
    );
    let received = RequestProof::parse_header_value(&header).unwrap();
    let hash = session_binding(TOKEN);
    assert_eq!(verify(&received, &pk, &expected(&hash)), Ok(()));
    assert_eq!(received.nonce(), &[5u8; 16]);
}

#[test]
fn a_sign_in_proof_has_no_session_and_cannot_pass_for_a_session_request() {
    let (sk, pk) = key();
    let sign_in = ProofClaims::new("POST", "/v1/sessions", BODY, None, NOW, [9u8; 16])
        .unwrap()
        .sign_with(&sk);
    let header = sign_in.to_header_value();
    assert!(header.contains(".-."), "{header}");
    let received = RequestProof::parse_header_value(&header).unwrap();
    assert_eq!(received.claims().session_hash(), None);
    let hash = session_binding(TOKEN);
    let mut want = expected(&hash);
    want.path = "/v1/sessions";
    assert_eq!(verify(&received, &pk, &want), Err(ProofError::WrongSession));
    want.session_hash = None;
    assert_eq!(verify(&received, &pk, &want), Ok(()));
    // And a proof made in a session is refused where no session is expected.
    let mut in_session = expected(&hash);
    in_session.session_hash = None;
    assert_eq!(
        verify(&proof(&sk), &pk, &in_session),
        Err(ProofError::WrongSession)
    );
}

#[test]
fn each_mismatch_with_the_request_has_its_own_error() {
    let (sk, pk) = key();
    let p = proof(&sk);
    let hash = session_binding(TOKEN);
    let other_hash = session_binding("sess_other");
    let check = |e: ExpectedRequest<'_>, error: ProofError| {
        assert_eq!(verify(&p, &pk, &e), Err(error));
    };
    check(
        ExpectedRequest {
            method: "PUT",
            ..expected(&hash)
        },
        ProofError::WrongMethod,
    );
    check(
        ExpectedRequest {
            path: "/api/v1/registrations?draft=2",
            ..expected(&hash)
        },
        ProofError::WrongPath,
    );
    check(
        ExpectedRequest {
            body: b"{}",
            ..expected(&hash)
        },
        ProofError::WrongBody,
    );
    check(expected(&other_hash), ProofError::WrongSession);
    check(
        ExpectedRequest {
            now: NOW + 59,
            ..expected(&hash)
        },
        ProofError::Stale,
    );
    check(
        ExpectedRequest {
            now: NOW - 63,
            ..expected(&hash)
        },
        ProofError::FromTheFuture,
    );
    // The edges of the window are inside it.
    assert_eq!(
        verify(
            &p,
            &pk,
            &ExpectedRequest {
                now: NOW + 58,
                ..expected(&hash)
            }
        ),
        Ok(())
    );
    assert_eq!(
        verify(
            &p,
            &pk,
            &ExpectedRequest {
                now: NOW - 62,
                ..expected(&hash)
            }
        ),
        Ok(())
    );
}

#[test]
fn a_proof_from_another_key_or_with_a_changed_claim_fails_the_signature() {
    let (sk, _) = key();
    let (_, other) = key();
    let p = proof(&sk);
    let hash = session_binding(TOKEN);
    assert_eq!(
        verify(&p, &other, &expected(&hash)),
        Err(ProofError::Crypto(CryptoError::BadSignature))
    );
    // Swap the signed path for another while keeping the signature.
    let header = p.to_header_value();
    let forged = header.replacen(
        &crypto::base64url_encode(b"/api/v1/registrations?draft=1"),
        &crypto::base64url_encode(b"/api/v1/registrations?draft=2"),
        1,
    );
    let forged = RequestProof::parse_header_value(&forged).unwrap();
    let pk = PublicKey::from_verifying_key(sk.verifying_key());
    assert_eq!(
        verify(
            &forged,
            &pk,
            &ExpectedRequest {
                path: "/api/v1/registrations?draft=2",
                ..expected(&hash)
            }
        ),
        Err(ProofError::Crypto(CryptoError::BadSignature))
    );
}

#[test]
fn a_signed_action_signature_is_not_a_request_proof_signature() {
    let (sk, pk) = key();
    let claims =
        ProofClaims::new("GET", "/", b"", Some(session_binding(TOKEN)), NOW, [0; 16]).unwrap();
    let bytes = claims.to_bytes();
    assert_eq!(&bytes[8..8 + DOMAIN.len()], DOMAIN.as_bytes());
    assert_ne!(DOMAIN, crate::signed_action::DOMAIN);
    let foreign = crypto::sign_with(&sk, b"some other signed message");
    let p = claims.with_signature(foreign);
    let hash = session_binding(TOKEN);
    let e = ExpectedRequest {
        method: "GET",
        path: "/",
        body: b"",
        ..expected(&hash)
    };
    assert_eq!(
        verify(&p, &pk, &e),
        Err(ProofError::Crypto(CryptoError::BadSignature))
    );
}

#[test]
fn claims_reject_bad_methods_paths_and_times() {
    let h = session_binding(TOKEN);
    let new = |m: &str, p: &str, t: i64| ProofClaims::new(m, p, b"", Some(h), t, [0; 16]);
    assert!(new("GET", "/a?b=c%20d", 0).is_ok());
    for (m, p, t) in [
        ("get", "/", 0),
        ("", "/", 0),
        ("GETGETGETGETGETGE", "/", 0),
        ("G T", "/", 0),
        ("GET", "", 0),
        ("GET", "a/b", 0),
        ("GET", "/a b", 0),
        ("GET", "/a#frag", 0),
        ("GET", "/đ", 0),
        ("GET", "/", -1),
    ] {
        assert!(
            matches!(new(m, p, t), Err(ProofError::Malformed { .. })),
            "{m} {p} {t} was accepted"
        );
    }
    assert!(new("GET", &format!("/{}", "a".repeat(MAX_PATH_LEN)), 0).is_err());
    assert!(new("GET", &format!("/{}", "a".repeat(MAX_PATH_LEN - 1)), 0).is_ok());
}

#[test]
fn malformed_headers_are_rejected_with_typed_errors() {
    let (sk, _) = key();
    let good = proof(&sk).to_header_value();
    let parts: Vec<&str> = good.split('.').collect();
    let with = |i: usize, v: &str| {
        let mut p = parts.clone();
        p[i] = v;
        p.join(".")
    };
    let parse = RequestProof::parse_header_value;
    assert_eq!(parse(&with(0, "v2")), Err(ProofError::UnsupportedVersion));
    assert!(matches!(
        parse(&with(1, "post")),
        Err(ProofError::Malformed { .. })
    ));
    let bad_path = crypto::base64url_encode(b"no-slash");
    assert!(matches!(
        parse(&with(2, &bad_path)),
        Err(ProofError::Malformed { .. })
    ));
    let invalid_utf8 = crypto::base64url_encode(&[b'/', 0xff]);
    assert!(matches!(
        parse(&with(2, &invalid_utf8)),
        Err(ProofError::Malformed { .. })
    ));
    assert!(matches!(
        parse(&with(3, "AAAA")),
        Err(ProofError::Crypto(_))
    ));
    assert!(matches!(parse(&with(4, "!")), Err(ProofError::Crypto(_))));
    for t in [
        "-1",
        "01",
        "",
        "1e3",
        "99999999999999999999",
        "9223372036854775808",
    ] {
        assert!(
            matches!(parse(&with(5, t)), Err(ProofError::Malformed { .. })),
            "{t}"
        );
    }
    assert!(matches!(
        parse(&with(6, "AAAA")),
        Err(ProofError::Crypto(_))
    ));
    assert!(matches!(
        parse(&with(7, &"A".repeat(86))),
        Err(ProofError::Crypto(_))
    ));
    assert!(matches!(
        parse(&format!("{good}.x")),
        Err(ProofError::Malformed { .. })
    ));
    assert!(matches!(
        parse(&parts[..7].join(".")),
        Err(ProofError::Malformed { .. })
    ));
    assert!(matches!(parse(""), Err(ProofError::Malformed { .. })));
    let huge = "v".repeat(MAX_HEADER_LEN + 1);
    assert_eq!(
        parse(&huge),
        Err(ProofError::Malformed {
            detail_vi: "quá dài",
            detail_en: "too long"
        })
    );
}

#[test]
fn the_longest_valid_proof_fits_the_header_limit() {
    let (sk, _) = key();
    let p = ProofClaims::new(
        "ABCDEFGHIJKLMNOP",
        &format!("/{}", "a".repeat(MAX_PATH_LEN - 1)),
        b"x",
        Some(session_binding(TOKEN)),
        i64::MAX,
        [0xff; 16],
    )
    .unwrap()
    .sign_with(&sk);
    let header = p.to_header_value();
    assert_eq!(header.len(), MAX_HEADER_LEN);
    assert_eq!(RequestProof::parse_header_value(&header).unwrap(), p);
}

#[test]
fn errors_have_stable_codes_and_both_languages() {
    assert_eq!(ProofError::Stale.code(), "request_proof.stale");
    assert_eq!(
        ProofError::Crypto(CryptoError::HighS).code(),
        "signature.high_s"
    );
    assert_eq!(
        ProofError::WrongSession.message_vi(),
        "Bằng chứng được tạo cho một phiên khác."
    );
    assert_eq!(
        ProofError::Stale.to_string(),
        "The request proof is too old."
    );
}

proptest! {
    #[test]
    fn proofs_round_trip_through_the_header(
        method in "[A-Z]{1,16}",
        path in "/[!-~&&[^#]]{0,100}",
        body in proptest::collection::vec(any::<u8>(), 0..64),
        token in "[a-z0-9]{8,40}",
        time in 0i64..=i64::MAX,
        nonce in any::<[u8; 16]>(),
    ) {
        let (sk, pk) = key();
        let hash = session_binding(&token);
        let p = ProofClaims::new(&method, &path, &body, Some(hash), time, nonce).unwrap().sign_with(&sk);
        let back = RequestProof::parse_header_value(&p.to_header_value()).unwrap();
        prop_assert_eq!(&back, &p);
        let e = ExpectedRequest {
            method: &method, path: &path, body: &body, session_hash: Some(&hash), now: time, max_skew_secs: 0,
        };
        prop_assert_eq!(verify(&back, &pk, &e), Ok(()));
    }
}

#[test]
fn a_proof_checked_before_its_body_returns_the_body_hash_it_was_made_for() {
    let (sk, pk) = key();
    let p = proof(&sk);
    let h = session_binding(TOKEN);
    let unread = ExpectedRequest {
        body: &[],
        ..expected(&h)
    };
    assert_eq!(
        verify_before_body(&p, &pk, &unread),
        Ok(crypto::sha256(BODY))
    );
    // Everything but the body is still checked.
    let other = session_binding("sess_other");
    let wrong_session = ExpectedRequest {
        body: &[],
        ..expected(&other)
    };
    assert_eq!(
        verify_before_body(&p, &pk, &wrong_session),
        Err(ProofError::WrongSession)
    );
    let late = ExpectedRequest {
        now: NOW + 3600,
        ..unread
    };
    assert_eq!(verify_before_body(&p, &pk, &late), Err(ProofError::Stale));
}
