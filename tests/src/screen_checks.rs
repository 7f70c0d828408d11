//! What the end-to-end tests check on every screen of the app they take a screenshot of, once
//! a test turns the checks on ([`crate::e2e::E2e::check_screens`]): in the window's size as it
//! is, and again with the root font size at 200%.
//!
//! - no horizontal scrolling (the document's `scrollWidth` ≤ its `clientWidth`);
//! - every button, link and input at least 44×44 CSS px (WCAG 2.5.5; a checkbox or radio
//!   button is tapped through its label, so its label's box counts);
//! - every button reachable: scrolled into view, the point a tap lands on (its centre) is the
//!   button itself, not the fixed navigation or anything else, and none is cut off at the
//!   window's edge (a fixed bar does not scroll);
//! - focus order: no positive `tabindex` (so the order is the document's), and within the
//!   screen's content each focusable element comes after the previous one on the screen
//!   (further down, or to its right); the header comes first and the navigation last;
//! - axe-core (the npm package pinned by `demo/service/package.json`) finds no serious or
//!   critical violation: labels, names, contrast (WCAG 2.1 AA), roles and the rest of its rules.
//!
//! Each check answers sentences naming the element, so a failure says what to fix.

use std::collections::HashSet;
use std::sync::Mutex;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

use crate::webdriver::Session;

/// The smallest touch target, CSS px (WCAG 2.5.5, Apple's 44 pt).
pub const MIN_TARGET_PX: u32 = 44;

/// axe-core's source, read once per test run.
#[derive(Clone)]
pub struct Axe(String);

impl Axe {
    /// Reads `axe.min.js` from `demo/service/node_modules` (`cargo xtask test` runs `npm ci`
    /// there before the tests).
    pub fn load() -> Result<Axe> {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../demo/service/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&file)
            .with_context(|| format!("{} (`cargo xtask test` runs `npm ci`)", file.display()))?;
        Ok(Axe(source))
    }
}

