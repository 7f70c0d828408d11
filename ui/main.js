// Loads the screens (Rust compiled to WebAssembly, see ui/src). Kept out of index.html
// because the app's CSP allows no inline script.
import init from './dinhdanh_ui.js';

init();
