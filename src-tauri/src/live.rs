//! Live updates in the shell: while a session is open, one task reads the session's live
//! stream ([`dinhdanh_client::api::LiveEvents`]) and hands each event to the [`LiveSink`] —
//! in the app, a Tauri event to the window (the screens read their data again) and, on
//! desktop, an OS notification for a new inbox item. [`crate::Shell::status`] keeps the task in
//! step with the session: started once signed in, started again for another session or
//! organisation, stopped when signed out.

use std::sync::Arc;

use dinhdanh_client::api::Client;
use dinhdanh_core::api::LiveEvent;
use dinhdanh_core::ids::{OrgEid, SessionId};

/// The name of the Tauri event the window hears, its payload a [`LiveEvent`].
pub const LIVE_EVENT: &str = "live-update";

/// Where the shell's live events go.
pub trait LiveSink: Send + Sync {
    /// An event of the stream, for the window.
    fn event(&self, event: &LiveEvent);

    /// A new inbox item, read through the inbox route: its title and text for an OS
    /// notification (desktop).
    fn inbox_item(&self, title: &str, body: &str);
}

/// No window, no notifications (the shell's tests without a sink of their own).
pub struct NoLiveSink;

impl LiveSink for NoLiveSink {
    fn event(&self, _event: &LiveEvent) {}
    fn inbox_item(&self, _title: &str, _body: &str) {}
}

/// Which session, acting for which organisation, a task listens for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Listening {
    pub(crate) session: SessionId,
    pub(crate) acting_for: Option<OrgEid>,
}

/// The running task.
pub(crate) struct LiveTask {
    pub(crate) listening: Listening,
    pub(crate) task: tauri::async_runtime::JoinHandle<()>,
}

impl Drop for LiveTask {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the task that reads `client`'s stream into `sink` until the session ends.
pub(crate) fn start(
    client: Arc<Client>,
    sink: Arc<dyn LiveSink>,
    listening: Listening,
) -> LiveTask {
    let task = tauri::async_runtime::spawn(async move {
        let mut live = client.live_events();
        // Ends with the session; the next status after a sign-in starts a new stream.
        while let Ok(event) = live.next().await {
            if let LiveEvent::InboxItem { id } = &event {
                // Read through the inbox route, as the window reads it: the event names the
                // item only. A failed read costs the notification, not the event.
                if let Ok(items) = client.notifications().await
                    && let Some(item) = items.iter().find(|n| &n.id == id)
                {
                    sink.inbox_item(&item.title_vi, &item.body_vi);
                }
            }
            sink.event(&event);
        }
    });
    LiveTask { listening, task }
}
