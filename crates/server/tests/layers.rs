//! The server's modules import each other one way (docs/design/architecture.md): no cycles,
//! no import from a lower layer into a higher one, and a resource reaches another only through
//! that one's service API (the items its `mod.rs` declares or re-exports), never its inner files.
//!
//! Read from the sources, as `crate::` paths (comments and `#[cfg(test)] mod tests` blocks are
//! left out). A module is a file's path under `src/` cut to two segments, so `resources/accounts`
//! is one module with all its files, and `http/auth` is apart from the router in `http/mod.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, top first. A module may import its own layer's modules and the layers below.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "entry points",
        &["http", "http/openapi", "seed", "testing", "testing/*"],
    ),
    ("resources", &["resources/*"]),
    (
        "request extractors",
        &[
            "http/auth",
            "http/confirmation",
            "http/confirmed",
            "http/push",
        ],
    ),
    ("authorisation", &["authz"]),
    ("storage", &["store/*"]),
    ("infrastructure", &["infra/*"]),
];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("src is readable")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `resources/accounts/store.rs` → `["resources", "accounts", "store"]`; `mod.rs` is its folder.
fn segments(path: &Path) -> Vec<String> {
    let rel = path.strip_prefix(src_dir()).expect("under src");
    let mut segs: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    let last = segs.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs").to_owned();
    if stem != "mod" {
        segs.push(stem);
    }
    segs
}

fn module_of(segs: &[String]) -> String {
    segs.iter().take(2).cloned().collect::<Vec<_>>().join("/")
}

