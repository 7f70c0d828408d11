//! The session's live stream ([`paths::LIVE_EVENTS`]): while the app is open, the server tells
//! it what changed for the person ([`LiveEvent`]), and the app reads that thing again through
//! its ordinary route. [`Client::live_events`] opens it; [`LiveEvents::next`] yields the events
//! and reconnects on its own, waiting longer after each failure, until the session ends.

use std::time::Duration;

use dinhdanh_core::api::{CLOSE_SESSION_ENDED, ErrorCode, LiveEvent, paths};
use futures_util::StreamExt;
use rand_core::{OsRng, RngCore};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::Client;
use super::push::Socket;
use crate::error::ClientError;
use crate::json::from_json;

/// How the stream waits between attempts to connect again.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    /// The wait after the first failure.
    pub first: Duration,
    /// The longest wait.
    pub max: Duration,
    /// A connection silent this long (not even the server's pings) is taken as gone.
    pub silence: Duration,
}

impl Default for Backoff {
    /// 1 s, doubling to 60 s; the server pings a silent stream every 30 s, so 75 s of silence
    /// is a connection gone without a word.
    fn default() -> Self {
        Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(60),
            silence: Duration::from_secs(75),
        }
    }
}

impl Backoff {
    /// The wait before attempt `failures` (1 = after the first failure): exponential with
    /// "full jitter" (a random wait up to the doubled value, at least a tenth of `first`), so
    /// many apps losing one server do not all come back in the same second.
    fn wait(&self, failures: u32) -> Duration {
        let doubled = self
            .first
            .saturating_mul(1u32 << failures.saturating_sub(1).min(16))
            .min(self.max);
        let millis = u64::try_from(doubled.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let floor = u64::try_from(self.first.as_millis() / 10).unwrap_or(0);
        Duration::from_millis((OsRng.next_u64() % millis).max(floor))
    }
}

/// Whether an error refusing the stream means the session is over (sign in, or renew, again),
/// rather than a connection to try again.
fn session_over(e: &ClientError) -> bool {
    match e {
        ClientError::Api(api) => matches!(
            api.kind(),
            Some(
                ErrorCode::Unauthenticated
                    | ErrorCode::SessionExpired
                    | ErrorCode::SessionIdle
                    | ErrorCode::AccountLocked
                    | ErrorCode::Forbidden
            )
        ),
        ClientError::NotSignedIn => true,
        _ => false,
    }
}

/// The session's live stream, open or between two connections.
pub struct LiveEvents<'a> {
    client: &'a Client,
    backoff: Backoff,
    socket: Option<Socket>,
    /// Failed attempts in a row.
    failures: u32,
    /// The server closed the last connection because the session ended: the next attempt is
    /// made at once, to learn why from the refused upgrade (or to go on, renewed meanwhile).
    ended: bool,
}

impl Client {
    /// The session's live stream, with the default [`Backoff`]; nothing is sent until
    /// [`LiveEvents::next`] is first called.
    pub fn live_events(&self) -> LiveEvents<'_> {
        self.live_events_with(Backoff::default())
    }

    /// [`Client::live_events`] with another [`Backoff`] (tests, and a shell that wants one).
    pub fn live_events_with(&self, backoff: Backoff) -> LiveEvents<'_> {
        LiveEvents {
            client: self,
            backoff,
            socket: None,
            failures: 0,
            ended: false,
        }
    }
}

impl LiveEvents<'_> {
    /// The next event. Every connection starts with [`LiveEvent::Ready`]: whatever changed
    /// while the app was not connected was not told, so read again what is shown. A lost
    /// connection is opened again after a wait ([`Backoff`]) without an error; the error
    /// returned is the session's end (`unauthenticated`, `session_expired`, `session_idle`,
    /// `account_locked`, not signed in), after which the stream is over until the person signs
    /// in (or the session is renewed) and a new one is opened.
    pub async fn next(&mut self) -> Result<LiveEvent, ClientError> {
        loop {
            let Some(socket) = self.socket.as_mut() else {
                self.connect().await?;
                continue;
            };
            let read = tokio::time::timeout(self.backoff.silence, socket.next()).await;
            match read {
                Ok(Some(Ok(Message::Text(text)))) => {
                    // An event of a later server that this app does not know is skipped.
                    if let Ok(event) = from_json::<LiveEvent>(text.as_bytes()) {
                        if event == LiveEvent::Ready {
                            self.failures = 0;
                        }
                        return Ok(event);
                    }
                }
                // Pings are answered by the socket itself as it reads.
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)))) => {}
                Ok(Some(Ok(Message::Close(frame)))) => {
                    self.ended =
                        frame.is_some_and(|f| f.code == CloseCode::from(CLOSE_SESSION_ENDED));
                    self.socket = None;
                }
                // Binary is not ours; silence, an error or the end: the connection is gone.
                Ok(Some(Ok(Message::Binary(_))) | Some(Err(_)) | None) | Err(_) => {
                    if let Some(mut gone) = self.socket.take() {
                        let _ = gone.close(None).await;
                    }
                }
            }
        }
    }

    /// Opens the stream, after the wait its failures so far call for; `Err` only when the
    /// session is over.
    async fn connect(&mut self) -> Result<(), ClientError> {
        if std::mem::take(&mut self.ended) {
            self.failures = 0;
        } else if self.failures > 0 {
            tokio::time::sleep(self.backoff.wait(self.failures)).await;
        }
        let path = paths::LIVE_EVENTS;
        let opened = match self.client.session_socket_headers(path) {
            Ok(headers) => self.client.open_socket(path, &headers).await,
            Err(e) => Err(e),
        };
        match opened {
            Ok(socket) => {
                self.socket = Some(socket);
                Ok(())
            }
            Err(e) if session_over(&e) => Err(e),
            // Unreachable, timed out, or the last connection not yet noticed gone at the
            // server (`already_waiting`): try again later.
            Err(_) => {
                self.failures = self.failures.saturating_add(1);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_grows_to_its_cap_and_is_never_zero() {
        let b = Backoff {
            first: Duration::from_millis(100),
            max: Duration::from_millis(800),
            silence: Duration::from_secs(1),
        };
        for failures in 1..40 {
            let w = b.wait(failures);
            assert!(w >= Duration::from_millis(10), "{failures}: {w:?}");
            assert!(w <= Duration::from_millis(800), "{failures}: {w:?}");
        }
        // Jitter is below the doubled value: after one failure, at most `first`.
        assert!((0..50).all(|_| b.wait(1) <= Duration::from_millis(100)));
    }
}
