//! What `choreoctl install` shows (docs/engine.md, "Output"): the plan and a question on a
//! terminal, the progress display, timestamped lines without a terminal, the NDJSON log of
//! `--log-format json` and the summary of `-o json`. The single-plane preset on context `cp`,
//! as in tests/it/install.rs; every test that installs claims [`SINGLE_PLANE`]
//! (tests/it/ownership.rs) and tolerates an installation left by an earlier test.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::Duration;

use expectrl::process::unix::WaitStatus;
use expectrl::{Eof, Expect, Session};
use serde_json::Value;

use crate::harness::{Test, assert_contains};
use crate::init::plain;
use crate::install::releases;
use crate::ownership::SINGLE_PLANE;
use crate::sandbox::{Claim, Sandbox, run, sandbox};

/// `install` of the single-plane preset on `cp` from the sandbox's mirrors, without `--yes`.
#[track_caller]
fn install(sb: &Claim) -> Test {
    sb.choreoctl()
        .args([
            "install",
            "--preset",
            "single-plane",
            "--edition",
            "generic",
        ])
        .args(["--context", "cp"])
}

/// The number of steps of the plan [`install`] installs.
fn step_count(sb: &Sandbox) -> usize {
    let plan = sb
        .choreoctl()
        .args(["plan", "--preset", "single-plane", "--edition", "generic"])
        .args(["--context", "cp", "-o", "json"])
        .run()
        .json();
    plan["steps"].as_array().expect("steps").len()
}

/// A transcript of `install` run on a pseudo-terminal (NO_COLOR set), where `answer` is typed
/// at the question; the exit status.
fn on_a_terminal(sb: &Claim, answer: &str, extra: &[&str]) -> (String, WaitStatus) {
    let (mut command, _dir) = install(sb).args(extra).env("TERM", "xterm").into_command();
    // The pseudo-terminal, not /dev/null.
    command.stdin(Stdio::inherit());
    let mut session = Session::spawn(command).expect("choreoctl runs on a pseudo-terminal");
    session.set_expect_timeout(Some(Duration::from_secs(600)));
    let asked = session
        .expect("Install?")
        .unwrap_or_else(|error| panic!("waiting for the question: {error}"));
    let mut transcript = String::from_utf8_lossy(asked.before()).into_owned();
    transcript.push_str("Install?");
    // Let the prompt switch the terminal to raw mode before typing.
    std::thread::sleep(Duration::from_millis(300));
    session.send(answer).expect("typing");
    let rest = session
        .expect(Eof)
        .unwrap_or_else(|error| panic!("install ends: {error}\n{transcript}"));
    // At the end of output, Eof matches everything not read yet.
    transcript.push_str(&String::from_utf8_lossy(rest.get(0).unwrap_or_default()));
    let status = session.get_process().wait().expect("exit status");
    (transcript, status)
}

#[test]
fn sandbox_install_on_a_terminal_shows_what_will_change_and_no_changes_nothing() {
    let sb = &sandbox().claim(&SINGLE_PLANE);
    // Converge whatever an earlier test left, so that the question has a known answer.
    install(sb).arg("--yes").run();
    let before = (releases(sb), journal_version(sb));
    let (transcript, status) = on_a_terminal(sb, "n", &[]);
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "declining exits 0: {status:?}\n{transcript}"
    );
    let text = plain(&transcript);
    for shown in [
        "plane control (control) on context cp: 7 unchanged",
        "plane default (data) on context cp: 1 unchanged",
        "not confirmed: nothing changed",
    ] {
        assert_contains(&text, shown);
    }
    // A one-value change reads as one upgrade, not as a fresh install.
    let (transcript, status) = on_a_terminal(sb, "n", &["--set", "spec.values.thunder.replicas=2"]);
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "{status:?}\n{transcript}"
    );
    let text = plain(&transcript);
    assert_contains(
        &text,
        "plane control (control) on context cp: 1 to upgrade (thunder), 6 unchanged",
    );
    assert_contains(&text, "plane default (data) on context cp: 1 unchanged");
    // No run: every run, even one that changes nothing, saves its journal.
    assert_eq!(
        (releases(sb), journal_version(sb)),
        before,
        "no release installed or upgraded, no run journaled"
    );
}