/// The code of a file without comments and without its unit-test module.
fn code(text: &str) -> String {
    let text = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every `crate::a::b::…` path in the code, as segments; use-groups are expanded at any depth
/// (`crate::a::{b, c::{d, e}}` gives `a::b`, `a::c::d` and `a::c::e`).
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = code.chars().collect();
    let needle: Vec<char> = "crate::".chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + needle.len() <= chars.len() {
        let preceded_by_ident = i > 0 && (is_ident(chars[i - 1]) || chars[i - 1] == ':');
        if chars[i..i + needle.len()] == needle[..] && !preceded_by_ident {
            let (paths, end) = use_tree(&chars, i + needle.len());
            out.extend(paths);
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out.retain(|p| !p.is_empty());
    out
}

/// Reads `a::b::{…}` from `pos`: the paths it names, and where it ends.
fn use_tree(chars: &[char], mut pos: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix: Vec<String> = Vec::new();
    loop {
        if chars.get(pos) == Some(&'{') {
            let mut out = Vec::new();
            pos += 1;
            loop {
                while pos < chars.len() && (chars[pos].is_whitespace() || chars[pos] == ',') {
                    pos += 1;
                }
                if pos >= chars.len() || chars[pos] == '}' {
                    return (out, pos + 1);
                }
                let (inner, end) = use_tree(chars, pos);
                for p in inner {
                    let mut full = prefix.clone();
                    full.extend(p);
                    out.push(full);
                }
                // Past the item, and past a rename (`x as y`) or anything that is not a path.
                pos = end.max(pos + 1);
                while pos < chars.len() && chars[pos] != ',' && chars[pos] != '}' {
                    pos += 1;
                }
            }
        }
        let start = pos;
        while pos < chars.len() && is_ident(chars[pos]) {
            pos += 1;
        }
        if pos == start {
            return (vec![prefix], pos);
        }
        prefix.push(chars[start..pos].iter().collect());
        if chars.get(pos) == Some(&':') && chars.get(pos + 1) == Some(&':') {
            pos += 2;
        } else {
            return (vec![prefix], pos);
        }
    }
}

struct Graph {
    /// Module → the modules it imports, with one example path each.
    edges: BTreeMap<String, BTreeMap<String, String>>,
    /// Paths from one resource into another's inner files.
    private_reaches: Vec<String>,
    modules: BTreeSet<String>,
}

fn graph() -> Graph {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let all: Vec<Vec<String>> = files.iter().map(|f| segments(f)).collect();
    let modules: BTreeSet<String> = all
        .iter()
        .filter(|s| !s.is_empty() && *s != &["lib".to_owned()] && *s != &["main".to_owned()])
        .map(|s| module_of(s))
        .collect();
    let file_paths: BTreeSet<Vec<String>> = all.iter().cloned().collect();
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut private_reaches = Vec::new();
    for (file, segs) in files.iter().zip(&all) {
        if segs.is_empty() || segs == &["lib"] || segs == &["main"] {
            continue;
        }
        let from = module_of(segs);
        let text = std::fs::read_to_string(file).expect("readable");
        for path in crate_paths(&code(&text)) {
            let target = (1..=path.len().min(2))
                .rev()
                .map(|k| path[..k].join("/"))
                .find(|m| modules.contains(m));
            let Some(to) = target else { continue };
            if to == from {
                continue;
            }
            let shown = format!("{}: crate::{}", file.display(), path.join("::"));
            // A resource's inner file: `crate::resources::y::z` where `z` is a file or folder.
            if from.starts_with("resources/") && to.starts_with("resources/") && path.len() > 2 {
                let inner: Vec<String> = path[..3].to_vec();
                if file_paths.contains(&inner) {
                    private_reaches.push(shown.clone());
                }
            }
            edges
                .entry(from.clone())
                .or_default()
                .entry(to)
                .or_insert(shown);
        }
    }
    Graph {
        edges,
        private_reaches,
        modules,
    }
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, patterns)| {
        patterns.iter().any(|p| match p.strip_suffix("/*") {
            Some(prefix) => module.starts_with(&format!("{prefix}/")) || module == prefix,
            None => module == *p,
        })
    })
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a Graph,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on: BTreeSet<String>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit(t: &mut T<'_>, v: &str) {
        t.index.insert(v.to_owned(), t.next);
        t.low.insert(v.to_owned(), t.next);
        t.next += 1;
        t.stack.push(v.to_owned());
        t.on.insert(v.to_owned());
        let targets: Vec<String> =
            t.g.edges
                .get(v)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
        for w in targets {
            if !t.index.contains_key(&w) {
                visit(t, &w);
                let lw = t.low[&w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if t.on.contains(&w) {
                let iw = t.index[&w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = t.stack.pop().expect("on the stack");
                t.on.remove(&w);
                let done = w == v;
                comp.push(w);
                if done {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for m in &g.modules {
        if !t.index.contains_key(m) {
            visit(&mut t, m);
        }
    }
    t.out
}

#[test]
fn server_modules_import_each_other_without_cycles() {
    let g = graph();
    let found = cycles(&g);
    let described: Vec<String> = found
        .iter()
        .map(|c| {
            let examples: Vec<String> = c
                .iter()
                .flat_map(|a| {
                    c.iter()
                        .filter_map(|b| g.edges.get(a).and_then(|m| m.get(b)).cloned())
                })
                .collect();
            format!("{}\n    {}", c.join(" ↔ "), examples.join("\n    "))
        })
        .collect();
    assert!(
        found.is_empty(),
        "import cycles (give the shared concern a module of its own):\n{}",
        described.join("\n")
    );
}

#[test]
fn every_module_belongs_to_a_layer() {
    let g = graph();
    let homeless: Vec<&String> = g.modules.iter().filter(|m| layer_of(m).is_none()).collect();
    assert!(
        homeless.is_empty(),
        "modules in no layer (add them to LAYERS and docs/design/architecture.md): {homeless:?}"
    );
}

#[test]
fn imports_point_down_the_layers() {
    let g = graph();
    let mut upward = Vec::new();
    for (from, targets) in &g.edges {
        for (to, example) in targets {
            if let (Some(a), Some(b)) = (layer_of(from), layer_of(to)) {
                if b < a {
                    upward.push(format!(
                        "{from} ({}) imports {to} ({}): {example}",
                        LAYERS[a].0, LAYERS[b].0
                    ));
                }
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports against the layers:\n{}",
        upward.join("\n")
    );
}

#[test]
fn a_resource_reaches_another_only_through_its_service_api() {
    let g = graph();
    assert!(
        g.private_reaches.is_empty(),
        "resources reaching into another resource's files (use what its mod.rs exports):\n{}",
        g.private_reaches.join("\n")
    );
}

#[test]
fn the_reader_of_imports_sees_grouped_and_nested_paths() {
    let paths = crate_paths(
        "use crate::{a::b, c::{d, e as f}};\nlet x = crate::f::g(1); // crate::h\nmycrate::i\nuse crate::r::{self, s::t};",
    );
    let code_paths = crate_paths(&code(
        "use crate::{a::b, c::{d, e}};\nlet x = crate::f::g(1); // crate::h\nmycrate::i",
    ));
    assert!(paths.contains(&vec!["a".to_owned(), "b".to_owned()]));
    assert!(paths.contains(&vec!["c".to_owned(), "d".to_owned()]));
    assert!(paths.contains(&vec!["c".to_owned(), "e".to_owned()]));
    assert!(paths.contains(&vec!["r".to_owned(), "self".to_owned()]));
    assert!(paths.contains(&vec!["r".to_owned(), "s".to_owned(), "t".to_owned()]));
    assert!(paths.contains(&vec!["f".to_owned(), "g".to_owned()]));
    assert!(!code_paths.contains(&vec!["h".to_owned()]));
    assert!(!paths.iter().any(|p| p == &vec!["i".to_owned()]));
}