/// The layout checks, in the page: one script, so the screen cannot change half-way.
/// `arguments[0]`: the smallest target; answers `{problems: [..], notes: [..]}`.
const LAYOUT: &str = r#"
const min = arguments[0];
const problems = [];
const doc = document.documentElement;
const describe = (e) => {
  let text = (e.getAttribute('aria-label') || e.innerText || e.value || '').trim().replace(/\s+/g, ' ');
  if (text.length > 40) text = text.slice(0, 40) + '…';
  return (e.id ? '#' + e.id : e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : ''))
    + (text ? ` "${text}"` : '');
};
const shown = (e) => {
  const r = e.getBoundingClientRect();
  const s = getComputedStyle(e);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden';
};
if (doc.scrollWidth > doc.clientWidth) {
  // The innermost elements that stick out or whose content does (a field's own text scrolls
  // inside it, so fields do not count).
  const out = [...document.querySelectorAll('body *')]
    .filter((e) => !e.matches('input, textarea, select') && (e.getBoundingClientRect().right > doc.clientWidth + 0.5
      || (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible')));
  const wide = out.filter((e) => !out.some((o) => o !== e && e.contains(o)))
    .slice(0, 5).map(describe).join(', ');
  problems.push(`scrolls sideways: the page is ${doc.scrollWidth} px wide in a ${doc.clientWidth} px window (wider: ${wide})`);
}
const targets = [...document.querySelectorAll(
  'button, a[href], input, select, textarea, [role=button], [role=radio], [role=checkbox], [role=link]')]
  .filter((e) => shown(e) && !(e.type === 'hidden'));
for (const e of targets) {
  let box = e.getBoundingClientRect();
  if (e.matches('input[type=checkbox], input[type=radio]')) {
    const label = e.closest('label') || (e.id && document.querySelector(`label[for="${e.id}"]`));
    if (label) box = label.getBoundingClientRect();
  }
  if (box.width + 0.5 < min || box.height + 0.5 < min) {
    problems.push(`touch target too small: ${describe(e)} is ${Math.round(box.width)}×${Math.round(box.height)} px`);
  }
}
// Focus order.
const focusable = [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')]
  .filter((e) => !e.disabled && e.tabIndex >= 0 && shown(e));
for (const e of focusable.filter((e) => e.tabIndex > 0)) {
  problems.push(`positive tabindex (${e.tabIndex}) takes ${describe(e)} out of the screen's order`);
}
const part = (e) => e.closest('header') ? 0 : e.closest('nav.nav-bar') ? 2 : 1;
for (let i = 1; i < focusable.length; i++) {
  if (part(focusable[i]) < part(focusable[i - 1])) {
    problems.push(`focus goes from ${describe(focusable[i - 1])} back to ${describe(focusable[i])}`);
  }
}
const content = focusable.filter((e) => part(e) === 1);
const at = (e) => { const r = e.getBoundingClientRect(); return { top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left + scrollX, right: r.right + scrollX }; };
for (let i = 1; i < content.length; i++) {
  const a = at(content[i - 1]), b = at(content[i]);
  // After: below the previous one, beside it to the right, or in a column to its right.
  const below = b.top >= a.top - 1 && (b.top >= a.bottom - 1 || b.left >= a.left - 1);
  const right = b.left >= a.right - 1;
  if (!below && !right) {
    problems.push(`focus order: ${describe(content[i])} comes after ${describe(content[i - 1])} but is shown before it`);
  }
}
// Reachable: scrolled into view, a tap at the button's centre lands on it.
const x0 = scrollX, y0 = scrollY;
for (const e of targets.filter((e) => e.matches('button, [role=button], [role=radio], a[href]') && !e.disabled)) {
  e.scrollIntoView({ block: 'center', inline: 'center' });
  const r = e.getBoundingClientRect();
  const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
  if (cx < 0 || cy < 0 || cx > innerWidth || cy > innerHeight) {
    problems.push(`not reachable: ${describe(e)} cannot be scrolled into the window`);
    continue;
  }
  // A fixed bar does not make the page scroll: what sticks out of it is cut off.
  if (r.left < -1 || r.right > doc.clientWidth + 1) {
    problems.push(`cut off: ${describe(e)} reaches from ${Math.round(r.left)} to ${Math.round(r.right)} px in a ${doc.clientWidth} px window`);
  }
  const hit = document.elementFromPoint(cx, cy);
  if (!hit || !(hit === e || e.contains(hit))) {
    problems.push(`not reachable: a tap on ${describe(e)} lands on ${hit ? describe(hit) : 'nothing'}`);
  }
}
scrollTo(x0, y0);
return problems;
"#;

/// What axe-core's findings depend on: the screen, the window's width, and every element's tag,
/// id, class and role (not the text). A screen seen again the same way is not run through
/// axe-core again (the layout checks run every time: a longer name may overflow).
const STRUCTURE: &str = r#"
let h = 5381;
const add = (t) => { for (let i = 0; i < t.length; i++) h = ((h * 33) ^ t.charCodeAt(i)) >>> 0; };
for (const e of document.querySelectorAll('body *')) {
  add(e.tagName + '#' + e.id + '.' + (typeof e.className === 'string' ? e.className : '') + '@' + (e.getAttribute('role') || ''));
}
const m = document.querySelector('[data-screen]');
return `${m ? m.getAttribute('data-screen') : '?'} ${innerWidth} ${h}`;
"#;

/// Runs axe-core in the page (injected the first time: the app is one page that never
/// reloads); answers the violations, serious and critical ones first, one line each.
async fn axe_violations(session: &Session, axe: &Axe) -> Result<(Vec<String>, Vec<String>)> {
    let present = session
        .execute("return typeof axe !== 'undefined'", json!([]))
        .await?;
    if present != json!(true) {
        session
            .execute(&format!("{}\nreturn typeof axe;", axe.0), json!([]))
            .await
            .context("injecting axe-core")?;
    }
    let result = session
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] })
  .then((r) => done(r.violations.map((v) => ({
    serious: v.impact === 'serious' || v.impact === 'critical',
    line: `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  }))))
  .catch((e) => done([{ serious: true, line: 'axe failed: ' + e }]));"#,
            json!([]),
        )
        .await?;
    let mut serious = Vec::new();
    let mut other = Vec::new();
    for v in result.as_array().cloned().unwrap_or_default() {
        let line = v["line"].as_str().unwrap_or_default().to_owned();
        if v["serious"] == json!(true) {
            serious.push(line);
        } else {
            other.push(line);
        }
    }
    Ok((serious, other))
}

async fn layout_problems(session: &Session) -> Result<Vec<String>> {
    let found: Value = session.execute(LAYOUT, json!([MIN_TARGET_PX])).await?;
    Ok(serde_json::from_value(found)?)
}

/// Sets the root font size (`None`: the stylesheet's own) and lets the page lay out again.
pub async fn set_root_font(session: &Session, percent: Option<u32>) -> Result<()> {
    let size = percent.map(|p| format!("{p}%")).unwrap_or_default();
    session
        .execute(
            "document.documentElement.style.fontSize = arguments[0]; \
             return document.documentElement.getBoundingClientRect().width",
            json!([size]),
        )
        .await?;
    // Two frames: the layout after the change, and anything it triggers.
    session
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            json!([]),
        )
        .await?;
    Ok(())
}

/// Every check of this module on the screen as it is now, then the layout checks again with
/// the root font at 200% (left as it was afterwards). `zoomed_shot` is called with the font at
/// 200%, to save what the person would see. Fails with every problem found, by name; axe's
/// moderate and minor findings are printed, not failed.
pub async fn check_screen<F, Fut>(
    session: &Session,
    axe: &Axe,
    seen: &Mutex<HashSet<String>>,
    label: &str,
    zoomed_shot: F,
) -> Result<()>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut problems = layout_problems(session).await?;
    let structure = session.execute(STRUCTURE, json!([])).await?;
    let new = seen
        .lock()
        .map_err(|_| anyhow!("a screen check panicked"))?
        .insert(structure.as_str().unwrap_or_default().to_owned());
    if new {
        let (serious, other) = axe_violations(session, axe).await?;
        problems.extend(serious.into_iter().map(|v| format!("axe: {v}")));
        for v in other {
            eprintln!("{label}: axe (not serious): {v}");
        }
    }
    set_root_font(session, Some(200)).await?;
    let zoomed = layout_problems(session).await;
    let shot = zoomed_shot().await;
    set_root_font(session, None).await?;
    problems.extend(zoomed?.into_iter().map(|p| format!("at 200% text: {p}")));
    shot?;
    if !problems.is_empty() {
        bail!("the screen {label:?}:\n  {}", problems.join("\n  "));
    }
    Ok(())
}