/// The `resourceVersion` of the single-plane installation's journal Secret on `cp`, or an
/// empty string when there is none yet.
fn journal_version(sb: &Sandbox) -> String {
    run(sb.kubectl("cp").args([
        "-n",
        "choreoctl-system",
        "get",
        "secret",
        "choreoctl-single-plane",
        "--ignore-not-found",
        "-o",
        "jsonpath={.metadata.resourceVersion}",
    ]))
}

#[test]
fn sandbox_install_on_a_terminal_answered_yes_shows_progress_and_ends_with_the_summary() {
    let sb = &sandbox().claim(&SINGLE_PLANE);
    let steps = step_count(sb);
    let (transcript, status) = on_a_terminal(sb, "y", &[]);
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "install exits 0: {status:?}\n{transcript}"
    );
    // NO_COLOR: no colour, though stderr is a terminal.
    assert!(
        !has_colour(&transcript),
        "colour despite NO_COLOR:\n{transcript:?}"
    );
    let text = plain(&transcript);
    // The overall bar, a spinner line of a running step (its kind and context), and a
    // permanent line for the last step.
    assert_contains(&text, &format!("/{steps} steps"));
    assert!(
        ["helm", "apply", "wait", "read"]
            .iter()
            .any(|kind| text.contains(&format!(" {kind} on cp "))),
        "no running step shown:\n{text}"
    );
    assert_contains(&text, "secure-core/register@default");
    assert_contains(&text, "plane default (context cp):");
    assert!(
        text.ends_with("helm upgrade(s)"),
        "the summary ends the output:\n{text}"
    );
    let releases = releases(sb);
    assert_eq!(
        releases
            .get("openchoreo-data-plane")
            .map(|(s, _)| s.as_str()),
        Some("deployed"),
        "{releases:?}"
    );
}

/// Whether `text` holds an SGR escape sequence (`ESC [ … m`: colour or bold), as opposed to
/// the cursor movements a progress display needs.
fn has_colour(text: &str) -> bool {
    text.split('\u{1b}').skip(1).any(|sequence| {
        sequence.strip_prefix('[').is_some_and(|rest| {
            rest.chars()
                .find(|c| !c.is_ascii_digit() && *c != ';' && *c != '?')
                == Some('m')
        })
    })
}

