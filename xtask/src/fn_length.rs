//! `cargo xtask fn-length`: no function in `crates/` may be longer than [`MAX_LINES`] lines.
//!
//! Every `.rs` file under `crates/` is parsed with `syn`; every function with a body — free
//! functions, inherent and trait-impl methods, trait methods with a default body, functions
//! nested in other functions or in modules (`mod tests` included) — is measured from the line
//! of its `fn` keyword to the line of its closing brace (attributes and doc comments are not
//! counted). Closures are part of the function that holds them. Functions generated inside
//! macro invocations are not seen (`syn` leaves macro bodies as tokens).

use std::fmt;
use std::path::{Path, PathBuf};

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

/// The longest a function may be, in lines (from `fn` to its closing brace, both included).
pub const MAX_LINES: usize = 150;

/// A function longer than allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongFn {
    /// The function's name, qualified by its enclosing modules, impl or trait and functions
    /// (`tests::helper`, `Suite::new`, `outer::inner`).
    pub name: String,
    /// 1-based line of the `fn` keyword.
    pub line: usize,
    /// Its length in lines.
    pub lines: usize,
}

impl fmt::Display for LongFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} ({} lines)", self.name, self.line, self.lines)
    }
}

/// Every function in `source` (a whole Rust file) longer than `max` lines, in source order.
pub fn long_fns(source: &str, max: usize) -> Result<Vec<LongFn>, String> {
    let file = syn::parse_file(source).map_err(|e| {
        let at = e.span().start();
        format!("line {}:{}: {e}", at.line, at.column + 1)
    })?;
    let mut finder = Finder {
        max,
        scope: Vec::new(),
        found: Vec::new(),
    };
    finder.visit_file(&file);
    Ok(finder.found)
}

/// Walks the syntax tree, keeping the names of the enclosing items for the report.
struct Finder {
    max: usize,
    scope: Vec<String>,
    found: Vec<LongFn>,
}

impl Finder {
    /// Measures one function (from its `fn` keyword to its body's closing brace) and records it
    /// when too long.
    fn measure(&mut self, name: &syn::Ident, fn_token: Span, close: Span) {
        let first = fn_token.start().line;
        let last = close.end().line;
        let lines = last.saturating_sub(first) + 1;
        if lines > self.max {
            let mut path = self.scope.clone();
            path.push(name.to_string());
            self.found.push(LongFn {
                name: path.join("::"),
                line: first,
                lines,
            });
        }
    }

    /// Runs `walk` with `name` pushed on the scope.
    fn within(&mut self, name: String, walk: impl FnOnce(&mut Self)) {
        self.scope.push(name);
        walk(self);
        self.scope.pop();
    }
}

/// The last segment of a type's path (`Suite` for `crate::reproduce::Suite<T>`), or the type's
/// source text when it has no path (`[T]`, `&str`).
fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        other => other
            .span()
            .source_text()
            .unwrap_or_else(|| "impl".to_string()),
    }
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.measure(
            &f.sig.ident,
            f.sig.fn_token.span,
            f.block.brace_token.span.close(),
        );
        self.within(f.sig.ident.to_string(), |me| visit::visit_item_fn(me, f));
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.measure(
            &f.sig.ident,
            f.sig.fn_token.span,
            f.block.brace_token.span.close(),
        );
        self.within(f.sig.ident.to_string(), |me| {
            visit::visit_impl_item_fn(me, f)
        });
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(body) = &f.default {
            self.measure(
                &f.sig.ident,
                f.sig.fn_token.span,
                body.brace_token.span.close(),
            );
        }
        self.within(f.sig.ident.to_string(), |me| {
            visit::visit_trait_item_fn(me, f)
        });
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        self.within(type_name(&i.self_ty), |me| visit::visit_item_impl(me, i));
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        self.within(t.ident.to_string(), |me| visit::visit_item_trait(me, t));
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        self.within(m.ident.to_string(), |me| visit::visit_item_mod(me, m));
    }
}

/// Every `.rs` file under `dir`, sorted (build outputs under `target/` skipped).
fn rust_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|e| format!("cannot list {}: {e}", d.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("cannot list {}: {e}", d.display()))?
                .path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The task: lists every function under `root/crates` longer than [`MAX_LINES`] lines and fails
/// if there is one (or if a file does not parse).
pub fn check(root: &Path) -> Result<(), String> {
    let files = rust_files(&root.join("crates"))?;
    let mut offenders = 0usize;
    for path in &files {
        let source = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let shown = path.strip_prefix(root).unwrap_or(path).display();
        let long = long_fns(&source, MAX_LINES).map_err(|e| format!("{shown}: {e}"))?;
        for f in &long {
            println!("{shown}:{}: {} is {} lines", f.line, f.name, f.lines);
        }
        offenders += long.len();
    }
    if offenders == 0 {
        println!(
            "fn-length: {} files, no function over {MAX_LINES} lines",
            files.len()
        );
        Ok(())
    } else {
        Err(format!(
            "{offenders} function(s) over {MAX_LINES} lines (from `fn` to the closing brace)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A function `name` whose body has `body` lines (so `body + 2` lines in all).
    fn func(name: &str, body: usize, indent: &str) -> String {
        let mut s = format!("{indent}fn {name}() {{\n");
        for i in 0..body {
            s.push_str(&format!("{indent}    let _x{i} = {i};\n"));
        }
        s.push_str(&format!("{indent}}}\n"));
        s
    }

    #[test]
    fn finds_every_kind_of_long_function() {
        let mut src = String::from("//! doc\n\n");
        src.push_str(&func("short", 3, ""));
        src.push_str(&func("free", 4, ""));
        src.push_str("struct S;\nimpl S {\n");
        src.push_str(&func("method", 5, "    "));
        src.push_str("}\ntrait T {\n    fn required(&self);\n");
        src.push_str(&func("provided", 4, "    "));
        src.push_str("}\nfn outer() {\n    let c = || 1;\n");
        src.push_str(&func("inner", 4, "    "));
        src.push_str("    c();\n}\n#[cfg(test)]\nmod tests {\n    #[test]\n");
        src.push_str(&func("a_test", 4, "    "));
        src.push_str("}\n");
        let found = long_fns(&src, 5).expect("parses");
        let names: Vec<(&str, usize)> = found.iter().map(|f| (f.name.as_str(), f.lines)).collect();
        assert_eq!(
            names,
            vec![
                ("free", 6),
                ("S::method", 7),
                ("T::provided", 6),
                // a nested function counts in its parent too
                ("outer", 10),
                ("outer::inner", 6),
                ("tests::a_test", 6),
            ]
        );
        // `free` starts on line 8: two doc lines, then `short`'s five.
        assert_eq!(found[0].line, 8);
    }

    #[test]
    fn the_limit_is_inclusive_and_attributes_do_not_count() {
        let src = format!("/// doc\n/// more\n#[inline]\n{}", func("f", 148, ""));
        assert!(long_fns(&src, MAX_LINES).expect("parses").is_empty());
        let src = func("g", 149, "");
        let found = long_fns(&src, MAX_LINES).expect("parses");
        assert_eq!(
            found,
            vec![LongFn {
                name: "g".into(),
                line: 1,
                lines: 151
            }]
        );
    }

    #[test]
    fn a_file_that_does_not_parse_is_an_error() {
        let err = long_fns("fn broken( {", MAX_LINES).unwrap_err();
        assert!(err.starts_with("line 1:"), "{err}");
    }
}
