//! The audit trail: verification finds the first broken entry whatever was done to the rows,
//! and the signed checkpoint kept outside the database catches a rewrite that recomputed every
//! hash. Runs on SQLite and on PostgreSQL (`backend_test!`).

use crate::common;

use common::TestServer;
use common::{Backend, backend_test};
use dinhdanh_core::crypto::sha256;
use dinhdanh_server::testing::AppState;
use dinhdanh_server::testing::ServerKeys;
use dinhdanh_server::testing::audit::{
    self, AuditRecord, Break, CHECKPOINT_FILE, Checkpoint, CheckpointSink, CheckpointState,
    EntryFields, FileCheckpoints,
};
use sqlx::Row;

/// Appends `n` entries, each about a different (made-up) person.
async fn append_entries(state: &AppState, n: usize) {
    for i in 0..n {
        let object = format!("session:ses_{i}");
        let subject = sha256(format!("person {}", i % 2).as_bytes());
        audit::append(
            state,
            AuditRecord {
                actor: Some("acc_tester"),
                device: Some("dev_phone"),
                action: "session.created",
                object: Some(&object),
                subject_key: Some(subject.as_bytes()),
                ..AuditRecord::default()
            },
        )
        .await
        .expect("append");
    }
}

async fn exec(state: &AppState, sql: &str) {
    sqlx::query(sql).execute(&state.pool).await.expect(sql);
}

