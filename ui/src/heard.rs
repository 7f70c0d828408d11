//! The live events the window has heard ([`Heard`]): what [`crate::state::Ctx::live`] holds and
//! what a screen asks whether it must read again. Plain data, apart from the listening itself
//! ([`crate::live`]), so the state and the listener both use it without using each other.

use dinhdanh_core::api::LiveEvent;

/// How many recent events a screen can catch up on (several may arrive between two renders).
const KEPT: usize = 32;

/// The events heard so far: how many, and the most recent with their numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Heard {
    /// Events heard since the window opened.
    pub count: u64,
    /// The last [`KEPT`], numbered `count - len + 1 ..= count`.
    pub recent: Vec<(u64, LiveEvent)>,
}

impl Heard {
    /// Records one more event.
    pub fn push(&mut self, event: LiveEvent) {
        self.count += 1;
        self.recent.push((self.count, event));
        if self.recent.len() > KEPT {
            self.recent.remove(0);
        }
    }

    /// Whether an event after number `seen` makes a screen read again: one that `concerns`
    /// it, or `ready` (the stream opened again: what changed meanwhile was not told), or more
    /// events than are kept.
    pub fn calls_for_reload(&self, seen: u64, concerns: impl Fn(&LiveEvent) -> bool) -> bool {
        let oldest_kept = self.recent.first().map_or(self.count + 1, |(n, _)| *n);
        if seen + 1 < oldest_kept && seen < self.count {
            return true;
        }
        self.recent
            .iter()
            .filter(|(n, _)| *n > seen)
            .any(|(_, e)| *e == LiveEvent::Ready || concerns(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dinhdanh_core::ids::NotificationId;

    fn item(n: u32) -> LiveEvent {
        LiveEvent::InboxItem {
            id: NotificationId::parse(&format!("ntf_{n}")).unwrap(),
        }
    }

    #[test]
    fn a_screen_reloads_for_what_concerns_it_or_a_new_stream_only() {
        let mut heard = Heard::default();
        heard.push(item(1));
        let is_item_2 = |e: &LiveEvent| *e == item(2);
        assert!(!heard.calls_for_reload(0, is_item_2));
        heard.push(item(2));
        heard.push(item(3));
        // Seen up to 1: the 2 after it concerns the screen.
        assert!(heard.calls_for_reload(1, is_item_2));
        assert!(!heard.calls_for_reload(2, is_item_2));
        heard.push(LiveEvent::Ready);
        assert!(heard.calls_for_reload(3, |_| false));
    }

    #[test]
    fn a_screen_that_missed_more_than_is_kept_reloads() {
        let mut heard = Heard::default();
        for n in 0..(KEPT as u32 + 5) {
            heard.push(item(n));
        }
        assert_eq!(heard.recent.len(), KEPT);
        assert!(heard.calls_for_reload(0, |_| false));
        assert!(!heard.calls_for_reload(heard.count - 1, |_| false));
    }
}
