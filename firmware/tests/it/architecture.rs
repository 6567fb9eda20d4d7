//! The layout's rules (docs/architecture.md), checked on the source: no import cycles between
//! the firmware's top-level modules, nor between the children of any module; and the parts
//! depend the way the pipeline flows (config and the core know nothing of the API, the feeds
//! or the CLI; sources never reach into the core; the daemon knows nothing of the CLI).
//!
//! Every `crate::…`, `super::…` and `self::…` path in every file (uses, types, expressions) is
//! resolved to the module it names, with `syn`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

type Module = Vec<String>;

/// Every `.rs` file under `src` with its module path (`core/track/table.rs` is core::track::table).
fn modules(src: &Path) -> Vec<(Module, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("source folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).expect("under src");
            let mut m: Module = rel
                .iter()
                .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
                .collect();
            if matches!(m.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                m.pop();
            }
            out.push((m, path));
        }
    }
    out
}

/// The module-relative paths a file uses.
#[derive(Default)]
struct Paths(Vec<Vec<String>>);

impl Paths {
    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut full = prefix.clone();
                full.push(n.ident.to_string());
                self.0.push(full);
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.clone();
                full.push(r.ident.to_string());
                self.0.push(full);
            }
            syn::UseTree::Glob(_) => self.0.push(prefix.clone()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        self.0
            .push(p.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, p);
    }
}

/// The module a path in `from` names (the longest known module it starts with).
fn target(from: &Module, path: &[String], known: &BTreeSet<Module>) -> Option<Module> {
    let mut abs: Module = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("self") => from.clone(),
        Some("super") => {
            let mut m = from.clone();
            let mut rest = path;
            while rest.first().map(String::as_str) == Some("super") {
                m.pop()?;
                rest = &rest[1..];
            }
            m.extend(rest.iter().cloned());
            return longest_known(m, known);
        }
        _ => return None,
    };
    abs.extend(path[1..].iter().cloned());
    longest_known(abs, known)
}

fn longest_known(mut m: Module, known: &BTreeSet<Module>) -> Option<Module> {
    while !m.is_empty() {
        if known.contains(&m) {
            return Some(m);
        }
        m.pop();
    }
    None
}

/// Module → modules it names, for every module of the firmware.
fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = modules(&src);
    let known: BTreeSet<Module> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut g: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (m, path) in &files {
        let text = std::fs::read_to_string(path).expect("source");
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut paths = Paths::default();
        paths.visit_file(&file);
        let edges = g.entry(m.clone()).or_default();
        for p in &paths.0 {
            if let Some(t) = target(m, p, &known) {
                if &t != m {
                    edges.insert(t);
                }
            }
        }
    }
    g
}

/// Edges between the children of `parent` (depth = parent's depth + 1), the parent's own
/// files left out (a module's `mod.rs` wires and re-exports its children).
fn level(
    g: &BTreeMap<Module, BTreeSet<Module>>,
    parent: &[String],
) -> BTreeMap<String, BTreeSet<String>> {
    let child = |m: &Module| -> Option<String> {
        (m.len() > parent.len() && m.starts_with(parent)).then(|| m[parent.len()].clone())
    };
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, tos) in g {
        let Some(a) = child(from) else { continue };
        let edges = out.entry(a.clone()).or_default();
        for to in tos {
            if let Some(b) = child(to) {
                if b != a {
                    edges.insert(b);
                }
            }
        }
    }
    out
}

/// A cycle in `g`, if any, as the modules along it.
fn cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut c = path[i..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for next in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, g, done, path) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    g.keys()
        .find_map(|n| visit(n, g, &mut done, &mut Vec::new()))
}

#[test]
fn no_import_cycles_at_any_level() {
    let g = graph();
    let mut parents: BTreeSet<Module> = BTreeSet::from([Vec::new()]);
    for m in g.keys() {
        for i in 1..m.len() {
            parents.insert(m[..i].to_vec());
        }
    }
    for p in parents {
        let l = level(&g, &p);
        if let Some(c) = cycle(&l) {
            panic!("import cycle under `{}`: {}", p.join("::"), c.join(" → "));
        }
    }
}

#[test]
fn the_parts_depend_the_way_the_data_flows() {
    let top = level(&graph(), &[]);
    let uses = |a: &str, b: &str| top.get(a).is_some_and(|e| e.contains(b));
    // Config is data: it imports no part.
    for part in ["api", "cli", "core", "daemon", "feeds", "source"] {
        assert!(!uses("config", part), "config imports {part}");
    }
    // The core knows no wire format, socket or command line.
    for part in ["api", "feeds", "cli", "daemon"] {
        assert!(!uses("core", part), "core imports {part}");
    }
    // Sources hand blocks over a channel; they never call into the core or the API.
    for part in ["core", "api", "feeds", "cli", "daemon"] {
        assert!(!uses("source", part), "source imports {part}");
    }
    // Feeds and the API read what the core publishes; neither knows the other or the CLI.
    assert!(!uses("feeds", "api") && !uses("feeds", "cli"));
    assert!(!uses("api", "cli") && !uses("api", "daemon"));
    // The daemon does not depend on the CLI; the CLI sits on top.
    assert!(!uses("daemon", "cli"));
    // Sanity: the checker sees the edges that must exist.
    assert!(uses("core", "source") && uses("api", "core") && uses("cli", "daemon"));
}

#[test]
fn the_checker_finds_a_cycle() {
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["c".to_string()])),
        ("c".to_string(), BTreeSet::from(["a".to_string()])),
    ]
    .into();
    assert_eq!(
        cycle(&g),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}
