//! Wake-ups for requests that wait on the database (a desktop waiting for its QR login to be
//! answered): a waiter subscribes to a topic, and whoever changes the row wakes the topic.
//!
//! * In one process, a [`Notify`] per topic wakes the waiter at once.
//! * On PostgreSQL, a wake-up is also sent with `NOTIFY` on [`CHANNEL`], and every instance
//!   `LISTEN`s on one dedicated connection and wakes its own waiters: the desktop is told at
//!   once whichever instance holds its socket.
//!
//! A wake-up only says "look again": the database stays the truth, so a wake-up lost (a
//! listener reconnecting, another instance on SQLite) costs latency, not correctness. Waiters
//! keep re-reading at a slow pace as a safety net, and after the listener reconnects every
//! waiter is woken once, since notifications sent in between are gone.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tokio::sync::futures::Notified;

use crate::infra::db::Backend;

/// The PostgreSQL channel wake-ups travel on; the payload is the topic.
pub const CHANNEL: &str = "dinhdanh_wake";

/// How long the listener waits before connecting again after losing its connection.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Longest topic sent through `NOTIFY` (PostgreSQL's payload limit is 8000 bytes).
const MAX_TOPIC_BYTES: usize = 200;

#[derive(Default)]
struct Waiters(Mutex<HashMap<String, Arc<Notify>>>);

impl Waiters {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Notify>>> {
        // A panic while holding the lock leaves the map as it was: still usable.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wake(&self, topic: &str) {
        if let Some(n) = self.map().get(topic) {
            n.notify_waiters();
        }
    }

    fn wake_all(&self) {
        for n in self.map().values() {
            n.notify_waiters();
        }
    }
}

/// The topics a socket holds in this instance ([`Wakeups::claim`]).
#[derive(Default)]
struct Claims(Mutex<HashSet<String>>);

impl Claims {
    fn set(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The wake-ups of one server instance (one per [`crate::infra::state::AppState`]).
pub struct Wakeups {
    waiters: Arc<Waiters>,
    claims: Arc<Claims>,
    backend: Backend,
    listener: Option<tokio::task::JoinHandle<()>>,
}

impl Wakeups {
    /// In-process wake-ups only (SQLite: one instance per database file).
    pub fn local(backend: Backend) -> Self {
        Wakeups {
            waiters: Arc::default(),
            claims: Arc::default(),
            backend,
            listener: None,
        }
    }

    /// Wake-ups for `backend`; on PostgreSQL, `LISTEN`s on [`CHANNEL`] before returning, so a
    /// waiter subscribed after this cannot miss a wake-up sent by another instance.
    pub async fn start(backend: Backend, database_url: &str) -> Result<Self, sqlx::Error> {
        let mut wakeups = Wakeups::local(backend);
        if backend == Backend::Postgres {
            let listener = listen(database_url).await?;
            let waiters = wakeups.waiters.clone();
            let url = database_url.to_owned();
            wakeups.listener = Some(tokio::spawn(run_listener(listener, url, waiters)));
        }
        Ok(wakeups)
    }

    /// Subscribes to `topic`. Enable the returned [`Subscription::notified`] before reading
    /// the database, so a wake-up between the read and the wait is not lost.
    pub fn subscribe(&self, topic: &str) -> Subscription {
        let notify = self
            .waiters
            .map()
            .entry(topic.to_owned())
            .or_insert_with(|| Arc::new(Notify::new()))
            .clone();
        Subscription {
            topic: topic.to_owned(),
            notify,
            waiters: self.waiters.clone(),
        }
    }

    /// Claims `topic` for one waiter: `None` while another claim on it is held in this
    /// instance. A socket waiting for a row claims its topic, so one waiting object has one
    /// socket, whatever a client opens.
    pub fn claim(&self, topic: &str) -> Option<Claim> {
        if !self.claims.set().insert(topic.to_owned()) {
            return None;
        }
        Some(Claim {
            topic: topic.to_owned(),
            claims: self.claims.clone(),
        })
    }

    /// Wakes the waiters of `topic` here and, on PostgreSQL, at every instance. Call it after
    /// the change is committed. Never fails: a lost wake-up only delays the waiter until its
    /// next re-read, so an error is logged rather than failing the request that caused it.
    /// The other instances are told by a task of its own, so the request that caused it does
    /// not wait for that round trip (issue 18).
    pub fn wake(&self, pool: &AnyPool, topic: &str) {
        self.waiters.wake(topic);
        if self.backend != Backend::Postgres || topic.len() > MAX_TOPIC_BYTES {
            return;
        }
        let (pool, topic) = (pool.clone(), topic.to_owned());
        tokio::spawn(async move {
            // `pg_notify` returns `void`, which the Any driver cannot decode: wrap it in a row
            // of its own.
            let sent = sqlx::query("SELECT 1 AS sent FROM (SELECT pg_notify($1, $2)) AS n")
                .bind(CHANNEL)
                .bind(&topic)
                .execute(&pool)
                .await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "wake-up not sent to the other instances");
            }
        });
    }
}

