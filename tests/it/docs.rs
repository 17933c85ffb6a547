//! Documentation as users get it: a man page per command (`choreoctl man`), completion scripts
//! loaded and queried by the real bash, zsh and fish, an example in every command's `--help`,
//! and the versions `version -o json` reports. A shell or groff that is not installed is
//! skipped with a line saying so (.ci/run installs them where it can).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use choreoctl::cli::Cli;
use clap::{CommandFactory, Parser};

use crate::harness::{Test, assert_contains};

/// Every command users can run, root first, with the words that name it (`["choreoctl",
/// "module", "list"]`); clap's own `help` subcommands are left out.
fn command_tree() -> Vec<(Vec<String>, clap::Command)> {
    fn walk(
        words: Vec<String>,
        command: &clap::Command,
        all: &mut Vec<(Vec<String>, clap::Command)>,
    ) {
        all.push((words.clone(), command.clone()));
        for subcommand in command.get_subcommands() {
            if subcommand.get_name() != "help" && !subcommand.is_hide_set() {
                let mut words = words.clone();
                words.push(subcommand.get_name().to_owned());
                walk(words, subcommand, all);
            }
        }
    }
    let mut root = Cli::command();
    root.build();
    let mut all = Vec::new();
    walk(vec!["choreoctl".to_owned()], &root, &mut all);
    all
}

/// The directory of `program` on `PATH`, or `None`.
fn on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// `PATH` with the choreoctl under test first.
fn path_with_choreoctl() -> std::ffi::OsString {
    let bin = Path::new(env!("CARGO_BIN_EXE_choreoctl"))
        .parent()
        .expect("binary directory")
        .to_path_buf();
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&rest)))
        .expect("PATH joins")
}

// ---------------------------------------------------------------------------------------------
// Man pages

/// The roff requests the pages may use: clap_mangen's, and `nf`/`fi` around the examples. A
/// typo or a line of help text starting with a dot would show up as another.
const ROFF_REQUESTS: &[&str] = &[
    "TH", "SH", "TP", "IP", "PP", "RS", "RE", "br", "ie", "el", "nf", "fi",
];

#[test]
fn man_writes_a_valid_page_for_every_command() {
    let test = Test::new();
    let out = test.path().join("man");
    let output = test.args(["man", "--out"]).arg(&out).run();

    let expected: BTreeSet<String> = command_tree()
        .iter()
        .map(|(words, _)| format!("{}.1", words.join("-")))
        .collect();
    let written: BTreeSet<String> = std::fs::read_dir(&out)
        .expect("man --out directory")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written, expected, "one page per command and subcommand");
    assert!(written.contains("choreoctl-module-list.1"), "{written:?}");
    assert_contains(
        &output.stderr,
        &format!("wrote {} man pages to {}", expected.len(), out.display()),
    );

    for (words, _) in command_tree() {
        let name = words.join("-");
        let page = std::fs::read_to_string(out.join(format!("{name}.1"))).unwrap();
        let title = format!(".TH {} 1 \"\" \"choreoctl ", name.to_uppercase());
        assert!(
            page.starts_with(&title),
            "{name}.1 starts with {title}:\n{page}"
        );
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "EXAMPLES"] {
            assert!(
                page.lines().any(|line| line == format!(".SH {section}")),
                "{name}.1 has no {section} section:\n{page}"
            );
        }
        let name_line = format!("{} \\- ", name.replace('-', "\\-"));
        assert_contains(&page, &name_line);
        // roff escapes a hyphen in a command's name (`sync\-ca`).
        let synopsis = words.join(" ").replace('-', "\\-");
        assert_contains(&page, &format!("\\fB{synopsis}\\fR"));
        assert!(page.is_ascii(), "{name}.1 has raw non-ASCII characters");
        for line in page.lines().filter(|line| line.starts_with('.')) {
            let request = line[1..].split_whitespace().next().unwrap_or_default();
            assert!(
                ROFF_REQUESTS.contains(&request),
                "{name}.1: unexpected roff request in `{line}`"
            );
        }
    }

    let Some(groff) = on_path("groff") else {
        println!("skipped rendering the man pages: groff is not installed");
        return;
    };
    for page in &written {
        let checked = Command::new(&groff)
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(out.join(page))
            .output()
            .expect("groff runs");
        let warnings = String::from_utf8_lossy(&checked.stderr);
        assert!(
            checked.status.success() && warnings.is_empty(),
            "groff -ww on {page}: {warnings}"
        );
    }
    let rendered = Command::new(&groff)
        // Wide lines, no hyphenation, no overstriking: text to search.
        .args(["-man", "-Tutf8", "-P-cbou", "-rLL=300n", "-rHY=0"])
        .arg(out.join("choreoctl-install.1"))
        .output()
        .expect("groff runs");
    let text = String::from_utf8_lossy(&rendered.stdout);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needed in [
        "NAME choreoctl-install - Install (or bring up to date) OpenChoreo",
        "SYNOPSIS choreoctl install [--kubeconfig]",
        "--force-unlock",
        "EXAMPLES",
        "choreoctl install --edition generic --context kind-lab",
        "SEE ALSO choreoctl(1)",
    ] {
        assert_contains(&text, needed);
    }
    println!(
        "rendered {} pages with {} (no warnings)",
        written.len(),
        groff.display()
    );
}

