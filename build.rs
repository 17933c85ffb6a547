//! Rebuilds the binary when the embedded catalog changes, and converts the catalog's module
//! files to JSON once at build time: parsing JSON at run time is several times cheaper than
//! parsing YAML, and `plan` has a latency budget (docs/benchmarks.md). The YAML stays embedded
//! too, for error reports.

use std::path::Path;

fn main() {
    for dir in ["modules", "templates", "profiles"] {
        println!("cargo:rerun-if-changed={dir}");
    }
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("catalog-json");
    if out.exists() {
        std::fs::remove_dir_all(&out).expect("clearing the previous conversion");
    }
    convert(Path::new("modules"), &out.join("modules"));
}

/// Writes `<dst>/<name>.json` for every `<src>/<name>.yaml`, recursively.
fn convert(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("creating the JSON catalog directory");
    for entry in std::fs::read_dir(src).expect("reading the catalog") {
        let path = entry.expect("reading the catalog").path();
        if path.is_dir() {
            convert(
                &path,
                &dst.join(path.file_name().expect("a directory name")),
            );
        } else if path.extension().is_some_and(|ext| ext == "yaml") {
            let text = std::fs::read_to_string(&path).expect("reading a catalog file");
            let value: serde_json::Value = serde_saphyr::from_str(&text)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            let target = dst.join(
                path.with_extension("json")
                    .file_name()
                    .expect("a file name"),
            );
            std::fs::write(target, value.to_string()).expect("writing the JSON catalog");
        }
    }
}
