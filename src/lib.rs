//! choreoctl: installer for OpenChoreo's modular architecture.

/// Entry point used by the binary; returns the process exit code.
pub fn run() -> i32 {
    0
}
