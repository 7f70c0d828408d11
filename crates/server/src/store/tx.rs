//! One transaction per action: the change, its events, its audit entries and its notices
//! commit together or not at all. Audit entries are queued and appended last, just before the
//! commit, so the audit head's row lock is held only for the commit (instances sharing one
//! PostgreSQL do not line up behind a long action). Outbox messages are handed to the sender
//! only after the commit: a message about a change that did not happen is never sent. Live
//! events ([`Tx::publish`]) are written with the change and their streams woken after the
//! commit, the same way.

use sqlx::{Any, AnyConnection, Transaction};

use crate::infra::db;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::outbox::{self, Channel, InboxItem, OutgoingMessage};
use crate::infra::state::AppState;
use crate::store::audit::{self, AuditRecord};
use crate::store::live_events::{self, Audience};
use dinhdanh_core::api::LiveEvent;

/// An action's transaction. Dropped without [`Tx::commit`], it rolls back.
pub struct Tx {
    state: AppState,
    action: &'static str,
    tx: Transaction<'static, Any>,
    now: i64,
    steps: usize,
    fail_after: Option<usize>,
    audit: Vec<OwnedRecord>,
    messages: Vec<OutgoingMessage>,
    wakes: Vec<String>,
    live: Vec<(Audience, LiveEvent)>,
    /// The last audit entry appended ([`Tx::write_queued`]), for the checkpoint after the
    /// commit.
    last_seq: Option<i64>,
    /// Whether [`Tx::write_queued`] has run.
    written: bool,
}

/// An audit record kept until the commit.
struct OwnedRecord {
    actor: Option<String>,
    acting_for: Option<String>,
    device: Option<String>,
    action: String,
    object: Option<String>,
    subject_key: Option<Vec<u8>>,
    denied: bool,
    /// Given back by [`Tx::roll_back`]: a refusal's entry outlives the change it refused.
    outlives_rollback: bool,
}

/// The refusals an action queued ([`Tx::audit_refusal`]) before it was rolled back
/// ([`Tx::roll_back`]), to be written all the same ([`Tx::audit_refused`]).
pub struct Refusals(Vec<OwnedRecord>);

impl Tx {
    /// Begins the transaction of `action` (a stable name such as `registration.consent`, which
    /// is also what a test arms a failure for).
    pub async fn begin(state: &AppState, action: &'static str) -> ServerResult<Tx> {
        let tx = db::begin_write(&state.pool, state.backend).await?;
        Ok(Tx::new(state, action, tx))
    }

    fn new(state: &AppState, action: &'static str, tx: Transaction<'static, Any>) -> Tx {
        Tx {
            fail_after: state.faults.take(action),
            state: state.clone(),
            action,
            tx,
            now: state.now(),
            steps: 0,
            audit: Vec::new(),
            messages: Vec::new(),
            wakes: Vec::new(),
            live: Vec::new(),
            last_seq: None,
            written: false,
        }
    }

    /// The step that follows in this transaction is `action`: its own name for a failure a
    /// test arms, its own count of steps (a confirmed action, after its confirmation).
    pub fn continue_as(&mut self, action: &'static str) {
        self.action = action;
        self.steps = 0;
        self.fail_after = self.state.faults.take(action);
    }

    /// Rolls the transaction back and gives back the refusals it queued, which a refusal's
    /// record must outlive.
    pub async fn roll_back(mut self) -> ServerResult<Refusals> {
        let refusals = std::mem::take(&mut self.audit)
            .into_iter()
            .filter(|r| r.outlives_rollback)
            .collect();
        self.tx.rollback().await?;
        Ok(Refusals(refusals))
    }

    /// Queues the refusals a rolled-back transaction gave back.
    pub fn audit_refused(&mut self, refusals: Refusals) {
        self.audit.extend(refusals.0);
    }

    /// The time the action happens at: one instant for all its rows.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// The database the action runs on, for the few steps whose SQL differs.
    pub fn backend(&self) -> db::Backend {
        self.state.backend
    }

    /// The connection for the next step of the action.
    pub fn conn(&mut self) -> ServerResult<&mut AnyConnection> {
        self.step()?;
        Ok(&mut self.tx)
    }

    /// Counts a step; fails when a test armed a failure after this many.
    fn step(&mut self) -> ServerResult<()> {
        self.steps += 1;
        match self.fail_after {
            Some(n) if self.steps > n => Err(ServerError::Internal(format!(
                "failure injected into {} after {n} steps",
                self.action
            ))),
            _ => Ok(()),
        }
    }

    /// Queues an audit entry; it is appended just before the commit.
    pub fn audit(&mut self, record: AuditRecord<'_>) {
        self.queue_audit(record, false);
    }

