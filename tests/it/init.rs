//! `choreoctl init` as users meet it: flags only (CI, no terminal), and the questions answered
//! with keystrokes on a real pseudo-terminal. Every written profile is checked the way a user
//! would: `choreoctl profile validate` accepts it and `profile show` has the answers.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use expectrl::process::unix::WaitStatus;
use expectrl::{Eof, Expect, Session};
use serde_json::Value;

use crate::fixtures::LAB_KUBECONFIG;
use crate::harness::{Test, assert_contains};

/// The profile init wrote, checked by `profile validate` (against the lab kubeconfig) and
/// returned as `profile show` prints it.
fn validated(profile: &str) -> Value {
    assert!(
        profile.starts_with("# yaml-language-server: $schema=profile.schema.json\n"),
        "the profile starts with the schema modeline:\n{profile}"
    );
    let summary = Test::new()
        .kubeconfig(LAB_KUBECONFIG)
        .file("written.yaml", profile)
        .args(["profile", "validate", "written.yaml", "-o", "json"])
        .run()
        .json();
    assert_eq!(summary["valid"], true, "{summary}");
    Test::new()
        .file("written.yaml", profile)
        .args(["profile", "show", "written.yaml", "-o", "json"])
        .run()
        .json()
}

/// Plane name → context of a shown profile (`None`: the current context).
fn contexts(profile: &Value) -> Vec<(String, Option<String>)> {
    profile["spec"]["planes"]
        .as_array()
        .expect("planes")
        .iter()
        .map(|plane| {
            (
                plane["name"].as_str().expect("name").to_string(),
                plane["context"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// Module names of a shown profile, sorted.
fn modules(profile: &Value) -> Vec<String> {
    let mut names: Vec<String> = profile["spec"]["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .map(|module| module["name"].as_str().expect("name").to_string())
        .collect();
    names.sort();
    names
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
    pairs
        .iter()
        .map(|(plane, context)| (plane.to_string(), Some(context.to_string())))
        .collect()
}

#[test]
fn init_with_every_answer_as_a_flag_writes_a_profile_that_validates() {
    let output = Test::new()
        .kubeconfig(LAB_KUBECONFIG)
        .args([
            "init",
            "--edition",
            "generic",
            "--preset",
            "multi-plane",
            "--context",
            "alpha",
            "--plane-context",
            "dev=beta",
            "--plane-context",
            "prod=beta",
            "--domain",
            "lab.example.com",
            "--module",
            "cd",
            "--module",
            "elastic",
        ])
        .run();
    assert_contains(&output.stderr, "wrote choreoctl.yaml");
    let profile = validated(&read(&output.path("choreoctl.yaml")));
    assert_eq!(profile["spec"]["edition"], "generic");
    assert_eq!(profile["spec"]["domain"], "lab.example.com");
    assert_eq!(
        contexts(&profile),
        pairs(&[
            ("control", "alpha"),
            ("ci", "alpha"),
            ("dev", "beta"),
            ("prod", "beta")
        ])
    );
    assert_eq!(modules(&profile), ["cd", "elastic"]);
}

#[test]
fn init_yes_takes_the_defaults_and_out_dash_prints_the_profile() {
    let output = Test::new().args(["init", "--yes", "--out", "-"]).run();
    let profile = validated(&output.stdout);
    assert_eq!(profile["spec"]["edition"], "generic");
    assert_eq!(profile["spec"]["domain"], "openchoreo.localhost");
    assert_eq!(
        contexts(&profile),
        [("control".to_string(), None), ("default".to_string(), None)]
    );
    assert_eq!(modules(&profile), Vec::<String>::new());
    assert!(!output.path("choreoctl.yaml").exists());
}

#[test]
fn init_without_a_terminal_names_every_flag_it_misses() {
    let output = Test::new()
        .args([
            "init",
            "--edition",
            "cilium",
            "--preset",
            "multi-plane",
            "--plane-context",
            "dev=dp1",
            "--module",
            "cd",
        ])
        .status(2)
        .run();
    assert_contains(&output.stderr, "init cannot ask without a terminal");
    assert_contains(
        &output.stderr,
        "--plane-context PLANE=CTX for control, ci, prod (or --context CTX)",
    );
    assert_contains(&output.stderr, "--domain DOMAIN");
    assert_contains(&output.stderr, "--yes");
    assert!(!output.stderr.contains("--edition"), "{}", output.stderr);
    assert!(!output.path("choreoctl.yaml").exists());
}

#[test]
fn init_refuses_guard_on_the_generic_edition_with_the_reason() {
    let output = Test::new()
        .args(["init", "--yes", "--edition", "generic", "--module", "guard"])
        .status(2)
        .run();
    assert_contains(
        &output.stderr,
        "Guard is not supported on the generic edition",
    );
    assert_contains(&output.stderr, "choreoctl migrate generic-to-cilium");
    assert!(!output.path("choreoctl.yaml").exists());
}

#[test]
fn init_refuses_to_overwrite_a_file_unless_forced() {
    let refused = Test::new()
        .file("lab.yaml", "# mine\n")
        .args(["init", "--yes", "--out", "lab.yaml"])
        .status(2)
        .run();
    assert_contains(&refused.stderr, "lab.yaml exists");
    assert_contains(&refused.stderr, "--force");
    assert_eq!(read(&refused.path("lab.yaml")), "# mine\n");

    let forced = Test::new()
        .file("lab.yaml", "# mine\n")
        .args(["init", "--yes", "--out", "lab.yaml", "--force"])
        .run();
    validated(&read(&forced.path("lab.yaml")));
}

#[test]
fn init_starts_only_from_a_topology() {
    let output = Test::new()
        .args(["init", "--yes", "--preset", "fintech"])
        .status(2)
        .run();
    assert_contains(&output.stderr, "`fintech` is none");
    assert_contains(&output.stderr, "choreoctl profile show --preset fintech");
}

/// The questions answered on a pseudo-terminal, keystroke by keystroke, as a user would.
#[test]
fn init_on_a_terminal_asks_each_question_and_writes_the_answers() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let home = dir.path().join("home");
    std::fs::create_dir(&home).expect("home");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, LAB_KUBECONFIG).expect("kubeconfig");
    let mut command = Command::new(env!("CARGO_BIN_EXE_choreoctl"));
    command
        .arg("init")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("HOME", &home)
        .env("KUBECONFIG", &kubeconfig)
        .current_dir(dir.path());
    let mut session = Session::spawn(command).expect("choreoctl runs on a pseudo-terminal");
    session.set_expect_timeout(Some(Duration::from_secs(60)));
    let mut transcript = String::new();
    let mut answer = |question: &str, keys: &str| {
        let seen = session
            .expect(question)
            .unwrap_or_else(|error| panic!("waiting for `{question}`: {error}\n{transcript}"));
        transcript.push_str(&String::from_utf8_lossy(seen.before()));
        transcript.push_str(question);
        // Let the prompt switch the terminal to raw mode before typing.
        std::thread::sleep(Duration::from_millis(200));
        session.send(keys).expect("typing");
    };

    // Enter keeps the default edition, generic.
    answer("Edition", "\r");
    // Down twice: shared-observability.
    answer("Topology", "jj\r");
    // Contexts offered from the kubeconfig: control stays on the current one (alpha), ci
    // follows control, dev and obs move down to beta.
    answer("Context of plane control", "\r");
    answer("Context of plane ci", "\r");
    answer("Context of plane dev", "j\r");
    answer("Context of plane obs", "j\r");
    // A domain the resolver would refuse is refused at once, with its advice.
    answer("Base domain", "Not A Domain\r");
    answer("lower-case labels separated by dots", "lab.example.com\r");
    // cd (first in the list) is toggled on; the topology's own modules (build, observe) stay
    // checked.
    answer("Modules (space toggles", " \r");
    session
        .expect(Eof)
        .unwrap_or_else(|error| panic!("init ends: {error}\n{transcript}"));
    let status = session.get_process().wait().expect("exit status");
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "init exits 0: {status:?}\n{transcript}"
    );

    // What the user read before answering: the trade-off of the editions in the proposal's
    // words, the four patterns, and Guard greyed out with its reason.
    let transcript = plain(&transcript);
    for shown in [
        "Full Zero Trust networking with traffic encryption",
        "For teams that want a quick start with their existing network stack",
        "Fully Isolated (Enterprise): each plane (control, data, CI, observability) runs independently",
        "guard stage 4 unsupported Guard: not available, unsupported on the generic edition",
    ] {
        assert_contains(&transcript, shown);
    }

    let profile = validated(&read(&dir.path().join("choreoctl.yaml")));
    assert_eq!(profile["spec"]["edition"], "generic");
    assert_eq!(profile["spec"]["domain"], "lab.example.com");
    assert_eq!(
        contexts(&profile),
        pairs(&[
            ("control", "alpha"),
            ("ci", "alpha"),
            ("dev", "beta"),
            ("obs", "beta")
        ])
    );
    assert_eq!(modules(&profile), ["build", "cd", "observe"]);
}

/// Terminal output as read: escape sequences dropped, whitespace collapsed.
pub(crate) fn plain(output: &str) -> String {
    let mut text = String::new();
    let mut chars = output.chars();
    while let Some(char) = chars.next() {
        if char == '\u{1b}' {
            if chars.next() == Some('[') {
                for code in chars.by_ref() {
                    if code.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            text.push(char);
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// On a terminal with `--log-format json`, stderr is an event log: nothing is asked, and the
/// missing answers end the run as one `error` event (exit 2), as without a terminal.
#[test]
fn init_on_a_terminal_with_log_format_json_asks_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut command = Command::new(env!("CARGO_BIN_EXE_choreoctl"));
    command
        .args(["init", "--log-format", "json"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("HOME", dir.path())
        .env("KUBECONFIG", dir.path().join("kubeconfig"))
        .current_dir(dir.path());
    let mut session = Session::spawn(command).expect("choreoctl runs on a pseudo-terminal");
    session.set_expect_timeout(Some(Duration::from_secs(60)));
    let mut output = Vec::new();
    let seen = session.expect(Eof).expect("init ends without a question");
    output.extend_from_slice(seen.before());
    for matched in seen.matches() {
        output.extend_from_slice(matched);
    }
    let status = session.get_process().wait().expect("exit status");
    assert!(
        matches!(status, WaitStatus::Exited(_, 2)),
        "init exits 2: {status:?}"
    );
    let text = String::from_utf8_lossy(&output);
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "one event, no question:\n{text}");
    let event: Value = serde_json::from_str(lines[0].trim()).expect("a JSON event");
    assert_eq!(event["event"], "error");
    assert_contains(event["message"].as_str().unwrap(), "without a terminal");
}
