//! Live updates: one WebSocket per session ([`paths::LIVE_EVENTS`]) that tells the open app what
//! changed for its person, and for the organisations whose delegations the person sees all of
//! ([`authz::organisations_heard`]), whatever the session acts for.
//!
//! Events are rows of `live_events` ([`crate::store::live_events`]), written in the
//! transaction of the change ([`crate::store::tx::Tx::publish`]); after the commit the
//! audience's wake-up topic is woken ([`crate::infra::wakeups`]: in this process at once, and
//! on PostgreSQL at every instance through `NOTIFY`). The stream then reads the rows after the
//! last one it sent. A wake-up only says "look again": one lost costs latency, never an event,
//! because the stream also reads again on its re-check ([`crate::infra::config::Config::live_recheck`]).
//!
//! The socket follows the rules of the push sockets ([`push`]): frames and messages over
//! [`push::MAX_INCOMING_BYTES`] end it, any data frame from the app closes it (1008), and a
//! session has one stream at a time in an instance (`already_waiting`). It is also re-checked
//! like every request of the session, without counting as activity: when the session ends
//! (revoked, past its expiry, idle, its account locked) the stream is closed with
//! [`CLOSE_SESSION_ENDED`]. When it has been silent for
//! [`crate::infra::config::Config::live_ping`] the server pings, and a ping still unanswered
//! at the next one ends it (a connection gone without a word).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;
use dinhdanh_core::api::{CLOSE_SESSION_ENDED, LiveEvent, paths};
use tokio::time::Instant;

use crate::authz;
use crate::http::auth::{self, IdlePolicy, SessionContext};
use crate::http::push;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::infra::wakeups::Subscription;
use crate::store::live_events::{self, account_topic, organisation_topic, session_topic};

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(paths::LIVE_EVENTS, get(events))
}

/// How long after an event was sent the stream still looks for events written before it that
/// commit late. On PostgreSQL two transactions may commit out of the order their events were
/// numbered in; this window covers any transaction shorter than it.
const LATE_COMMIT: Duration = Duration::from_secs(60);

/// Most events read (and sent) at once; the rest follow at once in the next read.
const READ_LIMIT: i64 = 100;

/// `GET /v1/me/events`: upgrades to the session's live stream (token and proof over the GET,
/// as every request of the session).
async fn events(State(state): State<AppState>, req: Request) -> ServerResult<Response> {
    let (mut parts, _body) = req.into_parts();
    let session = auth::authenticate(&state, &parts, &[], IdlePolicy::MustBeActive).await?;
    let topic = session_topic(session.id.as_str());
    let (upgrade, claim) = push::accept(&state, &mut parts, &topic).await?;
    Ok(upgrade.on_upgrade(move |socket| async move {
        let _claim = claim;
        stream(state, session, socket).await;
    }))
}

/// Why a stream ended.
enum End {
    /// The app went away, or the connection failed.
    Gone,
    /// The app sent data.
    Data,
    /// The session ended.
    SessionEnded,
}

/// Where a stream stands in `live_events`.
struct Cursor {
    /// Every event at or before this was sent or was there before the stream opened.
    floor: i64,
    /// Events after `floor` already sent, and when: kept for [`LATE_COMMIT`] so an event
    /// numbered before them that commits later is still sent, and none twice.
    sent: BTreeMap<i64, Instant>,
}

impl Cursor {
    /// Forgets what was sent longer than [`LATE_COMMIT`] ago, raising the floor past it.
    fn settle(&mut self, now: Instant) {
        while let Some((&seq, &at)) = self.sent.first_key_value() {
            if now.duration_since(at) < LATE_COMMIT {
                break;
            }
            self.floor = self.floor.max(seq);
            self.sent.remove(&seq);
        }
    }
}

/// What the stream listens for: its person, and the organisations whose delegations they see.
#[derive(PartialEq, Eq)]
struct Audience {
    account: String,
    orgs: Vec<String>,
}

impl Audience {
    async fn of(state: &AppState, session: &SessionContext) -> ServerResult<Self> {
        let orgs = authz::organisations_heard(state, &session.account).await?;
        Ok(Audience {
            account: session.account.as_str().to_owned(),
            orgs: orgs.iter().map(|o| o.as_str().to_owned()).collect(),
        })
    }

    /// The wake-up subscriptions of its organisations.
    fn subscribe_orgs(&self, wakeups: &crate::infra::wakeups::Wakeups) -> Vec<Subscription> {
        self.orgs
            .iter()
            .map(|o| wakeups.subscribe(&organisation_topic(o)))
            .collect()
    }
}

/// Opens the cursor: what is older than [`LATE_COMMIT`] is behind the floor; what is newer is
/// taken as sent (the app reads its screens when it hears [`LiveEvent::Ready`]), so an event
/// numbered before it that commits later is still told.
async fn open_cursor(state: &AppState, audience: &Audience) -> ServerResult<Cursor> {
    let mut conn = state.pool.acquire().await?;
    let window = i64::try_from(LATE_COMMIT.as_secs()).unwrap_or(i64::MAX);
    let floor = live_events::last_before(
        &mut conn,
        &audience.account,
        &audience.orgs,
        state.now().saturating_sub(window),
    )
    .await?;
    let now = Instant::now();
    let recent =
        live_events::after(&mut conn, &audience.account, &audience.orgs, floor, 10_000).await?;
    Ok(Cursor {
        floor,
        sent: recent.into_iter().map(|r| (r.seq, now)).collect(),
    })
}

