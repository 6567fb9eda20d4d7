//! Builds the web UI (firmware/ui) with npm and esbuild and embeds it: every file of the bundle
//! becomes a static with its MIME type, a gzip copy and an ETag (src/api/ui.rs serves them).
//!
//! `SKYSPY_UI_DIST=<dir>` embeds a bundle built beforehand (`npm run build` in firmware/ui)
//! instead, for builds on machines without Node.js.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env("OUT_DIR"));
    let ui = manifest.join("ui");
    println!("cargo:rerun-if-env-changed=SKYSPY_UI_DIST");
    let dist = match std::env::var_os("SKYSPY_UI_DIST") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            println!("cargo:rerun-if-changed={}", dir.display());
            dir
        }
        None => {
            for p in [
                "src",
                "index.html",
                "cannonball.html",
                "build.mjs",
                "package.json",
                "package-lock.json",
            ] {
                println!("cargo:rerun-if-changed={}", ui.join(p).display());
            }
            let dist = out.join("ui");
            bundle(&ui, &dist);
            dist
        }
    };
    embed(&dist, &out);
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("cargo sets {name}"))
}

/// `npm ci` when node_modules is missing or older than the lock file, then the bundle.
fn bundle(ui: &Path, dist: &Path) {
    let installed = ui.join("node_modules/.package-lock.json");
    if modified(&installed) < modified(&ui.join("package-lock.json")) {
        run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(ui),
            "npm ci",
        );
    }
    let _ = std::fs::remove_dir_all(dist);
    run(
        Command::new("node")
            .arg("build.mjs")
            .arg(dist)
            .current_dir(ui),
        "node build.mjs",
    );
}

fn modified(p: &Path) -> std::time::SystemTime {
    std::fs::metadata(p)
        .and_then(|m| m.modified())
        .unwrap_or(std::time::UNIX_EPOCH)
}

fn run(cmd: &mut Command, what: &str) {
    let status = cmd.status().unwrap_or_else(|e| {
        panic!(
            "building the web UI needs Node.js and npm ({what}: {e}); install them \
             (apt install nodejs npm) or set SKYSPY_UI_DIST to a bundle built elsewhere"
        )
    });
    assert!(
        status.success(),
        "building the web UI: {what} failed ({status})"
    );
}

/// Writes `OUT_DIR/ui_assets.rs`: `static UI_ASSETS: &[Asset]`, one entry per file of `dist`,
/// sorted by name, with its gzip copy in `OUT_DIR/ui-gz`.
fn embed(dist: &Path, out: &Path) {
    let gz_dir = out.join("ui-gz");
    std::fs::create_dir_all(&gz_dir).expect("create OUT_DIR/ui-gz");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dist)
        .unwrap_or_else(|e| panic!("web UI bundle {}: {e}", dist.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut code = String::from("static UI_ASSETS: &[Asset] = &[\n");
    for path in files {
        let body = std::fs::read(&path).expect("read bundle file");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name");
        let gz = gz_dir.join(format!("{name}.gz"));
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&body).expect("gzip");
        std::fs::write(&gz, enc.finish().expect("gzip")).expect("write gzip copy");
        let mime = match path.extension().and_then(|e| e.to_str()) {
            Some("html") => "text/html; charset=utf-8",
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("json") => "application/json",
            Some("png") => "image/png",
            Some("svg") => "image/svg+xml",
            _ => "application/octet-stream",
        };
        let etag = format!("\"{:016x}\"", fnv1a(&body));
        writeln!(
            code,
            "    Asset {{ path: {name:?}, mime: {mime:?}, etag: {etag:?}, \
             body: include_bytes!({:?}), gzip: include_bytes!({:?}) }},",
            path.display(),
            gz.display()
        )
        .expect("write to String");
    }
    code.push_str("];\n");
    std::fs::write(out.join("ui_assets.rs"), code).expect("write ui_assets.rs");
}

/// 64-bit FNV-1a: a content hash for ETags (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
