//! The pages of a PDF attachment drawn on the request page by Mozilla's pdf.js (the
//! `pdfjs-dist` npm package, installed by `cargo xtask` from `crates/server/pdfjs/`; a
//! deployment names its folder with `--pdfjs-dir`). This module serves the page's own script
//! (`assets/pdf-pages.js`), pdf.js's two files and its standard fonts — fixed names and a
//! strict pattern for the fonts, so nothing else of the folder can be read. Without a folder
//! the request page offers the download only.

use std::path::{Path, PathBuf};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::infra::state::AppState;

/// `GET`: the request page's script drawing the pages.
pub const PDF_PAGES_JS: &str = "/console/assets/pdf-pages.js";
/// `GET`: pdf.js itself and its worker (`pdf.min.mjs`, `pdf.worker.min.mjs`).
pub const PDFJS_FILE: &str = "/console/assets/pdfjs/{file}";
/// `GET`: a standard font (a PDF naming Helvetica or Times without embedding it).
pub const PDFJS_FONT: &str = "/console/assets/pdfjs/standard_fonts/{file}";

const SCRIPT: &str = include_str!("assets/pdf-pages.js");

/// The files of pdf.js's `build/` folder this server serves.
const BUILD_FILES: [&str; 2] = ["pdf.min.mjs", "pdf.worker.min.mjs"];

/// Why a `--pdfjs-dir` cannot be used.
#[derive(Debug, thiserror::Error)]
#[error(
    "{0} is not pdf.js's package folder (node_modules/pdfjs-dist, with build/pdf.min.mjs, \
     build/pdf.worker.min.mjs and standard_fonts/); `cargo xtask run` installs it"
)]
pub struct NotPdfjs(pub PathBuf);

/// Checks at start that `dir` holds what the pages need.
pub fn check_dir(dir: &Path) -> Result<(), NotPdfjs> {
    let complete = BUILD_FILES
        .iter()
        .all(|f| dir.join("build").join(f).is_file())
        && dir.join("standard_fonts").is_dir();
    if complete {
        Ok(())
    } else {
        Err(NotPdfjs(dir.to_owned()))
    }
}

/// Whether the request page draws PDF pages.
pub fn enabled(state: &AppState) -> bool {
    state.config.pdfjs_dir.is_some()
}

pub(super) async fn pdf_pages_js(State(state): State<AppState>) -> Response {
    if !enabled(&state) {
        return StatusCode::NOT_FOUND.into_response();
    }
    cached(SCRIPT.into(), "text/javascript; charset=utf-8")
}

pub(super) async fn pdfjs_file(
    State(state): State<AppState>,
    UrlPath(file): UrlPath<String>,
) -> Response {
    let Some(dir) = &state.config.pdfjs_dir else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !BUILD_FILES.contains(&file.as_str()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    read(
        dir.join("build").join(&file),
        "text/javascript; charset=utf-8",
    )
    .await
}

pub(super) async fn pdfjs_font(
    State(state): State<AppState>,
    UrlPath(file): UrlPath<String>,
) -> Response {
    let Some(dir) = &state.config.pdfjs_dir else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(media) = font_media_type(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    read(dir.join("standard_fonts").join(&file), media).await
}

/// The media type of a standard font's file name; `None` for any other name (no separators,
/// no dots but the extension's).
fn font_media_type(file: &str) -> Option<&'static str> {
    let (stem, extension) = file.rsplit_once('.')?;
    let plain = !stem.is_empty()
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    match extension {
        _ if !plain => None,
        "pfb" => Some("application/x-font-type1"),
        "ttf" => Some("font/ttf"),
        _ => None,
    }
}

async fn read(path: PathBuf, content_type: &'static str) -> Response {
    match tokio::fs::read(&path).await {
        Ok(bytes) => cached(bytes, content_type),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "pdf.js file");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn cached(body: Vec<u8>, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::font_media_type;

    #[test]
    fn only_plain_font_names_are_served() {
        assert_eq!(
            font_media_type("FoxitSans.pfb"),
            Some("application/x-font-type1")
        );
        assert_eq!(font_media_type("LiberationSans-Bold.ttf"), Some("font/ttf"));
        for bad in [
            "../build/pdf.min.mjs",
            "..%2Fx.pfb",
            ".pfb",
            "a.b.pfb",
            "LICENSE_FOXIT",
            "x.otf",
            "x/y.ttf",
            "x\\y.ttf",
        ] {
            assert_eq!(font_media_type(bad), None, "{bad}");
        }
    }
}
