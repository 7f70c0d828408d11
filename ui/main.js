// Loads the screens (Rust compiled to WebAssembly, see ui/src). Kept out of index.html
// because the app's CSP allows no inline script.
//
// Three things start at once rather than one after another: compiling the WebAssembly
// (as it arrives), loading its glue module (index.html preloads it), and asking the shell for
// `status`, which the first screen needs (`bridge::status` takes this answer instead of asking
// again).
//
// Each step leaves a performance mark (`ui-…`), which the app's bench reads to split the page's
// time to the first screen.
performance.mark('ui-begin');
const internals = window.__TAURI_INTERNALS__;
if (internals) {
  window.__dinhdanhFirstStatus = internals.invoke('status', { args: null }).finally(() =>
    performance.mark('ui-status'));
}
// The first screen in the DOM (its frame not yet drawn), for the bench's split of the page's time.
new MutationObserver((_, observer) => {
  if (document.querySelector('#main [id^="screen-"]:not(#screen-loading)')) {
    performance.mark('ui-screen');
    observer.disconnect();
  }
}).observe(document.getElementById('main'), { childList: true, subtree: true });
// The start screen's emblem, words and spinner, only for a start slower than 0.4 s (see app.css).
setTimeout(() => document.getElementById('boot')?.classList.add('slow'), 400);
const response = fetch('dinhdanh_ui_bg.wasm').finally(() => performance.mark('ui-response'));
const module = WebAssembly.compileStreaming(response).finally(() =>
  performance.mark('ui-compiled'));
const glue = import('./dinhdanh_ui.js').finally(() => performance.mark('ui-glue'));
const [compiled, { default: init }] = await Promise.all([module, glue]);
await init({ module_or_path: compiled });
performance.mark('ui-started');
