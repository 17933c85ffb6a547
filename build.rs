//! Rebuilds the binary when the embedded catalog (modules, templates, presets) changes.

fn main() {
    for dir in ["modules", "templates", "profiles"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
