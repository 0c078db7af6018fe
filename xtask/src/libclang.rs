//! Is there a libclang that bindgen will find?
//!
//! `xgboost-rs-sys` and `lightgbm3-sys` generate their bindings with bindgen, which loads
//! libclang through `clang-sys` at build time. This module applies clang-sys's own search rule
//! (clang-sys 1.x, `build/common.rs` and `build/dynamic.rs`, runtime linking as bindgen uses it),
//! so that `cargo xtask setup` installs libclang exactly when the build would not find one:
//!
//! * file names `libclang.so`, `libclang-*.so`, `libclang.so.*` and `libclang-*.so.*`, except
//!   any name containing `-cpp.` (`libclang-cpp.so.14` is the C++ library, not libclang);
//! * if `LIBCLANG_PATH` is set, only that file or folder;
//! * otherwise `bin/`, `lib/` and `lib64/` of `llvm-config --prefix`, every folder of
//!   `LD_LIBRARY_PATH` and `LIBRARY_PATH`, then the folder patterns `/usr/local/llvm*/lib*`,
//!   `/usr/local/lib*/*/*`, `/usr/local/lib*/*`, `/usr/local/lib*`, `/usr/lib*/*/*`,
//!   `/usr/lib*/*` and `/usr/lib*`.
//!
//! Every path is taken below a root folder, `/` on a real machine and a fake tree in the tests.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// clang-sys's folder patterns on Linux, relative to the root.
const LINUX_DIRS: &[&str] = &[
    "usr/local/llvm*/lib*",
    "usr/local/lib*/*/*",
    "usr/local/lib*/*",
    "usr/local/lib*",
    "usr/lib*/*/*",
    "usr/lib*/*",
    "usr/lib*",
];

/// What the search looks at: the file system below `root` and the environment.
#[derive(Clone, Debug, Default)]
pub struct Probe {
    /// Prefix of every absolute path searched (`/` on a real machine).
    pub root: PathBuf,
    /// `LIBCLANG_PATH`.
    pub libclang_path: Option<OsString>,
    /// `LD_LIBRARY_PATH`.
    pub ld_library_path: Option<OsString>,
    /// `LIBRARY_PATH`.
    pub library_path: Option<OsString>,
    /// What `llvm-config --prefix` printed, if it ran.
    pub llvm_prefix: Option<PathBuf>,
}

impl Probe {
    /// This machine: root `/`, the process environment and `llvm-config` from `PATH`.
    pub fn from_env() -> Self {
        let llvm_prefix = std::process::Command::new("llvm-config")
            .arg("--prefix")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| {
                let text = String::from_utf8_lossy(&o.stdout).to_string();
                text.lines().next().map(|l| PathBuf::from(l.trim()))
            });
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        Probe {
            root: PathBuf::from("/"),
            libclang_path: var("LIBCLANG_PATH"),
            ld_library_path: var("LD_LIBRARY_PATH"),
            library_path: var("LIBRARY_PATH"),
            llvm_prefix,
        }
    }

    /// `path` (absolute or relative) placed below the root.
    fn under_root(&self, path: &Path) -> PathBuf {
        match path.strip_prefix("/") {
            Ok(rel) => self.root.join(rel),
            Err(_) => path.to_path_buf(),
        }
    }

    /// The first libclang clang-sys would find, if any.
    pub fn find(&self) -> Option<PathBuf> {
        if let Some(p) = &self.libclang_path {
            let p = self.under_root(Path::new(p));
            let named = p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_libclang);
            if p.is_file() && named {
                return Some(p);
            }
            return search_dir(&p);
        }
        let mut dirs: Vec<PathBuf> = Vec::new();
        if let Some(prefix) = &self.llvm_prefix {
            let prefix = self.under_root(prefix);
            dirs.extend(["bin", "lib", "lib64"].iter().map(|d| prefix.join(d)));
        }
        for var in [&self.ld_library_path, &self.library_path]
            .into_iter()
            .flatten()
        {
            dirs.extend(std::env::split_paths(var).map(|d| self.under_root(&d)));
        }
        if let Some(found) = dirs.iter().find_map(|d| search_dir(d)) {
            return Some(found);
        }
        LINUX_DIRS.iter().find_map(|pattern| {
            let root = glob::Pattern::escape(self.root.to_str()?);
            let full = format!("{}/{pattern}", root.trim_end_matches('/'));
            let options = glob::MatchOptions {
                require_literal_separator: true,
                ..glob::MatchOptions::new()
            };
            glob::glob_with(&full, options)
                .ok()?
                .flatten()
                .filter(|d| d.is_dir())
                .find_map(|d| search_dir(&d))
        })
    }
}