/// Recomputes every hash and link from `from` on, and the head: what someone with write
/// access to the database, but not the server's audit key, can do.
async fn recompute_hashes_from(state: &AppState, from: i64) {
    let rows = sqlx::query(
        "SELECT seq, at, actor, acting_for, device, action, object, subject_key, outcome, hash \
         FROM audit_log ORDER BY seq",
    )
    .fetch_all(&state.pool)
    .await
    .unwrap();
    let mut prev = audit::genesis_hash();
    for row in rows {
        let seq: i64 = row.get("seq");
        if seq < from {
            prev = row.get("hash");
            continue;
        }
        let actor: Option<String> = row.get("actor");
        let acting_for: Option<String> = row.get("acting_for");
        let device: Option<String> = row.get("device");
        let action: String = row.get("action");
        let object: Option<String> = row.get("object");
        let subject_key: Option<Vec<u8>> = row.get("subject_key");
        let outcome: String = row.get("outcome");
        let hash = audit::entry_hash(&EntryFields {
            seq,
            at: row.get("at"),
            actor: actor.as_deref(),
            acting_for: acting_for.as_deref(),
            device: device.as_deref(),
            action: &action,
            object: object.as_deref(),
            subject_key: subject_key.as_deref(),
            outcome: &outcome,
            prev_hash: &prev,
        });
        sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
            .bind(prev.clone())
            .bind(hash.clone())
            .bind(seq)
            .execute(&state.pool)
            .await
            .unwrap();
        prev = hash;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(prev)
        .execute(&state.pool)
        .await
        .unwrap();
}

backend_test!(an_untouched_trail_verifies_and_its_head_is_checkpointed_outside_the_database);
async fn an_untouched_trail_verifies_and_its_head_is_checkpointed_outside_the_database(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    append_entries(t.state(), 5).await;
    let report = audit::verify_chain(t.state()).await.unwrap();
    assert_eq!(report.entries, 5);
    assert_eq!(report.first_broken, None);
    assert!(report.checkpoint_matches);

    let checkpoint = FileCheckpoints::new(t.data_dir.join(CHECKPOINT_FILE))
        .load()
        .unwrap()
        .expect("a checkpoint file in the data directory");
    assert_eq!(checkpoint.seq, 5);
    let audit_key = dinhdanh_core::crypto::PublicKey::from_verifying_key(
        t.state().keys.audit_signing().verifying_key(),
    );
    assert!(checkpoint.is_signed_by(&audit_key));
}

backend_test!(an_empty_trail_verifies);
async fn an_empty_trail_verifies(db: Backend) {
    let t = TestServer::start(db).await;
    let report = audit::verify_chain(t.state()).await.unwrap();
    assert_eq!(report.entries, 0);
    assert_eq!(report.first_broken, None);
    assert!(report.checkpoint_matches);
}

backend_test!(a_changed_field_is_reported_as_the_first_broken_entry);
async fn a_changed_field_is_reported_as_the_first_broken_entry(db: Backend) {
    let t = TestServer::start(db).await;
    append_entries(t.state(), 5).await;
    exec(
        t.state(),
        "UPDATE audit_log SET action = 'session.ended' WHERE seq = 3",
    )
    .await;
    let report = audit::verify_chain_report(t.state()).await.unwrap();
    assert_eq!(report.first_broken, Some((3, Break::Hash)));
    assert_eq!(
        audit::verify_chain(t.state()).await.unwrap().first_broken,
        Some(3)
    );
}

backend_test!(a_deleted_row_is_reported_where_it_is_missing);
async fn a_deleted_row_is_reported_where_it_is_missing(db: Backend) {
    let t = TestServer::start(db).await;
    append_entries(t.state(), 5).await;
    exec(t.state(), "DELETE FROM audit_log WHERE seq = 2").await;
    let report = audit::verify_chain_report(t.state()).await.unwrap();
    assert_eq!(report.first_broken, Some((2, Break::Missing)));
    assert_eq!(report.entries, 4);
}

backend_test!(a_row_cut_off_the_end_is_reported_from_the_head);
async fn a_row_cut_off_the_end_is_reported_from_the_head(db: Backend) {
    let t = TestServer::start(db).await;
    append_entries(t.state(), 5).await;
    exec(t.state(), "DELETE FROM audit_log WHERE seq = 5").await;
    let report = audit::verify_chain_report(t.state()).await.unwrap();
    assert_eq!(report.first_broken, Some((5, Break::Missing)));
}

backend_test!(reordered_rows_break_the_chain_at_the_first_moved_row);
async fn reordered_rows_break_the_chain_at_the_first_moved_row(db: Backend) {
    let t = TestServer::start(db).await;
    append_entries(t.state(), 5).await;
    // Swap entries 2 and 3, renumbering them so the sequence has no gap.
    exec(t.state(), "UPDATE audit_log SET seq = -1 WHERE seq = 2").await;
    exec(t.state(), "UPDATE audit_log SET seq = 2 WHERE seq = 3").await;
    exec(t.state(), "UPDATE audit_log SET seq = 3 WHERE seq = -1").await;
    let report = audit::verify_chain_report(t.state()).await.unwrap();
    assert_eq!(report.first_broken, Some((2, Break::Link)));
}

backend_test!(a_forged_hash_is_reported);
async fn a_forged_hash_is_reported(db: Backend) {
    let t = TestServer::start(db).await;
    append_entries(t.state(), 5).await;
    sqlx::query("UPDATE audit_log SET hash = $1 WHERE seq = 4")
        .bind(sha256(b"forged").as_bytes().to_vec())
        .execute(&t.state().pool)
        .await
        .unwrap();
    let report = audit::verify_chain_report(t.state()).await.unwrap();
    assert_eq!(report.first_broken, Some((4, Break::Hash)));
}

backend_test!(rewriting_the_database_with_every_hash_recomputed_is_caught_by_the_checkpoint);
async fn rewriting_the_database_with_every_hash_recomputed_is_caught_by_the_checkpoint(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    append_entries(t.state(), 5).await;
    assert!(
        audit::verify_chain(t.state())
            .await
            .unwrap()
            .checkpoint_matches
    );

    exec(
        t.state(),
        "UPDATE audit_log SET actor = 'acc_someone_else' WHERE seq = 2",
    )
    .await;
    recompute_hashes_from(t.state(), 2).await;

    let report = audit::verify_chain_report(t.state()).await.unwrap();
    assert_eq!(report.first_broken, None, "the chain itself is consistent");
    assert_eq!(report.checkpoint, CheckpointState::Rewritten { seq: 5 });
    assert!(!report.summary().checkpoint_matches);

    // Appending more does not move the checkpoint onto the rewritten chain.
    append_entries(t.state(), 3).await;
    let again = audit::verify_chain(t.state()).await.unwrap();
    assert_eq!(again.first_broken, None);
    assert!(!again.checkpoint_matches);
}

backend_test!(cutting_entries_off_the_end_and_fixing_the_head_is_caught_by_the_checkpoint);
async fn cutting_entries_off_the_end_and_fixing_the_head_is_caught_by_the_checkpoint(db: Backend) {
    let t = TestServer::start(db).await;
    append_entries(t.state(), 5).await;
    assert!(
        audit::verify_chain(t.state())
            .await
            .unwrap()
            .checkpoint_matches
    );

    let hash4: Vec<u8> = sqlx::query("SELECT hash FROM audit_log WHERE seq = 4")
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
        .get("hash");
    exec(t.state(), "DELETE FROM audit_log WHERE seq = 5").await;
    sqlx::query("UPDATE audit_head SET seq = 4, hash = $1 WHERE id = 1")
        .bind(hash4)
        .execute(&t.state().pool)
        .await
        .unwrap();

    let report = audit::verify_chain_report(t.state()).await.unwrap();
    assert_eq!(report.first_broken, None);
    assert_eq!(report.checkpoint, CheckpointState::Truncated { seq: 5 });
}

backend_test!(a_checkpoint_not_signed_by_the_server_does_not_match);
async fn a_checkpoint_not_signed_by_the_server_does_not_match(db: Backend) {
    let t = TestServer::start(db).await;
    append_entries(t.state(), 2).await;
    let head: Vec<u8> = sqlx::query("SELECT hash FROM audit_head WHERE id = 1")
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
        .get("hash");
    let other = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let forged = Checkpoint::sign(&other, 2, audit::digest(&head).unwrap(), t.now());
    let sink = FileCheckpoints::new(t.data_dir.join(CHECKPOINT_FILE));
    // Replace whatever the appends wrote (the sink itself never goes backwards, a person
    // with access to the file can).
    std::fs::remove_file(t.data_dir.join(CHECKPOINT_FILE)).ok();
    sink.store(&forged).unwrap();

    let report = audit::verify_chain_report(t.state()).await.unwrap();
    assert_eq!(report.checkpoint, CheckpointState::BadSignature);
    assert!(!report.summary().checkpoint_matches);
}

backend_test!(a_deleted_checkpoint_file_is_reported_while_the_trail_has_entries);
async fn a_deleted_checkpoint_file_is_reported_while_the_trail_has_entries(db: Backend) {
    let t = TestServer::start(db).await;
    append_entries(t.state(), 2).await;
    std::fs::remove_file(t.data_dir.join(CHECKPOINT_FILE)).ok();
    let report = audit::verify_chain_report(t.state()).await.unwrap();
    assert_eq!(report.checkpoint, CheckpointState::Missing);
    assert!(!report.summary().checkpoint_matches);
}

backend_test!(appends_checkpoint_the_head_within_a_second_without_a_verification);
async fn appends_checkpoint_the_head_within_a_second_without_a_verification(db: Backend) {
    let t = TestServer::start(db).await;
    append_entries(t.state(), 4).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let checkpoint = FileCheckpoints::new(t.data_dir.join(CHECKPOINT_FILE))
        .load()
        .unwrap()
        .expect("written after the appends");
    assert_eq!(checkpoint.seq, 4, "the throttled tail is flushed too");
}

backend_test!(a_person_sees_only_the_entries_about_them);
async fn a_person_sees_only_the_entries_about_them(db: Backend) {
    let t = TestServer::start(db).await;
    append_entries(t.state(), 5).await;
    let person0 = sha256(b"person 0");
    let entries = audit::entries_about(t.state(), person0.as_bytes())
        .await
        .unwrap();
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![1, 3, 5]);
    assert!(entries.iter().all(|e| e.action == "session.created"));
    assert_eq!(
        entries[0].actor.as_ref().map(|a| a.as_str()),
        Some("acc_tester")
    );
    let nobody = audit::entries_about(t.state(), sha256(b"nobody").as_bytes())
        .await
        .unwrap();
    assert!(nobody.is_empty());
}

