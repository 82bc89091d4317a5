//! The layer rule of `src/lib.rs`, checked: a module names only modules in layers below
//! it (and the few features the table allows), so the import cycle cannot come back.
//! A plain scan of `crate::…` paths in `src/**/*.rs`; comments are ignored.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every top-level module of the library, with its layer (see `src/lib.rs`).
const LAYERS: &[(&str, u8)] = &[
    ("core", 0),
    ("config", 1),
    ("crypto", 1),
    ("metrics", 1),
    ("platform", 1),
    ("rate_limit", 1),
    ("slack", 1),
    ("store", 1),
    ("tls", 1),
    ("jobs", 2),
    ("workspace", 2),
    ("ingest", 3),
    ("admin", 4),
    ("conversations", 4),
    ("delivery", 4),
    ("directory", 4),
    ("history", 4),
    ("install", 4),
    ("log_export", 4),
    ("webhook", 4),
    ("bot", 5),
    ("app", 6),
    ("playground", 7),
];

/// Imports allowed within a layer: L1's shared leaves (the Slack client records its calls
/// in `metrics`), and the features that build on one another (admin → conversations →
/// delivery; admin → directory, install; the error log reads delivery's fixes and
/// history's error codes).
const LATERAL: &[(&str, &str)] = &[
    ("slack", "config"),
    ("slack", "tls"),
    ("slack", "metrics"),
    ("platform", "tls"),
    ("config", "crypto"),
    ("admin", "conversations"),
    ("admin", "directory"),
    ("admin", "delivery"),
    ("admin", "install"),
    ("admin", "history"),
    ("admin", "log_export"),
    ("log_export", "delivery"),
    ("log_export", "history"),
    ("conversations", "delivery"),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without `//` comments (doc comments may mention any module).
fn code(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a file names: `crate::x` and `use crate::{x, …}`.
fn named(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let top = item.trim().split("::").next().unwrap_or("").trim();
                if !top.is_empty() {
                    names.insert(top.to_string());
                }
            }
        } else {
            let top: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            names.insert(top);
        }
    }
    names
}

/// (file, its top-level module, what it names) for every library file.
fn library() -> Vec<(String, String, BTreeSet<String>)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let rel = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel == "main.rs" || rel == "lib.rs" {
                return None;
            }
            let top = rel
                .split('/')
                .next()
                .unwrap()
                .trim_end_matches(".rs")
                .to_string();
            Some((rel, top, named(&code(&path))))
        })
        .collect()
}

#[test]
fn every_top_level_module_has_a_layer() {
    for (file, top, _) in library() {
        assert!(
            layer(&top).is_some(),
            "{file}: module `{top}` is not in LAYERS"
        );
    }
}

#[test]
fn no_module_names_one_above_it() {
    let mut wrong = Vec::new();
    for (file, top, names) in library() {
        let own = layer(&top).unwrap_or(u8::MAX);
        for name in names.iter().filter(|n| **n != top) {
            let Some(theirs) = layer(name) else { continue };
            let lateral = LATERAL.contains(&(top.as_str(), name.as_str()));
            if theirs > own || (theirs == own && !lateral) {
                wrong.push(format!("{file} (L{own}) names crate::{name} (L{theirs})"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that go up or sideways:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn only_app_names_app_and_core_names_only_core() {
    for (file, top, names) in library() {
        // The playground (L7) is the one module above the app: it runs the app as `main`
        // does, beside a local Slack.
        if top != "app" && top != "playground" {
            assert!(!names.contains("app"), "{file} names crate::app");
        }
        if top == "core" {
            let others: Vec<_> = names.iter().filter(|n| *n != "core").collect();
            assert!(others.is_empty(), "{file} (core) names {others:?}");
        }
    }
}

#[test]
fn slack_names_no_feature_nor_store_and_jobs_know_no_kind() {
    let features = [
        "admin",
        "conversations",
        "delivery",
        "directory",
        "install",
        "webhook",
        "bot",
    ];
    for (file, top, names) in library() {
        if top == "slack" {
            for bad in features.iter().chain(&["store", "jobs", "workspace"]) {
                assert!(!names.contains(*bad), "{file} (slack) names crate::{bad}");
            }
        }
        if top == "jobs" {
            for bad in features.iter().chain(&["slack", "platform"]) {
                assert!(!names.contains(*bad), "{file} (jobs) names crate::{bad}");
            }
        }
    }
}

#[test]
fn block_kit_views_do_no_io() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let views: Vec<_> = files
        .iter()
        .filter(|p| {
            let rel = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            rel.contains("/views/") || rel.starts_with("core/render/")
        })
        .collect();
    assert!(
        !views.is_empty(),
        "no view files found: has the layout moved?"
    );
    for path in views {
        let code = code(path);
        assert!(
            !code.contains("async fn"),
            "{} has an async fn",
            path.display()
        );
        assert!(!code.contains(".await"), "{} awaits", path.display());
    }
}

/// The calls that end or move a claimed job. Only the worker makes them: every kind says
/// what happened with an `Outcome` instead.
const JOB_LIFECYCLE: [&str; 4] = [
    "complete_job(",
    "complete_job_in(",
    "reschedule_job(",
    "finish_job_failed(",
];

#[test]
fn only_the_worker_completes_reschedules_or_fails_a_job() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut callers = BTreeSet::new();
    for path in &files {
        let rel = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        // The store defines them.
        if rel.starts_with("store/") {
            continue;
        }
        let code = code(path);
        for call in JOB_LIFECYCLE {
            if code.contains(call) {
                callers.insert(format!("{rel} calls {call}"));
            }
        }
    }
    let expected: BTreeSet<String> = JOB_LIFECYCLE
        .iter()
        .map(|call| format!("jobs/worker.rs calls {call}"))
        .collect();
    assert_eq!(callers, expected);
}

#[test]
fn the_scan_sees_grouped_and_nested_paths() {
    let names = named("use crate::{a, b::c};\nfn f() { crate::d::e(); }\n");
    assert_eq!(
        names,
        ["a", "b", "d"].map(String::from).into_iter().collect()
    );
}
