//! `--log-format json` on every command that writes status lines on stderr: each line is one
//! NDJSON event with `ts` and `event` (docs/engine.md, "Events of other commands"), stdout
//! stays the command's result, and a failed run ends with one `error` event carrying the exit
//! code. `install`'s own events are tested in install_output.rs; mirror's in mirror.rs.

use serde_json::Value;

use crate::harness::{Output, Test, assert_contains};
use crate::ownership::SINGLE_PLANE;
use crate::sandbox::sandbox;

/// A kubeconfig whose only context, `gone`, points where nothing listens.
const GONE_KUBECONFIG: &str = "apiVersion: v1\nkind: Config\n\
     clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:1'}}]\n\
     users: [{name: me, user: {token: not-a-token}}]\n\
     contexts: [{name: gone, context: {cluster: gone, user: me}}]\n\
     current-context: gone\n";

fn names(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|event| event["event"].as_str().unwrap())
        .collect()
}

/// The last event is `error` with the process's exit code and a non-empty message.
fn assert_ends_with_error(output: &Output, events: &[Value]) {
    let last = events
        .last()
        .unwrap_or_else(|| panic!("no event: {}", output.command));
    assert_eq!(last["event"], "error", "{}", output.stderr);
    assert_eq!(last["exit_code"].as_i64(), output.code.map(i64::from));
    assert!(
        !last["message"].as_str().unwrap_or_default().is_empty(),
        "{last}"
    );
    assert_eq!(
        names(events)
            .iter()
            .filter(|name| **name == "error")
            .count(),
        1
    );
}

#[test]
fn plan_and_diff_on_an_unreachable_context_write_note_events() {
    let args = [
        "--edition",
        "generic",
        "--context",
        "gone",
        "--log-format",
        "json",
    ];
    let plan = Test::new()
        .kubeconfig(GONE_KUBECONFIG)
        .arg("plan")
        .args(args)
        .run();
    let events = plan.events();
    assert!(
        names(&events).iter().all(|name| *name == "note"),
        "{}",
        plan.stderr
    );
    assert!(
        events
            .iter()
            .any(|event| event["message"]
                == "no cluster of the plan is reachable: the plan is offline"),
        "{}",
        plan.stderr
    );
    assert_contains(&plan.stdout, "Plan single-plane");

    let diff = Test::new()
        .kubeconfig(GONE_KUBECONFIG)
        .arg("diff")
        .args(args)
        .status(4)
        .run();
    let events = diff.events();
    assert_ends_with_error(&diff, &events);
    assert!(diff.stdout.is_empty(), "{}", diff.stdout);
}

#[test]
fn check_writes_one_event_per_check_then_the_summary_and_the_error() {
    let check = Test::new()
        .kubeconfig(GONE_KUBECONFIG)
        .args([
            "check",
            "--edition",
            "generic",
            "--log-format",
            "json",
            "-o",
            "json",
        ])
        .status(4)
        .run();
    let events = check.events();
    let report = check.json();
    let checks = report["clusters"][0]["checks"].as_array().unwrap().len();
    let results: Vec<&Value> = events
        .iter()
        .filter(|event| event["event"] == "check_result")
        .collect();
    assert_eq!(results.len(), checks, "{}", check.stderr);
    assert!(
        results.iter().any(|event| event["check"] == "reachable"
            && event["verdict"] == "fail"
            && event["context"] == "gone"
            && event["hint"].is_string()),
        "{}",
        check.stderr
    );
    let summary = events
        .iter()
        .find(|event| event["event"] == "check_summary")
        .unwrap();
    assert_eq!(summary["passed"], false);
    assert_eq!(summary["counts"], report["summary"]);
    assert_ends_with_error(&check, &events);
}

#[test]
fn status_of_an_unreachable_control_plane_is_one_error_event() {
    let status = Test::new()
        .kubeconfig(GONE_KUBECONFIG)
        .args(["status", "--log-format", "json"])
        .status(4)
        .run();
    let events = status.events();
    assert_eq!(events.len(), 1, "{}", status.stderr);
    assert_ends_with_error(&status, &events);
    assert!(events[0]["help"].is_string(), "{}", status.stderr);
}