backend_test!(appends_from_many_tasks_at_once_keep_one_valid_chain);
async fn appends_from_many_tasks_at_once_keep_one_valid_chain(db: Backend) {
    let t = TestServer::start(db).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let state = t.state().clone();
        tasks.push(tokio::spawn(async move { append_entries(&state, 5).await }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let report = audit::verify_chain(t.state()).await.unwrap();
    assert_eq!(report.entries, 40);
    assert_eq!(report.first_broken, None);
    assert!(report.checkpoint_matches);
}

/// Starts a server whose keys live in its data directory, so the command-line tool run on the
/// same directory signs and checks with the same audit key.
async fn start_with_keys_on_disk(db: Backend) -> TestServer {
    let data_dir = std::env::temp_dir().join(format!(
        "dd-test-cli-{}",
        dinhdanh_server::testing::unique_name("d")
    ));
    std::fs::create_dir_all(&data_dir).unwrap();
    let database_url = common::fresh_database_url(db, &data_dir).await;
    let keys = ServerKeys::load_or_create(&data_dir).unwrap();
    TestServer::start_on(data_dir, database_url, keys).await
}

fn audit_verify_command(t: &TestServer) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_dinhdanh-server"))
        .args(["audit", "verify", "--data-dir"])
        .arg(&t.data_dir)
        .args(["--database-url", &t.database_url])
        .env_remove("DINHDANH_SERVER_KEYS")
        .env_remove(audit::CHECKPOINT_ENV)
        .output()
        .expect("run dinhdanh-server")
}

backend_test!(the_audit_verify_command_passes_an_intact_trail_and_fails_a_tampered_one);
async fn the_audit_verify_command_passes_an_intact_trail_and_fails_a_tampered_one(db: Backend) {
    let t = start_with_keys_on_disk(db).await;
    append_entries(t.state(), 5).await;

    let ok = audit_verify_command(&t);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "intact trail: {stdout}");
    assert!(stdout.contains("5 entries"), "{stdout}");

    exec(
        t.state(),
        "UPDATE audit_log SET outcome = 'denied' WHERE seq = 3",
    )
    .await;
    let broken = audit_verify_command(&t);
    let stdout = String::from_utf8_lossy(&broken.stdout);
    assert!(!broken.status.success(), "tampered trail: {stdout}");
    assert!(stdout.contains("entry 3"), "{stdout}");
}

