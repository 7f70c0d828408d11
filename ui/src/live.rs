//! Live updates in the window: the shell emits each event of the session's live stream as the
//! Tauri event `live-update` (payload: a [`LiveEvent`]); the root hears them ([`listen`],
//! [`next`]) and counts them into [`crate::state::Ctx::live`], and a screen that shows what an
//! event names reads it again ([`use_live_reload`]) — the event names the thing, the screen
//! reads it through its ordinary command.
//!
//! The page is granted `core:event:allow-listen` and nothing else of Tauri's event API: it
//! hears, it cannot emit.

use dinhdanh_core::api::LiveEvent;
use dioxus::prelude::*;

use crate::state::ctx;

/// The Tauri event the shell emits (`dinhdanh_app_lib::LIVE_EVENT`).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // The IPC exists in wasm only.
pub const LIVE_EVENT: &str = "live-update";

/// Calls `reload` whenever an event heard after the screen opened concerns it
/// ([`crate::heard::Heard::calls_for_reload`]). The screen's first load is its own.
pub fn use_live_reload(
    concerns: impl Fn(&LiveEvent) -> bool + 'static,
    mut reload: impl FnMut() + 'static,
) {
    let c = ctx();
    let mut seen = use_signal(|| c.live.peek().count);
    use_effect(move || {
        let heard = c.live.read();
        let last_seen = *seen.peek();
        if heard.count == last_seen {
            return;
        }
        seen.set(heard.count);
        if heard.calls_for_reload(last_seen, &concerns) {
            reload();
        }
    });
}

#[cfg(target_arch = "wasm32")]
mod ipc {
    use std::cell::RefCell;
    use std::collections::VecDeque;

    use dinhdanh_core::api::LiveEvent;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    thread_local! {
        /// Events heard and not yet taken by [`next`].
        static QUEUE: RefCell<VecDeque<LiveEvent>> = const { RefCell::new(VecDeque::new()) };
        /// Resolves the promise [`next`] waits on, when it waits.
        static WAITING: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
    }

    fn internals() -> Option<JsValue> {
        let window = web_sys::window()?;
        let i = js_sys::Reflect::get(&window, &JsValue::from_str("__TAURI_INTERNALS__")).ok()?;
        (!i.is_undefined() && !i.is_null()).then_some(i)
    }

    fn function(of: &JsValue, name: &str) -> Option<js_sys::Function> {
        js_sys::Reflect::get(of, &JsValue::from_str(name))
            .ok()?
            .dyn_into::<js_sys::Function>()
            .ok()
    }

    /// Registers the listener once (Tauri's `listen`, by its IPC command); false outside the
    /// app or when the shell refuses.
    pub async fn listen() -> bool {
        let Some(internals) = internals() else {
            return false;
        };
        let (Some(transform), Some(invoke)) = (
            function(&internals, "transformCallback"),
            function(&internals, "invoke"),
        ) else {
            return false;
        };
        // The page's only listener, for as long as the page lives: never dropped.
        let handler = Closure::<dyn FnMut(JsValue)>::new(|message: JsValue| {
            let payload = js_sys::Reflect::get(&message, &JsValue::from_str("payload"))
                .unwrap_or(JsValue::UNDEFINED);
            // An event of a later shell this page does not know is skipped.
            let Ok(event) = serde_wasm_bindgen::from_value::<LiveEvent>(payload) else {
                return;
            };
            QUEUE.with(|q| q.borrow_mut().push_back(event));
            if let Some(resolve) = WAITING.with(|w| w.borrow_mut().take()) {
                let _ = resolve.call0(&JsValue::NULL);
            }
        });
        let Ok(id) = transform.call1(&internals, handler.as_ref()) else {
            return false;
        };
        handler.forget();
        let args = js_sys::Object::new();
        let target = js_sys::Object::new();
        let set = |o: &js_sys::Object, k: &str, v: &JsValue| {
            let _ = js_sys::Reflect::set(o, &JsValue::from_str(k), v);
        };
        set(&target, "kind", &JsValue::from_str("Any"));
        set(&args, "event", &JsValue::from_str(super::LIVE_EVENT));
        set(&args, "target", &target);
        set(&args, "handler", &id);
        let Ok(promise) = invoke.call2(
            &JsValue::NULL,
            &JsValue::from_str("plugin:event|listen"),
            &args,
        ) else {
            return false;
        };
        match promise.dyn_into::<js_sys::Promise>() {
            Ok(p) => JsFuture::from(p).await.is_ok(),
            Err(_) => false,
        }
    }

    /// The next event heard.
    pub async fn next() -> LiveEvent {
        loop {
            if let Some(e) = QUEUE.with(|q| q.borrow_mut().pop_front()) {
                return e;
            }
            let promise = js_sys::Promise::new(&mut |resolve, _reject| {
                WAITING.with(|w| *w.borrow_mut() = Some(resolve));
            });
            let _ = JsFuture::from(promise).await;
        }
    }
}

/// Starts hearing the shell's live events; false outside the app.
pub async fn listen() -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        ipc::listen().await
    }
    #[cfg(not(target_arch = "wasm32"))]
    false
}

/// The next live event (never, outside the app).
pub async fn next() -> LiveEvent {
    #[cfg(target_arch = "wasm32")]
    {
        ipc::next().await
    }
    #[cfg(not(target_arch = "wasm32"))]
    std::future::pending().await
}
