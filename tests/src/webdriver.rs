//! A small W3C WebDriver client over reqwest: just what the end-to-end tests use (sessions,
//! elements by id, clicks, typing, text, script, screenshots). The app's WebView on Linux is
//! WebKitGTK, reached through `tauri-driver` → `WebKitWebDriver`.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use serde_json::{Value, json};

/// The W3C key of an element reference in WebDriver answers.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long [`Session::wait_for`] waits by default: long operations (argon2 on the passcode,
/// registry checks) finish well within it on a loaded 2-core machine.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// One WebDriver session: one running app window.
pub struct Session {
    http: reqwest::Client,
    base: String,
    id: String,
    /// Where a wait that times out saves a screenshot of the window, and the command line
    /// that finds the app's process (for its threads' stacks).
    failure_dir: Option<(std::path::PathBuf, String)>,
}

/// An element found on the page.
#[derive(Clone, Debug)]
pub struct Element(String);

/// A request named an element that is no longer in the page (WebDriver's "stale element
/// reference"): the request did nothing. Holds the request's path.
#[derive(Debug)]
pub struct StaleElement(String);

impl std::fmt::Display for StaleElement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "webdriver {}: the element is no longer in the page",
            self.0
        )
    }
}

impl std::error::Error for StaleElement {}

impl Session {
    /// Starts the application at `binary` with `args` through the WebDriver server at
    /// `driver_url` (tauri-driver).
    pub async fn start(driver_url: &str, binary: &str, args: &[String]) -> Result<Session> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()?;
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "wry",
                    "tauri:options": { "application": binary, "args": args }
                }
            }
        });
        let answer: Value = http
            .post(format!("{driver_url}/session"))
            .json(&caps)
            .send()
            .await
            .context("tauri-driver is not answering")?
            .json()
            .await?;
        let id = answer["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no session: {answer}"))?
            .to_owned();
        Ok(Session {
            http,
            base: format!("{driver_url}/session/{id}"),
            id,
            failure_dir: None,
        })
    }

    /// Saves a screenshot into `dir` whenever a wait times out, so a failure shows what the
    /// window looked like, and (where gdb is installed) the stacks of the threads of the
    /// process whose command line contains `process`, so a stalled app shows where it waits.
    pub fn save_failures_in(&mut self, dir: std::path::PathBuf, process: &str) {
        self.failure_dir = Some((dir, process.to_owned()));
    }

    /// What the window shows now, for a wait that timed out: the screen's name, the error
    /// banner, a panic the UI recorded (its panic hook writes `data-panic` on the root
    /// element), and where a screenshot was saved.
    async fn diagnose(&self) -> String {
        let banner = self.text_of_css("#error-banner").await.unwrap_or_default();
        let screen = self
            .execute(
                "const m = document.querySelector('[data-screen]'); \
                 return m ? m.getAttribute('data-screen') : document.body.innerHTML.slice(0, 600)",
                json!([]),
            )
            .await
            .unwrap_or_default();
        let panic = self
            .execute(
                "return document.documentElement.getAttribute('data-panic')",
                json!([]),
            )
            .await
            .unwrap_or_default();
        let Some((dir, process)) = &self.failure_dir else {
            return format!("screen: {screen}; error banner: {banner:?}; UI panic: {panic}");
        };
        let stem = format!(
            "timeout-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default()
        );
        let path = dir.join(format!("{stem}.png"));
        let shot = match self.screenshot_png().await {
            Ok(png) => match std::fs::write(&path, png) {
                Ok(()) => path.display().to_string(),
                Err(e) => format!("not saved: {e}"),
            },
            Err(e) => format!("not taken: {e}"),
        };
        let stacks = thread_stacks(process, &dir.join(format!("{stem}-threads.txt")));
        format!(
            "screen: {screen}; error banner: {banner:?}; UI panic: {panic}; screenshot: {shot}; \
             threads: {stacks}"
        )
    }

    /// The session's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let answer: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            if answer["value"]["error"] == "stale element reference" {
                return Err(StaleElement(path.to_owned()).into());
            }
            bail!(
                "webdriver {path}: {status}: {}",
                answer["value"]["message"].as_str().unwrap_or("")
            );
        }
        Ok(answer["value"].clone())
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Result<Value> {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// The element matching a CSS selector now, if any.
    pub async fn find_css(&self, css: &str) -> Result<Option<Element>> {
        let found = self
            .post(
                "/elements",
                json!({ "using": "css selector", "value": css }),
            )
            .await?;
        Ok(found
            .as_array()
            .and_then(|a| a.first())
            .and_then(|e| e[ELEMENT_KEY].as_str())
            .map(|id| Element(id.to_owned())))
    }

    /// Every element matching a CSS selector now.
    pub async fn find_all_css(&self, css: &str) -> Result<Vec<Element>> {
        let found = self
            .post(
                "/elements",
                json!({ "using": "css selector", "value": css }),
            )
            .await?;
        Ok(found
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT_KEY].as_str())
                    .map(|id| Element(id.to_owned()))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Waits until an element with this id exists and is displayed.
    pub async fn wait_for(&self, id: &str) -> Result<Element> {
        self.wait_for_css(&css_id(id), DEFAULT_WAIT).await
    }

    /// Waits until an element matching `css` exists and is displayed.
    pub async fn wait_for_css(&self, css: &str, timeout: Duration) -> Result<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.find_css(css).await? {
                // An element replaced by a re-render between the two requests is stale (404):
                // look again.
                if self.displayed(&e).await.unwrap_or(false) {
                    return Ok(e);
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "{css} did not appear within {timeout:?} ({})",
                    self.diagnose().await
                );
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Whether the element is displayed (an error when it is stale: replaced by a re-render).
    pub async fn displayed(&self, e: &Element) -> Result<bool> {
        Ok(self.get(&format!("/element/{}/displayed", e.0)).await? == json!(true))
    }

    /// Waits until one of these ids is displayed; returns which.
    pub async fn wait_for_any(&self, ids: &[&str]) -> Result<String> {
        let deadline = Instant::now() + DEFAULT_WAIT;
        loop {
            for id in ids {
                if let Some(e) = self.find_css(&css_id(id)).await? {
                    if self.get(&format!("/element/{}/displayed", e.0)).await? == json!(true) {
                        return Ok((*id).to_owned());
                    }
                }
            }
            if Instant::now() > deadline {
                bail!("none of {ids:?} appeared ({})", self.diagnose().await);
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits until the element with this id contains `needle` in its text.
    pub async fn wait_for_text(&self, id: &str, needle: &str) -> Result<String> {
        let deadline = Instant::now() + DEFAULT_WAIT;
        loop {
            if let Ok(text) = self.text(id).await {
                if text.contains(needle) {
                    return Ok(text);
                }
                if Instant::now() > deadline {
                    bail!(
                        "#{id} says {text:?}, not {needle:?} ({})",
                        self.diagnose().await
                    );
                }
            } else if Instant::now() > deadline {
                bail!(
                    "#{id} never appeared (waiting for {needle:?}; {})",
                    self.diagnose().await
                );
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Clicks the element with this id (waiting for it first). Found again when it was
    /// replaced before the click reached it ([`StaleElement`]: nothing was clicked).
    pub async fn click(&self, id: &str) -> Result<()> {
        self.again_if_replaced(|| async {
            let e = self.wait_for(id).await?;
            self.click_element(&e).await
        })
        .await
    }

    /// Runs `act` again, up to twice more, while it fails because its element was replaced
    /// ([`StaleElement`]): a re-render, or the entry screen handed over to the live one
    /// (ui/main.js), between finding the element and acting on it.
    async fn again_if_replaced<F, Fut>(&self, act: F) -> Result<()>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<()>>,
    {
        let mut tries = 0;
        loop {
            match act().await {
                Err(e) if e.is::<StaleElement>() && tries < 2 => tries += 1,
                done => return done,
            }
        }
    }

    /// Clicks an element, first scrolled to the middle of the window: the app's bottom
    /// navigation bar is fixed and would otherwise cover an element scrolled just into view.
    pub async fn click_element(&self, e: &Element) -> Result<()> {
        self.execute(
            "arguments[0].scrollIntoView({block: 'center'})",
            json!([{ ELEMENT_KEY: e.0 }]),
        )
        .await?;
        self.post(&format!("/element/{}/click", e.0), json!({}))
            .await
            .map(drop)
    }

    /// Clears the field with this id and types `text` into it.
    /// Found again and typed afresh when it was replaced in between ([`StaleElement`]).
    pub async fn type_into(&self, id: &str, text: &str) -> Result<()> {
        self.again_if_replaced(|| async {
            let e = self.wait_for(id).await?;
            self.post(&format!("/element/{}/clear", e.0), json!({}))
                .await?;
            self.post(&format!("/element/{}/value", e.0), json!({ "text": text }))
                .await
                .map(drop)
        })
        .await
    }

    /// Sends a file path to an `<input type=file>` with this id.
    pub async fn choose_file(&self, id: &str, path: &std::path::Path) -> Result<()> {
        let e = self
            .wait_for_css(&css_id(id), DEFAULT_WAIT)
            .await
            .map_err(|_| anyhow!("no file input #{id}"))?;
        self.post(
            &format!("/element/{}/value", e.0),
            json!({ "text": path.display().to_string() }),
        )
        .await
        .map(drop)
    }

    /// Selects the option with `value` in the `<select>` with this id (by script: WebKit's
    /// driver does not click options in closed selects reliably), firing `change`.
    pub async fn select(&self, id: &str, value: &str) -> Result<()> {
        self.wait_for(id).await?;
        self.execute(
            "const s = document.getElementById(arguments[0]); s.value = arguments[1]; \
             s.dispatchEvent(new Event('input', {bubbles: true})); \
             s.dispatchEvent(new Event('change', {bubbles: true}));",
            json!([id, value]),
        )
        .await
        .map(drop)
    }

    /// The visible text of the element with this id.
    pub async fn text(&self, id: &str) -> Result<String> {
        self.text_of_css(&css_id(id)).await
    }

    async fn text_of_css(&self, css: &str) -> Result<String> {
        let e = self
            .find_css(css)
            .await?
            .ok_or_else(|| anyhow!("no element {css}"))?;
        self.element_text(&e).await
    }

    /// The visible text of an element.
    pub async fn element_text(&self, e: &Element) -> Result<String> {
        Ok(self
            .get(&format!("/element/{}/text", e.0))
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// An attribute of an element.
    pub async fn attribute(&self, e: &Element, name: &str) -> Result<Option<String>> {
        Ok(self
            .get(&format!("/element/{}/attribute/{name}", e.0))
            .await?
            .as_str()
            .map(str::to_owned))
    }

    /// Runs a script in the page (W3C `execute/sync`) and returns its result.
    pub async fn execute(&self, script: &str, args: Value) -> Result<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    /// Runs an asynchronous script in the page (W3C `execute/async`: the script calls its last
    /// argument with the result) and returns that result.
    pub async fn execute_async(&self, script: &str, args: Value) -> Result<Value> {
        self.post("/execute/async", json!({ "script": script, "args": args }))
            .await
    }

    /// Presses and releases the Tab key (W3C `actions`), as a keyboard would: the focus moves
    /// to the next element in the page's focus order.
    pub async fn press_tab(&self) -> Result<()> {
        const TAB: &str = "\u{E004}";
        self.post(
            "/actions",
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": [
                { "type": "keyDown", "value": TAB }, { "type": "keyUp", "value": TAB }
            ]}]}),
        )
        .await?;
        self.send(reqwest::Method::DELETE, "/actions", None)
            .await
            .map(drop)
    }

    /// The window's size now (W3C `window/rect`).
    pub async fn window_size(&self) -> Result<(u32, u32)> {
        let rect = self.get("/window/rect").await?;
        let got = |k: &str| rect[k].as_u64().unwrap_or_default() as u32;
        Ok((got("width"), got("height")))
    }

    /// Resizes the window (W3C `window/rect`), so a screen can be seen at a phone's and a
    /// desktop's width; answers the size the window took.
    pub async fn set_window_size(&self, width: u32, height: u32) -> Result<(u64, u64)> {
        let rect = self
            .post("/window/rect", json!({ "width": width, "height": height }))
            .await?;
        let got = |k: &str| rect[k].as_u64().unwrap_or_default();
        Ok((got("width"), got("height")))
    }

    /// A PNG screenshot of the window's viewport.
    pub async fn screenshot_png(&self) -> Result<Vec<u8>> {
        let b64 = self.get("/screenshot").await?;
        let b64 = b64.as_str().ok_or_else(|| anyhow!("no screenshot"))?;
        Ok(base64::engine::general_purpose::STANDARD.decode(b64)?)
    }

    /// Ends the session (the app closes).
    pub async fn quit(self) -> Result<()> {
        self.http.delete(&self.base).send().await?;
        Ok(())
    }
}

/// Writes the stacks of every thread of the processes whose command line contains `process`
/// to `out`, with gdb when it is installed (a developer's machine; CI need not have it).
/// Says where they went or why there are none.
fn thread_stacks(process: &str, out: &std::path::Path) -> String {
    use std::process::Command;
    let Ok(found) = Command::new("pgrep").args(["-f", "--", process]).output() else {
        return "pgrep is missing".to_owned();
    };
    let mut pids = String::from_utf8_lossy(&found.stdout).to_string();
    // The page's code runs in WebKit's web processes, children of the app.
    for app in pids.clone().split_whitespace() {
        if let Ok(children) = Command::new("pgrep").args(["-P", app]).output() {
            pids.push_str(&String::from_utf8_lossy(&children.stdout));
        }
    }
    let mut text = String::new();
    for pid in pids.split_whitespace() {
        let Ok(bt) = Command::new("timeout")
            .args([
                "60",
                "gdb",
                "-p",
                pid,
                "-batch",
                "-ex",
                "thread apply all bt",
            ])
            .output()
        else {
            return "gdb is not installed".to_owned();
        };
        text.push_str(&format!("=== pid {pid}\n"));
        text.push_str(&String::from_utf8_lossy(&bt.stdout));
    }
    if text.is_empty() {
        return format!("no process matches {process:?}");
    }
    match std::fs::write(out, text) {
        Ok(()) => out.display().to_string(),
        Err(e) => format!("not saved: {e}"),
    }
}

/// A CSS selector for an element id (ids here are `[a-z0-9_-]`, some with `TC…` e-ID numbers).
pub fn css_id(id: &str) -> String {
    format!("[id=\"{id}\"]")
}
