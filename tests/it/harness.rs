//! One way to run choreoctl in tests, modelled on just's `tests/test.rs`: a [`Test`] gathers the
//! arguments, files and expectations of one run; [`Test::run`] runs choreoctl, checks the
//! expectations and hands back what it printed.
//!
//! ```ignore
//! let output = Test::new()
//!     .kubeconfig(LAB_KUBECONFIG)
//!     .args(["plan", "--preset", "nope"])
//!     .status(2)
//!     .run();
//! assert!(output.stderr.contains("unknown preset `nope`"));
//! ```
//!
//! Every run is isolated. Its environment is empty but for `PATH`, `NO_COLOR=1`, `HOME` (an
//! empty directory inside the test's temporary directory) and `KUBECONFIG` (the file
//! `kubeconfig` in the temporary directory, absent unless the test writes it with
//! [`Test::kubeconfig`]: planning is then offline and presets keep their own contexts). Neither
//! the developer's kubeconfig nor any `CHOREOCTL_*` or `RUST_BACKTRACE` variable leaks in. It
//! runs in the temporary directory unless [`Test::current_dir`] says otherwise.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;

/// Name of the kubeconfig file in the temporary directory, which `KUBECONFIG` names.
const KUBECONFIG_FILE: &str = "kubeconfig";

/// One run of choreoctl: what it is given and what it must do.
#[must_use = "a Test does nothing until it is run"]
pub struct Test {
    tempdir: TempDir,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    current_dir: Option<PathBuf>,
    close_stdout: bool,
    status: i32,
}

/// What a run printed, and the temporary directory it ran in (kept until this is dropped).
pub struct Output {
    /// The command line, for messages: `choreoctl plan --edition cilium`.
    pub command: String,
    /// Exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    /// Standard output (empty when [`Test::close_stdout`] was asked for).
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The test's temporary directory; see [`Output::path`].
    tempdir: TempDir,
}

impl Test {
    /// A run in a fresh temporary directory, with no arguments, expected to exit 0.
    pub fn new() -> Self {
        Self {
            tempdir: tempfile::tempdir().expect("temporary directory"),
            args: Vec::new(),
            env: Vec::new(),
            current_dir: None,
            close_stdout: false,
            status: 0,
        }
    }

    /// Adds one argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Adds arguments.
    pub fn args<I>(mut self, args: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable on top of the isolated environment.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Runs in `dir`; a relative `dir` is taken inside the temporary directory.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.current_dir = Some(self.tempdir.path().join(dir));
        self
    }

    /// Writes `contents` to `name` inside the temporary directory, creating directories.
    pub fn file(self, name: impl AsRef<Path>, contents: &str) -> Self {
        let path = self.tempdir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create directories");
        }
        std::fs::write(&path, contents)
            .unwrap_or_else(|error| panic!("write {}: {error}", path.display()));
        self
    }

    /// Writes the kubeconfig that `KUBECONFIG` names.
    pub fn kubeconfig(self, contents: &str) -> Self {
        self.file(KUBECONFIG_FILE, contents)
    }

    /// Gives choreoctl a stdout whose reader is already gone, as `choreoctl … | head` does once
    /// `head` has exited.
    pub fn close_stdout(mut self) -> Self {
        self.close_stdout = true;
        self
    }

    /// The exit code the run must end with (default 0).
    pub fn status(mut self, code: i32) -> Self {
        self.status = code;
        self
    }

    /// The temporary directory, for paths to pass as arguments.
    pub fn path(&self) -> &Path {
        self.tempdir.path()
    }

    /// Runs choreoctl and checks that it exited with the expected status and did not panic.
    pub fn run(self) -> Output {
        let expected = self.status;
        let output = self.output();
        assert!(
            output.code == Some(expected) && !output.stderr.contains("panicked"),
            "{}: expected exit {expected}, got {:?}\nstdout:\n{}\nstderr:\n{}",
            output.command,
            output.code,
            output.stdout,
            output.stderr
        );
        output
    }

    /// Runs choreoctl and checks nothing: for tests that gather every problem before failing.
    pub fn output(self) -> Output {
        let home = self.tempdir.path().join("home");
        std::fs::create_dir_all(&home).expect("home directory");
        let mut command = Command::new(env!("CARGO_BIN_EXE_choreoctl"));
        command
            .args(&self.args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .env("HOME", &home)
            .env("KUBECONFIG", self.tempdir.path().join(KUBECONFIG_FILE))
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .current_dir(self.current_dir.as_deref().unwrap_or(self.tempdir.path()))
            .stdin(Stdio::null())
            .stderr(Stdio::piped());
        if self.close_stdout {
            let (reader, writer) = std::io::pipe().expect("pipe");
            drop(reader);
            command.stdout(Stdio::from(writer));
        } else {
            command.stdout(Stdio::piped());
        }
        let command_line = std::iter::once("choreoctl".to_string())
            .chain(
                self.args
                    .iter()
                    .map(|arg| arg.to_string_lossy().into_owned()),
            )
            .collect::<Vec<_>>()
            .join(" ");
        let output = command
            .output()
            .unwrap_or_else(|error| panic!("{command_line}: cannot run: {error}"));
        Output {
            command: command_line,
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            tempdir: self.tempdir,
        }
    }
}

impl Output {
    /// Standard output parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|error| {
            panic!("{}: not JSON ({error}):\n{}", self.command, self.stdout)
        })
    }

    /// Standard error as `--log-format json` writes it: every line one JSON object with a
    /// string `ts` and a string `event` (panics naming the first line that is not).
    pub fn events(&self) -> Vec<Value> {
        self.stderr
            .lines()
            .map(|line| {
                let event: Value = serde_json::from_str(line).unwrap_or_else(|error| {
                    panic!(
                        "{}: stderr line not JSON ({error}): {line}\n{}",
                        self.command, self.stderr
                    )
                });
                assert!(
                    event["ts"].is_string() && event["event"].is_string(),
                    "{}: event without ts or event: {line}",
                    self.command
                );
                event
            })
            .collect()
    }

    /// A path inside the test's temporary directory.
    pub fn path(&self, name: impl AsRef<Path>) -> PathBuf {
        self.tempdir.path().join(name)
    }
}

/// Asserts that `text` contains `needle`, showing `text` when it does not.
pub fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "expected `{needle}` in:\n{text}");
}
