//! The layering `src/lib.rs` describes, checked on the source so that it
//! cannot rot: a request goes down one way, `api` → `flows` → `store` →
//! `entity`, and `domain` (the values every layer shares) knows none of
//! them nor any web framework or ORM. Each file's paths — its `use` trees
//! and every path in its code, `super::` and `crate::` resolved — are read
//! with syn, and a path into a layer the file may not reach fails the test
//! with the file and the path.
//!
//! Also: no flow uses another flow (only the modules flows share), and no
//! endpoint file of `api` uses another endpoint file (what two endpoints
//! share lives in a module both import).

use std::path::{Path, PathBuf};

use syn::visit::{self, Visit};

/// The paths a file names, as written.
#[derive(Default)]
struct Paths(Vec<Vec<String>>);

impl Paths {
    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Name(name) => self.push(prefix, &name.ident),
            syn::UseTree::Rename(rename) => self.push(prefix, &rename.ident),
            syn::UseTree::Glob(_) => self.0.push(prefix.clone()),
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }

    fn push(&mut self, prefix: &[String], ident: &syn::Ident) {
        let mut path = prefix.to_vec();
        path.push(ident.to_string());
        self.0.push(path);
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.0
            .push(path.segments.iter().map(|s| s.ident.to_string()).collect());
        visit::visit_path(self, path);
    }
}

/// A source file of the crate and the module it is.
struct SourceFile {
    path: PathBuf,
    /// `["flows", "login"]` for `src/flows/login.rs`, `["api", "sandbox"]`
    /// for `src/api/sandbox/mod.rs`.
    module: Vec<String>,
    /// Whether it is a directory's `mod.rs` (its `super` is one level up).
    is_dir_module: bool,
}

fn source_files(dir: &Path, module: &[String], files: &mut Vec<SourceFile>) {
    for entry in std::fs::read_dir(dir).expect("a source directory") {
        let path = entry.expect("an entry").path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let mut inner = module.to_vec();
        if path.is_dir() {
            inner.push(name);
            source_files(&path, &inner, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let is_dir_module = name == "mod";
            if !is_dir_module {
                inner.push(name);
            }
            files.push(SourceFile {
                path,
                module: inner,
                is_dir_module,
            });
        }
    }
}

/// `path` as an absolute path from the crate's root (`crate::` dropped), or
/// as an outside crate's path (`sea_orm::...`), or `None` for a local name.
fn resolve(file: &SourceFile, path: &[String]) -> Option<Vec<String>> {
    let first = path.first()?;
    match first.as_str() {
        "crate" => Some(path[1..].to_vec()),
        "super" | "self" => {
            // `self` is the file's module; each `super` one level up
            // (a file `x.rs`'s module is `x`, so its `super` is its directory).
            let mut base = file.module.clone();
            let mut rest = path;
            while let Some(segment) = rest.first() {
                match segment.as_str() {
                    "self" => {}
                    "super" => {
                        base.pop();
                    }
                    _ => break,
                }
                rest = &rest[1..];
            }
            base.extend(rest.iter().cloned());
            Some(base)
        }
        "entity" | "sea_orm" | "sea_query" | "poem" | "poem_openapi" | "hyper" => {
            Some(path.to_vec())
        }
        _ => None,
    }
}

/// What a file of layer `layer` may not reach, as path prefixes.
fn forbidden(layer: &str) -> &'static [&'static str] {
    match layer {
        "domain" => &[
            "api",
            "flows",
            "store",
            "state",
            "startup",
            "settings",
            "http_server",
            "sandbox",
            "entity",
            "sea_orm",
            "poem",
            "poem_openapi",
            "hyper",
        ],
        "store" => &[
            "api",
            "flows",
            "startup",
            "http_server",
            "poem",
            "poem_openapi",
        ],
        "flows" => &[
            "api",
            "startup",
            "http_server",
            "entity",
            "sea_orm",
            "poem",
            "poem_openapi",
        ],
        "api" => &["store", "entity", "sea_orm"],
        _ => &[],
    }
}

