//! The malformed-profile corpus, `tests/malformed/*.yaml`: every file holds one defect and
//! states in its header comments what `choreoctl profile validate` must say about it:
//!
//! ```yaml
//! # expect-line: 9            (1-based line the error names as `FILE:LINE:`, or `none`)
//! # expect: did you mean      (substring of the message; several lines allowed)
//! ```
//!
//! Every file must be rejected with exit code 2, its location, every `expect` text (in the
//! message and help, not in the echoed source or the file's name) and a `help:` naming the fix. One test runs the
//! whole corpus and reports every file that misbehaves at once.
//!
//! The valid side is here too: every preset, and the example of docs/profiles.md, validate.

use std::path::{Path, PathBuf};

use crate::fixtures::{LAB_KUBECONFIG, presets, uses_guard};
use crate::harness::Test;

/// Fewer files than this means the corpus lost coverage.
const MIN_CORPUS: usize = 30;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What a corpus file's header asks for.
#[derive(Debug)]
struct Expectation {
    /// `None` for `expect-line: none`.
    line: Option<usize>,
    /// Substrings of the message.
    texts: Vec<String>,
}

/// Reads the header comments (the leading `#` lines) of a corpus file.
fn expectation(text: &str) -> Result<Expectation, String> {
    let mut line = None;
    let mut texts = Vec::new();
    for header in text.lines().take_while(|line| line.starts_with('#')) {
        let header = header.trim_start_matches('#').trim();
        if let Some(value) = header.strip_prefix("expect-line:") {
            let value = value.trim();
            line = Some(if value == "none" {
                None
            } else {
                Some(value.parse::<usize>().map_err(|_| {
                    format!("`expect-line: {value}` is neither a line number nor `none`")
                })?)
            });
        } else if let Some(value) = header.strip_prefix("expect:") {
            texts.push(value.trim().to_string());
        }
    }
    let line = line.ok_or("the header has no `# expect-line:`")?;
    if texts.is_empty() {
        return Err("the header has no `# expect:`".into());
    }
    Ok(Expectation { line, texts })
}

/// The corpus files, sorted, as paths relative to the package root.
fn corpus() -> Vec<PathBuf> {
    let dir = root().join("tests/malformed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .map(|path| {
            path.strip_prefix(root())
                .expect("inside the package")
                .to_path_buf()
        })
        .collect();
    files.sort();
    files
}

/// Whether a line of stderr belongs to the echoed source snippet (` 12 | …`, `   : ^^^`,
/// `,-[file:1:2]`, `` `---- ``) rather than to the message or its help.
fn is_snippet(line: &str) -> bool {
    let line = line.trim_start();
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    line.starts_with(",-[")
        || line.starts_with("`-")
        || line.starts_with(':')
        || (digits > 0 && line[digits..].trim_start().starts_with('|'))
}

