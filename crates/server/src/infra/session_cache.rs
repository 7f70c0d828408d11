//! What never changes about a session, kept in this instance's memory by its token's hash: its
//! id, owner, device, kind and bound key (parsed). A signed request whose session is known
//! here needs one statement — the nonce recorded only if the session is still in force, which
//! reads everything that can change (ended, expiry, idle, account lock, token renewed, the
//! organisation it acts for), its proof checked against the remembered key meanwhile — instead
//! of a read and then a write (issue 18). An entry is never trusted for anything that can change, so entries need
//! no invalidation: one whose token was renewed or whose session ended simply stops matching
//! in the database, and is dropped then.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use dinhdanh_core::api::SessionKind;
use dinhdanh_core::crypto::{Digest32, PublicKey};
use dinhdanh_core::ids::{AccountId, DeviceId, SessionId};
use lru::LruCache;

/// Sessions remembered at once: about 300 bytes each, so about 20 MiB when full. The least
/// recently used goes first; a session not remembered takes the path of two statements.
pub const CAPACITY: usize = 65_536;

/// A session's facts that no request, renewal or switch can change.
#[derive(Clone, Debug)]
pub struct SessionFacts {
    /// The session.
    pub id: SessionId,
    /// Its owner.
    pub account: AccountId,
    /// The bound device, for a phone session.
    pub device: Option<DeviceId>,
    /// Phone or desktop.
    pub kind: SessionKind,
    /// The key every request of it is signed with.
    pub bound_key: PublicKey,
}

/// The bounded map from a token's SHA-256 to its session's [`SessionFacts`].
pub struct SessionCache {
    // Keyed by the hash's bytes: `Digest32` compares in constant time and is not `Hash`; a
    // token's SHA-256 is no secret worth that here (the token is).
    entries: Mutex<LruCache<[u8; 32], Arc<SessionFacts>>>,
}

impl Default for SessionCache {
    fn default() -> Self {
        Self::with_capacity(CAPACITY)
    }
}

impl SessionCache {
    /// A cache holding at most `capacity` sessions (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        SessionCache {
            entries: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// The facts of the session whose token hashes to `token_hash`, if remembered.
    pub fn get(&self, token_hash: &Digest32) -> Option<Arc<SessionFacts>> {
        self.lock().get(token_hash.as_bytes()).cloned()
    }

    /// Remembers a session's facts under its token's hash.
    pub fn put(&self, token_hash: Digest32, facts: SessionFacts) {
        self.lock().put(*token_hash.as_bytes(), Arc::new(facts));
    }

    /// Forgets the session remembered under `token_hash` (it no longer matched).
    pub fn forget(&self, token_hash: &Digest32) {
        self.lock().pop(token_hash.as_bytes());
    }

    /// How many sessions are remembered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<[u8; 32], Arc<SessionFacts>>> {
        // Nothing panics while holding the lock; a poisoned map is still a valid map.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(n: u8) -> SessionFacts {
        let key = p256::ecdsa::SigningKey::from_slice(&[n.max(1); 32]).expect("a valid scalar");
        SessionFacts {
            id: SessionId::parse(&crate::infra::ids::new_id("ses")).expect("an id"),
            account: AccountId::parse(&crate::infra::ids::new_id("acc")).expect("an id"),
            device: None,
            kind: SessionKind::Device,
            bound_key: PublicKey::from_verifying_key(key.verifying_key()),
        }
    }

    #[test]
    fn remembers_forgets_and_stays_within_its_capacity() {
        let cache = SessionCache::with_capacity(2);
        let (a, b, c) = (
            Digest32::from_bytes([1; 32]),
            Digest32::from_bytes([2; 32]),
            Digest32::from_bytes([3; 32]),
        );
        let first = facts(1);
        cache.put(a, first.clone());
        cache.put(b, facts(2));
        assert_eq!(cache.get(&a).map(|f| f.id.clone()), Some(first.id));
        // `a` was used last, so `b` makes room for `c`.
        cache.put(c, facts(3));
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&b).is_none());
        assert!(cache.get(&a).is_some() && cache.get(&c).is_some());
        cache.forget(&a);
        assert!(cache.get(&a).is_none());
        assert_eq!(cache.len(), 1);
    }
}