/// Modules of `flows` every flow may use; any other is a flow.
const SHARED_FLOW_MODULES: &[&str] = &["error", "refusals", "account", "events", "admin_cursor"];

fn is_endpoint(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| text.contains("#[OpenApi("))
}

#[test]
fn no_layer_reaches_above_itself_and_no_flow_or_endpoint_uses_another() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for layer in ["domain", "store", "flows", "api"] {
        source_files(&root.join(layer), &[layer.to_owned()], &mut files);
    }
    assert!(
        files.len() > 60,
        "the source tree was not found: {}",
        files.len()
    );
    let mut violations = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(&file.path).expect("a readable file");
        let syntax = syn::parse_file(&text).expect("the file parses");
        let mut paths = Paths::default();
        paths.visit_file(&syntax);
        let layer = file.module[0].as_str();
        let own = if file.is_dir_module {
            file.module.clone()
        } else {
            file.module[..file.module.len() - 1].to_vec()
        };
        for written in &paths.0 {
            let Some(target) = resolve(file, written) else {
                continue;
            };
            let shown = written.join("::");
            let place = file.path.strip_prefix(&root).unwrap().display();
            if let Some(bad) = forbidden(layer).iter().find(|bad| target[0] == **bad) {
                violations.push(format!("{place}: `{shown}` reaches `{bad}`"));
            }
            // A sibling module of the same directory.
            let sibling = (target.len() > own.len() && target[..own.len()] == own[..])
                .then(|| &target[own.len()]);
            let Some(sibling) = sibling else { continue };
            if file.module.last() == Some(sibling) {
                continue;
            }
            if layer == "flows"
                && own.len() == 1
                && !SHARED_FLOW_MODULES.contains(&sibling.as_str())
            {
                violations.push(format!("{place}: `{shown}` uses the flow `{sibling}`"));
            }
            if layer == "api" && is_endpoint(&file.path) {
                let sibling_file = root.join(own.join("/")).join(format!("{sibling}.rs"));
                if is_endpoint(&sibling_file) {
                    violations.push(format!("{place}: `{shown}` uses the endpoint `{sibling}`"));
                }
            }
        }
    }
    violations.sort();
    violations.dedup();
    assert!(
        violations.is_empty(),
        "the layering of src/lib.rs is broken:\n  {}",
        violations.join("\n  ")
    );
}

#[test]
fn the_check_sees_a_layer_reaching_above_itself() {
    // The same reading, on a file that breaks every rule.
    let file = SourceFile {
        path: PathBuf::from("flows/example.rs"),
        module: vec!["flows".to_owned(), "example".to_owned()],
        is_dir_module: false,
    };
    let syntax = syn::parse_file(
        "use crate::{api::login::LoginForm, store::users};\n\
         use super::login::login;\n\
         fn f() { let _ = sea_orm::DbErr::RecordNotFound(String::new()); }",
    )
    .unwrap();
    let mut paths = Paths::default();
    paths.visit_file(&syntax);
    let resolved: Vec<Vec<String>> = paths.0.iter().filter_map(|p| resolve(&file, p)).collect();
    let joined: Vec<String> = resolved.iter().map(|p| p.join("::")).collect();
    assert!(
        joined.contains(&"api::login::LoginForm".to_owned()),
        "{joined:?}"
    );
    assert!(joined.contains(&"store::users".to_owned()), "{joined:?}");
    assert!(
        joined.contains(&"flows::login::login".to_owned()),
        "{joined:?}"
    );
    assert!(
        joined.iter().any(|p| p.starts_with("sea_orm::DbErr")),
        "{joined:?}"
    );
    assert!(forbidden("flows").contains(&"api") && forbidden("flows").contains(&"sea_orm"));
    assert!(forbidden("domain").contains(&"poem_openapi"));
}