#[test]
fn render_writes_files_written_events_and_under_v_one_per_file() {
    let test = Test::new();
    let out = test.path().join("rendered");
    let rendered = test
        .args([
            "render",
            "--edition",
            "generic",
            "--log-format",
            "json",
            "-v",
            "--out",
        ])
        .arg(&out)
        .run();
    let events = rendered.events();
    let files = events
        .iter()
        .filter(|event| event["event"] == "file_written")
        .count();
    let last = events.last().unwrap();
    assert_eq!(last["event"], "files_written", "{}", rendered.stderr);
    assert_eq!(last["files"].as_u64(), Some(files as u64));
    assert!(files > 1, "{}", rendered.stderr);
}

#[test]
fn man_writes_files_written_events() {
    let test = Test::new();
    let out = test.path().join("man");
    let written = test
        .args(["man", "--log-format", "json", "-v", "--out"])
        .arg(&out)
        .run();
    let events = written.events();
    let pages = events
        .iter()
        .filter(|event| event["event"] == "file_written")
        .count();
    let last = events.last().unwrap();
    assert_eq!(last["event"], "files_written", "{}", written.stderr);
    assert_eq!(last["files"].as_u64(), Some(pages as u64));
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), pages);
}

#[test]
fn init_without_a_terminal_writes_events_and_refusals_as_an_error_event() {
    let test = Test::new();
    let file = test.path().join("lab.yaml");
    let written = test
        .args([
            "init",
            "--yes",
            "--edition",
            "generic",
            "--log-format",
            "json",
            "--out",
        ])
        .arg(&file)
        .run();
    let events = written.events();
    assert_eq!(
        events[0]["event"], "profile_generated",
        "{}",
        written.stderr
    );
    assert_eq!(events[0]["edition"], "generic");
    assert_eq!(events[0]["path"], file.display().to_string());
    assert!(
        events[1..].iter().all(|event| event["event"] == "note"),
        "{}",
        written.stderr
    );

    let refused = Test::new()
        .args(["init", "--log-format", "json"])
        .status(2)
        .run();
    let events = refused.events();
    assert_eq!(events.len(), 1, "{}", refused.stderr);
    assert_ends_with_error(&refused, &events);
    assert_contains(events[0]["message"].as_str().unwrap(), "without a terminal");
}

#[test]
fn a_usage_error_and_a_profile_error_are_error_events() {
    let usage = Test::new()
        .args(["plan", "--bogus", "--log-format", "json"])
        .status(2)
        .run();
    let events = usage.events();
    assert_ends_with_error(&usage, &events);
    assert_contains(events[0]["message"].as_str().unwrap(), "--bogus");

    let test = Test::new().file("bad.yaml", "apiVersion: nope\n");
    let profile = test.path().join("bad.yaml");
    let invalid = test
        .args(["plan", "--log-format", "json", "--profile"])
        .arg(&profile)
        .status(2)
        .run();
    let events = invalid.events();
    assert_ends_with_error(&invalid, &events);
    // The text a person would have read, file and line included, is kept in `detail`.
    assert_contains(events[0]["detail"].as_str().unwrap(), "bad.yaml");
}

/// On the sandbox: `check` that passes (every event a passing or warning check, no error) and
/// `status` of the installed single-plane preset (its summary event, stdout still the report).
#[test]
fn sandbox_check_and_status_log_format_json() {
    let sb = &sandbox().claim(&SINGLE_PLANE);
    let check = sb
        .choreoctl()
        .args([
            "check",
            "--edition",
            "generic",
            "--context",
            "cp",
            "--log-format",
            "json",
        ])
        .stdout_contains("[ok] reachable")
        .run();
    let events = check.events();
    assert!(
        events
            .iter()
            .filter(|event| event["event"] == "check_result")
            .all(|event| event["verdict"] != "fail"),
        "{}",
        check.stderr
    );
    assert_eq!(events.last().unwrap()["event"], "check_summary");
    assert_eq!(events.last().unwrap()["passed"], true);

    crate::status::install(sb);
    let status = crate::status::status_command(sb, "cp", "single-plane")
        .args(["--log-format", "json", "-o", "json"])
        .run();
    let events = status.events();
    let summary = events.last().unwrap();
    assert_eq!(summary["event"], "status_summary", "{}", status.stderr);
    assert_eq!(summary["installation"], "single-plane");
    assert_eq!(summary["reachable"], summary["planes"]);
    let report = status.json();
    assert_eq!(
        summary["problems"].as_u64(),
        Some(report["problems"].as_array().unwrap().len() as u64)
    );
}
