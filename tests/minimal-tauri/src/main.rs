//! The smallest Tauri 2 app: one window, a static page, no commands and no plugins. The
//! baseline `cargo xtask bench-app` measures the app against.

fn main() {
    if let Err(e) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("minimal-tauri: {e}");
        std::process::exit(1);
    }
}