/// stderr without the snippet: what the message and its help say.
fn message(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|line| !is_snippet(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The message with wrapped lines joined back (with and without a space), to explain a miss.
fn unwrapped(message: &str) -> [String; 2] {
    let pieces: Vec<&str> = message
        .lines()
        .map(|line| line.trim().trim_start_matches('|').trim())
        .filter(|line| !line.is_empty())
        .collect();
    [pieces.join(" "), pieces.join("")]
}

/// Everything wrong with how `choreoctl profile validate FILE` treats one corpus file.
fn problems(file: &Path) -> Vec<String> {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(root().join(file)).expect("read corpus file");
    let expected = match expectation(&text) {
        Ok(expected) => expected,
        Err(problem) => return vec![problem],
    };
    let output = Test::new()
        .kubeconfig(LAB_KUBECONFIG)
        .current_dir(root())
        .args(["profile", "validate", &name])
        .output();
    let stderr = output.stderr;
    let said = message(&stderr);
    let mut problems = Vec::new();
    if output.code != Some(2) {
        problems.push(format!(
            "exit code {:?}, expected 2 (stdout: {})",
            output.code,
            output.stdout.trim()
        ));
    }
    match expected.line {
        Some(line) => {
            let located = format!("{name}:{line}:");
            if !said.contains(&located) {
                problems.push(format!("does not name `{located}`"));
            }
        }
        None => {
            if !said.contains(&name) {
                problems.push(format!("does not name the file `{name}`"));
            }
        }
    }
    // The file's own name must not satisfy an expectation (`syntax-tab.yaml` says "tab").
    let words = said.replace(&name, "FILE");
    for text in &expected.texts {
        if words.contains(text.as_str()) {
            continue;
        }
        let note = if unwrapped(&words)
            .iter()
            .any(|joined| joined.contains(text.as_str()))
        {
            " (it is there only once the lines wrapped at 100 columns are joined)"
        } else {
            ""
        };
        problems.push(format!("lacks `{text}`{note}"));
    }
    if !said.contains("help:") {
        problems.push("names no fix (no `help:`)".into());
    }
    if !problems.is_empty() {
        problems.push(format!(
            "stderr was:\n{}",
            stderr
                .lines()
                .map(|line| format!("        {line}"))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    problems
}

#[test]
fn the_corpus_is_large_and_every_file_states_its_expectation() {
    let files = corpus();
    assert!(
        files.len() >= MIN_CORPUS,
        "tests/malformed holds {} profiles; keep at least {MIN_CORPUS}",
        files.len()
    );
    let broken: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let text = std::fs::read_to_string(root().join(file)).expect("read corpus file");
            expectation(&text)
                .err()
                .map(|problem| format!("{}: {problem}", file.display()))
        })
        .collect();
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn every_malformed_profile_is_rejected_with_its_line_and_fix() {
    let files = corpus();
    // One process per file, all at once: the corpus stays fast as it grows.
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = files
            .iter()
            .map(|file| scope.spawn(move || (file, problems(file))))
            .collect();
        runs.into_iter()
            .map(|run| run.join().expect("corpus check does not panic"))
            .filter(|(_, problems)| !problems.is_empty())
            .map(|(file, problems)| {
                format!("{}:\n    - {}", file.display(), problems.join("\n    - "))
            })
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} malformed profiles are not rejected as their header says:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

/// Why the run of `choreoctl profile validate …` does not report a valid profile, if it does
/// not.
fn invalid(test: Test) -> Option<String> {
    let output = test.output();
    (output.code != Some(0) || !output.stdout.contains("is valid")).then(|| {
        format!(
            "{}: exit {:?}\n{}{}",
            output.command, output.code, output.stdout, output.stderr
        )
    })
}

fn assert_valid(test: Test) {
    if let Some(problem) = invalid(test) {
        panic!("{problem}");
    }
}

#[test]
fn every_preset_is_a_valid_profile_on_the_editions_it_supports() {
    let mut runs: Vec<Test> = Vec::new();
    for preset in presets() {
        for edition in ["cilium", "generic"] {
            if edition == "generic" && uses_guard(preset) {
                continue; // refused on purpose: see the cli tests
            }
            // As a preset, offline (presets keep their own contexts) …
            runs.push(Test::new().args([
                "profile",
                "validate",
                "--preset",
                preset,
                "--edition",
                edition,
            ]));
            // … and as a file of the same shape, against a kubeconfig, every plane bound to a
            // context it has.
            runs.push(
                Test::new()
                    .kubeconfig(LAB_KUBECONFIG)
                    .current_dir(root())
                    .args(["profile", "validate"])
                    .arg(format!("profiles/{preset}.yaml"))
                    .args(["--edition", edition, "--context", "beta"]),
            );
        }
    }
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .into_iter()
            .map(|test| scope.spawn(move || invalid(test)))
            .collect();
        handles
            .into_iter()
            .filter_map(|handle| handle.join().expect("no panic"))
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The example profile of docs/profiles.md, contexts renamed to the lab kubeconfig's.
const DESIGN_EXAMPLE: &str = "\
apiVersion: choreoctl.openchoreo.dev/v1alpha1
kind: Profile
metadata:
  name: acme-prod
spec:
  edition: cilium                 # cilium | generic
  version: 1.2.3                  # OpenChoreo release; default: the newest the catalog pins
  domain: choreo.example.com      # base for every hostname
  planes:
    - {name: control, type: control, context: alpha}
    - {name: eu, type: data, context: beta, kubeconfig: ~/.kube/eu.yaml}
    - {name: us, type: data, context: beta}
    - {name: ci, type: workflow, context: alpha}      # co-located with control
    - {name: obs, type: observability, context: beta, serves: [eu, us]}
  modules:
    - name: cd
    - name: observe
      plane: obs
      options: {retentionDays: 14}
    - name: elastic               # default placement: every plane of its home type
      planes: [eu]
  charts:
    mirror: oci://registry.internal/choreo   # optional: every chart is pulled from here
  values:                          # per-release overrides, deep-merged last
    openchoreo-control-plane:
      backstage: {replicas: 2}
";

#[test]
fn the_design_example_profile_is_valid() {
    let test = || {
        Test::new()
            .kubeconfig(LAB_KUBECONFIG)
            .file("acme-prod.yaml", DESIGN_EXAMPLE)
            .args(["profile", "validate", "acme-prod.yaml"])
    };
    assert_valid(test());
    let summary = test().args(["-o", "json"]).output().json();
    assert_eq!(summary["valid"], true, "{summary}");
    assert_eq!(summary["planes"], 5, "{summary}");
    assert_eq!(
        summary["modules"],
        serde_json::json!(["secure-core", "cd", "observe", "elastic"]),
        "{summary}"
    );
}
