// Loads the screens (Rust compiled to WebAssembly, see ui/src). Kept out of index.html
// because the app's CSP allows no inline script.
//
// Three things start at once rather than one after another: compiling the WebAssembly
// (index.html preloads it), loading its glue module, and asking the shell for `status`, which
// the first screen needs (`bridge::status` takes this answer instead of asking again).
const internals = window.__TAURI_INTERNALS__;
if (internals) {
  window.__dinhdanhFirstStatus = internals.invoke('status', { args: null });
}
const module = WebAssembly.compileStreaming(fetch('dinhdanh_ui_bg.wasm'));
const glue = import('./dinhdanh_ui.js');
const [compiled, { default: init }] = await Promise.all([module, glue]);
await init({ module_or_path: compiled });