/// Every stderr line of `--log-format json` is a JSON event; each step starts before it
/// finishes; the summary comes last, its counts match the steps and helm's releases, and
/// `-o json` prints the same summary on stdout.
#[test]
fn sandbox_install_log_format_json_writes_one_event_per_line() {
    let sb = &sandbox().claim(&SINGLE_PLANE);
    let output = install(sb)
        .args(["--yes", "--log-format", "json", "-o", "json"])
        .run();
    let events: Vec<Value> = output
        .stderr
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {line}\n{}", output.stderr))
        })
        .collect();
    let name = |event: &Value| event["event"].as_str().expect("event").to_owned();
    // The preflight's report first, then the run.
    assert_eq!(name(&events[0]), "preflight", "{}", output.stderr);
    assert_eq!(events[0]["report"]["passed"], true, "{}", output.stderr);
    let events = &events[1..];
    assert_eq!(name(&events[0]), "run_started", "{}", output.stderr);
    let last = events.last().expect("events");
    assert_eq!(name(last), "summary", "{}", output.stderr);
    assert!(events.iter().all(|event| event["ts"].is_string()));

    let steps = events[0]["steps"].as_u64().expect("steps") as usize;
    let mut started = BTreeSet::new();
    let mut ended = BTreeSet::new();
    let mut helm_done = 0;
    let mut revisions = BTreeMap::new();
    for event in events {
        let step = event["step"].as_str().unwrap_or_default().to_owned();
        match name(event).as_str() {
            "step_started" => assert!(started.insert(step), "started twice: {event}"),
            "step_finished" => {
                let status = event["status"].as_str().expect("status");
                assert!(
                    status == "unchanged" || started.contains(&step),
                    "finished before it started: {event}"
                );
                assert!(event["duration_ms"].is_u64(), "{event}");
                if event["kind"] == "helm" {
                    if status == "done" {
                        helm_done += 1;
                    }
                    revisions.insert(
                        event["release"].as_str().expect("release").to_owned(),
                        event["revision"].as_u64().expect("revision"),
                    );
                }
                assert!(ended.insert(step), "ended twice: {event}");
            }
            "step_skipped" => assert!(ended.insert(step), "ended twice: {event}"),
            _ => {}
        }
    }
    assert_eq!(ended.len(), steps, "every step ends once");

    let counted: u64 = last["planes"]
        .as_array()
        .expect("planes")
        .iter()
        .map(|plane| {
            ["done", "unchanged", "failed", "skipped"]
                .iter()
                .map(|count| plane[count].as_u64().expect("count"))
                .sum::<u64>()
        })
        .sum();
    assert_eq!(counted as usize, steps);
    assert_eq!(last["helm_upgrades"], helm_done);
    assert_eq!(last["succeeded"], true);
    let live = releases(sb);
    for (release, revision) in &revisions {
        assert_eq!(
            live.get(release),
            Some(&("deployed".to_owned(), *revision)),
            "release {release}: {live:?}"
        );
    }

    let mut summary = last.clone();
    let fields = summary.as_object_mut().expect("object");
    fields.remove("ts");
    fields.remove("event");
    assert_eq!(output.json(), summary);
}

/// Without a terminal every line is `HH:MM:SS text` (UTC), with no escape sequence. The
/// first run converges whatever an earlier test left (another profile's values, revisions
/// added by helmfile), so the second one's releases are all unchanged.
#[test]
fn sandbox_install_without_a_terminal_writes_timestamped_lines() {
    let sb = &sandbox().claim(&SINGLE_PLANE);
    install(sb).arg("--yes").run();
    let output = install(sb)
        .arg("--yes")
        .stderr_contains(" same   secure-core/cert-manager@control")
        .stderr_contains(" start  secure-core/register@default (apply on cp)")
        .stderr_contains(" finished in ")
        .run();
    // After the preflight's lines, the plan's headline, then the run.
    let mut lines = output
        .stderr
        .lines()
        .skip_while(|line| !line.starts_with("install single-plane:"));
    assert!(lines.next().is_some(), "no headline:\n{}", output.stderr);
    for line in lines {
        let (time, text) = line.split_at_checked(9).unwrap_or((line, ""));
        let stamp = time.as_bytes();
        assert!(
            stamp.len() == 9
                && stamp[2] == b':'
                && stamp[5] == b':'
                && stamp[8] == b' '
                && [0, 1, 3, 4, 6, 7]
                    .iter()
                    .all(|&i| stamp[i].is_ascii_digit()),
            "not `HH:MM:SS text`: {line}\n{}",
            output.stderr
        );
        assert!(!text.contains('\u{1b}'), "escape sequence: {line}");
    }
}

/// Without a terminal (stdin is not one) and without `--yes`, nothing is asked and nothing
/// is done: exit 2, whatever the log format, and whatever is piped in (a `y` on a pipe is not
/// a confirmation).
#[test]
fn install_without_a_terminal_or_yes_is_refused() {
    for log_format in ["text", "json"] {
        for stdin in [None, Some("y\n")] {
            let mut install = Test::new().args([
                "install",
                "--edition",
                "generic",
                "--log-format",
                log_format,
            ]);
            if let Some(input) = stdin {
                install = install.stdin(input);
            }
            install
                .status(2)
                .stderr_contains("was not confirmed")
                .stderr_contains("pass --yes")
                .run();
        }
    }
}
