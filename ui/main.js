// Loads the screens (Rust compiled to WebAssembly, see ui/src). Kept out of index.html
// because the app's CSP allows no inline script.
//
// Three things start at once rather than one after another: compiling the WebAssembly
// (as it arrives), loading its glue module (index.html preloads it), and asking the shell for
// `status`, which the first screen needs (`bridge::status` takes this answer instead of asking
// again).
//
// Once `status` is in, the entry screen it names is shown from its template in index.html
// (ui/src/prerender.rs renders them from the app's own components) until the live screen is in
// the page; nothing done on it in the meantime is lost (`handOver`). Should the screens fail to
// start, the start screen comes back saying so, rather than a copy whose buttons do nothing.
//
// Each step leaves a performance mark (`ui-…`), which the app's bench reads to split the page's
// time to the first screen.
performance.mark('ui-begin');
const main = document.getElementById('main');
const liveScreen = () => main.querySelector('[id^="screen-"]:not(#screen-loading)');
// The entry screen shown from its template, until the hand-over.
let entry = null;
// The screens could not start.
let failed = false;
// The ids of the buttons tapped on it, in order, to be tapped on the live screen.
const taps = [];
const internals = window.__TAURI_INTERNALS__;
if (internals) {
  window.__dinhdanhFirstStatus = internals.invoke('status', { args: null }).finally(() =>
    performance.mark('ui-status'));
  window.__dinhdanhFirstStatus.then(showEntry, () => {});
}
// The first screen in the DOM (its frame not yet drawn), for the bench's split of the page's
// time; and the moment to hand the entry screen over.
new MutationObserver((_, observer) => {
  if (liveScreen()) {
    performance.mark('ui-screen');
    observer.disconnect();
    if (entry) handOver();
  }
}).observe(main, { childList: true, subtree: true });
// The start screen's emblem, words and spinner, only for a start slower than 0.4 s (see app.css).
setTimeout(() => document.getElementById('boot')?.classList.add('slow'), 400);
try {
  const response = fetch('dinhdanh_ui_bg.wasm').finally(() => performance.mark('ui-response'));
  const module = WebAssembly.compileStreaming(response).finally(() =>
    performance.mark('ui-compiled'));
  const glue = import('./dinhdanh_ui.js').finally(() => performance.mark('ui-glue'));
  const [compiled, { default: init }] = await Promise.all([module, glue]);
  // Debug builds started with DINHDANH_TEST_HOLD_UI_MS (src-tauri/src/lib.rs): the end-to-end
  // test types and taps on the entry screen before the live one takes it over.
  if (window.__dinhdanhHoldUi) {
    await new Promise((resolve) => setTimeout(resolve, window.__dinhdanhHoldUi));
  }
  await init({ module_or_path: compiled });
  performance.mark('ui-started');
} catch (error) {
  failed = true;
  entry?.remove();
  entry = null;
  const boot = document.getElementById('boot');
  boot?.classList.add('slow', 'failed');
  boot?.setAttribute('aria-busy', 'false');
  throw error;
}

// Shows the entry screen `status` names instead of the start screen, with this device's server
// and bound identification number filled in. None when signed in (the home screen needs the
// WebAssembly) or when the live screen is already there.
function showEntry(status) {
  if (failed || status.signed_in || liveScreen()) return;
  const template = document.querySelector(`template[data-roles~="${CSS.escape(status.role)}"]`);
  const boot = document.getElementById('boot');
  if (!template || !boot) return;
  entry = document.createElement('div');
  entry.id = 'entry';
  entry.innerHTML = template.innerHTML
    .replaceAll('@@server@@', escapeHtml(status.server))
    .replaceAll('@@bound_to@@', escapeHtml(status.bound_to ?? ''));
  // A tap is kept for the live screen; tapping the same button again while nothing answers
  // is impatience, not a second request.
  entry.addEventListener('click', (event) => {
    const button = event.target.closest('button[id]');
    if (!button) return;
    event.preventDefault();
    if (taps.at(-1) !== button.id) taps.push(button.id);
  }, true);
  // Before the start screen, which app.css hides meanwhile: it comes back if the start fails.
  boot.before(entry);
  performance.mark('ui-entry');
}

// The live screen is in #main: it gets what was typed on the entry screen (as typed input, so
// the screen's state has it), the focus and caret, then the taps; the entry screen goes.
function handOver() {
  const focused = entry.contains(document.activeElement) ? document.activeElement : null;
  const caret = focused && [focused.selectionStart, focused.selectionEnd];
  const typed = [...entry.querySelectorAll('input[id]')].map((field) => [field.id, field.value]);
  entry.remove();
  entry = null;
  const live = (id) => main.querySelector(`#${CSS.escape(id)}`);
  for (const [id, value] of typed) {
    const field = live(id);
    if (field && field.value !== value) {
      field.value = value;
      field.dispatchEvent(new Event('input', { bubbles: true }));
    }
  }
  if (focused?.id) {
    const field = live(focused.id);
    field?.focus();
    if (field && caret[0] !== null) {
      try {
        field.setSelectionRange(caret[0], caret[1]);
      } catch {
        // A field without a caret (some input types): focus is enough.
      }
    }
  }
  for (const id of taps) live(id)?.click();
}

// Escaped for HTML text and attributes, and `@` too, so that a value cannot hold a marker.
function escapeHtml(text) {
  return String(text).replace(/[&<>"'@]/g, (c) => `&#${c.charCodeAt(0)};`);
}