#[test]
fn man_into_an_unwritable_place_exits_1_naming_it() {
    let stderr = Test::new()
        .args(["man", "--out", "/proc/choreoctl-man"])
        .status(1)
        .run()
        .stderr;
    assert_contains(&stderr, "creating /proc/choreoctl-man");
    assert_eq!(
        stderr.matches("creating /proc/choreoctl-man").count(),
        1,
        "the failed step is said once, then its cause:\n{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// Completions, loaded by the real shells

/// Runs `shell args…` with the choreoctl under test first on `PATH` and a fresh `HOME` (no rc
/// file of the developer's); `None` when the shell is not installed.
fn run_shell(shell: &str, args: &[&str]) -> Option<String> {
    let Some(program) = on_path(shell) else {
        println!("skipped {shell}: `{shell}` is not installed (.ci/run installs it with apt-get)");
        return None;
    };
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(&program)
        .args(args)
        .env("PATH", path_with_choreoctl())
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .env("XDG_DATA_HOME", home.path().join(".local/share"))
        .env("NO_COLOR", "1")
        .output()
        .expect("shell runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{shell} {args:?} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    println!("{shell}:\n{stdout}");
    Some(stdout)
}

/// The lines of `output` that start with `prefix`, without it.
fn tagged<'a>(output: &'a str, prefix: &str) -> Vec<&'a str> {
    output
        .lines()
        .filter_map(|line| line.strip_prefix(prefix))
        .collect()
}

#[test]
fn completion_bash_registers_and_completes_commands() {
    // What bash does on TAB: the completion function with COMP_WORDS/COMP_CWORD set, then
    // COMPREPLY holds the candidates.
    let script = r#"
        source <(choreoctl completion bash) || exit 1
        complete -p choreoctl
        query() {
            local tag=$1; shift
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
            COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
            COMPREPLY=()
            _choreoctl choreoctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf "$tag:%s\n" "${COMPREPLY[@]}"
        }
        query ins choreoctl ins
        query module choreoctl module ''
        query shell choreoctl completion ''
    "#;
    let Some(out) = run_shell("bash", &["--norc", "--noprofile", "-c", script]) else {
        return;
    };
    assert_contains(&out, "-F _choreoctl choreoctl");
    assert_eq!(tagged(&out, "ins:"), ["install"], "{out}");
    let module = tagged(&out, "module:");
    assert!(
        module.contains(&"list") && module.contains(&"info"),
        "{out}"
    );
    let shells = tagged(&out, "shell:");
    for shell in ["bash", "zsh", "fish"] {
        assert!(shells.contains(&shell), "{out}");
    }
}

#[test]
fn completion_zsh_defines_and_registers_choreoctl() {
    let script = r#"
        autoload -Uz compinit && compinit -u -D || exit 1
        source <(choreoctl completion zsh) || exit 1
        print -r -- "whence:$(whence -w _choreoctl)"
        print -r -- "comps:$_comps[choreoctl]"
    "#;
    let Some(out) = run_shell("zsh", &["-f", "-c", script]) else {
        return;
    };
    assert_eq!(tagged(&out, "whence:"), ["_choreoctl: function"], "{out}");
    assert_eq!(tagged(&out, "comps:"), ["_choreoctl"], "{out}");
}

#[test]
fn completion_fish_completes_commands() {
    let script = r#"
        source (choreoctl completion fish | psub); or exit 1
        for line in (complete -C "choreoctl ins"); echo "ins:$line"; end
        for line in (complete -C "choreoctl module "); echo "module:$line"; end
    "#;
    let Some(out) = run_shell("fish", &["--no-config", "-c", script]) else {
        return;
    };
    // fish prints `candidate<TAB>description`.
    let first_words = |tag: &str| -> Vec<String> {
        tagged(&out, tag)
            .iter()
            .map(|line| line.split('\t').next().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(first_words("ins:"), ["install"], "{out}");
    let module = first_words("module:");
    assert!(
        module.contains(&"list".to_owned()) && module.contains(&"info".to_owned()),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// --help

/// The `choreoctl …` command lines of an example text, continuation lines joined, cut where a
/// pipe, `&&`, `;`, a redirection or a comment starts.
fn example_command_lines(text: &str) -> Vec<Vec<String>> {
    let mut joined = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let line = line.trim();
        pending.push_str(line.trim_end_matches('\\'));
        pending.push(' ');
        if !line.ends_with('\\') {
            joined.push(std::mem::take(&mut pending));
        }
    }
    joined
        .iter()
        .filter(|line| line.starts_with("choreoctl "))
        .map(|line| {
            let mut words = Vec::new();
            let mut redirected = false;
            for word in line.split_whitespace() {
                if matches!(word, "|" | "&&" | ";" | "#") {
                    break;
                }
                if matches!(word, ">" | ">>" | "2>" | "<") {
                    redirected = true; // the next word is the file
                } else if !std::mem::take(&mut redirected)
                    && !word.starts_with('>')
                    && !word.starts_with("2>")
                {
                    words.push(word.trim_matches(['\'', '"']).to_owned());
                }
            }
            words
        })
        .collect()
}

#[test]
fn every_command_help_has_an_example_that_parses() {
    let mut problems = Vec::new();
    for (words, mut command) in command_tree() {
        let help = command.render_long_help().to_string();
        let name = words.join(" ");
        let Some(start) = help.lines().position(|line| line.starts_with("Example")) else {
            problems.push(format!("`{name} --help` has no \"Examples:\" section"));
            continue;
        };
        let examples: Vec<&str> = help.lines().skip(start).collect();
        let commands = example_command_lines(&examples.join("\n"));
        if !commands.iter().any(|example| example.starts_with(&words)) {
            problems.push(format!("`{name} --help`: no example runs `{name}`"));
        }
        for example in commands {
            if let Err(error) = Cli::try_parse_from(&example) {
                problems.push(format!(
                    "`{name} --help`: example `{}` does not parse: {}",
                    example.join(" "),
                    error.kind()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// version

#[test]
fn version_json_gives_choreoctl_catalog_and_helm_versions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let helm = dir.path().join("helm");
    std::fs::write(&helm, "#!/bin/sh\necho v3.19.2\n").unwrap();
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let versions = Test::new()
        .args(["version", "-o", "json", "--helm"])
        .arg(&helm)
        .run()
        .json();
    assert_eq!(versions["choreoctl"], env!("CARGO_PKG_VERSION"));
    assert_eq!(versions["catalog"], "embedded");
    assert_eq!(versions["openchoreoReleases"], serde_json::json!(["1.2.3"]));
    assert_eq!(versions["defaultRelease"], "1.2.3");
    assert_eq!(
        versions["helm"],
        serde_json::json!({
            "found": true,
            "path": helm.display().to_string(),
            "version": "v3.19.2",
            "supported": true,
        })
    );
}