/// The events to send now, oldest first, marked sent.
async fn unsent(
    state: &AppState,
    audience: &Audience,
    cursor: &mut Cursor,
) -> ServerResult<Vec<String>> {
    let mut conn = state.pool.acquire().await?;
    let mut out = Vec::new();
    let mut after = cursor.floor;
    loop {
        let rows = live_events::after(
            &mut conn,
            &audience.account,
            &audience.orgs,
            after,
            READ_LIMIT,
        )
        .await?;
        let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) == READ_LIMIT;
        let now = Instant::now();
        for row in rows {
            after = row.seq;
            if cursor.sent.insert(row.seq, now).is_none() {
                out.push(row.event);
            }
        }
        if !full {
            break;
        }
    }
    cursor.settle(Instant::now());
    Ok(out)
}

async fn stream(state: AppState, mut session: SessionContext, mut socket: WebSocket) {
    let end = run(&state, &mut session, &mut socket).await;
    let close = match end {
        End::Gone => None,
        End::Data => {
            tracing::info!("the app sent data on its live stream: closing");
            Some(CloseFrame {
                code: axum::extract::ws::close_code::POLICY,
                reason: "the server sends; the client only listens".into(),
            })
        }
        End::SessionEnded => Some(CloseFrame {
            code: CLOSE_SESSION_ENDED,
            reason: "session ended".into(),
        }),
    };
    let _ = socket.send(Message::Close(close)).await;
}

async fn run(state: &AppState, session: &mut SessionContext, socket: &mut WebSocket) -> End {
    let wakeups = &state.wakeups;
    let mine = wakeups.subscribe(&account_topic(session.account.as_str()));
    let ended = wakeups.subscribe(&session_topic(session.id.as_str()));
    // Subscribed before anything is read, so nothing written from here on is missed.
    match auth::recheck(state, session).await {
        Ok(checked) => *session = checked,
        Err(_) => return End::SessionEnded,
    }
    let opened = async {
        let audience = Audience::of(state, session).await?;
        let theirs = audience.subscribe_orgs(wakeups);
        let cursor = open_cursor(state, &audience).await?;
        ServerResult::Ok((audience, theirs, cursor))
    };
    let (mut audience, mut theirs, mut cursor) = match opened.await {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "opening a live stream failed");
            return End::Gone;
        }
    };
    if socket
        .send(Message::Text(LiveEvent::Ready.to_text().into()))
        .await
        .is_err()
    {
        return End::Gone;
    }
    let recheck_every = state.config.live_recheck;
    let ping_every = state.config.live_ping;
    let mut next_recheck = Instant::now() + recheck_every;
    let mut next_ping = Instant::now() + ping_every;
    let mut awaiting_pong = false;
    let mut now_hearing: Option<Audience> = None;
    'read: loop {
        if let Some(hearing) = now_hearing.take() {
            // A role gained or lost: listen for its organisations instead.
            theirs = hearing.subscribe_orgs(wakeups);
            audience = hearing;
        }
        let mine_woken = mine.notified();
        let ended_woken = ended.notified();
        tokio::pin!(mine_woken, ended_woken);
        let mut theirs_woken: Vec<_> = theirs.iter().map(|s| Box::pin(s.notified())).collect();
        // Enabled before the database is read, so an event in between still wakes us.
        mine_woken.as_mut().enable();
        ended_woken.as_mut().enable();
        for n in &mut theirs_woken {
            n.as_mut().enable();
        }
        match unsent(state, &audience, &mut cursor).await {
            Ok(texts) => {
                for text in texts {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        return End::Gone;
                    }
                    next_ping = Instant::now() + ping_every;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "reading live events failed");
                return End::Gone;
            }
        }
        loop {
            let theirs_wait = std::future::poll_fn(|cx| {
                for n in &mut theirs_woken {
                    if n.as_mut().poll(cx).is_ready() {
                        return std::task::Poll::Ready(());
                    }
                }
                std::task::Poll::Pending
            });
            let recheck_now = tokio::select! {
                () = mine_woken.as_mut() => false,
                () = theirs_wait => false,
                () = ended_woken.as_mut() => true,
                () = tokio::time::sleep_until(next_recheck) => true,
                () = tokio::time::sleep_until(next_ping) => {
                    // Unanswered since the last ping: the connection is gone.
                    if awaiting_pong
                        || socket.send(Message::Ping(Default::default())).await.is_err()
                    {
                        return End::Gone;
                    }
                    awaiting_pong = true;
                    next_ping = Instant::now() + ping_every;
                    continue;
                }
                msg = socket.recv() => match msg {
                    Some(Ok(Message::Pong(_))) => {
                        awaiting_pong = false;
                        continue;
                    }
                    Some(Ok(Message::Ping(_))) => continue,
                    Some(Ok(Message::Text(_) | Message::Binary(_))) => return End::Data,
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return End::Gone,
                },
            };
            if recheck_now {
                next_recheck = Instant::now() + recheck_every;
                let rechecked = match auth::recheck(state, session).await {
                    Ok(checked) => Audience::of(state, &checked).await.map(|a| (checked, a)),
                    Err(e) => Err(e),
                };
                match rechecked {
                    Ok((checked, hearing)) => {
                        *session = checked;
                        if hearing != audience {
                            now_hearing = Some(hearing);
                        }
                    }
                    Err(e @ (ServerError::Database(_) | ServerError::Internal(_))) => {
                        tracing::error!(error = %e, "re-checking a live stream's session failed");
                        return End::Gone;
                    }
                    Err(_) => return End::SessionEnded,
                }
            }
            continue 'read;
        }
    }
}