/// Does clang-sys take a file of this name for libclang?
pub fn is_libclang(name: &str) -> bool {
    if name.contains("-cpp.") {
        return false;
    }
    name == "libclang.so"
        || name.starts_with("libclang.so.")
        || (name.starts_with("libclang-") && (name.ends_with(".so") || name.contains(".so.")))
}

/// The first libclang file directly in `dir` (sorted by name, for a stable answer).
fn search_dir(dir: &Path) -> Option<PathBuf> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .filter(|n| is_libclang(n))
        .collect();
    names.sort();
    names.first().map(|n| dir.join(n))
}

/// What to install when no libclang is found and apt is not there to do it.
pub const INSTALL_HINT: &str = "libclang (the shared library bindgen loads): on Debian/Ubuntu \
`apt-get install libclang-dev`, on Fedora/RHEL `dnf install clang-devel`, on Arch \
`pacman -S clang`, on Alpine `apk add clang-dev`; or point LIBCLANG_PATH at the folder that \
holds libclang.so";

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh fake root with the given files (empty) below it.
    fn tree(name: &str, files: &[&str]) -> PathBuf {
        let root = std::env::temp_dir().join(format!("xtask-clang-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for f in files {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, b"").unwrap();
        }
        std::fs::create_dir_all(&root).unwrap();
        root
    }

    fn probe(root: &Path) -> Probe {
        Probe {
            root: root.to_path_buf(),
            ..Probe::default()
        }
    }

    #[test]
    fn libclang_cpp_alone_is_missing() {
        let root = tree(
            "cpp",
            &[
                "usr/lib/x86_64-linux-gnu/libclang-cpp.so.14",
                "usr/lib/llvm-14/lib/libclang-cpp.so",
                "usr/lib/llvm-14/lib/libLLVM-14.so",
            ],
        );
        assert_eq!(probe(&root).find(), None);
        std::fs::remove_dir_all(&root).ok();
    }

    #[test]
    fn every_name_clang_sys_accepts_is_found() {
        for name in [
            "libclang.so",
            "libclang-14.so",
            "libclang.so.1",
            "libclang-14.so.1",
        ] {
            let rel = format!("usr/lib/x86_64-linux-gnu/{name}");
            let root = tree(
                &format!("name-{name}"),
                &[&rel, "usr/lib/libclang-cpp.so.14"],
            );
            assert_eq!(probe(&root).find(), Some(root.join(&rel)), "{name}");
            std::fs::remove_dir_all(&root).ok();
        }
    }

    #[test]
    fn the_llvm_folders_of_debian_are_searched() {
        let root = tree("llvm", &["usr/lib/llvm-16/lib/libclang-16.so.16"]);
        assert_eq!(
            probe(&root).find(),
            Some(root.join("usr/lib/llvm-16/lib/libclang-16.so.16"))
        );
        std::fs::remove_dir_all(&root).ok();
    }

    #[test]
    fn libclang_path_is_the_only_place_searched_when_set() {
        let root = tree(
            "env",
            &["usr/lib/libclang.so", "opt/clang/lib/libclang.so.18"],
        );
        let mut p = probe(&root);
        p.libclang_path = Some("/opt/clang/lib".into());
        assert_eq!(p.find(), Some(root.join("opt/clang/lib/libclang.so.18")));
        p.libclang_path = Some("/opt/clang/lib/libclang.so.18".into());
        assert_eq!(p.find(), Some(root.join("opt/clang/lib/libclang.so.18")));
        p.libclang_path = Some("/opt/empty".into());
        assert_eq!(p.find(), None, "a set LIBCLANG_PATH is not widened");
        std::fs::remove_dir_all(&root).ok();
    }

    #[test]
    fn library_paths_and_llvm_config_count() {
        let root = tree(
            "paths",
            &["custom/a/libclang-17.so", "llvm/lib64/libclang.so"],
        );
        let mut p = probe(&root);
        p.ld_library_path = Some("/nothing:/custom/a".into());
        assert_eq!(p.find(), Some(root.join("custom/a/libclang-17.so")));
        let mut p = probe(&root);
        p.llvm_prefix = Some("/llvm".into());
        assert_eq!(p.find(), Some(root.join("llvm/lib64/libclang.so")));
        assert_eq!(probe(&root).find(), None, "neither folder is a default one");
        std::fs::remove_dir_all(&root).ok();
    }

    #[test]
    fn names() {
        assert!(is_libclang("libclang.so"));
        assert!(!is_libclang("libclang-cpp.so"));
        assert!(!is_libclang("libclang-cpp.so.14"));
        assert!(!is_libclang("libclang_rt.asan.so"));
        assert!(!is_libclang("libclang.a"));
        assert!(!is_libclang("libclangBasic.so"));
    }
}
