//! The UI's files as the window loads them: Tauri's embedded assets (brotli-compressed in the
//! binary, decompressed on each request), except that the WebAssembly, the largest by far and
//! the one the first screen waits for, is decompressed on a thread of its own while the WebView
//! starts, instead of once the page asks for it. (A cold start's profile, stop 46: the async
//! runtime decompressing it between the page's request and the compile, while the other core
//! was idle for most of the ~250 ms before the page.)

use std::borrow::Cow;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tauri::utils::assets::{AssetKey, AssetsIter, CspHash};
use tauri::{App, Assets, Runtime};

/// The UI's WebAssembly, as wasm-bindgen names it (`cargo xtask`'s `build_ui`; ui/main.js
/// fetches it).
const WASM: &str = "dinhdanh_ui_bg.wasm";

/// Replaces `context`'s assets by the same ones whose WebAssembly is decompressed early.
pub fn decompress_wasm_early<R: Runtime>(context: &mut tauri::Context<R>) {
    let embedded = context.set_assets(Box::new(NoAssets));
    context.set_assets(Box::new(EarlyWasm(Arc::new(Shared {
        embedded,
        wasm: Mutex::new(Wasm::NotYet),
    }))));
}

/// Where the decompressed WebAssembly is.
enum Wasm {
    NotYet,
    Ready(Vec<u8>),
    /// Handed to the page once: a reload decompresses it again rather than the app holding
    /// 1.4 MB for its whole life.
    Served,
}

struct Shared<R: Runtime> {
    embedded: Box<dyn Assets<R>>,
    wasm: Mutex<Wasm>,
}

impl<R: Runtime> Shared<R> {
    fn wasm(&self) -> MutexGuard<'_, Wasm> {
        self.wasm.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Decompresses the WebAssembly unless the page asked for it already, holding the lock
    /// meanwhile: a request that comes now waits for this work instead of doing it again.
    fn decompress(&self) {
        let mut wasm = self.wasm();
        if matches!(*wasm, Wasm::NotYet)
            && let Some(bytes) = self.embedded.get(&AssetKey::from(WASM))
        {
            *wasm = Wasm::Ready(bytes.into_owned());
        }
    }
}

struct EarlyWasm<R: Runtime>(Arc<Shared<R>>);

impl<R: Runtime> Assets<R> for EarlyWasm<R> {
    /// Called once the window is built, which starts the WebView's processes.
    fn setup(&self, _app: &App<R>) {
        let shared = self.0.clone();
        // Not started (no thread to be had): the page's request decompresses it, as before.
        let _ = std::thread::Builder::new()
            .name("ui-wasm".into())
            .spawn(move || shared.decompress());
    }

    fn get(&self, key: &AssetKey) -> Option<Cow<'_, [u8]>> {
        if key.as_ref() == AssetKey::from(WASM).as_ref() {
            let early = std::mem::replace(&mut *self.0.wasm(), Wasm::Served);
            if let Wasm::Ready(bytes) = early {
                return Some(Cow::Owned(bytes));
            }
        }
        self.0.embedded.get(key)
    }

    fn iter(&self) -> Box<AssetsIter<'_>> {
        self.0.embedded.iter()
    }

    fn csp_hashes(&self, html_path: &AssetKey) -> Box<dyn Iterator<Item = CspHash<'_>> + '_> {
        self.0.embedded.csp_hashes(html_path)
    }
}

/// Holds nothing: stands in for the embedded assets while they move into [`EarlyWasm`].
struct NoAssets;

impl<R: Runtime> Assets<R> for NoAssets {
    fn get(&self, _key: &AssetKey) -> Option<Cow<'_, [u8]>> {
        None
    }

    fn iter(&self) -> Box<AssetsIter<'_>> {
        Box::new(std::iter::empty())
    }

    fn csp_hashes(&self, _html_path: &AssetKey) -> Box<dyn Iterator<Item = CspHash<'_>> + '_> {
        Box::new(std::iter::empty())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tauri::test::MockRuntime;

    use super::*;

    /// The embedded assets' side of it: each `get` of the wasm counts as one decompression.
    #[derive(Default)]
    struct Counted(Arc<AtomicUsize>);

    impl Assets<MockRuntime> for Counted {
        fn get(&self, key: &AssetKey) -> Option<Cow<'_, [u8]>> {
            if key.as_ref() == AssetKey::from(WASM).as_ref() {
                self.0.fetch_add(1, Ordering::SeqCst);
                return Some(Cow::Owned(b"\0asm wasm".to_vec()));
            }
            (key.as_ref() == "/index.html").then_some(Cow::Borrowed(b"<html>"))
        }

        fn iter(&self) -> Box<AssetsIter<'_>> {
            Box::new(std::iter::empty())
        }

        fn csp_hashes(&self, _: &AssetKey) -> Box<dyn Iterator<Item = CspHash<'_>> + '_> {
            Box::new(std::iter::empty())
        }
    }

    fn early() -> (EarlyWasm<MockRuntime>, Arc<AtomicUsize>) {
        let counted = Counted::default();
        let count = counted.0.clone();
        let shared = Shared {
            embedded: Box::new(counted),
            wasm: Mutex::new(Wasm::NotYet),
        };
        (EarlyWasm(Arc::new(shared)), count)
    }

    fn get(assets: &EarlyWasm<MockRuntime>, path: &str) -> Option<Vec<u8>> {
        assets.get(&AssetKey::from(path)).map(Cow::into_owned)
    }

    #[test]
    fn the_wasm_decompressed_early_is_served_once_then_decompressed_again() {
        let (assets, count) = early();
        assets.0.decompress();
        assert_eq!(count.load(Ordering::SeqCst), 1);
        assert_eq!(get(&assets, WASM).as_deref(), Some(&b"\0asm wasm"[..]));
        assert_eq!(count.load(Ordering::SeqCst), 1, "served from memory");
        assert_eq!(get(&assets, WASM).as_deref(), Some(&b"\0asm wasm"[..]));
        assert_eq!(
            count.load(Ordering::SeqCst),
            2,
            "a reload decompresses it again"
        );
    }

    #[test]
    fn a_request_before_the_early_work_is_served_and_that_work_is_not_done_after_it() {
        let (assets, count) = early();
        assert_eq!(get(&assets, WASM).as_deref(), Some(&b"\0asm wasm"[..]));
        assets.0.decompress();
        assert_eq!(count.load(Ordering::SeqCst), 1);
        assert!(matches!(*assets.0.wasm(), Wasm::Served));
    }

    #[test]
    fn other_files_and_missing_ones_are_the_embedded_answer() {
        let (assets, count) = early();
        assert_eq!(get(&assets, "index.html").as_deref(), Some(&b"<html>"[..]));
        assert_eq!(get(&assets, "nothing.js"), None);
        assert_eq!(count.load(Ordering::SeqCst), 0);
    }

    /// Through Tauri's own resolver, with the app's real embedded wasm. `build` runs no
    /// `setup`, so no early thread here: the hand-over itself is the tests above.
    #[test]
    fn the_apps_context_serves_the_real_wasm_through_the_wrapper_again_and_again() {
        let app = tauri::test::mock_builder()
            .build(crate::context())
            .expect("the app builds");
        let resolver = app.asset_resolver();
        let first = resolver.get(WASM.to_owned()).expect("the wasm is embedded");
        let again = resolver.get(WASM.to_owned()).expect("the wasm is embedded");
        assert!(first.bytes.starts_with(b"\0asm"), "a WebAssembly module");
        assert_eq!(first.bytes, again.bytes);
        assert_eq!(first.mime_type, "application/wasm");
    }
}