/// Removes the last entry and points the head at the one before: the trail of a database
/// restored to one entry earlier.
async fn cut_last_entry(state: &AppState, last: i64) {
    let hash: Vec<u8> = sqlx::query("SELECT hash FROM audit_log WHERE seq = $1")
        .bind(last - 1)
        .fetch_one(&state.pool)
        .await
        .unwrap()
        .get("hash");
    sqlx::query("DELETE FROM audit_log WHERE seq = $1")
        .bind(last)
        .execute(&state.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(last - 1)
        .bind(hash)
        .execute(&state.pool)
        .await
        .unwrap();
}

backend_test!(a_new_epoch_accepts_a_trail_cut_short_but_never_a_changed_one);
async fn a_new_epoch_accepts_a_trail_cut_short_but_never_a_changed_one(db: Backend) {
    use audit::EpochRefused;
    let t = TestServer::start(db).await;
    append_entries(t.state(), 5).await;
    assert!(
        audit::verify_chain(t.state())
            .await
            .unwrap()
            .checkpoint_matches
    );
    // Nothing lost: nothing to accept.
    let refused = audit::start_epoch(t.state(), "thử").await.unwrap_err();
    assert!(matches!(refused, EpochRefused::NothingLost(5)), "{refused}");

    // A restore to one entry earlier: refused as a truncation, until an epoch records it.
    cut_last_entry(t.state(), 5).await;
    let report = audit::verify_chain_report(t.state()).await.unwrap();
    assert_eq!(report.checkpoint, CheckpointState::Truncated { seq: 5 });
    // The reason follows the text policy.
    let refused = audit::start_epoch(t.state(), "khôi phục\u{202E}")
        .await
        .unwrap_err();
    assert!(matches!(refused, EpochRefused::Reason(_)), "{refused}");
    let start = audit::start_epoch(t.state(), "Khôi phục bản sao lưu")
        .await
        .unwrap();
    assert_eq!(
        (
            start.facts.epoch,
            start.facts.previous_seq,
            start.facts.found_seq
        ),
        (1, 5, 4)
    );
    assert_eq!(start.facts.entries_lost(), Some(1));
    let report = audit::verify_chain_report(t.state()).await.unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.epochs, vec![start]);
    let action: String = sqlx::query("SELECT action FROM audit_log WHERE seq = 5")
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
        .get("action");
    assert_eq!(action, "audit.epoch.started");
    // The trail goes on in the new epoch; later checkpoints carry it.
    append_entries(t.state(), 2).await;
    let report = audit::verify_chain_report(t.state()).await.unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.epochs.len(), 1);

    // A changed entry is never accepted, and a rewrite below the epoch's start is reported.
    exec(
        t.state(),
        "UPDATE audit_log SET actor = 'acc_someone_else' WHERE seq = 2",
    )
    .await;
    let refused = audit::start_epoch(t.state(), "che giấu").await.unwrap_err();
    assert!(matches!(refused, EpochRefused::ChainBroken(2)), "{refused}");
    recompute_hashes_from(t.state(), 2).await;
    let report = audit::verify_chain_report(t.state()).await.unwrap();
    assert_eq!(report.first_broken, None);
    assert_eq!(report.checkpoint, CheckpointState::Rewritten { seq: 4 });
}
