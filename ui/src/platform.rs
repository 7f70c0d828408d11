//! What the WebView gives besides the shell: the clock, timers, the camera, the page's root.
//! Only the wasm build calls the browser; the host build (tests) gets inert stand-ins that are
//! never used on a tested path.

use chrono::NaiveDate;

/// Unix milliseconds now.
pub fn now_millis() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as f64)
            .unwrap_or(0.0)
    }
}

/// Unix seconds now.
pub fn now_secs() -> i64 {
    (now_millis() / 1000.0).floor() as i64
}

/// Today's date where the person is (Vietnam), for the form's date checks.
pub fn today() -> NaiveDate {
    crate::format::today_from_millis(now_millis())
}

/// Waits `ms` milliseconds without blocking the page.
pub async fn sleep(ms: u32) {
    #[cfg(target_arch = "wasm32")]
    {
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            let scheduled = web_sys::window().and_then(|w| {
                w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32)
                    .ok()
            });
            if scheduled.is_none() {
                let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = ms;
    }
}

/// Waits until the page's visibility next changes: the app going to the background or coming
/// back to the foreground, as it does when the operating system hands it a link. Outside the
/// browser it never returns.
pub async fn visibility_changed() {
    #[cfg(target_arch = "wasm32")]
    {
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            let options = web_sys::AddEventListenerOptions::new();
            options.set_once(true);
            if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
                let _ = doc.add_event_listener_with_callback_and_add_event_listener_options(
                    "visibilitychange",
                    &resolve,
                    &options,
                );
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
    #[cfg(not(target_arch = "wasm32"))]
    std::future::pending::<()>().await;
}

/// Sets the page's `lang` attribute (screen readers and hyphenation follow it).
pub fn set_document_lang(code: &str) {
    #[cfg(target_arch = "wasm32")]
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("lang", code);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = code;
}

/// Adds (`on`) or removes a class on the page's root element (`<html>`), for a state that
/// changes the whole page: the phone's scanner drawing the camera under it.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // The scanner runs in wasm only.
pub fn set_root_class(class: &str, on: bool) {
    #[cfg(target_arch = "wasm32")]
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.class_list().toggle_with_force(class, on);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (class, on);
}

/// Drawing on a hidden canvas and reading it back grey: how a picked picture and a camera
/// frame reach the QR decoder.
#[cfg(target_arch = "wasm32")]
mod canvas {
    use wasm_bindgen::{JsCast, JsValue};
    use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

    use crate::frame::{rgba_to_luma, scaled_size};

    /// The page's element with id `id`, as a `T`.
    pub fn element<T: JsCast>(id: &str) -> Option<T> {
        web_sys::window()?
            .document()?
            .get_element_by_id(id)?
            .dyn_into::<T>()
            .ok()
    }

    /// Sizes the canvas `canvas_id` to `width × height` scaled to at most `max_side` on a
    /// side, lets `draw` paint it (given the drawn width and height), and reads it back:
    /// `(width, height, luma)`.
    pub fn grey(
        canvas_id: &str,
        (width, height): (u32, u32),
        max_side: u32,
        draw: impl FnOnce(&CanvasRenderingContext2d, f64, f64) -> Result<(), JsValue>,
    ) -> Option<(u32, u32, Vec<u8>)> {
        if width == 0 || height == 0 {
            return None;
        }
        let (sw, sh) = scaled_size(width, height, max_side);
        let canvas: HtmlCanvasElement = element(canvas_id)?;
        canvas.set_width(sw);
        canvas.set_height(sh);
        let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
        draw(&ctx, f64::from(sw), f64::from(sh)).ok()?;
        let data = ctx
            .get_image_data(0.0, 0.0, f64::from(sw), f64::from(sh))
            .ok()?
            .data();
        let luma = rgba_to_luma(&data.0, sw, sh)?;
        Some((sw, sh, luma))
    }
}

/// A picture the person picked, decoded by the WebView (in its sandboxed web process: the
/// shell that holds the keys never parses an image file) and turned grey for the QR decoder.
#[cfg(target_arch = "wasm32")]
pub mod picture {
    use dinhdanh_core::app::MAX_PICTURE_SIDE;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Blob, HtmlCanvasElement, ImageBitmap};

    use super::canvas;

    /// The picture in `bytes` (any format the WebView reads), drawn on the canvas `canvas_id`
    /// at most [`MAX_PICTURE_SIDE`] on a side: `(width, height, luma)`, or `None` when the
    /// WebView cannot read it as a picture.
    pub async fn luma(bytes: &[u8], canvas_id: &str) -> Option<(u32, u32, Vec<u8>)> {
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
        let blob = Blob::new_with_u8_array_sequence(&parts).ok()?;
        let window = web_sys::window()?;
        let decoding = window.create_image_bitmap_with_blob(&blob).ok()?;
        let bitmap: ImageBitmap = JsFuture::from(decoding).await.ok()?.dyn_into().ok()?;
        let size = (bitmap.width(), bitmap.height());
        let read = canvas::grey(canvas_id, size, MAX_PICTURE_SIDE, |ctx, w, h| {
            // On white, as a picture viewer shows it: a transparent background would read black.
            ctx.set_fill_style_str("#fff");
            ctx.fill_rect(0.0, 0.0, w, h);
            ctx.draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, w, h)
        });
        bitmap.close();
        // The canvas keeps no copy of the picture once it is read.
        if let Some(c) = canvas::element::<HtmlCanvasElement>(canvas_id) {
            c.set_width(0);
            c.set_height(0);
        }
        read
    }
}

