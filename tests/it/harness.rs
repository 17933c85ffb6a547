//! One way to run choreoctl in tests, modelled on just's `tests/test.rs`: a [`Test`] gathers the
//! arguments, files and expectations of one run; [`Test::run`] runs choreoctl, checks the
//! expectations and hands back what it printed.
//!
//! ```ignore
//! Test::new()
//!     .kubeconfig(LAB_KUBECONFIG)
//!     .args(["plan", "--preset", "nope"])
//!     .status(2)
//!     .stderr_contains("unknown preset `nope`")
//!     .run();
//! ```
//!
//! A failed run panics at the caller's line (`#[track_caller]`), naming the command, every
//! unmet expectation, where the [`Test`] was built, and both streams. Tests on the sandbox
//! start from `Sandbox::choreoctl` (tests/it/sandbox.rs), which presets the sandbox's
//! kubeconfig, helm and mirrors.
//!
//! Every run is isolated. Its environment is empty but for `PATH`, `NO_COLOR=1`, `HOME` (an
//! empty directory inside the test's temporary directory) and `KUBECONFIG` (the file
//! `kubeconfig` in the temporary directory, absent unless the test writes it with
//! [`Test::kubeconfig`]: planning is then offline and presets keep their own contexts). Neither
//! the developer's kubeconfig nor any `CHOREOCTL_*` or `RUST_BACKTRACE` variable leaks in. It
//! runs in the temporary directory unless [`Test::current_dir`] says otherwise.

use std::ffi::{OsStr, OsString};
use std::io::Write as _;
use std::panic::Location;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;

/// Name of the kubeconfig file in the temporary directory, which `KUBECONFIG` names.
const KUBECONFIG_FILE: &str = "kubeconfig";

/// Checks a [`Test`] runs before choreoctl starts, given its arguments (the defaults included)
/// and the directory it runs in.
type Inspector = Box<dyn Fn(&[OsString], &Path) + Send + Sync>;

/// One run of choreoctl: what it is given and what it must do.
#[must_use = "a Test does nothing until it is run"]
pub struct Test {
    tempdir: TempDir,
    args: Vec<OsString>,
    defaults: Vec<DefaultFlag>,
    env: Vec<(OsString, OsString)>,
    current_dir: Option<PathBuf>,
    close_stdout: bool,
    stdin: Option<Vec<u8>>,
    status: i32,
    expected: Vec<Expectation>,
    inspectors: Vec<Inspector>,
    /// Where the test built this run, for failure messages.
    created: &'static Location<'static>,
}

/// A flag given after the test's own arguments unless they hold it already
/// ([`Test::default_flag`]).
struct DefaultFlag {
    flag: &'static str,
    value: Option<OsString>,
    only_for: Option<&'static [&'static str]>,
}

/// What one stream of a run must hold, or must not ([`Test::stdout_contains`], ...).
struct Expectation {
    stream: Stream,
    text: String,
    present: bool,
}

#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
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

/// Whether a choreoctl command line `args` starts with the words of `command` (`install`,
/// `module add`).
pub fn runs_command(args: &[OsString], command: &str) -> bool {
    let words: Vec<&str> = command.split(' ').collect();
    args.len() >= words.len() && words.iter().zip(args).all(|(word, arg)| arg == word)
}

