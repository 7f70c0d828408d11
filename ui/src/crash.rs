//! What the person sees when the UI's code panics. A panic in wasm leaves the Dioxus runtime
//! unable to handle further events, so the window would look alive but ignore every tap; this
//! hook says so instead and records the message on the root element (`data-panic`), where the
//! end-to-end tests read it when a screen does not come.

use std::panic::PanicHookInfo;

/// Installs the panic hook (once, before the app starts).
pub fn install_panic_notice() {
    std::panic::set_hook(Box::new(|info: &PanicHookInfo<'_>| show(info)));
}

fn show(info: &PanicHookInfo<'_>) {
    let message = info.to_string();
    web_sys::console::error_1(&message.clone().into());
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(root) = document.document_element() {
        // Enough to recognise the panic; the whole text is in the console.
        let short: String = message.chars().take(400).collect();
        let _ = root.set_attribute("data-panic", &short);
    }
    if document.get_element_by_id("crash-notice").is_some() {
        return;
    }
    let (Ok(notice), Some(body)) = (document.create_element("div"), document.body()) else {
        return;
    };
    notice.set_id("crash-notice");
    let _ = notice.set_attribute("role", "alert");
    let _ = notice.set_attribute("class", "crash-notice");
    notice.set_text_content(Some(
        "Ứng dụng gặp lỗi không mong muốn và không thể tiếp tục. Hãy đóng rồi mở lại ứng dụng; \
         dữ liệu đã lưu không bị mất. — The app hit an unexpected error and cannot go on. \
         Close and reopen it; nothing saved is lost.",
    ));
    let _ = body.prepend_with_node_1(&notice);
}