impl Drop for Wakeups {
    fn drop(&mut self) {
        if let Some(task) = self.listener.take() {
            task.abort();
        }
    }
}

/// A waiter's registration for one topic; unsubscribes when dropped.
pub struct Subscription {
    topic: String,
    notify: Arc<Notify>,
    waiters: Arc<Waiters>,
}

impl Subscription {
    /// Completes at the next wake-up of the topic after it was enabled (or first polled).
    pub fn notified(&self) -> Notified<'_> {
        self.notify.notified()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut map = self.waiters.map();
        // The map holds one reference and this subscription another: nobody else waits.
        if Arc::strong_count(&self.notify) <= 2 {
            map.remove(&self.topic);
        }
    }
}

/// A waiter's exclusive hold on a topic ([`Wakeups::claim`]); released when dropped.
pub struct Claim {
    topic: String,
    claims: Arc<Claims>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.claims.set().remove(&self.topic);
    }
}

async fn listen(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    // Reconnect (and listen again) as soon as the connection drops, before telling the
    // waiters to look again.
    listener.eager_reconnect(true);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

async fn run_listener(mut listener: PgListener, url: String, waiters: Arc<Waiters>) {
    loop {
        match listener.try_recv().await {
            Ok(Some(n)) => waiters.wake(n.payload()),
            // The connection dropped and is back: what was sent in between is lost.
            Ok(None) => waiters.wake_all(),
            Err(e) => {
                tracing::warn!(error = %e, "wake-up listener lost its connection");
                listener = loop {
                    tokio::time::sleep(RECONNECT_DELAY).await;
                    match listen(&url).await {
                        Ok(l) => break l,
                        Err(e) => tracing::warn!(error = %e, "wake-up listener cannot reconnect"),
                    }
                };
                waiters.wake_all();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_is_claimed_once_until_the_claim_is_dropped() {
        let w = Wakeups::local(Backend::Sqlite);
        let first = w.claim("qr:a");
        assert!(first.is_some());
        assert!(w.claim("qr:a").is_none());
        assert!(w.claim("qr:b").is_some());
        drop(first);
        assert!(w.claim("qr:a").is_some());
    }

    #[tokio::test]
    async fn a_wake_up_reaches_the_subscribers_of_its_topic_only() {
        let w = Wakeups::local(Backend::Sqlite);
        let a = w.subscribe("qr:a");
        let b = w.subscribe("qr:b");
        let mut na = std::pin::pin!(a.notified());
        let mut nb = std::pin::pin!(b.notified());
        na.as_mut().enable();
        nb.as_mut().enable();
        w.waiters.wake("qr:a");
        tokio::time::timeout(Duration::from_secs(1), na)
            .await
            .expect("woken");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), nb)
                .await
                .is_err(),
            "the other topic sleeps on"
        );
    }

    #[test]
    fn a_topic_is_forgotten_when_its_last_subscriber_leaves() {
        let w = Wakeups::local(Backend::Sqlite);
        let first = w.subscribe("qr:x");
        let second = w.subscribe("qr:x");
        drop(first);
        assert!(w.waiters.map().contains_key("qr:x"), "one still waits");
        drop(second);
        assert!(w.waiters.map().is_empty());
    }
}