impl Test {
    /// A run in a fresh temporary directory, with no arguments, expected to exit 0. Failure
    /// messages name the line that called this.
    #[track_caller]
    pub fn new() -> Self {
        Self {
            tempdir: tempfile::tempdir().expect("temporary directory"),
            args: Vec::new(),
            defaults: Vec::new(),
            env: Vec::new(),
            current_dir: None,
            close_stdout: false,
            stdin: None,
            status: 0,
            expected: Vec::new(),
            inspectors: Vec::new(),
            created: Location::caller(),
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

    /// Gives `flag` (and `value`, if any) after every argument of the test's own, unless those
    /// hold `flag` already (the test's own wins); with `only_for`, only when the command (its
    /// first words, e.g. `install` or `module add`) is one of those. For defaults set before the test names its
    /// command, such as the sandbox's `--helm` and mirrors (tests/it/sandbox.rs).
    pub fn default_flag(
        mut self,
        flag: &'static str,
        value: Option<&OsStr>,
        only_for: Option<&'static [&'static str]>,
    ) -> Self {
        self.defaults.push(DefaultFlag {
            flag,
            value: value.map(OsStr::to_owned),
            only_for,
        });
        self
    }

    /// Calls `inspect` with the whole command line (defaults included) and the directory
    /// choreoctl is about to run in, before it runs: to refuse a run, panic.
    pub fn inspect(mut self, inspect: impl Fn(&[OsString], &Path) + Send + Sync + 'static) -> Self {
        self.inspectors.push(Box::new(inspect));
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
    #[track_caller]
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
    #[track_caller]
    pub fn kubeconfig(self, contents: &str) -> Self {
        self.file(KUBECONFIG_FILE, contents)
    }

    /// Gives choreoctl a stdout whose reader is already gone, as `choreoctl … | head` does once
    /// `head` has exited.
    pub fn close_stdout(mut self) -> Self {
        self.close_stdout = true;
        self
    }

    /// Feeds `contents` to choreoctl's standard input (a pipe, then closed); without it stdin
    /// is `/dev/null`.
    pub fn stdin(mut self, contents: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(contents.into());
        self
    }

    /// The exit code the run must end with (default 0).
    pub fn status(mut self, code: i32) -> Self {
        self.status = code;
        self
    }

    /// Standard output must contain `text` ([`Test::run`] checks it).
    pub fn stdout_contains(self, text: impl Into<String>) -> Self {
        self.expect(Stream::Stdout, text, true)
    }

    /// Standard error must contain `text` ([`Test::run`] checks it).
    pub fn stderr_contains(self, text: impl Into<String>) -> Self {
        self.expect(Stream::Stderr, text, true)
    }

    /// Standard output must not contain `text` ([`Test::run`] checks it).
    pub fn stdout_lacks(self, text: impl Into<String>) -> Self {
        self.expect(Stream::Stdout, text, false)
    }

    /// Standard error must not contain `text` ([`Test::run`] checks it).
    pub fn stderr_lacks(self, text: impl Into<String>) -> Self {
        self.expect(Stream::Stderr, text, false)
    }

    fn expect(mut self, stream: Stream, text: impl Into<String>, present: bool) -> Self {
        self.expected.push(Expectation {
            stream,
            text: text.into(),
            present,
        });
        self
    }

    /// The temporary directory, for paths to pass as arguments.
    pub fn path(&self) -> &Path {
        self.tempdir.path()
    }

    /// Runs choreoctl and checks that it exited with the expected status, did not panic, and
    /// printed what [`Test::stdout_contains`] and the like ask for; a failure names every
    /// unmet expectation, the caller's line and where the test was built.
    #[track_caller]
    pub fn run(mut self) -> Output {
        let expected = self.status;
        let created = self.created;
        let expectations = std::mem::take(&mut self.expected);
        let output = self.output();
        let mut failures = Vec::new();
        if output.code != Some(expected) {
            failures.push(format!("expected exit {expected}, got {:?}", output.code));
        }
        if output.stderr.contains("panicked") {
            failures.push("choreoctl panicked".to_owned());
        }
        for expectation in &expectations {
            let (name, text) = match expectation.stream {
                Stream::Stdout => ("stdout", &output.stdout),
                Stream::Stderr => ("stderr", &output.stderr),
            };
            if text.contains(&expectation.text) != expectation.present {
                let verb = if expectation.present {
                    "lacks"
                } else {
                    "contains"
                };
                failures.push(format!("{name} {verb} `{}`", expectation.text));
            }
        }
        assert!(
            failures.is_empty(),
            "{}: {} (test built at {created})\nstdout:\n{}\nstderr:\n{}",
            output.command,
            failures.join("; "),
            output.stdout,
            output.stderr
        );
        output
    }

    /// Runs choreoctl and checks nothing, not even [`Test::stdout_contains`] and the like: for
    /// tests that gather every problem before failing.
    #[track_caller]
    pub fn output(self) -> Output {
        let (mut command, command_line) = self.prepare();
        command.stderr(Stdio::piped());
        if self.close_stdout {
            let (reader, writer) = std::io::pipe().expect("pipe");
            drop(reader);
            command.stdout(Stdio::from(writer));
        } else {
            command.stdout(Stdio::piped());
        }
        let cannot_run =
            |error: std::io::Error| -> ! { panic!("{command_line}: cannot run: {error}") };
        let output = match &self.stdin {
            None => command.output().unwrap_or_else(|error| cannot_run(error)),
            Some(input) => {
                let mut child = command
                    .stdin(Stdio::piped())
                    .spawn()
                    .unwrap_or_else(|error| cannot_run(error));
                let mut stdin = child.stdin.take().expect("stdin is piped");
                let input = input.clone();
                // A thread, so a choreoctl that does not read all of it cannot block the test.
                let writer = std::thread::spawn(move || {
                    let _ = stdin.write_all(&input);
                });
                let output = child
                    .wait_with_output()
                    .unwrap_or_else(|error| cannot_run(error));
                let _ = writer.join();
                output
            }
        };
        Output {
            command: command_line,
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            tempdir: self.tempdir,
        }
    }

    /// The command [`Test::run`] would start (isolated environment, arguments with their
    /// defaults, working directory; stdin `/dev/null`, stdout and stderr not set), for tests
    /// that start choreoctl themselves (in the background, on a pseudo-terminal), and the
    /// temporary directory to keep while it runs. Expectations and the exit status are not
    /// checked.
    pub fn into_command(self) -> (Command, TempDir) {
        let (command, _) = self.prepare();
        (command, self.tempdir)
    }

    /// Whether the test's arguments start with the words of `command` ([`runs_command`]).
    pub fn runs(&self, command: &str) -> bool {
        runs_command(&self.args, command)
    }

    /// The whole command line: the test's arguments, then the defaults they do not override.
    fn command_args(&self) -> Vec<OsString> {
        let mut args = self.args.clone();
        for default in &self.defaults {
            let given = self.args.iter().any(|arg| {
                let arg = arg.to_string_lossy();
                arg == default.flag
                    || arg
                        .strip_prefix(default.flag)
                        .is_some_and(|rest| rest.starts_with('='))
            });
            let applies = default
                .only_for
                .is_none_or(|commands| commands.iter().any(|command| self.runs(command)));
            if !given && applies {
                args.push(default.flag.into());
                args.extend(default.value.clone());
            }
        }
        args
    }

    /// The isolated command and its command line for messages; runs the inspectors.
    fn prepare(&self) -> (Command, String) {
        let args = self.command_args();
        let dir = self.current_dir.as_deref().unwrap_or(self.tempdir.path());
        for inspect in &self.inspectors {
            inspect(&args, dir);
        }
        let home = self.tempdir.path().join("home");
        std::fs::create_dir_all(&home).expect("home directory");
        let mut command = Command::new(env!("CARGO_BIN_EXE_choreoctl"));
        command
            .args(&args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .env("HOME", &home)
            .env("KUBECONFIG", self.tempdir.path().join(KUBECONFIG_FILE))
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .current_dir(dir)
            .stdin(Stdio::null());
        let command_line = std::iter::once("choreoctl".to_string())
            .chain(args.iter().map(|arg| arg.to_string_lossy().into_owned()))
            .collect::<Vec<_>>()
            .join(" ");
        (command, command_line)
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

#[cfg(test)]
mod tests {
    use super::Test;

    #[test]
    fn run_passes_when_every_expectation_holds_and_reads_stdin() {
        Test::new()
            .arg("--version")
            .stdin("ignored\n")
            .stdout_contains("choreoctl")
            .stderr_lacks("error")
            .run();
    }

    #[test]
    #[should_panic(expected = "stdout lacks `no such text`; stderr contains `")]
    fn run_names_every_unmet_expectation() {
        Test::new()
            .args(["plan", "--preset", "nope"])
            .status(2)
            .stdout_contains("no such text")
            .stderr_lacks("nope")
            .run();
    }
}