    /// Queues the entry of a refusal (`denied`), which [`Tx::roll_back`] gives back: the
    /// refused step is undone, the record that it was refused is not.
    pub fn audit_refusal(&mut self, record: AuditRecord<'_>) {
        self.queue_audit(
            AuditRecord {
                denied: true,
                ..record
            },
            true,
        );
    }

    fn queue_audit(&mut self, record: AuditRecord<'_>, outlives_rollback: bool) {
        self.audit.push(OwnedRecord {
            actor: record.actor.map(str::to_owned),
            acting_for: record.acting_for.map(str::to_owned),
            device: record.device.map(str::to_owned),
            action: record.action.to_owned(),
            object: record.object.map(str::to_owned),
            subject_key: record.subject_key.map(<[u8]>::to_vec),
            denied: record.denied,
            outlives_rollback,
        });
    }

    /// Puts a notification in a person's inbox, as part of the action; their open apps are
    /// told ([`LiveEvent::InboxItem`]).
    pub async fn notify(&mut self, account: &str, item: InboxItem<'_>) -> ServerResult<()> {
        let now = self.now;
        let id = outbox::notify_in(self.conn()?, now, account, item).await?;
        self.publish(
            Audience::Account(account.to_owned()),
            LiveEvent::InboxItem { id },
        );
        Ok(())
    }

    /// Tells `audience`'s open apps of `event` once the action has committed: written with
    /// the change (the same event for the same audience once per action), its streams woken
    /// after the commit.
    pub fn publish(&mut self, audience: Audience, event: LiveEvent) {
        if !self.live.iter().any(|(a, e)| *a == audience && *e == event) {
            self.live.push((audience, event));
        }
    }

    /// Writes a message to the outbox, as part of the action; it is delivered after the commit.
    #[allow(clippy::too_many_arguments)]
    pub async fn send(
        &mut self,
        account: Option<&str>,
        channel: Channel,
        recipient: &str,
        kind: &str,
        subject: &str,
        body: &str,
    ) -> ServerResult<()> {
        let now = self.now;
        let state = self.state.clone();
        let message = outbox::insert_message(
            self.conn()?,
            &state.keys,
            now,
            account,
            channel,
            recipient,
            kind,
            subject,
            body,
        )
        .await?;
        self.messages.push(message);
        Ok(())
    }

    /// Wakes `topic` (`infra::wakeups`, here and at every instance) once the action has
    /// committed: a queue the action wrote to is looked at then, off the action's path.
    pub fn wake_after_commit(&mut self, topic: &str) {
        if !self.wakes.iter().any(|t| t == topic) {
            self.wakes.push(topic.to_owned());
        }
    }

    /// The commit's own steps, which can fail before `COMMIT` is sent: writes the live events
    /// and appends the queued audit entries. [`Tx::commit`] makes them when they were not
    /// made, or when more was queued since.
    pub async fn write_queued(&mut self) -> ServerResult<()> {
        for (audience, event) in std::mem::take(&mut self.live) {
            let now = self.now;
            live_events::insert(self.conn()?, &audience, &event.to_text(), now).await?;
            self.wake_after_commit(&audience.topic());
        }
        let queued = std::mem::take(&mut self.audit);
        // A step per entry, as when each was its own append: the steps a test arms a failure
        // after stay where they were.
        for _ in &queued {
            self.step()?;
        }
        let records: Vec<AuditRecord<'_>> = queued
            .iter()
            .map(|r| AuditRecord {
                actor: r.actor.as_deref(),
                acting_for: r.acting_for.as_deref(),
                device: r.device.as_deref(),
                action: &r.action,
                object: r.object.as_deref(),
                subject_key: r.subject_key.as_deref(),
                denied: r.denied,
            })
            .collect();
        let appended =
            audit::append_all_in(&mut self.tx, self.state.backend, self.now, &records).await?;
        self.last_seq = appended.or(self.last_seq);
        self.step()?;
        self.written = true;
        Ok(())
    }

    /// Writes what is queued ([`Tx::write_queued`]) and commits; then writes the audit
    /// checkpoint when one is due, wakes the topics asked for and the streams of the live
    /// events, and delivers the queued messages.
    pub async fn commit(mut self) -> ServerResult<()> {
        if !self.written || !self.audit.is_empty() || !self.live.is_empty() {
            self.write_queued().await?;
        }
        self.tx.commit().await?;
        if let Some(seq) = self.last_seq {
            audit::after_commit(&self.state, seq).await;
        }
        for topic in &self.wakes {
            self.state.wakeups.wake(&self.state.pool, topic);
        }
        for message in &self.messages {
            outbox::deliver(&self.state, message).await?;
        }
        Ok(())
    }
}