/// The camera, streaming into a `<video>` element, for *Quét mã QR*.
#[cfg(target_arch = "wasm32")]
pub mod camera {
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{HtmlVideoElement, MediaStream, MediaStreamConstraints};

    use super::canvas::{self, element};

    /// Longest side a frame is drawn at before it is sent to the decoder.
    const FRAME_SIDE: u32 = 640;

    /// Starts the back camera into the video element `video_id`.
    pub async fn start(video_id: &str) -> Result<MediaStream, ()> {
        let window = web_sys::window().ok_or(())?;
        let devices = window.navigator().media_devices().map_err(|_| ())?;
        let video_constraints = js_sys::Object::new();
        // The back camera on a phone; a computer's only camera otherwise.
        js_sys::Reflect::set(
            &video_constraints,
            &JsValue::from_str("facingMode"),
            &JsValue::from_str("environment"),
        )
        .map_err(|_| ())?;
        let constraints = MediaStreamConstraints::new();
        constraints.set_video(&video_constraints);
        constraints.set_audio(&JsValue::FALSE);
        let promise = devices
            .get_user_media_with_constraints(&constraints)
            .map_err(|_| ())?;
        let stream: MediaStream = JsFuture::from(promise)
            .await
            .map_err(|_| ())?
            .dyn_into()
            .map_err(|_| ())?;
        let video: HtmlVideoElement = element(video_id).ok_or(())?;
        video.set_muted(true);
        let _ = video.set_attribute("playsinline", "true");
        video.set_src_object(Some(&stream));
        // Not awaited: the frame loop waits for the first frame by itself (`videoWidth` is 0
        // until then), and a play promise may stay pending while the page is hidden.
        let _ = video.play();
        Ok(stream)
    }

    /// Stops every track of the stream (the camera light goes off).
    pub fn stop(stream: &MediaStream) {
        for track in stream.get_tracks().iter() {
            if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                track.stop();
            }
        }
    }

    /// Draws the current video frame, scaled down, and returns it as luma.
    pub fn grab(video_id: &str, canvas_id: &str) -> Option<(u32, u32, Vec<u8>)> {
        let video: HtmlVideoElement = element(video_id)?;
        let size = (video.video_width(), video.video_height());
        canvas::grey(canvas_id, size, FRAME_SIDE, |ctx, w, h| {
            ctx.draw_image_with_html_video_element_and_dw_and_dh(&video, 0.0, 0.0, w, h)
        })
    }
}
